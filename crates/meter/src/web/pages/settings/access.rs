//! The users of the web application and the API tokens, on the Settings page: added, changed,
//! disabled and revoked as `meter users` and `meter tokens` do. A new token's secret is shown
//! once, on the page that answers its creation, and never again.

use super::super::super::auth::Staff;
use super::super::super::App;
use super::super::csrf;
use super::super::figures::{actor, badge, failure};
use super::{refused, render, Extra};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Form, Router};
use billing::access::{Role, TokenInfo, UserInfo};
use maud::{html, Markup};
use serde::Deserialize;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/settings/users", post(add_user))
        .route("/settings/users/role", post(set_role))
        .route("/settings/users/state", post(set_state))
        .route("/settings/users/password", post(set_password))
        .route("/settings/tokens", post(create_token))
        .route("/settings/tokens/{id}/revoke", post(revoke_token))
}

/// A user's form: whichever fields its action needs.
#[derive(Debug, Default, Deserialize)]
struct UserForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
    /// `disable` or `enable`.
    #[serde(default)]
    state: String,
}

/// The redirect after a change of `who`.
fn done(what: &str, who: &str, anchor: &str) -> Response {
    let who = url::form_urlencoded::byte_serialize(who.as_bytes()).collect::<String>();
    Redirect::to(&format!("/settings?done={what}&who={who}#{anchor}")).into_response()
}

/// The page again, saying why the change was refused.
async fn refuse(app: &App, staff: &Staff, e: billing::BillingError) -> Response {
    let (status, message) = failure(e);
    render(app, staff, Extra::bad(status, format!("Not changed: {message}"))).await
}

fn role_of(text: &str) -> Result<Role, billing::BillingError> {
    text.trim().parse()
}

async fn add_user(State(app): State<App>, staff: Staff, Form(f): Form<UserForm>) -> Response {
    if let Some(r) = refused(&staff) {
        return r;
    }
    let now = crate::clock::now();
    let added = billing::run!(app.billing, |s| {
        let role = role_of(&f.role)?;
        billing::access::add_user(s, &f.email, role, &f.password, now)
    })
    .await;
    match added {
        Ok(u) => done("user_added", &u.email, "users"),
        Err(e) => refuse(&app, &staff, e).await,
    }
}

async fn set_role(State(app): State<App>, staff: Staff, Form(f): Form<UserForm>) -> Response {
    if let Some(r) = refused(&staff) {
        return r;
    }
    let changed = billing::run!(app.billing, |s| {
        let role = role_of(&f.role)?;
        billing::access::set_user(s, &f.email, Some(role), None)
    })
    .await;
    match changed {
        Ok(u) => done("role", &u.email, "users"),
        Err(e) => refuse(&app, &staff, e).await,
    }
}

async fn set_state(State(app): State<App>, staff: Staff, Form(f): Form<UserForm>) -> Response {
    if let Some(r) = refused(&staff) {
        return r;
    }
    let disable = match f.state.as_str() {
        "disable" => true,
        "enable" => false,
        _ => {
            return render(&app, &staff, Extra::bad(StatusCode::BAD_REQUEST, "Not changed: disable or enable?".into()))
                .await
        }
    };
    let changed = billing::run!(app.billing, |s| billing::access::set_user(s, &f.email, None, Some(disable))).await;
    match changed {
        Ok(u) => done(if disable { "disabled" } else { "enabled" }, &u.email, "users"),
        Err(e) => refuse(&app, &staff, e).await,
    }
}

async fn set_password(State(app): State<App>, staff: Staff, Form(f): Form<UserForm>) -> Response {
    if let Some(r) = refused(&staff) {
        return r;
    }
    let changed = billing::run!(app.billing, |s| billing::access::set_password(s, &f.email, &f.password)).await;
    match changed {
        Ok(u) => done("password", &u.email, "users"),
        Err(e) => refuse(&app, &staff, e).await,
    }
}

/// A new token's form.
#[derive(Debug, Default, Deserialize)]
struct TokenForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
}

/// Makes a token and answers with the page showing its secret, once: no redirect, so that the
/// secret is in no address and no history.
async fn create_token(State(app): State<App>, staff: Staff, Form(f): Form<TokenForm>) -> Response {
    if let Some(r) = refused(&staff) {
        return r;
    }
    let (now, by) = (crate::clock::now(), actor(&staff));
    let created = billing::run!(app.billing, |s| {
        let role = role_of(&f.role)?;
        let name = Some(f.name.trim()).filter(|n| !n.is_empty());
        billing::access::create_token(s, role, name, &by, now)
    })
    .await;
    match created {
        Ok(token) => {
            let mut response = render(&app, &staff, Extra { token: Some(token), ..Extra::default() }).await;
            response
                .headers_mut()
                .insert(axum::http::header::CACHE_CONTROL, "no-store".parse().expect("a header value"));
            response
        }
        Err(e) => refuse(&app, &staff, e).await,
    }
}

async fn revoke_token(State(app): State<App>, staff: Staff, Path(id): Path<String>) -> Response {
    if let Some(r) = refused(&staff) {
        return r;
    }
    let Ok(id) = id.parse::<i64>() else {
        return refuse(&app, &staff, billing::BillingError::UnknownToken(0)).await;
    };
    let now = crate::clock::now();
    match billing::run!(app.billing, |s| billing::access::revoke_token(s, id, now)).await {
        Ok(t) => done("revoked", &t.id.to_string(), "tokens"),
        Err(e) => refuse(&app, &staff, e).await,
    }
}

/// The secret of the token just made, to copy now.
pub fn new_token(t: &TokenInfo, secret: &str) -> Markup {
    html! {
        div.notice.ok role="status" {
            p { strong { "Token " (t.id) " made (" (t.role) "). Copy it now: it is not shown again." } }
            label { "The token" input #new-token type="text" readonly value=(secret); }
            p.muted { "Give it as " code { "Authorization: Bearer TOKEN" } " to /api/v1." }
        }
    }
}

fn role_select(id: &str, chosen: &str) -> Markup {
    html! {
        select #(id) name="role" {
            @for r in Role::ALL { option value=(r.as_str()) selected[r.as_str() == chosen] { (r.as_str()) } }
        }
    }
}

pub fn users(staff: &Staff, users: &[UserInfo]) -> Markup {
    html! {
        h2 #users { "Users" }
        div.table-wrap tabindex="0" role="region" aria-label="Users" {
            table {
                thead { tr { th scope="col" { "Email" } th scope="col" { "Role" } th scope="col" { "State" } th scope="col" class="wide" { "Added" } th scope="col" { "Change" } } }
                tbody {
                    @for (i, u) in users.iter().enumerate() {
                        tr {
                            th scope="row" { (u.email) }
                            td { (u.role.as_str()) }
                            td { (badge(if u.disabled { "disabled" } else { "active" })) }
                            td.wide { (u.created_at) }
                            td {
                                details {
                                    summary { "Change" span.vh { " " (u.email) } }
                                    form.fields method="post" action="/settings/users/role" {
                                        (csrf(staff))
                                        input type="hidden" name="email" value=(u.email);
                                        label for=(format!("role-{i}")) { "Role" }
                                        (role_select(&format!("role-{i}"), u.role.as_str()))
                                        button.secondary type="submit" { "Change role" }
                                    }
                                    form.fields method="post" action="/settings/users/password" {
                                        (csrf(staff))
                                        input type="hidden" name="email" value=(u.email);
                                        label for=(format!("pw-{i}")) { "New password" }
                                        input #(format!("pw-{i}")) type="password" name="password" autocomplete="new-password" required;
                                        button.secondary type="submit" { "Set password" }
                                    }
                                    form.fields method="post" action="/settings/users/state" {
                                        (csrf(staff))
                                        input type="hidden" name="email" value=(u.email);
                                        @if u.disabled {
                                            input type="hidden" name="state" value="enable";
                                            button.secondary type="submit" { "Enable" }
                                        } @else {
                                            input type="hidden" name="state" value="disable";
                                            button.danger type="submit" { "Disable" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        details.card {
            summary { "Add a user" }
            form.fields method="post" action="/settings/users" {
                (csrf(staff))
                label for="new-email" { "Email" }
                input #new-email type="email" name="email" required autocomplete="off";
                label for="new-role" { "Role" }
                (role_select("new-role", "viewer"))
                label for="new-password" { "Password (at least 12 characters)" }
                input #new-password type="password" name="password" required autocomplete="new-password";
                div.actions { button type="submit" { "Add user" } }
            }
        }
    }
}

pub fn tokens(staff: &Staff, tokens: &[TokenInfo]) -> Markup {
    html! {
        h2 #tokens { "API tokens" }
        div.table-wrap tabindex="0" role="region" aria-label="API tokens" {
            table {
                thead { tr { th scope="col" class="num" { "Id" } th scope="col" { "Name" } th scope="col" { "Role" } th scope="col" class="wide" { "Made" } th scope="col" class="wide" { "By" } th scope="col" { "State" } th scope="col" { span.vh { "Revoke" } } } }
                tbody {
                    @for t in tokens {
                        tr {
                            td.num { (t.id) }
                            th scope="row" { (t.name.clone().unwrap_or_default()) }
                            td { (t.role.as_str()) }
                            td.wide { (t.created_at) }
                            td.wide { (t.created_by) }
                            td { @match &t.revoked_at { Some(at) => { (badge("revoked")) " " (at) } None => (badge("active")) } }
                            td {
                                @if t.revoked_at.is_none() {
                                    form.inline method="post" action=(format!("/settings/tokens/{}/revoke", t.id)) {
                                        (csrf(staff))
                                        button.danger type="submit" { "Revoke" span.vh { " token " (t.id) } }
                                    }
                                }
                            }
                        }
                    }
                    @if tokens.is_empty() { tr { td colspan="7" { span.muted { "No tokens." } } } }
                }
            }
        }
        details.card {
            summary { "Make a token" }
            form.fields method="post" action="/settings/tokens" {
                (csrf(staff))
                label for="token-name" { "Name" }
                input #token-name type="text" name="name" maxlength="100" placeholder="invoicing robot";
                label for="token-role" { "Role" }
                (role_select("token-role", "viewer"))
                div.actions { button type="submit" { "Make token" } }
            }
        }
    }
}
