//! `meter serve`: the web application for billing staff and the JSON API (`/api/v1`) over one
//! store, with the scheduler. Like the command line, the server only parses requests, runs
//! billing's use cases (through [`Billing::run`], on tokio's blocking threads) and presents
//! their answers: no rule lives here.

mod api;
mod auth;
mod error;
mod extract;
mod pages;
mod syncs;

use crate::cli::ServeArgs;
use anyhow::{Context, Result};
use axum::Router;
use billing::metered::secrets::SecretKey;
use billing::Billing;
use std::process::ExitCode;

/// What every handler shares: the use cases of one database and the key of the sources' secrets.
#[derive(Clone)]
pub struct App {
    pub billing: Billing,
    pub key: Option<SecretKey>,
}

/// The whole server: the API under `/api/v1` (its OpenAPI document open to all, the rest for
/// tokens), the sign-in page, and the pages for signed-in staff.
pub fn router(app: App) -> Router {
    let api = api::routes()
        .route_layer(axum::middleware::from_fn_with_state(app.clone(), auth::api_guard))
        .route("/openapi.json", axum::routing::get(api::openapi))
        .fallback(api::not_found);
    let pages = pages::routes().route_layer(axum::middleware::from_fn_with_state(app.clone(), auth::pages_guard));
    Router::new().nest("/api/v1", api).merge(pages).merge(pages::open_routes()).with_state(app)
}

/// A rendered invoice document, offered as a download under its number.
pub fn download(format: crate::cli::DocumentFormat, r: crate::document::Rendered) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    let headers = [
        (header::CONTENT_TYPE, crate::document::media_type(format).to_owned()),
        (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", r.file_name)),
    ];
    (headers, r.bytes).into_response()
}

pub fn serve(db: &str, a: ServeArgs) -> Result<ExitCode> {
    let key = crate::secret_key::load()?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let settings = store::PoolSettings { activity: "the web server (meter serve)".into(), ..Default::default() };
        let billing = Billing::open(db, settings).await?;
        let listener =
            tokio::net::TcpListener::bind(a.listen).await.with_context(|| format!("listening on {}", a.listen))?;
        let address = listener.local_addr()?;
        crate::stdout::note!("meter serve: listening on http://{address}");
        let app = App { billing: billing.clone(), key: key.clone() };
        // One signal stops both: the server ends once its requests are answered, the scheduler
        // once its pass is over.
        let (stopping, stopped) = tokio::sync::watch::channel(false);
        let signal = crate::scheduler::stop_signal()?;
        tokio::spawn(async move {
            signal.await;
            let _ = stopping.send(true);
        });
        let until_stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        let server = axum::serve(listener, router(app)).with_graceful_shutdown(until_stopped(stopped.clone()));
        let server = async { server.await.context("serving") };
        let scheduler = async {
            if a.no_scheduler {
                return Ok(());
            }
            let (schedule, stop) = (a.schedule.schedule(), (false, until_stopped(stopped.clone())));
            crate::scheduler::run_loop((billing.clone(), db), schedule, key.clone(), stop, |tick| {
                tracing::info!(?tick, "the scheduler's pass");
            })
            .await
        };
        tokio::try_join!(server, scheduler)?;
        Ok(ExitCode::SUCCESS)
    })
}
