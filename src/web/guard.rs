//! Request guards that apply to every route: security headers, the WAN rule (ddns-go's
//! `notallowwanaccess` and 3-hour rule, decided from the socket address only), and the CSRF
//! rule for state-changing requests (same-origin browsers, or non-browser clients).

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::auth::is_lan;
use super::{ClientAddr, ConfigState, NO_CONFIG_WAN_GRACE, WebState};

/// The Content-Security-Policy: no inline script or style, no framing by other sites.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                       frame-ancestors 'self'; base-uri 'none'; form-action 'self'";

/// An error answered as `{"code", "error"}`.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Machine-readable code (see docs/web-api.md).
    pub code: &'static str,
    /// Message for people.
    pub message: String,
}

impl ApiError {
    /// An error with this status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        no_store(
            self.status,
            axum::Json(json!({"code": self.code, "error": self.message})),
        )
    }
}

/// A JSON (or other) response that must not be cached.
pub fn no_store(status: StatusCode, body: impl IntoResponse) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// The client's IP address from the socket (never from forwarding headers). Unknown = public.
pub fn client_ip(req_ext: &axum::http::Extensions) -> IpAddr {
    req_ext
        .get::<ClientAddr>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip())
}

/// Adds the security headers to every response.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    resp
}

/// Refuses non-LAN clients when the WAN rule says so, and hands the loaded config to the
/// handlers (as a request extension) so each request reads the file once.
pub async fn wan_guard(State(st): State<Arc<WebState>>, mut req: Request, next: Next) -> Response {
    let ip = client_ip(req.extensions());
    let config = st.load_config();
    if !is_lan(ip) {
        let no_config = matches!(config, ConfigState::Missing | ConfigState::Broken(_));
        if no_config && st.uptime() > NO_CONFIG_WAN_GRACE {
            tracing::warn!(
                "\"{ip}\" configuration file is empty, public network access is prohibited for more than 3 hours"
            );
            return forbidden_wan();
        }
        if config.wan_forbidden() {
            tracing::warn!("\"{ip}\" is prohibited from accessing the public network");
            return forbidden_wan();
        }
    }
    req.extensions_mut().insert(Arc::new(config));
    next.run(req).await
}

fn forbidden_wan() -> Response {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "forbidden_wan",
        "Access from the public network is not allowed. Open the UI from the LAN, or turn off \
         \"Deny from WAN\" in the settings (after setting up an account).",
    )
    .into_response()
}

/// Routes that change state even when called with GET (ddns-go's page uses GET for them).
const STATE_CHANGING_GETS: &[&str] = &["/clearLog", "/logout"];

/// Whether a request may change state: same-origin browser requests, and requests without
/// `Origin` and `Sec-Fetch-Site` (non-browser clients; they still need a session).
pub fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return matches!(site.to_str(), Ok("same-origin") | Ok("none"));
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    let Some(host) = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
    else {
        return false; // "null" and anything that is not a web origin
    };
    let matches = |v: Option<&HeaderValue>| {
        v.and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case(host))
    };
    matches(headers.get(header::HOST)) || matches(headers.get("x-forwarded-host"))
}

/// Refuses cross-site state-changing requests with 403.
pub async fn csrf_guard(req: Request, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        && !STATE_CHANGING_GETS.contains(&req.uri().path());
    if !safe && !same_origin(req.headers()) {
        tracing::warn!(
            "Refused a cross-site {} {} from {}",
            req.method(),
            req.uri().path(),
            client_ip(req.extensions())
        );
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "csrf",
            "Cross-site request refused: open the page from this server's own address",
        )
        .into_response();
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.insert(*k, HeaderValue::from_static(v));
        }
        m
    }

    #[test]
    fn csrf_rule() {
        assert!(same_origin(&h(&[])));
        assert!(same_origin(&h(&[
            ("host", "nas:9876"),
            ("origin", "http://nas:9876")
        ])));
        assert!(same_origin(&h(&[
            ("host", "NAS:9876"),
            ("origin", "https://nas:9876")
        ])));
        assert!(!same_origin(&h(&[
            ("host", "nas:9876"),
            ("origin", "http://evil.example")
        ])));
        assert!(!same_origin(&h(&[
            ("host", "nas:9876"),
            ("origin", "null")
        ])));
        assert!(same_origin(&h(&[
            ("host", "127.0.0.1:9876"),
            ("x-forwarded-host", "home.example.com"),
            ("origin", "https://home.example.com")
        ])));
        assert!(same_origin(&h(&[
            ("sec-fetch-site", "same-origin"),
            ("origin", "http://x")
        ])));
        assert!(!same_origin(&h(&[
            ("sec-fetch-site", "cross-site"),
            ("host", "a"),
            ("origin", "http://a")
        ])));
        assert!(!same_origin(&h(&[("sec-fetch-site", "same-site")])));
    }
}
