//! The pages for billing staff: server-rendered HTML (maud), one stylesheet, a little plain
//! JavaScript where a page refreshes itself. Every page is a function of what a use case
//! answered; the shell ([`page`]) gives each the same header, navigation and landmarks.

mod calls;
mod customers;
mod figures;
mod invoices;
mod invoicing;
mod jobs;
mod plans;
mod rates;
mod settings;
mod signin;

use super::auth::Staff;
use super::App;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use billing::access::Permission;
use maud::{html, Markup, DOCTYPE};

/// The stylesheet, served at `/static/app.css`.
const CSS: &str = include_str!("../static/app.css");

/// The sections of the navigation, in order: (path, label, what it needs).
const SECTIONS: [(&str, &str, Permission); 8] = [
    ("/customers", "Customers", Permission::Read),
    ("/rates", "Rates", Permission::Read),
    ("/plans", "Plans", Permission::Read),
    ("/billing", "Billing", Permission::Read),
    ("/calls", "Call Details", Permission::Read),
    ("/jobs", "Jobs", Permission::Read),
    ("/invoices", "Invoices", Permission::Read),
    ("/settings", "Settings", Permission::Admin),
];

/// The pages for signed-in staff (see `auth::pages_guard`).
pub fn routes() -> Router<App> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/customers") }))
        .merge(signin::routes())
        .merge(calls::routes())
        .merge(invoicing::routes())
        .merge(jobs::routes())
        .merge(invoices::routes())
        .merge(customers::routes())
        .merge(plans::routes())
        .merge(rates::routes())
        .merge(settings::routes())
}

/// What needs no session: the sign-in page and the stylesheet.
pub fn open_routes() -> Router<App> {
    Router::new().route("/static/app.css", get(css)).merge(signin::open_routes())
}

async fn css() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], CSS)
        .into_response()
}

/// A whole page: `title` in the tab and as the heading, `section` the navigation's current one
/// (its path), `body` the page's own content.
pub fn page(staff: &Staff, title: &str, section: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · meter" }
                link rel="stylesheet" href="/static/app.css";
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    a.brand href="/" { "meter" }
                    nav aria-label="Sections" {
                        ul {
                            @for (path, label, needs) in SECTIONS {
                                @if staff.may(needs) {
                                    li {
                                        @if path == section {
                                            a href=(path) aria-current="page" { (label) }
                                        } @else {
                                            a href=(path) { (label) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    div.who {
                        span { (staff.user.email) " · " (staff.user.role.as_str()) }
                        form method="post" action="/sign-out" {
                            (csrf(staff))
                            button type="submit" { "Sign out" }
                        }
                    }
                }
                main #main tabindex="-1" {
                    h1 { (title) }
                    (body)
                }
                footer.bottom { "meter " (env!("CARGO_PKG_VERSION")) }
            }
        }
    }
}

/// The hidden field every form of a session carries back.
pub fn csrf(staff: &Staff) -> Markup {
    html! { input type="hidden" name="_csrf" value=(staff.user.csrf); }
}

/// A page of its own for what cannot be shown (403, 404, a failed use case), with the shell.
pub fn problem(staff: &Staff, status: StatusCode, title: &str, message: &str) -> Response {
    let body = html! { div.notice.bad role="alert" { p { (message) } } p { a href="/" { "Back to the start" } } };
    (status, page(staff, title, "", body)).into_response()
}

/// A notice at the top of a page: `ok`, `bad` or `warn`.
pub fn notice(kind: &str, message: &str) -> Markup {
    html! { div class=(format!("notice {kind}")) role=(if kind == "bad" { "alert" } else { "status" }) { (message) } }
}
