//! A fault-injecting HTTP front for any fake provider: it sits between the client and the fake,
//! forwards requests unchanged, and on demand answers a request with a fault instead (no answer,
//! a connection reset, an error status, HTML, a truncated body, a canned body). Working at the
//! TCP/HTTP-1 level lets one helper cover every HTTP provider family without touching the fakes.
//!
//! Every connection carries one request and is then closed (`Connection: close` is forced both
//! ways), so counting requests is exact and a reset never hits a pooled connection by surprise.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What one request gets instead of the fake's answer.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Read the request, never answer (the client must time out).
    Hang,
    /// Read the request, then reset the connection (RST, no answer).
    Reset,
    /// This status with a short plain-text body.
    Status(u16),
    /// 429, with a `Retry-After` of that many seconds when `Some`.
    TooMany(Option<u64>),
    /// 200 with an HTML page (a captive portal, a CDN error page).
    Html,
    /// The fake's real answer, cut in half (the length header matches the cut body).
    Truncated,
    /// This status with this body, as JSON.
    Body(u16, String),
}

/// Called with the request head before it is forwarded (the test can mutate the fake there).
pub type Hook = Box<dyn Fn(usize, &str) + Send + Sync>;

#[derive(Default)]
struct Inner {
    queue: VecDeque<Fault>,
    always: Option<Fault>,
    heads: Vec<String>,
}

/// A running fault front; clone the `Arc` into tests.
pub struct Faulty {
    /// Where the front listens (give `http://{addr}` to the provider as its endpoint).
    pub addr: SocketAddr,
    upstream: SocketAddr,
    state: Mutex<Inner>,
    hook: Mutex<Option<Hook>>,
}

impl Faulty {
    /// Starts a front for the fake listening at `upstream`.
    pub async fn start(upstream: SocketAddr) -> Arc<Faulty> {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let f = Arc::new(Faulty {
            addr: listener.local_addr().unwrap(),
            upstream,
            state: Mutex::default(),
            hook: Mutex::new(None),
        });
        let me = f.clone();
        tokio::spawn(async move {
            loop {
                let Ok((c, _)) = listener.accept().await else {
                    continue;
                };
                let me = me.clone();
                tokio::spawn(async move { me.serve(c).await });
            }
        });
        f
    }

    /// `http://addr`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The next request gets `fault` (queued, one per request).
    pub fn next(&self, fault: Fault) {
        self.state.lock().unwrap().queue.push_back(fault);
    }

    /// Every request gets `fault` until [`Faulty::heal`] (the queue is served first).
    pub fn always(&self, fault: Fault) {
        self.state.lock().unwrap().always = Some(fault);
    }

    /// Stops every fault (queued and permanent).
    pub fn heal(&self) {
        let mut st = self.state.lock().unwrap();
        st.always = None;
        st.queue.clear();
    }

    /// Sets the hook run before each forwarded request.
    pub fn on_request(&self, hook: Hook) {
        *self.hook.lock().unwrap() = Some(hook);
    }

    /// Number of requests received (faulted or forwarded).
    pub fn count(&self) -> usize {
        self.state.lock().unwrap().heads.len()
    }

    /// The request lines (`GET /path HTTP/1.1`) received, in order.
    pub fn lines(&self) -> Vec<String> {
        let st = self.state.lock().unwrap();
        st.heads
            .iter()
            .map(|h| h.lines().next().unwrap_or("").to_string())
            .collect()
    }

    async fn serve(self: Arc<Self>, mut c: TcpStream) {
        let Some((head, body)) = read_request(&mut c).await else {
            return;
        };
        let (n, fault) = {
            let mut st = self.state.lock().unwrap();
            st.heads.push(head.clone());
            let f = st.queue.pop_front().or_else(|| st.always.clone());
            (st.heads.len(), f)
        };
        let reply = match fault {
            Some(Fault::Hang) => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                return;
            }
            Some(Fault::Reset) => {
                // A zero linger makes the close an RST; it does not block (nothing is queued).
                #[allow(deprecated)]
                let _ = c.set_linger(Some(Duration::ZERO));
                drop(c);
                return;
            }
            Some(Fault::Status(s)) => response(
                s,
                "text/plain",
                &[],
                format!("upstream error {s}").as_bytes(),
            ),
            Some(Fault::TooMany(after)) => {
                let extra: Vec<(String, String)> = after
                    .map(|a| vec![("Retry-After".to_string(), a.to_string())])
                    .unwrap_or_default();
                response(429, "text/plain", &extra, b"slow down")
            }
            Some(Fault::Html) => response(
                200,
                "text/html",
                &[],
                b"<!DOCTYPE html><html><body><h1>Please log in to the hotspot</h1></body></html>",
            ),
            Some(Fault::Body(s, b)) => response(s, "application/json", &[], b.as_bytes()),
            Some(Fault::Truncated) => {
                let Some(full) = self.forward(n, &head, &body).await else {
                    return;
                };
                truncate_response(&full)
            }
            None => match self.forward(n, &head, &body).await {
                Some(r) => force_close(&r),
                None => response(502, "text/plain", &[], b"fake upstream unreachable"),
            },
        };
        let _ = c.write_all(&reply).await;
        let _ = c.shutdown().await;
    }

    async fn forward(&self, n: usize, head: &str, body: &[u8]) -> Option<Vec<u8>> {
        if let Some(h) = self.hook.lock().unwrap().as_ref() {
            h(n, head);
        }
        let mut up = TcpStream::connect(self.upstream).await.ok()?;
        let mut out = Vec::new();
        for line in head.split("\r\n").filter(|l| !l.is_empty()) {
            if !line.to_ascii_lowercase().starts_with("connection:") {
                out.extend_from_slice(line.as_bytes());
                out.extend_from_slice(b"\r\n");
            }
        }
        out.extend_from_slice(b"Connection: close\r\n\r\n");
        out.extend_from_slice(body);
        up.write_all(&out).await.ok()?;
        let mut resp = Vec::new();
        up.read_to_end(&mut resp).await.ok()?;
        Some(resp)
    }
}

/// Reads one request: the head (up to the blank line) and a `Content-Length` body.
async fn read_request(c: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let end = loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
        let n = c.read(&mut chunk).await.ok()?;
        if n == 0 || buf.len() > 1 << 20 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..end]).to_string();
    let len = header(&head, "content-length")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = buf[end..].to_vec();
    while body.len() < len {
        let n = c.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some((head, body))
}

fn header(head: &str, name: &str) -> Option<String> {
    head.split("\r\n").find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_string())
    })
}

fn response(status: u16, ctype: &str, extra: &[(String, String)], body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status} Fault\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in extra {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    let mut out = out.into_bytes();
    out.extend_from_slice(body);
    out
}

/// Splits a raw response into (head without the blank line, body).
fn split(resp: &[u8]) -> (String, Vec<u8>) {
    match resp.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(p) => (
            String::from_utf8_lossy(&resp[..p]).to_string(),
            resp[p + 4..].to_vec(),
        ),
        None => (String::from_utf8_lossy(resp).to_string(), Vec::new()),
    }
}

/// The response with `Connection: close` and a `Content-Length` for `body`.
fn rebuild(head: &str, body: &[u8]) -> Vec<u8> {
    let mut out = String::new();
    for line in head.split("\r\n") {
        let l = line.to_ascii_lowercase();
        if l.starts_with("connection:")
            || l.starts_with("content-length:")
            || l.starts_with("transfer-encoding:")
        {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    let mut out = out.into_bytes();
    out.extend_from_slice(body);
    out
}

fn force_close(resp: &[u8]) -> Vec<u8> {
    let (head, body) = split(resp);
    if header(&head, "transfer-encoding").is_some() {
        // Chunked bodies are passed through untouched (the upstream closes after them).
        return resp.to_vec();
    }
    rebuild(&head, &body)
}

fn truncate_response(resp: &[u8]) -> Vec<u8> {
    let (head, body) = split(resp);
    let cut = if body.len() > 1 { body.len() / 2 } else { 0 };
    rebuild(&head, &body[..cut])
}
