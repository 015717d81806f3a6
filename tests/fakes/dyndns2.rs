//! A strict fake of a dyndns2 service (`GET /nic/update`) and of DuckDNS (`GET /update`),
//! serving the production paths over any transport. dyndns2: checks basic auth, a
//! `Company - Device - Version` user agent, GET, the exact parameter set, fully qualified
//! known host names and a valid `myip`; answers `good <ip>` / `nochg <ip>` like No-IP, or a
//! queued code. DuckDNS: checks the token, the parameters and the domain; answers `OK`/`KO`.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;

use super::Seen;

#[derive(Default)]
struct Inner {
    /// host name → (A, AAAA).
    hosts: HashMap<String, (Option<IpAddr>, Option<IpAddr>)>,
    seen: Vec<Seen>,
    /// Answers given instead of the normal one: (status, body).
    queued: VecDeque<(u16, String)>,
}

/// The fake service (one account for dyndns2, one token for DuckDNS).
pub struct FakeDyndns2 {
    user: String,
    pass: String,
    duck_token: String,
    state: Mutex<Inner>,
}

impl FakeDyndns2 {
    /// A service with dyndns2 login `user`/`pass` and DuckDNS token `duck_token`.
    pub fn new(user: &str, pass: &str, duck_token: &str) -> Arc<Self> {
        Arc::new(FakeDyndns2 {
            user: user.into(),
            pass: pass.into(),
            duck_token: duck_token.into(),
            state: Mutex::default(),
        })
    }

    /// Adds a host name of the account (for DuckDNS: the bare name, e.g. `home`).
    pub fn add_host(&self, name: &str) {
        self.state
            .lock()
            .unwrap()
            .hosts
            .insert(name.into(), (None, None));
    }

    /// The (A, AAAA) the service holds for `name`.
    pub fn host(&self, name: &str) -> Option<(Option<IpAddr>, Option<IpAddr>)> {
        self.state.lock().unwrap().hosts.get(name).cloned()
    }

    /// The next request is answered with `status` and `body`, whatever it is.
    pub fn answer_next(&self, status: u16, body: &str) {
        self.state
            .lock()
            .unwrap()
            .queued
            .push_back((status, body.into()));
    }

    /// Every request seen, in order.
    pub fn requests(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }

    /// The router (`/nic/update` and `/update`).
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new().fallback(handle).with_state(self.clone())
    }

    fn dyndns2(&self, st: &mut Inner, s: &Seen, q: &BTreeMap<String, String>) -> (u16, String) {
        let auth = s
            .header("authorization")
            .and_then(|h| h.strip_prefix("Basic "))
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
            .map(|b| String::from_utf8_lossy(&b).to_string());
        if auth != Some(format!("{}:{}", self.user, self.pass)) {
            return (401, "badauth".into());
        }
        let agent = s.header("user-agent").unwrap_or("");
        if s.method != "GET" || agent.split(" - ").count() != 3 {
            return (200, "badagent".into());
        }
        if q.keys().any(|k| k != "hostname" && k != "myip") {
            return (400, format!("unexpected parameters {:?}", q.keys()));
        }
        let Some(host) = q.get("hostname") else {
            return (200, "notfqdn".into());
        };
        if host.contains(',') {
            return (200, "numhost".into());
        }
        if !host.contains('.') {
            return (200, "notfqdn".into());
        }
        let Some(ip) = q.get("myip").and_then(|v| v.parse::<IpAddr>().ok()) else {
            return (400, "myip is missing or not an address".into());
        };
        let Some(rec) = st.hosts.get_mut(host) else {
            return (200, "nohost".into());
        };
        let slot = if ip.is_ipv4() { &mut rec.0 } else { &mut rec.1 };
        if *slot == Some(ip) {
            (200, format!("nochg {ip}"))
        } else {
            *slot = Some(ip);
            (200, format!("good {ip}"))
        }
    }

    fn duckdns(&self, st: &mut Inner, q: &BTreeMap<String, String>) -> (u16, String) {
        let allowed = ["domains", "token", "ip", "ipv6"];
        if q.keys().any(|k| !allowed.contains(&k.as_str())) {
            return (200, "KO".into());
        }
        if q.get("token") != Some(&self.duck_token) {
            return (200, "KO".into());
        }
        let (Some(name), v4, v6) = (q.get("domains"), q.get("ip"), q.get("ipv6")) else {
            return (200, "KO".into());
        };
        let Some(rec) = st.hosts.get_mut(name) else {
            return (200, "KO".into());
        };
        match (
            v4.map(|v| v.parse::<IpAddr>()),
            v6.map(|v| v.parse::<IpAddr>()),
        ) {
            (Some(Ok(a @ IpAddr::V4(_))), None) => rec.0 = Some(a),
            (None, Some(Ok(a @ IpAddr::V6(_)))) => rec.1 = Some(a),
            _ => return (200, "KO".into()),
        }
        (200, "OK".into())
    }
}

async fn handle(
    State(fake): State<Arc<FakeDyndns2>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let seen = super::seen(&method, &uri, &headers, &body);
    let mut query: BTreeMap<String, String> = BTreeMap::new();
    let mut repeated = false;
    for (k, v) in form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()).into_owned() {
        repeated |= query.insert(k, v).is_some();
    }
    let mut st = fake.state.lock().unwrap();
    st.seen.push(seen.clone());
    let (status, text) = if let Some(q) = st.queued.pop_front() {
        q
    } else if repeated {
        (400, "repeated parameter".to_string())
    } else {
        match uri.path() {
            "/nic/update" => fake.dyndns2(&mut st, &seen, &query),
            "/update" => fake.duckdns(&mut st, &query),
            _ => (404, "not found".to_string()),
        }
    };
    (StatusCode::from_u16(status).unwrap(), text).into_response()
}

// ---- Client-side helpers shared by the dyndns2 and DuckDNS tests ----

/// The account both test files use, served over plain HTTP: user `alice` with password
/// `pa:ss wörd`, DuckDNS token `duck-token-123`, hosts `home.example.net` and `home`.
pub async fn serve_standard() -> (Arc<FakeDyndns2>, std::net::SocketAddr) {
    let fake = FakeDyndns2::new("alice", "pa:ss wörd", "duck-token-123");
    fake.add_host("home.example.net");
    fake.add_host("home");
    let addr = super::serve_http(fake.router()).await;
    (fake, addr)
}

/// Provider `key` (dyndns2 or duckdns) with these settings; `endpoint` None keeps its own URL.
pub fn provider(
    key: &str,
    id: &str,
    secret: &str,
    extparam: &str,
    endpoint: Option<String>,
) -> Box<dyn ddns_rs::provider::Provider> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    super::harness::Creds::new(id, secret)
        .extparam(extparam)
        .build_at(key, endpoint.as_deref())
}
