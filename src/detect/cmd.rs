//! `gettype: cmd` (§3.3): run the user's command and read an address from its output.
//!
//! As in ddns-go the command goes through `bash -c` when bash is on PATH, else `sh -c`, with
//! stdout and stderr combined, and the address is extracted like a URL body. Unlike ddns-go
//! there is a timeout (the whole process group is killed, so a hung child such as `sleep` dies
//! too), output is bounded, and the address must be globally routable.
//!
//! Background processes that detach from the output and outlive the command are left alone when
//! it succeeds; they are only killed with the group on a timeout or on too much output.

use std::net::IpAddr;
use std::time::Duration;

use super::{DetectError, Family, extract, snippet, validate};

/// Default time a command may run.
pub const CMD_TIMEOUT: Duration = Duration::from_secs(10);

/// Most output read from a command; more is an error.
pub const MAX_OUTPUT: usize = 64 * 1024;

/// Runs `cmd` (bounded by `timeout`) and returns the address of `family` it printed.
pub async fn detect_cmd(
    cmd: &str,
    family: Family,
    timeout: Duration,
) -> Result<IpAddr, DetectError> {
    let fail = |why: String| DetectError::Failed {
        family: family.label(),
        reason: format!("command {cmd:?}: {why}"),
    };
    if cmd.trim().is_empty() {
        return Err(fail("no command given (set cmd)".into()));
    }
    let output = run(cmd, timeout).await.map_err(fail)?;
    let ip = extract::first(&output, family).ok_or_else(|| {
        fail(format!(
            "no {} address in the output {}",
            family.label(),
            snippet(&output)
        ))
    })?;
    validate::check_public(ip).map_err(|rejection| {
        tracing::warn!("command {cmd:?}: {rejection}; not using it");
        fail(rejection.to_string())
    })?;
    tracing::info!("{} address {ip} from command {cmd:?}", family.label());
    Ok(ip)
}

/// Runs the command and returns its combined output, or why it failed.
#[cfg(unix)]
async fn run(cmd: &str, timeout: Duration) -> Result<String, String> {
    use std::os::unix::process::ExitStatusExt;
    use tokio::io::AsyncReadExt;

    let shell = if on_path("bash") { "bash" } else { "sh" };
    let (reader, writer) = std::io::pipe().map_err(|e| format!("cannot create a pipe: {e}"))?;
    let writer2 = writer
        .try_clone()
        .map_err(|e| format!("cannot create a pipe: {e}"))?;
    let mut command = tokio::process::Command::new(shell);
    command
        .arg("-c")
        .arg(cmd)
        .stdin(std::process::Stdio::null())
        .stdout(writer)
        .stderr(writer2)
        // Its own process group, so a timeout can kill everything it started.
        .process_group(0)
        .kill_on_drop(true);
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot run {shell}: {e}"))?;
    // The Command holds our copies of the pipe's write end; EOF comes only once they are closed.
    drop(command);
    let mut output = tokio::net::unix::pipe::Receiver::from_owned_fd(reader.into())
        .map_err(|e| format!("cannot read the output: {e}"))?;

    let mut buf = Vec::new();
    let work = async {
        // One byte past the limit tells "too much" from "exactly the limit".
        (&mut output)
            .take(MAX_OUTPUT as u64 + 1)
            .read_to_end(&mut buf)
            .await?;
        if buf.len() > MAX_OUTPUT {
            return Ok(None);
        }
        child.wait().await.map(Some)
    };
    let outcome = tokio::time::timeout(timeout, work).await;
    let status = match outcome {
        Ok(Ok(Some(status))) => status,
        Ok(Ok(None)) => {
            kill_group(&mut child).await;
            return Err(format!("printed more than {MAX_OUTPUT} bytes"));
        }
        Ok(Err(e)) => {
            kill_group(&mut child).await;
            return Err(format!("cannot read the output: {e}"));
        }
        Err(_) => {
            kill_group(&mut child).await;
            return Err(format!("timed out after {}s", timeout.as_secs_f64()));
        }
    };
    let text = String::from_utf8_lossy(&buf).into_owned();
    match (status.code(), status.signal()) {
        (Some(0), _) => Ok(text),
        (Some(code), _) => Err(format!(
            "exited with status {code}, output {}",
            snippet(&text)
        )),
        (None, Some(sig)) => Err(format!("killed by signal {sig}, output {}", snippet(&text))),
        (None, None) => Err(format!("ended abnormally, output {}", snippet(&text))),
    }
}

/// Kills the command's whole process group, then reaps the shell.
#[cfg(unix)]
async fn kill_group(child: &mut tokio::process::Child) {
    // The shell has not been reaped yet (we only reap in `wait`, which did not complete), so its
    // pid is still its process group's id and cannot have been reused.
    if let Some(pid) = child.id().and_then(|p| i32::try_from(p).ok()) {
        // SAFETY: kill(2) with a negative pid signals that process group; no memory is touched.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
    let _ = child.wait().await;
}

/// Whether an executable named `name` is in a PATH directory.
#[cfg(unix)]
fn on_path(name: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let Some(path) = std::env::var_os("PATH") else {
        return false;
    };
    std::env::split_paths(&path).any(|dir| {
        std::fs::metadata(dir.join(name))
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    })
}

/// ddns-go runs commands through PowerShell on Windows; that is not implemented yet.
#[cfg(not(unix))]
async fn run(_cmd: &str, _timeout: Duration) -> Result<String, String> {
    Err("gettype cmd is not supported on this operating system yet".into())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn finds_sh() {
        assert!(on_path("sh"));
        assert!(!on_path("no-such-program-ddnsrs"));
    }

    #[tokio::test]
    async fn combined_output() {
        let out = run("echo out; echo err >&2", CMD_TIMEOUT).await.unwrap();
        assert!(out.contains("out") && out.contains("err"), "{out}");
    }
}
