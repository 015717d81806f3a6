//! Test infrastructure shared by the fake provider servers: serving an axum router over plain
//! HTTP or TLS on 127.0.0.1, and a CONNECT proxy that routes a production host name (e.g.
//! `api.cloudflare.com:443`) to a local fake, so the real binary can be tested exactly as it
//! talks to the real APIs (`HTTPS_PROXY` + `-skipVerify`).
//!
//! Each fake provider lives in its own file here and exposes a router plus its state (zone,
//! request log). Include this module from an integration test with `mod fakes;`.

#![allow(dead_code)]

pub mod alidns;
pub mod aliesa;
pub mod baiducloud;
pub mod bin;
pub mod callback;
pub mod capture;
pub mod cloudflare;
pub mod cloudns;
pub mod daemon;
pub mod desec;
pub mod dnsla;
pub mod dnspod;
pub mod dynadot;
pub mod dyndns2;
pub mod dynv6;
pub mod edgeone;
pub mod faulty;
pub mod gcore;
pub mod godaddy;
pub mod harness;
pub mod hipmdnsmgr;
pub mod huaweicloud;
pub mod name_com;
pub mod namecheap;
pub mod namesilo;
pub mod nowcn;
pub mod nsone;
pub mod p1_common;
pub mod p2zone;
pub mod p3core;
pub mod p4common;
pub mod porkbun;
pub mod rainyun;
pub mod rfc2136_rig;
pub mod spaceship;
pub mod tencentcloud;
pub mod trafficroute;
pub mod vercel;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Serves `router` over plain HTTP on 127.0.0.1 (ephemeral port) in the background.
pub async fn serve_http(router: Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    addr
}

/// Serves `router` over TLS with a fresh self-signed certificate for `names`.
pub async fn serve_tls(router: Router, names: &[&str]) -> SocketAddr {
    let _ = rustls_provider();
    let cert =
        rcgen::generate_simple_self_signed(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            .unwrap();
    let der_cert = cert.cert.der().clone();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(rustls::pki_types::PrivatePkcs8KeyDer::from(
        cert.signing_key.serialize_der(),
    ));
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![der_cert], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let acceptor = acceptor.clone();
            let router = router.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let svc = TowerToHyperService::new(router);
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(tls), svc)
                    .await;
            });
        }
    });
    addr
}

fn rustls_provider() -> Result<(), Arc<rustls::crypto::CryptoProvider>> {
    rustls::crypto::ring::default_provider().install_default()
}

/// A minimal HTTP CONNECT proxy: `CONNECT host:port` is tunnelled to the local address
/// registered for `host:port`; anything else is refused with 403 (so a test fails loudly if the
/// client tries to reach a host nobody faked). Every CONNECT target is recorded.
pub struct ConnectProxy {
    /// Where the proxy listens.
    pub addr: SocketAddr,
    /// Every `host:port` the client asked for, in order.
    pub requested: Arc<Mutex<Vec<String>>>,
}

impl ConnectProxy {
    /// Starts the proxy with `routes` (`"api.cloudflare.com:443"` → local fake).
    pub async fn start(routes: HashMap<String, SocketAddr>) -> ConnectProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let requested = Arc::new(Mutex::new(Vec::new()));
        let routes = Arc::new(routes);
        let log = requested.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    continue;
                };
                let routes = routes.clone();
                let log = log.clone();
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") && head.len() < 8192 {
                        match client.read(&mut byte).await {
                            Ok(1) => head.push(byte[0]),
                            _ => return,
                        }
                    }
                    let text = String::from_utf8_lossy(&head).to_string();
                    let mut parts = text.split_whitespace();
                    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
                    log.lock().unwrap().push(format!("{method} {target}"));
                    let dest = if method == "CONNECT" {
                        routes.get(target).copied()
                    } else {
                        None
                    };
                    let Some(dest) = dest else {
                        let _ = client
                            .write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                            .await;
                        return;
                    };
                    let Ok(mut upstream) = TcpStream::connect(dest).await else {
                        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").await;
                        return;
                    };
                    if client
                        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                        .await
                        .is_err()
                    {
                        return;
                    }
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                });
            }
        });
        ConnectProxy { addr, requested }
    }
}

/// One request as a fake saw it, for assertions.
#[derive(Debug, Clone)]
pub struct Seen {
    /// HTTP method.
    pub method: String,
    /// Path and query as sent.
    pub uri: String,
    /// Headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// Raw body.
    pub body: Vec<u8>,
}

impl Seen {
    /// The first header of that (lower-case) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Builds a [`Seen`] from the parts axum hands a catch-all handler.
pub fn seen(
    method: &axum::http::Method,
    uri: &axum::http::Uri,
    headers: &axum::http::HeaderMap,
    body: &[u8],
) -> Seen {
    Seen {
        method: method.to_string(),
        uri: uri.to_string(),
        headers: headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).to_string(),
                )
            })
            .collect(),
        body: body.to_vec(),
    }
}

/// Registry of routes for a [`ConnectProxy`].
pub fn routes(pairs: &[(&str, SocketAddr)]) -> HashMap<String, SocketAddr> {
    pairs.iter().map(|(h, a)| (h.to_string(), *a)).collect()
}

/// The JSON body of a request.
pub fn body_json(s: &Seen) -> serde_json::Value {
    serde_json::from_slice(&s.body).unwrap()
}

/// The form body of a request as pairs.
pub fn body_form(s: &Seen) -> Vec<(String, String)> {
    form_urlencoded::parse(&s.body).into_owned().collect()
}

/// `METHOD /path` of every request (query stripped).
pub fn lines(seen: &[Seen]) -> Vec<String> {
    seen.iter()
        .map(|s| format!("{} {}", s.method, s.uri.split('?').next().unwrap()))
        .collect()
}

/// The query of a recorded request as pairs.
pub fn query_of(s: &Seen) -> Vec<(String, String)> {
    let q = s.uri.split_once('?').map(|(_, q)| q).unwrap_or("");
    form_urlencoded::parse(q.as_bytes()).into_owned().collect()
}
