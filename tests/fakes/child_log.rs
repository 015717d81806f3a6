//! The stderr of a spawned ddns-rs process, collected line by line in the background so a test
//! can wait for a log line while the process keeps running. Included with `#[path]` by the test
//! files that start the binary (not all of them include the fakes).

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Child;

/// Takes `child`'s piped stderr and appends each line (with `\n`) to the returned buffer.
pub fn collect_stderr(child: &mut Child) -> Arc<Mutex<String>> {
    let log = Arc::new(Mutex::new(String::new()));
    let sink = log.clone();
    let stderr = child.stderr.take().expect("stderr must be piped");
    tokio::spawn(async move {
        let mut lines = BufReader::new(stderr).lines();
        while let Ok(Some(l)) = lines.next_line().await {
            let mut g = sink.lock().unwrap();
            g.push_str(&l);
            g.push('\n');
        }
    });
    log
}
