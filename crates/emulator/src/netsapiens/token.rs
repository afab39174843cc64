//! NetSapiens OAuth: the v2 JSON token route and the v1 form-encoded one, password and refresh grants.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::auth::Platform;
use crate::http::{error, Params, Reply};
use crate::state::AppState;

/// The fields of a token request, however they were encoded.
#[derive(Debug, Default)]
struct Grant {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    username: Option<String>,
    password: Option<String>,
    refresh_token: Option<String>,
}

impl Grant {
    /// The grant's fields as a request body gives them.
    fn from_fields(field: impl Fn(&str) -> Option<String>) -> Grant {
        Grant {
            grant_type: field("grant_type"),
            client_id: field("client_id"),
            client_secret: field("client_secret"),
            username: field("username"),
            password: field("password"),
            refresh_token: field("refresh_token"),
        }
    }
}

/// `POST /ns-api/v2/tokens`, a JSON body.
pub(crate) async fn v2(State(st): State<Arc<AppState>>, body: Bytes) -> Reply {
    let Ok(Value::Object(m)) = serde_json::from_slice::<Value>(&body) else {
        return error(Platform::NetSapiens, StatusCode::BAD_REQUEST, "Request body must be a JSON object");
    };
    let field = |k: &str| match m.get(k) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    grant(&st, Grant::from_fields(field))
}

/// `POST /ns-api/oauth2/token/`, a form body.
pub(crate) async fn v1(State(st): State<Arc<AppState>>, body: Bytes) -> Reply {
    let p = Params::parse(&String::from_utf8_lossy(&body));
    let field = |k: &str| p.get(k).map(str::to_string);
    grant(&st, Grant::from_fields(field))
}

/// The platform answers a failed grant with 200 and no `access_token`.
fn invalid_grant(description: &str) -> Reply {
    Reply::json(StatusCode::OK, &json!({"error": "invalid_grant", "error_description": description}))
}

fn grant(st: &AppState, g: Grant) -> Reply {
    let ns = &st.config.netsapiens;
    if g.client_id.as_deref() != Some(&ns.client_id) || g.client_secret.as_deref() != Some(&ns.client_secret) {
        return Reply::json(StatusCode::UNAUTHORIZED, &json!({"error": "invalid_client"}));
    }
    let refresh = match g.grant_type.as_deref() {
        Some("password") => {
            if g.username.as_deref() != Some(&ns.username) || g.password.as_deref() != Some(&ns.password) {
                return invalid_grant("Invalid username and password combination");
            }
            st.tokens.issue_refresh(Platform::NetSapiens)
        }
        Some("refresh_token") => match g.refresh_token {
            Some(rt) if st.tokens.refresh_valid(Platform::NetSapiens, &rt) => rt,
            _ => return invalid_grant("Invalid refresh token"),
        },
        Some(other) => {
            let d = format!("Grant type \"{other}\" not supported");
            return Reply::json(
                StatusCode::BAD_REQUEST,
                &json!({"error": "unsupported_grant_type", "error_description": d}),
            );
        }
        None => {
            let d = "The grant type was not specified in the request";
            return Reply::json(StatusCode::BAD_REQUEST, &json!({"error": "invalid_request", "error_description": d}));
        }
    };
    let access = st.tokens.issue(Platform::NetSapiens, ns.token_ttl_secs);
    let (user, domain) = ns.username.split_once('@').unwrap_or((&ns.username, "*"));
    Reply::json(
        StatusCode::OK,
        &json!({
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": ns.token_ttl_secs,
            "refresh_token": refresh,
            "domain": domain,
            "scope": "Reseller",
            "apiversion": super::api_version(ns.v2),
            "user": user,
            "username": ns.username,
            "territory": domain,
        }),
    )
}
