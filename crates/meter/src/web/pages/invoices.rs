//! Invoices: the list with its filters, and an invoice with its lines, state and history; on a
//! draft, manual lines added and removed, finalizing and deleting (confirmed on a page of its
//! own); on a final invoice, voiding with a reason (billing::invoice and billing::life).

use super::super::auth::Staff;
use super::super::App;
use super::figures::{self, badge, failure, lines_table, local, money, zone, Removal};
use super::{csrf, notice, page, problem};
use crate::cli::DocumentFormat;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use billing::access::Permission;
use billing::customers::CustomerRow;
use billing::doc::{InvoiceDoc, InvoiceRow};
use billing::life::{By, ListFilter};
use billing::BillingError;
use maud::{html, Markup};
use serde::Deserialize;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/invoices", get(list))
        .route("/invoices/{id}", get(show))
        .route("/invoices/{id}/lines", post(add_line))
        .route("/invoices/{id}/lines/{n}/remove", post(remove_line))
        .route("/invoices/{id}/finalize", post(finalize))
        .route("/invoices/{id}/void", post(void))
        .route("/invoices/{id}/delete", get(confirm_delete).post(delete))
        .route("/invoices/{id}/document", get(document))
}

/// Which document to download.
#[derive(Debug, Deserialize)]
struct DocumentQuery {
    format: DocumentFormat,
    #[serde(default)]
    with_calls: bool,
    paper: Option<String>,
}

/// The invoice's document, as `meter invoice render` writes it, offered as a download.
async fn document(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<String>,
    Query(q): Query<DocumentQuery>,
) -> Response {
    let paper = match crate::document::paper(q.paper.as_deref()) {
        Ok(paper) => paper,
        Err(why) => {
            let message = format!("{}.", figures::sentence(&why));
            return problem(&staff, StatusCode::BAD_REQUEST, "Invoice document", &message);
        }
    };
    let format = q.format;
    let rendered = billing::run!(app.billing, |s| crate::document::rendered(s, &id, format, q.with_calls, paper)).await;
    match rendered {
        Ok(r) => super::super::download(format, r),
        Err(e) => {
            let e = super::super::error::ApiError::from_rendering(e);
            problem(&staff, e.status, "Invoice document", &figures::sentence(&e.message))
        }
    }
}

/// The document's downloads: the PDF as the customer is sent it, with or without its calls, and
/// the calls as CSV.
fn downloads(doc: &InvoiceDoc) -> Markup {
    let id = doc.id.as_deref().unwrap_or_default();
    let link = |query: &str| format!("/invoices/{id}/document?{query}");
    html! {
        h2 { "Document" }
        ul.downloads {
            li { a href=(link("format=pdf")) download { "PDF" } }
            li { a href=(link("format=pdf&with_calls=true")) download { "PDF with every call" } }
            li { a href=(link("format=html")) download { "HTML" } }
            li { a href=(link("format=csv")) download { "Calls (CSV)" } }
        }
    }
}

/// The list's filters, as the form sends them (empty: not filtered).
#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    #[serde(default)]
    customer: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    /// After a deletion: the invoice deleted and the calls it released.
    deleted: Option<String>,
    released: Option<String>,
}

fn given(s: &str) -> Option<&str> {
    Some(s.trim()).filter(|s| !s.is_empty())
}

impl ListQuery {
    /// The filter the form asks for, or what is wrong with it.
    fn filter(&self) -> Result<ListFilter, String> {
        let status = match given(&self.status) {
            None => None,
            Some(s) => Some(
                store::InvoiceStatus::parse(s).ok_or_else(|| format!("Status `{s}`: one of draft, final, void."))?,
            ),
        };
        let date = |name: &str, v: &str| billing::time::parse_date(v).map_err(|e| format!("{name}: {e}."));
        let days = match (given(&self.from), given(&self.to)) {
            (Some(f), Some(t)) => Some((date("From", f)?, date("To", t)?)),
            (None, None) => None,
            _ => return Err("Give both dates, from and to, or neither.".into()),
        };
        Ok(ListFilter { customer: given(&self.customer).map(str::to_owned), status, days })
    }
}

async fn list(State(app): State<App>, staff: Staff, Query(q): Query<ListQuery>) -> Response {
    let (filter, mut status, mut problem_text) = match q.filter() {
        Ok(f) => (Some(f), StatusCode::OK, None),
        Err(e) => (None, StatusCode::BAD_REQUEST, Some(e)),
    };
    let asked = filter.clone();
    let answer = billing::run!(app.billing, |s| {
        let customers = billing::customers::list_customers(s)?;
        let rows = match &asked {
            Some(f) => billing::life::list(s, f).map(Some),
            None => Ok(None),
        };
        Ok::<_, BillingError>((customers, rows))
    })
    .await;
    let (customers, rows) = match answer {
        Ok((customers, Ok(rows))) => (customers, rows),
        Ok((customers, Err(e))) => {
            let (s, m) = failure(e);
            (status, problem_text) = (s, Some(m));
            (customers, None)
        }
        Err(e) => {
            let (s, m) = failure(e);
            return problem(&staff, s, "Invoices", &m);
        }
    };
    let body = html! {
        @if let (Some(id), Some(n)) = (&q.deleted, q.released.as_deref().and_then(|n| n.parse::<u64>().ok())) {
            (notice("ok", &format!("Deleted draft invoice {id}: {n} calls released to be billed again.")))
        }
        @if let Some(p) = &problem_text { (notice("bad", p)) }
        form.filters method="get" action="/invoices" {
            label { "Customer" (customer_select(&customers, &q.customer, true)) }
            label {
                "Status"
                select name="status" {
                    option value="" selected[q.status.is_empty()] { "Any" }
                    @for s in store::InvoiceStatus::ALL {
                        option value=(s.as_str()) selected[q.status == s.as_str()] { (s.as_str()) }
                    }
                }
            }
            label { "From" input type="date" name="from" value=(q.from); }
            label { "To" input type="date" name="to" value=(q.to); }
            button type="submit" { "Filter" }
            a href="/invoices" { "Clear filters" }
        }
        @if let Some(rows) = &rows { (table(rows)) }
    };
    (status, page(&staff, "Invoices", "/invoices", body)).into_response()
}

/// A select of the customers; `any` adds a first choice of none.
pub fn customer_select(customers: &[CustomerRow], chosen: &str, any: bool) -> Markup {
    html! {
        select name="customer" required[!any] {
            @if any { option value="" selected[chosen.is_empty()] { "All customers" } }
            @else { option value="" selected[chosen.is_empty()] disabled { "Choose a customer" } }
            @for c in customers {
                option value=(c.id) selected[c.id == chosen] { (c.name) " (" (c.id) ")" }
            }
        }
    }
}

/// The most invoices the list shows: narrower filters find the others.
const SHOWN: usize = 500;

fn table(rows: &[InvoiceRow]) -> Markup {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    html! {
        @if rows.len() > SHOWN {
            (notice("warn", &format!("The newest {SHOWN} of {} invoices are shown: narrow the filters to find the others.", rows.len())))
        }
        div.table-wrap tabindex="0" role="region" aria-label="Invoices" {
            table {
                caption.vh { "Invoices, newest first" }
                thead {
                    tr {
                        th scope="col" { "Invoice" }
                        th scope="col" { "Number" }
                        th scope="col" { "Customer" }
                        th scope="col" { "Period" }
                        th scope="col" { "Status" }
                        th scope="col" class="num" { "Total" }
                        th scope="col" { "Issued" }
                        th scope="col" { "Due" }
                    }
                }
                tbody {
                    @for r in rows.iter().take(SHOWN) {
                        tr {
                            th.nowrap scope="row" { a href=(format!("/invoices/{}", r.id)) { "Invoice " (r.id) } }
                            td { (opt(&r.number)) }
                            td { (r.customer) }
                            td.nowrap { (r.from) " to " (r.to) }
                            td { (badge(&r.status)) }
                            td.num { (money(&r.currency, &r.total)) }
                            td { (opt(&r.issued)) }
                            td { (opt(&r.due)) }
                        }
                    }
                }
            }
        }
        p.muted { (rows.len()) " invoices" }
    }
}

/// After a change: what was done (`done`), and the calls a void released.
#[derive(Debug, Default, Deserialize)]
struct Done {
    done: Option<String>,
    released: Option<String>,
}

/// An invoice with the customer it bills.
async fn load(app: &App, id: String) -> Result<(InvoiceDoc, CustomerRow), BillingError> {
    billing::run!(app.billing, |s| {
        let doc = billing::invoice::show(s, &id)?;
        let customer = billing::customers::customer_row(s, &doc.customer)?;
        Ok::<_, BillingError>((doc, customer))
    })
    .await
}

/// What the staff member typed in a form that failed, shown again with why.
#[derive(Debug, Default)]
struct Typed {
    message: String,
    description: String,
    amount: String,
    reason: String,
}

async fn show(State(app): State<App>, staff: Staff, Path(id): Path<String>, Query(d): Query<Done>) -> Response {
    render(&app, &staff, id, StatusCode::OK, &d, None).await
}

/// The invoice's page; `typed` is a form that failed (its status answers).
async fn render(app: &App, staff: &Staff, id: String, status: StatusCode, d: &Done, typed: Option<Typed>) -> Response {
    let (doc, customer) = match load(app, id).await {
        Ok(loaded) => loaded,
        Err(e) => {
            let (s, m) = failure(e);
            return problem(staff, s, "Invoice", &m);
        }
    };
    let title = match doc.number.clone().flatten() {
        Some(n) => format!("Invoice {n}"),
        None => format!("Invoice {}", doc.id.as_deref().unwrap_or_default()),
    };
    let body = html! {
        @if let Some(done) = d.done.as_deref().and_then(|k| done_words(k, &doc, d.released.as_deref())) { (notice("ok", &done)) }
        @if let Some(t) = &typed { (notice("bad", &t.message)) }
        (facts(&doc, &customer))
        h2 { "Lines" }
        (lines_table(&doc, editable(staff, &doc).then(|| Removal { invoice: doc.id.as_deref().unwrap_or_default(), staff })))
        (figures::warnings(&doc, &[], None))
        (downloads(&doc))
        @if staff.may(Permission::Bill) { (actions(staff, &doc, typed.as_ref())) }
        h2 { "History" }
        (history(&doc, &customer))
    };
    (status, page(staff, &title, "/invoices", body)).into_response()
}

/// Whether this staff member may change this invoice's lines.
fn editable(staff: &Staff, doc: &InvoiceDoc) -> bool {
    staff.may(Permission::Bill) && doc.status.as_deref() == Some("draft")
}

/// The notice after a change.
fn done_words(kind: &str, doc: &InvoiceDoc, released: Option<&str>) -> Option<String> {
    let flat = |v: &Option<Option<String>>| v.clone().flatten().unwrap_or_default();
    Some(match kind {
        "created" => "Draft invoice created: check its lines, then finalize it.".to_owned(),
        "line_added" => "Line added.".to_owned(),
        "line_removed" => "Line removed.".to_owned(),
        "finalized" => {
            format!("Finalized as {}: issued {}, due {}.", flat(&doc.number), flat(&doc.issued), flat(&doc.due))
        }
        "voided" => format!(
            "Invoice voided: {} calls, its allowance draws and subscription days released to be billed again.",
            released.and_then(|n| n.parse::<u64>().ok()).unwrap_or(0)
        ),
        _ => return None,
    })
}

fn facts(doc: &InvoiceDoc, customer: &CustomerRow) -> Markup {
    let flat = |v: &Option<Option<String>>| v.clone().flatten();
    let status = doc.status.as_deref().unwrap_or_default();
    html! {
        div.card {
            dl.facts {
                dt { "Status" } dd { (badge(status)) }
                dt { "Invoice" } dd { (doc.id.as_deref().unwrap_or_default()) }
                dt { "Number" } dd { (flat(&doc.number).unwrap_or_else(|| "none until finalized".into())) }
                dt { "Customer" } dd { a href=(format!("/customers/{}", customer.id)) { (customer.name) " (" (customer.id) ")" } }
                dt { "Period" } dd { (doc.from) " to " (doc.to) }
                dt { "Call types" } dd { (doc.call_types.as_ref().map_or_else(|| "all".to_owned(), |t| t.join(", "))) }
                @if let Some(issued) = flat(&doc.issued) { dt { "Issued" } dd { (issued) } }
                @if let Some(due) = flat(&doc.due) { dt { "Due" } dd { (due) } }
                dt { "Total" } dd { strong { (money(&doc.currency, &doc.total)) } }
                @if doc.status.as_deref() != Some("void") {
                    dt { "Calls" } dd { a href=(format!("/calls?invoice={}", doc.id.as_deref().unwrap_or_default())) { "The calls it bills" } }
                }
            }
        }
    }
}

/// The forms of a billing staff member: on a draft, a manual line, finalize and delete; on a
/// final invoice, void.
fn actions(staff: &Staff, doc: &InvoiceDoc, typed: Option<&Typed>) -> Markup {
    let id = doc.id.as_deref().unwrap_or_default();
    let (description, amount, reason) =
        typed.map_or(("", "", ""), |t| (t.description.as_str(), t.amount.as_str(), t.reason.as_str()));
    html! {
        @match doc.status.as_deref() {
            Some("draft") => {
                h2 { "Change the draft" }
                div.grid {
                    form.card.stack method="post" action=(format!("/invoices/{id}/lines")) {
                        h3 { "Add a manual line" }
                        (csrf(staff))
                        label { "Description" input type="text" name="description" value=(description) required maxlength="1000"; }
                        label {
                            "Amount in " (doc.currency) " (negative for a credit)"
                            input type="text" name="amount" value=(amount) required inputmode="decimal" pattern="-?[0-9]+([.][0-9]{1,2})?" placeholder="-25.00";
                        }
                        div.actions { button type="submit" { "Add line" } }
                    }
                    div.card.stack {
                        h3 { "Finalize or delete" }
                        p.muted { "Finalizing gives the invoice the next number and its issue and due dates; a final invoice never changes again (it can only be voided)." }
                        div.actions {
                            form.inline method="post" action=(format!("/invoices/{id}/finalize")) {
                                (csrf(staff))
                                button type="submit" { "Finalize invoice" }
                            }
                            a.button.secondary href=(format!("/invoices/{id}/delete")) { "Delete draft…" }
                        }
                    }
                }
            }
            Some("final") => {
                h2 { "Void" }
                form.card.stack method="post" action=(format!("/invoices/{id}/void")) {
                    p.muted { "A void invoice keeps its number, lines and document; its calls, allowance draws and subscription days are released to be billed again by a corrected invoice." }
                    (csrf(staff))
                    label { "Reason" textarea name="reason" required maxlength="1000" rows="2" { (reason) } }
                    div.actions { button.danger type="submit" { "Void invoice" } }
                }
            }
            _ => {}
        }
    }
}

fn history(doc: &InvoiceDoc, customer: &CustomerRow) -> Markup {
    let tz = zone(&customer.timezone);
    let events = doc.events.as_deref().unwrap_or_default();
    html! {
        div.table-wrap tabindex="0" role="region" aria-label="History" {
            table {
                caption.vh { "Changes of state, oldest first, times in " (tz) }
                thead {
                    tr {
                        th scope="col" { "When (" (tz) ")" }
                        th scope="col" { "What" }
                        th scope="col" { "By" }
                        th scope="col" { "Detail" }
                    }
                }
                tbody {
                    @for e in events {
                        tr {
                            td.nowrap { (local(&e.at, tz)) }
                            th scope="row" { (e.what.replace('_', " ")) }
                            td { (e.by) }
                            td {
                                @if let Some(r) = &e.reason { "Reason: " (r) }
                                @if let Some(l) = &e.line { "Line " (l) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A change only billing staff make: refused with a page of its own for the others.
fn refused(staff: &Staff) -> Option<Response> {
    (!staff.may(Permission::Bill)).then(|| {
        let message = format!("A {} may read invoices but not change them.", staff.user.role.as_str());
        problem(staff, StatusCode::FORBIDDEN, "Not allowed", &message)
    })
}

fn to_invoice(id: &str, done: &str) -> Response {
    Redirect::to(&format!("/invoices/{id}?done={done}")).into_response()
}

#[derive(Debug, Default, Deserialize)]
struct LineForm {
    #[serde(default)]
    description: String,
    #[serde(default)]
    amount: String,
}

async fn add_line(State(app): State<App>, staff: Staff, Path(id): Path<String>, Form(f): Form<LineForm>) -> Response {
    if let Some(r) = refused(&staff) {
        return r;
    }
    let (who, at) = (figures::actor(&staff), crate::clock::now());
    let (asked, line) = (id.clone(), (f.description.clone(), f.amount.clone()));
    let done =
        billing::run!(app.billing, |s| billing::life::add_line(s, &asked, &line.0, &line.1, By { who: &who, at }))
            .await;
    match done {
        Ok(doc) => to_invoice(doc.id.as_deref().unwrap_or(&id), "line_added"),
        Err(e) => {
            let (status, message) = failure(e);
            let typed = Typed { message, description: f.description, amount: f.amount, ..Typed::default() };
            render(&app, &staff, id, status, &Done::default(), Some(typed)).await
        }
    }
}

async fn remove_line(State(app): State<App>, staff: Staff, Path((id, n)): Path<(String, String)>) -> Response {
    if let Some(r) = refused(&staff) {
        return r;
    }
    // A line that is no number is no line (line 0 never is one).
    let n = n.trim().parse::<usize>().unwrap_or(0);
    let (who, at, asked) = (figures::actor(&staff), crate::clock::now(), id.clone());
    match billing::run!(app.billing, |s| billing::life::remove_line(s, &asked, n, By { who: &who, at })).await {
        Ok(doc) => to_invoice(doc.id.as_deref().unwrap_or(&id), "line_removed"),
        Err(e) => failed(&app, &staff, id, e).await,
    }
}

/// The invoice's page again, saying why a change failed.
async fn failed(app: &App, staff: &Staff, id: String, e: BillingError) -> Response {
    let (status, message) = failure(e);
    render(app, staff, id, status, &Done::default(), Some(Typed { message, ..Typed::default() })).await
}

async fn finalize(State(app): State<App>, staff: Staff, Path(id): Path<String>) -> Response {
    if let Some(r) = refused(&staff) {
        return r;
    }
    let (who, at, asked) = (figures::actor(&staff), crate::clock::now(), id.clone());
    match billing::run!(app.billing, |s| billing::life::finalize(s, &asked, By { who: &who, at })).await {
        Ok(doc) => to_invoice(doc.id.as_deref().unwrap_or(&id), "finalized"),
        Err(e) => failed(&app, &staff, id, e).await,
    }
}

#[derive(Debug, Default, Deserialize)]
struct VoidForm {
    #[serde(default)]
    reason: String,
}

async fn void(State(app): State<App>, staff: Staff, Path(id): Path<String>, Form(f): Form<VoidForm>) -> Response {
    if let Some(r) = refused(&staff) {
        return r;
    }
    let (who, at, asked, reason) = (figures::actor(&staff), crate::clock::now(), id.clone(), f.reason.clone());
    match billing::run!(app.billing, |s| billing::life::void(s, &asked, &reason, By { who: &who, at })).await {
        Ok((doc, released)) => {
            Redirect::to(&format!("/invoices/{}?done=voided&released={released}", doc.id.as_deref().unwrap_or(&id)))
                .into_response()
        }
        Err(e) => {
            let (status, message) = failure(e);
            let typed = Typed { message, reason: f.reason, ..Typed::default() };
            render(&app, &staff, id, status, &Done::default(), Some(typed)).await
        }
    }
}

/// The deletion's confirmation: a page of its own, so that it works without JavaScript.
async fn confirm_delete(State(app): State<App>, staff: Staff, Path(id): Path<String>) -> Response {
    if let Some(r) = refused(&staff) {
        return r;
    }
    let (doc, customer) = match load(&app, id).await {
        Ok(loaded) => loaded,
        Err(e) => {
            let (s, m) = failure(e);
            return problem(&staff, s, "Invoice", &m);
        }
    };
    let id = doc.id.clone().unwrap_or_default();
    if doc.status.as_deref() != Some("draft") {
        let message = format!(
            "Invoice {id} is {}: only a draft is deleted (a final invoice is voided).",
            doc.status.as_deref().unwrap_or_default()
        );
        return problem(&staff, StatusCode::CONFLICT, "Delete invoice", &message);
    }
    let body = html! {
        div.card.stack {
            p {
                "Delete draft invoice " strong { (id) } " of " (customer.name) " (" (customer.id) "), "
                (doc.from) " to " (doc.to) ", " (money(&doc.currency, &doc.total)) "?"
            }
            p { "Its calls, allowance draws and subscription days will be released, to be billed again by another invoice. The draft cannot be brought back." }
            div.actions {
                form.inline method="post" action=(format!("/invoices/{id}/delete")) {
                    (csrf(&staff))
                    button.danger type="submit" { "Delete draft " (id) }
                }
                a.button.secondary href=(format!("/invoices/{id}")) { "Cancel, keep it" }
            }
        }
    };
    page(&staff, &format!("Delete invoice {id}?"), "/invoices", body).into_response()
}

async fn delete(State(app): State<App>, staff: Staff, Path(id): Path<String>) -> Response {
    if let Some(r) = refused(&staff) {
        return r;
    }
    let asked = id.clone();
    match billing::run!(app.billing, |s| billing::invoice::delete(s, &asked)).await {
        Ok(released) => {
            let id = url::form_urlencoded::byte_serialize(id.trim().as_bytes()).collect::<String>();
            Redirect::to(&format!("/invoices?deleted={id}&released={released}")).into_response()
        }
        Err(e) => failed(&app, &staff, id, e).await,
    }
}
