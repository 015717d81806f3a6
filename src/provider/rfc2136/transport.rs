//! Sending one DNS message to a server and reading its answer: UDP with resends, and TCP
//! (2-byte length framing, RFC 1035 §4.2.2) for the retry after a truncated answer. Bytes in,
//! bytes out; signing and decoding are the caller's.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::provider::ProviderError;

/// How long to wait for one UDP answer, and how often to send it before giving up.
const UDP_WAIT: Duration = Duration::from_secs(3);
const UDP_TRIES: usize = 3;
/// Limit for a whole TCP exchange.
const TCP_WAIT: Duration = Duration::from_secs(10);

/// True when `raw` is the answer to message `id`.
fn answers(raw: &[u8], id: u16) -> bool {
    raw.len() >= 12 && u16::from_be_bytes([raw[0], raw[1]]) == id && raw[2] & 0x80 != 0
}

/// Sends `msg` over UDP and returns the first answer with id `id` from the server.
pub async fn udp_exchange(
    server: SocketAddr,
    msg: &[u8],
    id: u16,
) -> Result<Vec<u8>, ProviderError> {
    let local = if server.is_ipv4() {
        SocketAddr::from((std::net::Ipv4Addr::UNSPECIFIED, 0))
    } else {
        SocketAddr::from((std::net::Ipv6Addr::UNSPECIFIED, 0))
    };
    let io = |e: std::io::Error| ProviderError::Transport(format!("DNS server {server}: {e}"));
    let sock = tokio::net::UdpSocket::bind(local).await.map_err(io)?;
    sock.connect(server).await.map_err(io)?;
    let mut buf = vec![0u8; 65535];
    for _ in 0..UDP_TRIES {
        sock.send(msg).await.map_err(io)?;
        let deadline = tokio::time::Instant::now() + UDP_WAIT;
        loop {
            match tokio::time::timeout_at(deadline, sock.recv(&mut buf)).await {
                Err(_) => break,
                Ok(Err(e)) => return Err(io(e)),
                // A connected socket only receives from the server; ignore stray ids.
                Ok(Ok(n)) if answers(&buf[..n], id) => return Ok(buf[..n].to_vec()),
                Ok(Ok(_)) => continue,
            }
        }
    }
    Err(ProviderError::Transport(format!(
        "DNS server {server} did not answer over UDP"
    )))
}

/// Sends `msg` over TCP and returns the answer.
pub async fn tcp_exchange(
    server: SocketAddr,
    msg: &[u8],
    id: u16,
) -> Result<Vec<u8>, ProviderError> {
    let io =
        |e: std::io::Error| ProviderError::Transport(format!("DNS server {server} (TCP): {e}"));
    let len = u16::try_from(msg.len())
        .map_err(|_| ProviderError::Api("DNS message too long for TCP".into()))?;
    let run = async {
        let mut s = tokio::net::TcpStream::connect(server).await.map_err(io)?;
        let mut framed = len.to_be_bytes().to_vec();
        framed.extend_from_slice(msg);
        s.write_all(&framed).await.map_err(io)?;
        let mut lb = [0u8; 2];
        s.read_exact(&mut lb).await.map_err(io)?;
        let mut buf = vec![0u8; usize::from(u16::from_be_bytes(lb))];
        s.read_exact(&mut buf).await.map_err(io)?;
        if answers(&buf, id) {
            Ok(buf)
        } else {
            Err(ProviderError::Transport(format!(
                "DNS server {server} (TCP) answered another message"
            )))
        }
    };
    tokio::time::timeout(TCP_WAIT, run)
        .await
        .map_err(|_| ProviderError::Transport(format!("DNS server {server} (TCP) timed out")))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn udp_skips_stray_answers_and_requests() {
        let server = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = server.local_addr().unwrap();
        tokio::spawn(async move {
            let mut buf = [0u8; 512];
            let (n, from) = server.recv_from(&mut buf).await.unwrap();
            let mut answer = buf[..n].to_vec();
            // First another id, then a query (QR clear) with our id, then the answer.
            let mut stray = answer.clone();
            stray[1] ^= 1;
            stray[2] |= 0x80;
            server.send_to(&stray, from).await.unwrap();
            server.send_to(&answer, from).await.unwrap();
            answer[2] |= 0x80;
            answer.push(0xaa);
            server.send_to(&answer, from).await.unwrap();
        });
        let msg = [0x12, 0x34, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        let got = udp_exchange(addr, &msg, 0x1234).await.unwrap();
        assert_eq!(got.last(), Some(&0xaa));
        assert_eq!(&got[..2], &[0x12, 0x34]);
    }

    #[tokio::test]
    async fn tcp_frames_with_a_length_prefix() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut lb = [0u8; 2];
            s.read_exact(&mut lb).await.unwrap();
            let mut msg = vec![0u8; usize::from(u16::from_be_bytes(lb))];
            s.read_exact(&mut msg).await.unwrap();
            msg[2] |= 0x80;
            msg.extend_from_slice(&[7; 600]);
            let mut out = u16::try_from(msg.len()).unwrap().to_be_bytes().to_vec();
            out.extend_from_slice(&msg);
            s.write_all(&out).await.unwrap();
        });
        let msg = [0xab, 0xcd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        let got = tcp_exchange(addr, &msg, 0xabcd).await.unwrap();
        assert_eq!(got.len(), 612);
        assert!(matches!(
            tcp_exchange(addr, &msg, 0xabcd).await,
            Err(ProviderError::Transport(_))
        ));
    }
}
