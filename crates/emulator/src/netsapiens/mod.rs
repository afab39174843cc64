//! The NetSapiens platform: v2 JSON routes, v1 `object`/`action` calls and OAuth, under `/ns-api/`.

mod render;
mod token;
mod v1;
mod v2;

use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;

use crate::state::AppState;

/// What `/ns-api/v2/version` and token answers report.
pub(crate) fn api_version(v2: bool) -> &'static str {
    if v2 {
        "44.2.1"
    } else {
        "43.4.7"
    }
}

/// The NetSapiens routes; without v2 none of `/ns-api/v2/…` exists (the fallback answers 404).
pub(crate) fn routes(v2_enabled: bool) -> Router<Arc<AppState>> {
    let r = Router::new().route("/ns-api/oauth2/token/", post(token::v1)).route("/ns-api/", post(v1::api));
    if !v2_enabled {
        return r;
    }
    r.route("/ns-api/v2/version", get(v2::version))
        .route("/ns-api/v2/tokens", post(token::v2))
        .route("/ns-api/v2/domains/{domain}", get(v2::domain_read))
        .route("/ns-api/v2/domains/{domain}/phonenumbers", get(v2::phonenumbers))
        .route("/ns-api/v2/domains/{domain}/phonenumbers/count", get(v2::phonenumbers_count))
        .route("/ns-api/v2/domains/{domain}/cdrs", get(v2::cdrs))
        .route("/ns-api/v2/domains/{domain}/cdrs/count", get(v2::cdrs_count))
}
