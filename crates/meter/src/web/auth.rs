//! Who is asking: a signed-in member of staff (a session cookie, with its CSRF token on every
//! form) for the pages, a bearer token for the API. What each role may do is billing's rule
//! (`Role::may`); here a request only finds its caller and the permission its route needs.

use super::error::ApiError;
use super::App;
use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use billing::access::{Permission, SessionUser, TokenUser};

/// The session cookie: the session's secret, HttpOnly, Secure, SameSite=Lax.
pub const SESSION_COOKIE: &str = "meter_session";

/// The largest form body read (a rate deck's CSV upload).
const MAX_FORM: usize = 64 * 1024 * 1024;

/// A signed-in member of staff, put on the request by [`pages_guard`].
#[derive(Clone)]
pub struct Staff {
    pub user: SessionUser,
}

impl Staff {
    pub fn may(&self, needs: Permission) -> bool {
        self.user.role.may(needs)
    }
}

impl FromRequestParts<App> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &App) -> Result<Staff, Response> {
        parts.extensions.get::<Staff>().cloned().ok_or_else(|| Redirect::to("/sign-in").into_response())
    }
}

/// The value of cookie `name`, if the request carries it.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find_map(|(k, v)| (k == name).then_some(v))
}

/// A cookie the browser keeps for the session's life (`max_age` seconds; 0 removes it).
pub fn set_cookie(name: &str, value: &str, max_age: i64) -> String {
    format!("{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; Secure; SameSite=Lax")
}

/// The field `name` of a URL-encoded form or query.
pub fn form_field(encoded: &[u8], name: &str) -> Option<String> {
    url::form_urlencoded::parse(encoded).find_map(|(k, v)| (k == name).then(|| v.into_owned()))
}

/// Every page but sign-in: finds the session (none: to the sign-in page, coming back here
/// after), and for a form (any method but GET and HEAD) checks its CSRF token, given as the
/// form's `_csrf` field or, for an upload, in the query.
pub async fn pages_guard(State(app): State<App>, request: Request, next: Next) -> Response {
    let path_and_query = request.uri().path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_default();
    let secret = cookie(request.headers(), SESSION_COOKIE).map(str::to_owned);
    let user = match secret {
        Some(secret) => {
            let now = crate::clock::now();
            match billing::run!(app.billing, |s| billing::access::session(s, &secret, now)).await {
                Ok(user) => user,
                Err(e) => return ApiError::from(e).into_response(),
            }
        }
        None => None,
    };
    let Some(user) = user else {
        let back = url::form_urlencoded::byte_serialize(path_and_query.as_bytes()).collect::<String>();
        return Redirect::to(&format!("/sign-in?next={back}")).into_response();
    };
    let staff = Staff { user };
    let (mut parts, body) = request.into_parts();
    let body = if matches!(parts.method, Method::GET | Method::HEAD) {
        body
    } else {
        let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM).await else {
            return (StatusCode::PAYLOAD_TOO_LARGE, "the form is too large").into_response();
        };
        let given = parts
            .uri
            .query()
            .and_then(|q| form_field(q.as_bytes(), "_csrf"))
            .or_else(|| form_field(&bytes, "_csrf"))
            .unwrap_or_default();
        if !staff.user.csrf_matches(&given) {
            let message =
                "This form has expired or did not come from this site. Go back, reload the page and try again.";
            return super::pages::problem(&staff, StatusCode::FORBIDDEN, "Form refused", message);
        }
        Body::from(bytes)
    };
    parts.extensions.insert(staff);
    next.run(Request::from_parts(parts, body)).await
}

/// An API caller: a valid token, with its role.
#[derive(Clone)]
pub struct Caller {
    pub token: TokenUser,
}

impl Caller {
    /// Who made a change, in the records.
    pub fn actor(&self) -> String {
        match &self.token.name {
            Some(name) => format!("token {} ({name})", self.token.id),
            None => format!("token {}", self.token.id),
        }
    }
}

impl FromRequestParts<App> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &App) -> Result<Caller, ApiError> {
        parts.extensions.get::<Caller>().cloned().ok_or_else(unauthorized)
    }
}

fn unauthorized() -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "give a valid API token: Authorization: Bearer TOKEN")
}

/// Every API route but the OpenAPI document: a valid bearer token (401 otherwise) whose role may
/// do what the method needs (403 otherwise): reading for GET, billing work for the others.
pub async fn api_guard(State(app): State<App>, mut request: Request, next: Next) -> Response {
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned());
    let Some(secret) = given else { return unauthorized().into_response() };
    let now = crate::clock::now();
    let token = match billing::run!(app.billing, |s| billing::access::token(s, &secret, now)).await {
        Ok(Some(token)) => token,
        Ok(None) => return unauthorized().into_response(),
        Err(e) => return ApiError::from(e).into_response(),
    };
    let needs =
        if matches!(*request.method(), Method::GET | Method::HEAD) { Permission::Read } else { Permission::Bill };
    if !token.role.may(needs) {
        let message = format!("a {} token may not do this", token.role);
        return ApiError::new(StatusCode::FORBIDDEN, "forbidden", message).into_response();
    }
    request.extensions_mut().insert(Caller { token });
    next.run(request).await
}
