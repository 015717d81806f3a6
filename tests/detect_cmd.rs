//! `gettype: cmd`: real shell commands, their exit codes, hangs and floods.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use ddns_rs::config::IpConf;
use ddns_rs::detect::{
    CMD_TIMEOUT, DetectCtx, DetectError, Family, MAX_OUTPUT, detect, detect_cmd,
};

fn reason(err: DetectError) -> String {
    let DetectError::Failed { reason, .. } = err;
    reason
}

async fn v4(cmd: &str) -> Result<IpAddr, String> {
    detect_cmd(cmd, Family::V4, CMD_TIMEOUT)
        .await
        .map_err(reason)
}

#[tokio::test]
async fn echo_gives_the_address() {
    assert_eq!(
        v4("echo 8.8.8.8").await.unwrap(),
        "8.8.8.8".parse::<IpAddr>().unwrap()
    );
    // stderr counts too, as in ddns-go.
    assert_eq!(
        v4("echo 1.1.1.1 >&2").await.unwrap(),
        "1.1.1.1".parse::<IpAddr>().unwrap()
    );
    let v6 = detect_cmd(
        "printf 'inet6 2606:4700:4700::1111/64 scope global\\n'",
        Family::V6,
        CMD_TIMEOUT,
    );
    assert_eq!(
        v6.await.unwrap(),
        "2606:4700:4700::1111".parse::<IpAddr>().unwrap()
    );
}

#[tokio::test]
async fn runs_through_bash_when_present() {
    // `[[` is bash syntax; dash would fail with "[[: not found".
    assert_eq!(
        v4("[[ 1 == 1 ]] && echo 9.9.9.9").await.unwrap(),
        "9.9.9.9".parse::<IpAddr>().unwrap()
    );
}

#[tokio::test]
async fn non_zero_exit_is_an_error_with_code_and_output() {
    let why = v4("echo 8.8.8.8; echo oops >&2; exit 3").await.unwrap_err();
    assert!(
        why.starts_with("command \"echo 8.8.8.8; echo oops >&2; exit 3\": exited with status 3"),
        "{why}"
    );
    assert!(why.contains("oops"), "{why}");
}

#[tokio::test]
async fn unpublishable_or_missing_address_is_an_error() {
    let why = v4("echo 192.168.1.1").await.unwrap_err();
    assert!(
        why.ends_with("answer 192.168.1.1 is a private address (RFC 1918)"),
        "{why}"
    );
    let why = v4("echo hello").await.unwrap_err();
    assert!(
        why.contains("no IPv4 address in the output \"hello\""),
        "{why}"
    );
    let why = v4("   ").await.unwrap_err();
    assert!(why.contains("no command given"), "{why}");
}

#[tokio::test]
async fn hanging_command_is_killed_with_its_children() {
    let dir = tempfile::tempdir().unwrap();
    let pids = dir.path().join("pids");
    let cmd = format!(
        "echo $$ > {0}; sleep 100 & echo $! >> {0}; wait",
        pids.display()
    );
    let why = detect_cmd(&cmd, Family::V4, Duration::from_millis(500))
        .await
        .map_err(reason)
        .unwrap_err();
    assert!(why.ends_with("timed out after 0.5s"), "{why}");

    let pids: Vec<i32> = std::fs::read_to_string(&pids)
        .unwrap()
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect();
    assert_eq!(pids.len(), 2, "shell and sleep");
    // SIGKILL is delivered asynchronously; give the kernel a generous while to finish.
    let deadline = Instant::now() + Duration::from_secs(20);
    for pid in pids {
        while alive(pid) {
            assert!(
                Instant::now() < deadline,
                "process {pid} survived the timeout"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Running or sleeping (a zombie waiting for a reaper counts as dead).
fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state letter follows the parenthesised command name.
        Ok(stat) => {
            stat.rsplit(')')
                .next()
                .and_then(|r| r.split_whitespace().next())
                != Some("Z")
        }
        Err(_) => false,
    }
}

#[tokio::test]
async fn flood_of_output_is_refused() {
    let why = v4("yes 8.8.8.8").await.unwrap_err();
    assert!(
        why.ends_with(&format!("printed more than {MAX_OUTPUT} bytes")),
        "{why}"
    );
    let why = v4(&format!(
        "head -c {} /dev/zero; echo 8.8.8.8",
        MAX_OUTPUT + 1
    ))
    .await
    .unwrap_err();
    assert!(why.contains("printed more than"), "{why}");
    // Exactly the limit is fine.
    let fill = MAX_OUTPUT - "8.8.8.8\n".len();
    let ok = v4(&format!("echo 8.8.8.8; head -c {fill} /dev/zero"))
        .await
        .unwrap();
    assert_eq!(ok, "8.8.8.8".parse::<IpAddr>().unwrap());
}

#[tokio::test]
async fn detect_dispatches_cmd() {
    let conf = IpConf {
        enable: true,
        gettype: "cmd".into(),
        cmd: "echo 'ip: 8.8.4.4'".into(),
        ..IpConf::default()
    };
    let ip = detect(&conf, Family::V4, &DetectCtx::default())
        .await
        .unwrap();
    assert_eq!(ip, "8.8.4.4".parse::<IpAddr>().unwrap());
}
