//! The Brightlink PBX Cloud platform under `/brightlink/v1/`: OAuth token and JSON searches.

mod search;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use serde_json::json;

use crate::auth::Platform;
use crate::http::{basic, Params, Reply};
use crate::state::AppState;

/// The media type the token route insists on.
const MEDIA_TYPE: &str = "application/vnd.brightlink.v1+json";

pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/brightlink/v1/oauth/token", post(token))
        .route("/brightlink/v1/did/numbers", post(search::numbers))
        .route("/brightlink/v1/domain/search", post(search::domains))
        .route("/brightlink/v1/cdr/search", post(search::cdrs))
}

/// `POST v1/oauth/token`: HTTP Basic with the API key and secret, a form-encoded password grant.
async fn token(State(st): State<Arc<AppState>>, headers: HeaderMap, body: Bytes) -> Reply {
    let bl = &st.config.brightlink;
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !accept.contains(MEDIA_TYPE) {
        let m = format!("Accept must be {MEDIA_TYPE}");
        return Reply::json(StatusCode::NOT_ACCEPTABLE, &json!({"error": "not_acceptable", "message": m}));
    }
    let invalid =
        |d: &str| Reply::json(StatusCode::UNAUTHORIZED, &json!({"error": "invalid_grant", "error_description": d}));
    match basic(&headers) {
        Some((k, s)) if k == bl.api_key && s == bl.api_secret => {}
        _ => return invalid("Bad client credentials"),
    }
    let p = Params::parse(&String::from_utf8_lossy(&body));
    if p.get("grant_type") != Some("password") {
        let d = "Only the password grant is supported";
        return Reply::json(
            StatusCode::BAD_REQUEST,
            &json!({"error": "unsupported_grant_type", "error_description": d}),
        );
    }
    if p.get("username") != Some(&bl.username) || p.get("password") != Some(&bl.password) {
        return invalid("Bad credentials");
    }
    let access = st.tokens.issue(Platform::Brightlink, bl.token_ttl_secs);
    Reply::json(
        StatusCode::OK,
        &json!({"access_token": access, "token_type": "bearer", "expires_in": bl.token_ttl_secs, "scope": "read write"}),
    )
}
