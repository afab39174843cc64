//! Call Details: every call with the listing's filters, a page at a time (the store seeks past
//! the page's cursor, so a late page costs what the first does), the rate that priced it and
//! the invoice it is on; and the filtered set as CSV, streamed as it is read.

use super::super::auth::Staff;
use super::super::App;
use super::{notice, page};
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use billing::calls::{CallFilter, Cursor};
use billing::doc::{CallDoc, CallStatus};
use chrono_tz::Tz;
use maud::{html, Markup};
use serde::Deserialize;
use std::collections::HashMap;

/// Calls on a page.
const PAGE: usize = 50;

pub fn routes() -> Router<App> {
    Router::new().route("/calls", get(calls)).route("/calls.csv", get(export))
}

/// The filters as the form sends them (an empty field is no filter).
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(default)]
pub struct Filters {
    customer: String,
    from: String,
    to: String,
    call_type: String,
    status: String,
    invoice: String,
    number: String,
    source: String,
    after: String,
}

const STATUSES: [CallStatus; 4] =
    [CallStatus::Unanswered, CallStatus::Unrated, CallStatus::Unbilled, CallStatus::Billed];

fn given(s: &str) -> Option<String> {
    Some(s.trim()).filter(|s| !s.is_empty()).map(str::to_owned)
}

impl Filters {
    /// The listing's filter, or why the form cannot be read.
    fn filter(&self) -> Result<CallFilter, String> {
        let date = |name: &str, v: &str| billing::time::parse_date(v.trim()).map_err(|e| format!("{name}: {e}"));
        let days = match (given(&self.from), given(&self.to)) {
            (Some(f), Some(t)) => Some((date("From", &f)?, date("To", &t)?)),
            (None, None) => None,
            _ => return Err("give both days of the range, or neither".into()),
        };
        let status = match given(&self.status) {
            Some(s) => Some(STATUSES.into_iter().find(|x| x.as_str() == s).ok_or_else(|| format!("no status `{s}`"))?),
            None => None,
        };
        Ok(CallFilter {
            customer: given(&self.customer),
            days,
            invoice: given(&self.invoice),
            status,
            call_type: given(&self.call_type),
            number: given(&self.number),
            source: given(&self.source),
        })
    }

    /// The query string of these filters, without the cursor.
    fn query(&self) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        let fields = [
            ("customer", &self.customer),
            ("from", &self.from),
            ("to", &self.to),
            ("call_type", &self.call_type),
            ("status", &self.status),
            ("invoice", &self.invoice),
            ("number", &self.number),
            ("source", &self.source),
        ];
        for (k, v) in fields {
            if !v.trim().is_empty() {
                q.append_pair(k, v.trim());
            }
        }
        q.finish()
    }
}

/// What the filters' choices are made of: customers (with their zones) and sources.
struct Choices {
    zones: HashMap<String, Tz>,
    customers: Vec<(String, String)>,
    sources: Vec<String>,
}

async fn choices(app: &App) -> Result<Choices, billing::BillingError> {
    let (customers, sources) = billing::run!(app.billing, |s| {
        let customers = billing::customers::list_customers(s)?;
        let sources = billing::metered::source_names(s)?;
        Ok::<_, billing::BillingError>((customers, sources))
    })
    .await?;
    let zones =
        customers.iter().map(|c| (c.id.clone(), billing::time::parse_zone(&c.timezone).unwrap_or(Tz::UTC))).collect();
    Ok(Choices { zones, customers: customers.into_iter().map(|c| (c.id, c.name)).collect(), sources })
}

async fn calls(State(app): State<App>, staff: Staff, Query(f): Query<Filters>) -> Response {
    let choices = match choices(&app).await {
        Ok(c) => c,
        Err(e) => return super::problem(&staff, StatusCode::INTERNAL_SERVER_ERROR, "Call Details", &e.to_string()),
    };
    let listed = match (f.filter(), given(&f.after).map(|a| Cursor::parse(&a)).transpose()) {
        (Err(e), _) => Err((StatusCode::BAD_REQUEST, e)),
        (_, Err(e)) => Err((StatusCode::BAD_REQUEST, e.to_string())),
        (Ok(filter), Ok(after)) => {
            let kept = app.billing.kept().clone();
            let page =
                billing::run!(app.billing, |s| billing::calls::page(s, &filter, after.as_ref(), PAGE, &kept)).await;
            page.map_err(|e| {
                let message = e.to_string();
                (super::super::error::ApiError::from(e).status, message)
            })
        }
    };
    let status = listed.as_ref().err().map_or(StatusCode::OK, |(s, _)| *s);
    let query = f.query();
    let body = html! {
        (form(&f, &choices))
        @match &listed {
            Err((_, message)) => (notice("bad", message)),
            Ok(p) => {
                div.actions {
                    a.button.secondary href={ "/calls.csv?" (query) } download { "Export CSV" }
                    span.muted { (p.calls.len()) " calls on this page" }
                }
                @if p.calls.is_empty() {
                    p.muted { "No calls match these filters" @if given(&f.after).is_some() { " past this point" } "." }
                } @else {
                    (table(&p.calls, &choices.zones, given(&f.customer).is_none()))
                }
                nav.pager aria-label="Pages" {
                    @if given(&f.after).is_some() { a href={ "/calls?" (query) } { "First page" } }
                    @if let Some(next) = &p.next { a href={ "/calls?" (query) "&after=" (next) } rel="next" { "Next page" } }
                }
            }
        }
    };
    (status, page(&staff, "Call Details", "/calls", body)).into_response()
}

fn form(f: &Filters, c: &Choices) -> Markup {
    html! {
        form.filters method="get" action="/calls" role="search" aria-label="Filter calls" {
            label { "Customer"
                select name="customer" {
                    option value="" { "All customers" }
                    @for (id, name) in &c.customers {
                        option value=(id) selected[*id == f.customer] { (name) " (" (id) ")" }
                    }
                }
            }
            label { "From" input type="date" name="from" value=(f.from); }
            label { "To" input type="date" name="to" value=(f.to); }
            label { "Call type" input type="text" name="call_type" value=(f.call_type) size="12"; }
            label { "Status"
                select name="status" {
                    option value="" { "Any" }
                    @for s in STATUSES { option value=(s.as_str()) selected[s.as_str() == f.status] { (s.as_str()) } }
                }
            }
            label { "Invoice" input type="text" name="invoice" value=(f.invoice) size="12" placeholder="D-12 or INV-000001"; }
            label { "Number contains" input type="search" name="number" value=(f.number) size="14" inputmode="tel"; }
            label { "Source"
                select name="source" {
                    option value="" { "All sources" }
                    @for s in &c.sources { option value=(s) selected[*s == f.source] { (s) } }
                }
            }
            button type="submit" { "Search" }
            a href="/calls" { "Clear" }
        }
    }
}

/// A call's start in its customer's zone, as billing staff read it.
fn local(c: &CallDoc, zones: &HashMap<String, Tz>) -> String {
    let zone = zones.get(&c.customer).copied().unwrap_or(Tz::UTC);
    billing::time::parse_timestamp(&c.start)
        .map(|t| billing::time::format_local(t, zone))
        .unwrap_or_else(|_| c.start.clone())
}

/// The calls as a table; `customers`: with a column naming each call's customer.
fn table(calls: &[CallDoc], zones: &HashMap<String, Tz>, customers: bool) -> Markup {
    html! {
        div.table-wrap tabindex="0" role="region" aria-label="Calls" {
            table.dense {
                caption.muted { "Times in each customer's time zone" }
                thead { tr {
                    th scope="col" { "Start" } @if customers { th scope="col" { "Customer" } } th scope="col" { "Call" }
                    th scope="col" { "From" } th scope="col" { "To" } th scope="col" { "Type" }
                    th scope="col" .num { abbr title="Duration in seconds" { "Dur. s" } } th scope="col" { "Status" } th scope="col" .num { "Billed s" }
                    th scope="col" .num { "Charge" } th scope="col" { "Rate" } th scope="col" { "Invoice" }
                } }
                tbody {
                    @for c in calls {
                        tr {
                            td.nowrap { (local(c, zones)) }
                            @if customers { td { a href={ "/customers/" (c.customer) } { (c.customer) } } }
                            td { (c.direction) small.id { (c.source) " / " (c.id) } }
                            td.nowrap { (c.from) } td.nowrap { (c.to) } td { (c.call_type) }
                            td.num { (c.duration) }
                            td { span class={ "badge " (c.status.as_str()) } { (c.status.as_str()) } }
                            td.num { @if let Some(b) = c.billable_seconds { (b) } }
                            td.num { @if let Some(ch) = &c.charge { (ch) } }
                            td {
                                @if let Some(r) = &c.rate {
                                    span.nowrap { (r.rate) "/min · " (r.initial_increment) "/" (r.subsequent_increment) " s" }
                                    small.id { (r.owner) ", prefix " @if r.prefix.is_empty() { "any" } @else { (r.prefix) } }
                                }
                            }
                            td.nowrap { @if let Some(i) = &c.invoice { a href={ "/invoices/" (i) } { (i) } } }
                        }
                    }
                }
            }
        }
    }
}

/// A writer whose bytes go, a chunk at a time, to the response being streamed. It runs on the
/// use case's blocking thread; a client that went away ends the listing with an error.
struct Chunks {
    tx: tokio::sync::mpsc::Sender<bytes::Bytes>,
    buffer: Vec<u8>,
}

impl std::io::Write for Chunks {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(b);
        if self.buffer.len() >= 64 * 1024 {
            self.flush()?;
        }
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = bytes::Bytes::from(std::mem::take(&mut self.buffer));
        self.tx
            .blocking_send(chunk)
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the download was closed"))
    }
}

/// The filtered calls as `meter calls list --format csv` writes them, streamed.
async fn export(State(app): State<App>, staff: Staff, Query(f): Query<Filters>) -> Response {
    let filter = match f.filter() {
        Ok(filter) => filter,
        Err(e) => return super::problem(&staff, StatusCode::BAD_REQUEST, "Call Details", &e),
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel::<bytes::Bytes>(4);
    let billing = app.billing.clone();
    tokio::spawn(async move {
        let listed: anyhow::Result<()> = billing::run!(billing, |s| {
            let mut sink = crate::listing::Csv(csv::Writer::from_writer(Chunks { tx, buffer: Vec::new() }));
            billing::calls::list_filtered(s, &filter, &mut sink)?;
            Ok(sink.0.flush()?)
        })
        .await;
        if let Err(e) = listed {
            tracing::warn!(error = %e, "a calls export ended early");
        }
    });
    let stream = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx).map(|c| c.map(Ok::<_, std::io::Error>)));
    let headers = [
        (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
        (header::CONTENT_DISPOSITION, "attachment; filename=\"calls.csv\""),
    ];
    (headers, Body::from_stream(stream)).into_response()
}
