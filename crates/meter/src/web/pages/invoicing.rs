//! Billing: a customer, call types and days searched as `meter invoice preview` does
//! (billing::metered::review): the sources' connectivity, the calls found, rated, unrated and
//! already billed, and the lines as they would be; then the draft created as `meter invoice
//! create` does, refused while the customer's calls may be incomplete.

use super::super::auth::Staff;
use super::super::App;
use super::figures::{self, badge, failure, lines_table, money};
use super::invoices::customer_select;
use super::{csrf, notice, page, problem};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use billing::access::Permission;
use billing::invoice::InvoiceRequest;
use billing::metered::check::{Advice, Fix, SourceCheck};
use billing::metered::guard::{Guard, Hold};
use billing::metered::review::Review;
use billing::BillingError;
use maud::{html, Markup};
use serde::Deserialize;

pub fn routes() -> Router<App> {
    Router::new().route("/billing", get(search).post(create))
}

/// The search as the form sends it (and the creation's hidden fields).
#[derive(Debug, Default, Clone, Deserialize)]
struct Search {
    #[serde(default)]
    customer: String,
    /// Comma-separated; empty: every call type.
    #[serde(default)]
    call_types: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

impl Search {
    fn is_empty(&self) -> bool {
        [&self.customer, &self.call_types, &self.from, &self.to].iter().all(|v| v.trim().is_empty())
    }

    /// The request it asks for, or what is wrong with it.
    fn request(&self) -> Result<InvoiceRequest, String> {
        let customer = self.customer.trim();
        if customer.is_empty() {
            return Err("Choose a customer.".into());
        }
        let date = |name: &str, v: &str| match v.trim() {
            "" => Err(format!("{name}: give a date.")),
            v => billing::time::parse_date(v).map_err(|e| format!("{name}: {e}.")),
        };
        let (from, to) = (date("From", &self.from)?, date("To", &self.to)?);
        let mut types = Vec::new();
        for t in self.call_types.split([',', ' ']).map(str::trim).filter(|t| !t.is_empty()) {
            let t = rating::CallType::parse(t).map_err(|e| format!("Call types: {e}."))?.to_string();
            if !types.contains(&t) {
                types.push(t);
            }
        }
        let call_types = (!types.is_empty()).then_some(types);
        Ok(InvoiceRequest { customer: customer.to_owned(), from, to, call_types })
    }
}

async fn search(State(app): State<App>, staff: Staff, Query(q): Query<Search>) -> Response {
    render(&app, &staff, &q, StatusCode::OK, None).await
}

/// The page for a search; `failed` says why the last creation was refused (answered with its
/// status).
async fn render(app: &App, staff: &Staff, q: &Search, status: StatusCode, failed: Option<String>) -> Response {
    let asked = if q.is_empty() { None } else { Some(q.request()) };
    let (key, now) = (app.key.clone(), crate::clock::now());
    let request = asked.clone().and_then(Result::ok);
    let answer = billing::run!(app.billing, |s| {
        let customers = billing::customers::list_customers(s)?;
        let review = request.as_ref().map(|req| billing::metered::review::review(s, req, key.as_ref(), now));
        Ok::<_, BillingError>((customers, review))
    })
    .await;
    let (customers, review) = match answer {
        Ok(a) => a,
        Err(e) => {
            let (s, m) = failure(e);
            return problem(staff, s, "Billing", &m);
        }
    };
    let mut status = status;
    let mut problem_text = failed;
    let review = match (asked, review) {
        (Some(Err(why)), _) => {
            (status, problem_text) = (StatusCode::BAD_REQUEST, Some(why));
            None
        }
        (_, Some(Err(e))) => {
            let (s, m) = failure(e);
            (status, problem_text) = (s, Some(m));
            None
        }
        (_, Some(Ok(r))) => Some(r),
        _ => None,
    };
    let body = html! {
        @if let Some(p) = &problem_text { (notice("bad", p)) }
        form.filters method="get" action="/billing" {
            label { "Customer" (customer_select(&customers, q.customer.trim(), false)) }
            label { "Call types (blank: all)" input type="text" name="call_types" value=(q.call_types) placeholder="domestic, international"; }
            label { "From" input type="date" name="from" value=(q.from) required; }
            label { "To" input type="date" name="to" value=(q.to) required; }
            button type="submit" { "Search" }
        }
        @if let Some(r) = &review { (summary(staff, q, r)) }
        @else { p.muted { "Choose a customer and the days to bill (in the customer's time zone): the invoice they would make is shown before anything is saved." } }
    };
    (status, page(staff, "Billing", "/billing", body)).into_response()
}

/// What the search found, and the creation's form.
fn summary(staff: &Staff, q: &Search, r: &Review) -> Markup {
    let p = &r.preview;
    let doc = &p.doc;
    let nothing = p.reason.is_some();
    html! {
        h2 { "Summary" }
        div.card {
            dl.facts {
                dt { "Customer" } dd { a href=(format!("/customers/{}", doc.customer)) { (doc.customer) } }
                dt { "Days" } dd { (doc.from) " to " (doc.to) }
                dt { "Call types" } dd { (doc.call_types.as_ref().map_or_else(|| "all".to_owned(), |t| t.join(", "))) }
                dt { "Calls found" } dd { (p.calls) " answered" }
                dt { "Rates found" } dd { "for " (p.rated) " calls" }
                dt { "Unrated" } dd {
                    @for (i, u) in doc.unrated.iter().enumerate() {
                        @if i > 0 { ", " }
                        (u.calls) " " (u.call_type)
                    }
                    @if doc.unrated.is_empty() { "none" }
                }
                dt { "Already billed" } dd { (doc.already_billed) " calls" }
                dt { "Total" } dd { strong { (money(&doc.currency, &doc.total)) } }
            }
        }
        h2 { "Connectivity" }
        (connectivity(&r.checks))
        @if !r.holds.is_empty() { (holds(&doc.customer, &r.holds)) }
        h2 { "Lines as they would be" }
        (lines_table(doc, None))
        (figures::warnings(doc, &p.unrated_notes, p.reason.as_deref()))
        @if staff.may(Permission::Bill) {
            form.actions.submit method="post" action="/billing" {
                (csrf(staff))
                input type="hidden" name="customer" value=(q.customer.trim());
                input type="hidden" name="call_types" value=(q.call_types);
                input type="hidden" name="from" value=(q.from);
                input type="hidden" name="to" value=(q.to);
                @if nothing {
                    button type="submit" disabled aria-describedby="nothing" { "Create draft invoice" }
                    span.muted #nothing { "Nothing to bill: no invoice can be made of these days." }
                } @else {
                    button type="submit" { "Create draft invoice" }
                    span.muted { "Saves the draft with these lines: its calls are then billed." }
                }
            }
        }
    }
}

/// The customer's metered sources: each check green or red, with the reason and what to do.
pub(super) fn connectivity(checks: &[SourceCheck]) -> Markup {
    html! {
        @if checks.is_empty() {
            p.muted { "No metered source is configured for this customer: the calls are those imported from files." }
        }
        @for s in checks {
            div.card {
                h3 {
                    (badge(if s.ok { "ok" } else { "failed" })) " " (s.source)
                    @if let Some(d) = &s.domain { span.muted { " (domain " (d) ")" } }
                }
                ul.checks {
                    @for c in &s.checks {
                        li {
                            (badge(if c.ok { "ok" } else { "failed" })) " " strong { (c.check) } ": " (c.detail)
                            @if let Some(f) = &c.fix { br; span.fix { "Fix: " (fix(f)) } }
                        }
                    }
                }
            }
        }
    }
}

/// Why creating the invoice is refused now, and what to do.
fn holds(customer: &str, holds: &[Hold]) -> Markup {
    html! {
        div.notice.warn role="status" {
            p { strong { "Creating this invoice is refused now: its calls may be incomplete." } }
            ul {
                @for h in holds {
                    li {
                        (h) ". "
                        @match h {
                            Hold::SyncRunning { job, .. } => {
                                "Let it finish: " a href=(format!("/jobs/{job}")) { "follow job " (job) } "."
                            }
                            Hold::Records { source, .. } => {
                                "Sync the customer's calls of these days from " (source) " again, from "
                                a href=(format!("/customers/{customer}")) { "the customer's page" } "."
                            }
                            Hold::Unreachable { .. } => {
                                "Check the source from " a href=(format!("/customers/{customer}")) { "the customer's page" } "."
                            }
                        }
                    }
                }
            }
        }
    }
}

/// What to do about a failed check, in words for the web application's users.
fn fix(f: &Fix) -> String {
    let sources = "Settings, Sources";
    match f {
        Fix::SetUp { source } => format!("set the source {source} up in {sources}."),
        Fix::SecretKey => "start the server with the secret key the source settings were saved with \
                           (METER_SECRET_KEY or METER_SECRET_KEY_FILE; see docs/operations.md)."
            .into(),
        Fix::Settings { source } => format!("enter the settings of {source} again in {sources}."),
        Fix::Domain { source, customer } => format!("correct the domain of {customer} on {source} (customers.csv)."),
        Fix::AssignNumbers => "assign the customer's phone numbers (DIDs) on the platform.".into(),
        Fix::Sync { customer, source, days: Some((from, to)) } => {
            format!("sync the calls of {customer} from {source}, {from} to {to}, from the customer's page.")
        }
        Fix::Sync { customer, source, days: None } => {
            format!("sync the calls of {customer} from {source} from the customer's page.")
        }
        Fix::Rerun { customer, source } => {
            format!("sync {customer} from {source} again from the customer's page: the failed sync resumes.")
        }
        Fix::Rates => "add rates for these call types (Rates).".into(),
        Fix::Platform { source, customer, advice } => match advice {
            Advice::Settings => format!("complete or correct the settings of {source} in {sources}."),
            Advice::Credentials => format!("check the credentials of {source} in {sources}."),
            Advice::Reach => format!(
                "check the URL of {source} in {sources}, and that the server can reach it (DNS, firewall, proxy)."
            ),
            Advice::Permission => {
                "the platform account lacks permission: use an Office Manager, Reseller or Super User account.".into()
            }
            Advice::NotFound => {
                format!("check the domain of {customer} on {source}, and the source's URL in {sources}.")
            }
            Advice::RateLimited => "the platform is rate limiting: sync again later.".into(),
            Advice::Failing => "the platform is failing: sync again later.".into(),
            Advice::Refused => format!("check the settings of {source} in {sources}; see docs/sources.md."),
            Advice::Unknown => {
                "the platform answered in a form meter does not know: report the error (docs/sources.md).".into()
            }
            Advice::Domain => {
                format!(
                    "correct the domain of {customer} on {source} (customers.csv), or the source's URL in {sources}."
                )
            }
            Advice::Moved => {
                format!("check the URL of {source} in {sources}: if the platform really moved, set its new address.")
            }
        },
    }
}

/// Creates the draft of a search, refused as `meter invoice create` refuses it; then its page.
async fn create(State(app): State<App>, staff: Staff, Form(q): Form<Search>) -> Response {
    if !staff.may(Permission::Bill) {
        let message = format!("A {} may search but not create invoices.", staff.user.role.as_str());
        return problem(&staff, StatusCode::FORBIDDEN, "Not allowed", &message);
    }
    let req = match q.request() {
        Ok(req) => req,
        Err(why) => return render(&app, &staff, &q, StatusCode::BAD_REQUEST, Some(why)).await,
    };
    let (key, now, who) = (app.key.clone(), crate::clock::now(), figures::actor(&staff));
    let created =
        billing::run!(app.billing, |s| billing::invoice::create(s, &req, now, &who, Guard::On(key.as_ref()))).await;
    match created {
        Ok(doc) => {
            Redirect::to(&format!("/invoices/{}?done=created", doc.id.as_deref().unwrap_or_default())).into_response()
        }
        Err(e) => {
            let (status, message) = failure(e);
            render(&app, &staff, &q, status, Some(format!("Not created: {message}"))).await
        }
    }
}
