//! Body limits: an endless body stops at the limit, a trickling body arrives whole.

use std::time::Duration;

use ddns_rs::http::{HttpOptions, MAX_BODY, provider_client, read_body};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A raw HTTP/1.1 server whose chunked body is `chunks` pieces of `piece` (endless when `None`),
/// with a pause between pieces when `pause` is set.
async fn serve_chunks(
    piece: &'static [u8],
    chunks: Option<usize>,
    pause: Option<Duration>,
) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (mut conn, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let mut head = [0u8; 2048];
                let _ = conn.read(&mut head).await;
                let start = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n";
                if conn.write_all(start).await.is_err() {
                    return;
                }
                let mut sent = 0;
                while chunks.is_none_or(|n| sent < n) {
                    let mut frame = format!("{:x}\r\n", piece.len()).into_bytes();
                    frame.extend_from_slice(piece);
                    frame.extend_from_slice(b"\r\n");
                    // The client hanging up ends the endless body.
                    if conn.write_all(&frame).await.is_err() {
                        return;
                    }
                    conn.flush().await.ok();
                    sent += 1;
                    if let Some(p) = pause {
                        tokio::time::sleep(p).await;
                    }
                }
                let _ = conn.write_all(b"0\r\n\r\n").await;
            });
        }
    });
    format!("http://{addr}/")
}

#[tokio::test]
async fn endless_body_is_cut_at_the_limit() {
    let url = serve_chunks(&[b'x'; 1000], None, None).await;
    let client = provider_client(&HttpOptions::default(), None).unwrap();
    let (status, body) = read_body(client.get(&url).send().await.unwrap(), MAX_BODY)
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert_eq!(body.len(), MAX_BODY);
    assert!(body.bytes().all(|b| b == b'x'));
    let (_, small) = read_body(client.get(&url).send().await.unwrap(), 1500)
        .await
        .unwrap();
    assert_eq!(small.len(), 1500);
}

#[tokio::test]
async fn trickling_body_is_assembled_and_bounded() {
    let url = serve_chunks(b"ab", Some(150), Some(Duration::from_millis(1))).await;
    let client = provider_client(&HttpOptions::default(), None).unwrap();
    let (_, body) = read_body(client.get(&url).send().await.unwrap(), MAX_BODY)
        .await
        .unwrap();
    assert_eq!(body, "ab".repeat(150));
    let (_, cut) = read_body(client.get(&url).send().await.unwrap(), 101)
        .await
        .unwrap();
    assert_eq!(cut, format!("{}a", "ab".repeat(50)));
}

#[tokio::test]
async fn invalid_utf8_is_replaced_not_an_error() {
    let url = serve_chunks(b"ok\xff", Some(1), None).await;
    let client = provider_client(&HttpOptions::default(), None).unwrap();
    let (_, body) = read_body(client.get(&url).send().await.unwrap(), 100)
        .await
        .unwrap();
    assert_eq!(body, "ok\u{fffd}");
}
