//! Signing in and out. The sign-in form is protected from forgery before any session exists by a
//! cookie of its own whose value the form carries back (double submit).

use super::super::auth::{cookie, set_cookie, SESSION_COOKIE};
use super::super::App;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use billing::BillingError;
use maud::{html, Markup, DOCTYPE};
use serde::Deserialize;

/// The sign-in form's own anti-forgery cookie.
const SIGN_IN_COOKIE: &str = "meter_sign_in";

/// The sign-in page and its form: open to everyone.
pub fn open_routes() -> Router<App> {
    Router::new().route("/sign-in", get(form).post(sign_in))
}

/// Signing out: a form of a session like any other.
pub fn routes() -> Router<App> {
    Router::new().route("/sign-out", post(sign_out))
}

#[derive(Deserialize)]
struct Next {
    next: Option<String>,
}

/// Where to go after signing in: a path of this site only.
fn destination(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/customers".to_owned(),
    }
}

fn shell(body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "Sign in · meter" }
                link rel="stylesheet" href="/static/app.css";
            }
            body { main #main { div.signin.card { (body) } } }
        }
    }
}

/// The form; `problem` says why the last attempt failed.
fn render(token: &str, next: &str, email: &str, problem: Option<&str>) -> Markup {
    shell(html! {
        h1 { "Sign in to meter" }
        @if let Some(p) = problem { (super::notice("bad", p)) }
        form method="post" action="/sign-in" {
            input type="hidden" name="_csrf" value=(token);
            input type="hidden" name="next" value=(next);
            label { "Email" input type="email" name="email" value=(email) autocomplete="username" required autofocus; }
            label { "Password" input type="password" name="password" autocomplete="current-password" required; }
            button type="submit" { "Sign in" }
        }
    })
}

fn new_token() -> String {
    use rand::Rng;
    let bytes: [u8; 24] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn form(headers: axum::http::HeaderMap, Query(q): Query<Next>) -> Response {
    let token = cookie(&headers, SIGN_IN_COOKIE).map(str::to_owned).unwrap_or_else(new_token);
    let next = destination(q.next.as_deref());
    let cookie = set_cookie(SIGN_IN_COOKIE, &token, 3600);
    ([(header::SET_COOKIE, cookie)], render(&token, &next, "", None)).into_response()
}

#[derive(Deserialize)]
struct SignIn {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

async fn sign_in(State(app): State<App>, headers: axum::http::HeaderMap, Form(f): Form<SignIn>) -> Response {
    let next = destination(f.next.as_deref());
    let Some(token) = cookie(&headers, SIGN_IN_COOKIE).filter(|t| !t.is_empty() && *t == f.csrf).map(str::to_owned)
    else {
        let token = new_token();
        let page = render(&token, &next, &f.email, Some("The form had expired. Please sign in again."));
        return (StatusCode::FORBIDDEN, [(header::SET_COOKIE, set_cookie(SIGN_IN_COOKIE, &token, 3600))], page)
            .into_response();
    };
    let (email, password, now) = (f.email.clone(), f.password, crate::clock::now());
    match billing::run!(app.billing, |s| billing::access::sign_in(s, &email, &password, now)).await {
        Ok(session) => {
            let max_age = billing::access::SESSION_LIFETIME / 1_000_000;
            let cookies = AppendHeaders([
                (header::SET_COOKIE, set_cookie(SESSION_COOKIE, &session.secret, max_age)),
                (header::SET_COOKIE, set_cookie(SIGN_IN_COOKIE, "", 0)),
            ]);
            (cookies, Redirect::to(&next)).into_response()
        }
        Err(e @ BillingError::SignInLimited { .. }) => {
            (StatusCode::TOO_MANY_REQUESTS, render(&token, &next, &f.email, Some(&e.to_string()))).into_response()
        }
        Err(BillingError::SignInFailed) => {
            (StatusCode::UNAUTHORIZED, render(&token, &next, &f.email, Some("Wrong email or password.")))
                .into_response()
        }
        Err(e) => super::super::error::ApiError::from(e).into_response(),
    }
}

/// Only a signed-in member of staff's form reaches here (`auth::pages_guard`).
async fn sign_out(State(app): State<App>, headers: axum::http::HeaderMap) -> Response {
    if let Some(secret) = cookie(&headers, SESSION_COOKIE).map(str::to_owned) {
        if let Err(e) = billing::run!(app.billing, |s| billing::access::sign_out(s, &secret)).await {
            return super::super::error::ApiError::from(e).into_response();
        }
    }
    ([(header::SET_COOKIE, set_cookie(SESSION_COOKIE, "", 0))], Redirect::to("/sign-in")).into_response()
}
