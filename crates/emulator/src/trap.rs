//! The configured [`Trap`](crate::Trap): requests answered with a redirect elsewhere, or with an
//! error that echoes them, before any route sees them.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::auth::Platform;
use crate::http::error;
use crate::state::AppState;
use crate::{Routes, TrapReply};

const TOKEN_ROUTES: [&str; 3] = ["/ns-api/v2/tokens", "/ns-api/oauth2/token/", "/brightlink/v1/oauth/token"];
/// The largest body an echo repeats.
const MAX_ECHO: usize = 64 * 1024;

pub(crate) async fn trap(State(st): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let Some(trap) = &st.config.trap else { return next.run(req).await };
    let path = req.uri().path();
    let platform = match path {
        p if p.starts_with("/brightlink/") => Platform::Brightlink,
        p if p.starts_with("/ns-api/") && p != "/ns-api/v2/version" => Platform::NetSapiens,
        _ => return next.run(req).await,
    };
    let token_route = TOKEN_ROUTES.contains(&path);
    if token_route != (trap.on == Routes::Tokens) {
        return next.run(req).await;
    }
    let status = |code: u16| StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match &trap.reply {
        TrapReply::Redirect { status: code, location } => {
            let mut res = status(*code).into_response();
            if let Ok(to) = HeaderValue::from_str(location) {
                res.headers_mut().insert(header::LOCATION, to);
            }
            res
        }
        TrapReply::Echo { status: code } => {
            let echo = echo(req).await;
            error(platform, status(*code), &echo).into_response()
        }
    }
}

/// "cannot process METHOD URI; headers: NAME: VALUE, …; body: BODY".
async fn echo(req: Request) -> String {
    let (parts, body) = req.into_parts();
    let mut s = format!("cannot process {} {}; headers:", parts.method, parts.uri);
    for (name, value) in &parts.headers {
        let _ = write!(s, " {name}: {},", String::from_utf8_lossy(value.as_bytes()));
    }
    let body = to_bytes(body, MAX_ECHO).await.unwrap_or_default();
    let _ = write!(s, " body: {}", String::from_utf8_lossy(&body));
    s
}
