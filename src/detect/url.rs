//! `gettype: url` (§3.1): ask echo services in order until one gives a publishable answer.
//!
//! Unlike ddns-go, which stops at the first HTTP response whatever it says, every failure falls
//! through to the next URL: transport errors, timeouts, non-2xx statuses, bodies that are too
//! large or hold no address, and addresses that are not globally routable (an HTML challenge page
//! once yielded `1.2.1.1`, #1402). Only when all URLs fail is detection a failure, and the error
//! then says what each URL did.

use std::net::IpAddr;
use std::time::Duration;

use super::{DetectError, Failures, Family, extract, snippet, validate};
use crate::http::{MAX_BODY, read_body};

/// Tries each comma-separated URL in `urls` with `client`, each bounded by `timeout`.
pub async fn detect_url(
    urls: &str,
    family: Family,
    client: &reqwest::Client,
    timeout: Duration,
) -> Result<IpAddr, DetectError> {
    let mut failures = Failures::new(family);
    // ddns-go splits and trims; an empty field gives one empty URL, which fails below.
    for url in urls.split(',').map(str::trim) {
        let label = if url.is_empty() { "(empty URL)" } else { url };
        match try_url(url, family, client, timeout).await {
            Ok(ip) => {
                tracing::info!("{} address {ip} from {url}", family.label());
                return Ok(ip);
            }
            Err(why) => failures.add(label, why),
        }
    }
    Err(failures.into_error())
}

/// One URL: fetch, extract the first address of `family`, check it is public.
async fn try_url(
    url: &str,
    family: Family,
    client: &reqwest::Client,
    timeout: Duration,
) -> Result<IpAddr, String> {
    if url.is_empty() {
        return Err("no URL given".into());
    }
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("not a valid URL ({e})"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!(
            "only http and https URLs can be used, not {}:",
            parsed.scheme()
        ));
    }
    // One deadline for connect, headers and the whole body, so a trickling body cannot stall us.
    let body = tokio::time::timeout(timeout, fetch(client, parsed))
        .await
        .map_err(|_| format!("timed out after {}s", timeout.as_secs_f64()))??;
    let ip = extract::first(&extract::visible_text(&body), family).ok_or_else(|| {
        format!(
            "no {} address in the answer {}",
            family.label(),
            snippet(&body)
        )
    })?;
    validate::check_public(ip).map_err(|rejection| {
        tracing::warn!("{url}: {rejection}; not using it");
        rejection.to_string()
    })?;
    Ok(ip)
}

/// GET with status and size checks; returns the body text.
async fn fetch(client: &reqwest::Client, url: reqwest::Url) -> Result<String, String> {
    let resp = client.get(url).send().await.map_err(|e| describe(&e))?;
    let status = resp.status();
    if !status.is_success() {
        return Err(format!("HTTP {}", status.as_u16()));
    }
    if resp.content_length().is_some_and(|n| n > MAX_BODY as u64) {
        return Err(format!("answer larger than {MAX_BODY} bytes"));
    }
    // One byte past the limit tells an oversized body from one that fits exactly.
    let (_, body) = read_body(resp, MAX_BODY + 1)
        .await
        .map_err(|e| format!("reading the answer failed: {}", root_cause(&e)))?;
    if body.len() > MAX_BODY {
        return Err(format!("answer larger than {MAX_BODY} bytes"));
    }
    Ok(body)
}

/// A short description of a request error: what failed and the innermost reason.
fn describe(e: &reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else if e.is_redirect() {
        "too many redirects"
    } else {
        "request failed"
    };
    format!("{what}: {}", root_cause(e))
}

/// The innermost error in the source chain (e.g. "Connection refused (os error 111)").
fn root_cause(e: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}
