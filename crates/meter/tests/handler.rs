//! A handler calling a use case: a real axum server on 127.0.0.1:0 whose handlers run billing's
//! use cases through `Billing::run` (the one way async code reaches the store), called over HTTP,
//! answers what the binary prints for the same data, on both backends.

mod common;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use billing::invoice::InvoiceRequest;
use billing::metered::guard::Guard;
use billing::{Billing, BillingError};
use chrono::NaiveDate;
use common::*;
use serde::Deserialize;
use serde_json::{json, Value};
use store::PoolSettings;

on_both_backends! {
    handlers_answer_what_the_binary_prints,
}

/// The days of an invoice, as a query or a body (`YYYY-MM-DD`).
#[derive(Deserialize)]
struct Days {
    from: String,
    to: String,
}

#[derive(Deserialize)]
struct NewInvoice {
    customer: String,
    #[serde(flatten)]
    days: Days,
}

/// A use case's error as a response: what the web app will refine.
fn status(e: BillingError) -> (StatusCode, String) {
    let code = match e {
        BillingError::UnknownCustomer(_) | BillingError::UnknownInvoice(_) => StatusCode::NOT_FOUND,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    (code, e.to_string())
}

type Answer = Result<Json<billing::doc::InvoiceDoc>, (StatusCode, String)>;

/// The request of a use case, or a client error naming the bad date.
fn request(customer: String, Days { from, to }: Days) -> Result<InvoiceRequest, (StatusCode, String)> {
    let date = |d: &str| {
        NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| (StatusCode::BAD_REQUEST, format!("`{d}` is not YYYY-MM-DD")))
    };
    Ok(InvoiceRequest { customer, from: date(&from)?, to: date(&to)?, call_types: None })
}

async fn preview(State(billing): State<Billing>, Path(customer): Path<String>, Query(days): Query<Days>) -> Answer {
    let req = request(customer, days)?;
    let preview = billing::run!(billing, |store| billing::invoice::preview(store, &req)).await.map_err(status)?;
    Ok(Json(preview.doc))
}

async fn create(State(billing): State<Billing>, Json(new): Json<NewInvoice>) -> Answer {
    let (req, now) = (request(new.customer, new.days)?, chrono::Utc::now().timestamp_micros());
    let doc = billing::run!(billing, |store| billing::invoice::create(store, &req, now, "web", Guard::On(None))).await;
    doc.map(Json).map_err(status)
}

async fn show(State(billing): State<Billing>, Path(id): Path<String>) -> Answer {
    billing::run!(billing, |store| billing::invoice::show(store, &id)).await.map(Json).map_err(status)
}

/// The app: three routes, each one use case.
fn app(billing: Billing) -> Router {
    Router::new()
        .route("/customers/{customer}/preview", get(preview))
        .route("/invoices", post(create))
        .route("/invoices/{id}", get(show))
        .with_state(billing)
}

/// What the server answered to each request.
struct Answers {
    preview: (StatusCode, Value),
    created: (StatusCode, Value),
    shown: (StatusCode, Value),
    unknown: StatusCode,
}

/// Serves the app on 127.0.0.1:0 with a pool on `url`, makes the requests, and stops.
async fn serve_and_ask(url: &str) -> Answers {
    let billing = Billing::open(url, PoolSettings::default()).await.expect("the pool");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let base = format!("http://{}", listener.local_addr().expect("its address"));
    let server = tokio::spawn(async move { axum::serve(listener, app(billing)).await });
    let client = reqwest::Client::new();
    let answer = |r: reqwest::Response| async move {
        let code = r.status();
        (code, r.json::<Value>().await.unwrap_or(Value::Null))
    };
    let preview = client.get(format!("{base}/customers/acme/preview?from=2026-10-01&to=2026-10-31")).send().await;
    let preview = answer(preview.expect("the preview")).await;
    let body = json!({"customer": "acme", "from": "2026-10-01", "to": "2026-10-31"});
    let created = answer(client.post(format!("{base}/invoices")).json(&body).send().await.expect("the creation")).await;
    let id = created.1["id"].as_str().unwrap_or("none").to_owned();
    let shown = answer(client.get(format!("{base}/invoices/{id}")).send().await.expect("the invoice")).await;
    let unknown = client.get(format!("{base}/customers/nobody/preview?from=2026-10-01&to=2026-10-31")).send().await;
    let unknown = unknown.expect("the unknown customer's preview").status();
    server.abort();
    Answers { preview, created, shown, unknown }
}

fn handlers_answer_what_the_binary_prints(backend: Backend) {
    let env = Env::seeded_on(backend);
    let calls = [
        Cdr::domestic("c1", "acme", "2026-10-03T10:00:00Z", 125),
        Cdr::international("c2", "acme", "2026-10-04T11:00:00Z", 61),
        Cdr::on_net("c3", "acme", "2026-10-05T12:00:00Z", 30),
        Cdr::domestic("c4", "globex", "2026-10-06T13:00:00Z", 40),
    ];
    env.import_ok("cdrs", "cdrs.csv", &cdrs_csv(&calls));
    let printed_preview = env.preview("acme", "2026-10-01", "2026-10-31");
    let lines = printed_preview["lines"].as_array().map_or(0, Vec::len);
    assert!(lines >= 3, "acme's preview should bill three call types: {printed_preview}");

    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let answers = runtime.block_on(serve_and_ask(env.db_url()));
    drop(runtime);

    assert_eq!(answers.preview, (StatusCode::OK, printed_preview), "the preview over HTTP");
    assert_eq!(answers.created.0, StatusCode::OK, "the creation over HTTP: {}", answers.created.1);
    let id = answers.created.1["id"].as_str().expect("an invoice number");
    let printed = env.show(id);
    assert_eq!(answers.created.1, printed, "the created invoice over HTTP");
    assert_eq!(answers.shown, (StatusCode::OK, printed), "the invoice shown over HTTP");
    assert_eq!(answers.unknown, StatusCode::NOT_FOUND);
}
