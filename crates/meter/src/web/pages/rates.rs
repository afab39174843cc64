//! Rates: the decks (as `meter decks list`), the rates filtered by deck, customer, call type and
//! prefix (as `meter rates list`), the call types of calls no rate covers (as `meter rates
//! unrated`), and a rates.csv upload imported as `meter rates import` imports the file, its
//! rejection shown row by row.

use super::super::auth::Staff;
use super::super::App;
use super::figures::failure;
use super::invoices::customer_select;
use super::{notice, page, problem};
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use billing::access::Permission;
use billing::error::FileErrors;
use billing::listing::{DeckRow, RateFilter, RateRow, UnratedType};
use billing::BillingError;
use maud::{html, Markup};
use serde::Deserialize;

/// The largest upload taken (the pages' guard reads no larger body either).
const MAX_UPLOAD: usize = 64 * 1024 * 1024;

/// The most rates the table shows: narrower filters find the others.
const SHOWN: usize = 500;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/rates", get(rates))
        .route("/rates/import", post(import).layer(DefaultBodyLimit::max(MAX_UPLOAD)))
}

/// The filters as the form sends them, and what the last import did.
#[derive(Debug, Default, Clone, Deserialize)]
struct Filters {
    #[serde(default)]
    deck: String,
    #[serde(default)]
    customer: String,
    #[serde(default)]
    call_type: String,
    #[serde(default)]
    prefix: String,
    /// After an import: its summary, `imported,updated,duplicates`.
    #[serde(default)]
    imported: String,
}

impl Filters {
    /// The listing's filter, or what is wrong with the form.
    fn filter(&self) -> Result<RateFilter, String> {
        let given = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
        let call_type = match given(&self.call_type) {
            Some(t) => Some(rating::CallType::parse(&t).map_err(|e| format!("Call type: {e}."))?.to_string()),
            None => None,
        };
        let prefix = match given(&self.prefix) {
            Some(p) => Some(rating::number::Prefix::parse(&p).map_err(|e| format!("Prefix: {e}."))?),
            None => None,
        };
        Ok(RateFilter { deck: given(&self.deck), customer: given(&self.customer), call_type, prefix })
    }
}

/// What the page shows besides the filters' rates.
struct Shown {
    decks: Vec<DeckRow>,
    customers: Vec<billing::customers::CustomerRow>,
    unrated: Vec<UnratedType>,
}

async fn rates(State(app): State<App>, staff: Staff, Query(q): Query<Filters>) -> Response {
    render(&app, &staff, &q, None).await
}

/// The page; `rejected`: the upload refused, with its status.
async fn render(app: &App, staff: &Staff, q: &Filters, rejected: Option<(StatusCode, Rejection)>) -> Response {
    let asked = q.filter();
    let filter = asked.clone().ok();
    let answer = billing::run!(app.billing, |s| {
        let shown = Shown {
            decks: billing::listing::list_decks(s)?,
            customers: billing::customers::list_customers(s)?,
            unrated: billing::listing::unrated_call_types(s)?,
        };
        let rates = filter.map(|f| billing::listing::list_rates(s, &f));
        Ok::<_, BillingError>((shown, rates))
    })
    .await;
    let (shown, rates) = match answer {
        Ok(a) => a,
        Err(e) => {
            let (s, m) = failure(e);
            return problem(staff, s, "Rates", &m);
        }
    };
    let (mut status, mut bad) = (StatusCode::OK, None);
    let rates = match (asked, rates) {
        (Err(why), _) => {
            (status, bad) = (StatusCode::BAD_REQUEST, Some(why));
            Vec::new()
        }
        (_, Some(Err(e))) => {
            let (s, m) = failure(e);
            (status, bad) = (s, Some(m));
            Vec::new()
        }
        (_, Some(Ok(r))) => r,
        (_, None) => Vec::new(),
    };
    if let Some((s, _)) = &rejected {
        status = *s;
    }
    let body = html! {
        @if let Some(done) = imported(&q.imported) { (notice("ok", &done)) }
        @if let Some((_, r)) = &rejected { (rejection(r)) }
        h2 { "Decks" }
        (decks_table(&shown.decks))
        h2 #rates { "Rates" }
        form.filters method="get" action="/rates#rates" {
            label { "Deck"
                select name="deck" {
                    option value="" selected[q.deck.is_empty()] { "All decks" }
                    @for d in &shown.decks { option value=(d.deck) selected[d.deck == q.deck.trim()] { (d.deck) } }
                }
            }
            label { "Customer" (customer_select(&shown.customers, q.customer.trim(), true)) }
            label { "Call type" input type="text" name="call_type" value=(q.call_type) placeholder="international"; }
            label { "Prefix (starts with)" input type="text" name="prefix" value=(q.prefix) inputmode="numeric" placeholder="44"; }
            button type="submit" { "Filter" }
        }
        @if let Some(p) = &bad { (notice("bad", p)) }
        (rates_table(&rates))
        h2 { "Call types without a rate" }
        (unrated_table(&shown.unrated))
        @if staff.may(Permission::Bill) { (upload_form(staff)) }
    };
    (status, page(staff, "Rates", "/rates", body)).into_response()
}

/// The notice of an import's summary (`imported,updated,duplicates`), if the query has one.
fn imported(summary: &str) -> Option<String> {
    let n: Vec<u64> = summary.split(',').map_while(|n| n.parse().ok()).collect();
    let [imported, updated, duplicates] = n[..] else { return None };
    Some(format!("Rates imported: {imported} new, {updated} updated, {duplicates} duplicates skipped."))
}

fn decks_table(decks: &[DeckRow]) -> Markup {
    html! {
        div.table-wrap tabindex="0" role="region" aria-label="Decks" {
            table {
                thead { tr { th scope="col" { "Deck" } th scope="col" class="num" { "Rates" } th scope="col" { "Customers" } th scope="col" { "Description" } } }
                tbody {
                    @for d in decks {
                        tr {
                            th scope="row" { a href=(format!("/rates?deck={}#rates", d.deck)) { (d.deck) } }
                            td.num { (d.rates) }
                            td { @if d.deck == "default" { "(everyone)" } @else { (d.customers.join(", ")) } }
                            td { (d.description) }
                        }
                    }
                }
            }
        }
    }
}

fn rates_table(rates: &[RateRow]) -> Markup {
    let or_any = |s: &str| if s.is_empty() { "*".to_owned() } else { s.to_owned() };
    html! {
        p.muted { (rates.len()) " rates" @if rates.len() > SHOWN { ": the first " (SHOWN) " are shown, narrow the filters to find the others" } "." }
        // Wider than a phone: the region scrolls, and takes the focus so that keys scroll it.
        div.table-wrap tabindex="0" role="region" aria-label="Rates" {
            table.dense {
                thead {
                    tr {
                        th scope="col" class="num" { "Id" }
                        th scope="col" { "Call type" }
                        th scope="col" { "Owner" }
                        th scope="col" { "Prefix" }
                        th scope="col" class="wide" { "Local" }
                        th scope="col" class="num" { "Per min" }
                        th scope="col" class="num" { "Fee" }
                        th scope="col" class="wide" { "Incr" }
                        th scope="col" class="wide" { "From" }
                        th scope="col" class="wide" { "To" }
                        th scope="col" class="wide" { "Description" }
                    }
                }
                tbody {
                    @for row in rates.iter().take(SHOWN) {
                        @let r = &row.rate;
                        tr {
                            td.num { (r.id) }
                            th scope="row" { (row.call_type) }
                            td { (r.owner) }
                            td { (or_any(&r.prefix)) }
                            td.wide { (or_any(&r.local_prefix)) }
                            td.num { (r.rate) }
                            td.num { (r.connection_fee) }
                            td.wide { (r.initial_increment) "/" (r.subsequent_increment) }
                            td.wide { (row.effective_from.clone().unwrap_or_default()) }
                            td.wide { (row.effective_to.clone().unwrap_or_default()) }
                            td.wide { (row.description) }
                        }
                    }
                    @if rates.is_empty() { tr { td colspan="11" { span.muted { "No rates." } } } }
                }
            }
        }
    }
}

fn unrated_table(types: &[UnratedType]) -> Markup {
    html! {
        @if types.is_empty() {
            p.muted { "Every unbilled answered call has a rate." }
        } @else {
            p.muted { "Unbilled answered calls that no rate prices now: add rates for these call types, then bill them." }
            div.table-wrap tabindex="0" role="region" aria-label="Call types without a rate" {
                table {
                    thead { tr { th scope="col" { "Call type" } th scope="col" class="num" { "Calls" } th scope="col" { "First seen" } th scope="col" { "Last seen" } } }
                    tbody {
                        @for t in types {
                            tr {
                                th scope="row" { a href=(format!("/calls?status=unrated&call_type={}", t.call_type)) { (t.call_type) } }
                                td.num { (t.calls) }
                                td { (t.first_seen) }
                                td { (t.last_seen) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn upload_form(staff: &Staff) -> Markup {
    let action = format!("/rates/import?_csrf={}", staff.user.csrf);
    html! {
        h2 #import { "Import rates" }
        form.card method="post" action=(action) enctype="multipart/form-data" {
            p.muted { "A rates.csv file as " code { "meter rates import" } " takes it: all or nothing; a bad row rejects the whole file and each bad row is listed." }
            label { "Rates file (CSV)" input type="file" name="file" accept=".csv,text/csv" required; }
            div.actions { button type="submit" { "Import" } }
        }
    }
}

/// Why an upload was refused: the file's rows, or one reason.
enum Rejection {
    Rows(FileErrors),
    Reason(String),
}

fn rejection(r: &Rejection) -> Markup {
    match r {
        Rejection::Reason(why) => notice("bad", &format!("Nothing imported: {why}")),
        Rejection::Rows(errors) => {
            let summary = errors.to_string();
            let first = summary.lines().next().unwrap_or_default();
            html! {
                div.notice.bad role="alert" {
                    p { strong { (first) "." } }
                    div.table-wrap tabindex="0" role="region" aria-label="The bad rows" {
                        table.dense {
                            caption.vh { "The bad rows" }
                            thead { tr { th scope="col" class="num" { "Line" } th scope="col" { "Column" } th scope="col" { "Problem" } } }
                            tbody {
                                @for e in &errors.errors {
                                    tr { td.num { (e.line) } td { (e.column.clone().unwrap_or_default()) } td { (e.reason) } }
                                }
                            }
                        }
                    }
                    @if errors.truncated { p { "More rows are bad than are listed." } }
                }
            }
        }
    }
}

/// Imports an uploaded rates.csv as `meter rates import` imports the file.
async fn import(State(app): State<App>, staff: Staff, multipart: Result<Multipart, MultipartRejection>) -> Response {
    if !staff.may(Permission::Bill) {
        let message = format!("A {} may read rates but not import them.", staff.user.role.as_str());
        return problem(&staff, StatusCode::FORBIDDEN, "Not allowed", &message);
    }
    let refuse = |status, why: String| Some((status, Rejection::Reason(why)));
    let (name, bytes) = match upload(multipart).await {
        Ok(Some(file)) => file,
        Ok(None) => {
            let why = refuse(StatusCode::BAD_REQUEST, "choose a rates file to import.".into());
            return render(&app, &staff, &Filters::default(), why).await;
        }
        Err(why) => return render(&app, &staff, &Filters::default(), refuse(StatusCode::BAD_REQUEST, why)).await,
    };
    let imported = billing::run!(app.billing, |s| billing::import::import_rates_from(s, &name, bytes)).await;
    match imported {
        Ok(sum) => {
            let summary = format!("{},{},{}", sum.imported, sum.updated, sum.duplicates);
            Redirect::to(&format!("/rates?imported={summary}")).into_response()
        }
        Err(BillingError::File(errors)) => {
            let rejected = Some((StatusCode::UNPROCESSABLE_ENTITY, Rejection::Rows(errors)));
            render(&app, &staff, &Filters::default(), rejected).await
        }
        Err(e) => {
            let (status, message) = failure(e);
            render(&app, &staff, &Filters::default(), refuse(status, message)).await
        }
    }
}

/// The uploaded file's name and bytes; `None` when no file was chosen.
async fn upload(multipart: Result<Multipart, MultipartRejection>) -> Result<Option<(String, Vec<u8>)>, String> {
    let mut multipart = multipart.map_err(|e| format!("the form is not an upload ({}).", e.body_text()))?;
    while let Some(field) = multipart.next_field().await.map_err(|e| format!("the upload broke off ({e})."))? {
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().unwrap_or("rates.csv").to_owned();
        let bytes = field.bytes().await.map_err(|e| format!("the upload broke off ({e})."))?;
        if name.is_empty() && bytes.is_empty() {
            return Ok(None);
        }
        return Ok(Some((name, bytes.to_vec())));
    }
    Ok(None)
}
