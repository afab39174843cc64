//! Injected faults: counted on call-record page requests of both platforms together, each fires once.

use std::io;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::auth::Platform;
use crate::http::{error, Reply};
use crate::state::AppState;
use crate::{Fault, FaultKind};

#[derive(Debug, Default)]
struct Inner {
    requests: u64,
    pending: Vec<(Fault, bool)>,
    fired: Vec<FaultKind>,
    /// Until when a fired RateLimit keeps answering 429, per platform (NetSapiens, Brightlink).
    limited_until: [Option<Instant>; 2],
}

/// What a page request meets.
enum Outcome {
    Served,
    Fault(Fault),
    /// Still inside a RateLimit's `Retry-After`: 429 again, with the seconds left.
    StillLimited(u64),
}

fn slot(platform: Platform) -> usize {
    match platform {
        Platform::NetSapiens => 0,
        Platform::Brightlink => 1,
    }
}

/// The run's faults and its count of page requests.
#[derive(Debug)]
pub(crate) struct Faults(Mutex<Inner>);

impl Faults {
    pub(crate) fn new(faults: &[Fault]) -> Faults {
        Faults(Mutex::new(Inner { pending: faults.iter().map(|f| (*f, false)).collect(), ..Inner::default() }))
    }

    fn inner(&self) -> MutexGuard<'_, Inner> {
        // Nothing done under this lock can panic halfway, so even a poisoned lock holds consistent data.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts one page request and returns what it meets. One fault per request: faults sharing an `at` fire on
    /// the following requests, in the order they were given. A request to a platform still inside a RateLimit's
    /// `Retry-After` gets 429 again (a real limiter does not forgive early retries) and fires nothing.
    fn on_page_request(&self, platform: Platform) -> (u64, Outcome) {
        let mut inner = self.inner();
        inner.requests += 1;
        let n = inner.requests;
        let now = Instant::now();
        if let Some(until) = inner.limited_until[slot(platform)].filter(|u| *u > now) {
            return (n, Outcome::StillLimited((until - now).as_secs_f64().ceil().max(1.0) as u64));
        }
        let fault = inner.pending.iter_mut().find(|(f, fired)| !*fired && f.at <= n).map(|(f, fired)| {
            *fired = true;
            *f
        });
        let Some(fault) = fault else {
            return (n, Outcome::Served);
        };
        inner.fired.push(fault.kind);
        if fault.kind == FaultKind::RateLimit {
            inner.limited_until[slot(platform)] = Some(now + Duration::from_secs(retry_after(&fault)));
        }
        (n, Outcome::Fault(fault))
    }

    pub(crate) fn requests(&self) -> u64 {
        self.inner().requests
    }

    pub(crate) fn fired(&self) -> Vec<FaultKind> {
        self.inner().fired.clone()
    }
}

/// Serves an authenticated call-record page request: `build(repeat)` makes the page (`repeat` = serve the page
/// before the one asked for), and the fault of this request, if any, changes or replaces it.
pub(crate) async fn serve_page(
    st: &AppState,
    platform: Platform,
    token: &str,
    build: impl FnOnce(bool) -> Reply,
) -> Response {
    let fault = match st.faults.on_page_request(platform) {
        (_, Outcome::Served) => return build(false).into_response(),
        (_, Outcome::StillLimited(secs)) => return too_many(platform, secs),
        (n, Outcome::Fault(f)) => {
            tracing::info!(request = n, kind = %f.kind, "fault fires");
            f
        }
    };
    match fault.kind {
        FaultKind::RateLimit => too_many(platform, retry_after(&fault)),
        FaultKind::ServerError => {
            error(platform, StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response()
        }
        FaultKind::ExpiredToken => {
            // API keys cannot be revoked by a fault: they never expire, so a retry with the same key must work.
            st.tokens.revoke(token);
            error(platform, StatusCode::UNAUTHORIZED, crate::state::EXPIRED).into_response()
        }
        FaultKind::Slow => {
            tokio::time::sleep(Duration::from_millis(fault.delay_ms)).await;
            build(false).into_response()
        }
        FaultKind::RepeatPage => build(true).into_response(),
        FaultKind::TruncatedJson => {
            let mut r = build(false);
            r.body.truncate(r.body.len() / 2);
            r.into_response()
        }
        FaultKind::DropConnection => dropped(build(false)),
        FaultKind::ReleaseBeforeAnswer => {
            let mut r = build(false);
            r.body = crate::flaws::release_before_answer(&r.body);
            r.into_response()
        }
        FaultKind::GarbageNumber => {
            let mut r = build(false);
            r.body = crate::flaws::garbage_number(&r.body);
            r.into_response()
        }
    }
}

/// `Retry-After` of a RateLimit fault: `delay_ms` in seconds, rounded up, at least 1.
fn retry_after(fault: &Fault) -> u64 {
    fault.delay_ms.div_ceil(1000).max(1)
}

fn too_many(platform: Platform, secs: u64) -> Response {
    let mut r = error(platform, StatusCode::TOO_MANY_REQUESTS, "Too Many Requests");
    r.retry_after = Some(secs);
    r.into_response()
}

/// The reply announced in full, but only its first half sent before the connection is cut.
fn dropped(reply: Reply) -> Response {
    let full = reply.body.len();
    let mut half = reply.body;
    half.truncate(full / 2);
    let chunks: [Result<Bytes, io::Error>; 2] =
        [Ok(Bytes::from(half)), Err(io::Error::new(io::ErrorKind::ConnectionAborted, "fault: connection dropped"))];
    let stream = futures_util::stream::unfold(chunks.into_iter().enumerate(), |mut it| async move {
        let (i, chunk) = it.next()?;
        if i > 0 {
            // Let the first half reach the client before the connection is aborted.
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
        Some((chunk, it))
    });
    let mut res = Response::new(Body::from_stream(stream));
    *res.status_mut() = reply.status;
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(reply.content_type));
    res.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(full));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_the_delay_in_whole_seconds_at_least_one() {
        let secs = |delay_ms| retry_after(&Fault { kind: FaultKind::RateLimit, at: 1, delay_ms });
        assert_eq!([secs(0), secs(1000), secs(1001), secs(2500)], [1, 1, 2, 3]);
    }
}
