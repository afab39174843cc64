//! Customers: the list searched by id, name or domain, and a customer's profile in tabs: the
//! overview (as `meter customers show`, with its subscriptions, open invoices and the allowances
//! left this period), one tab per metered source (its domain and synced numbers), and Metered
//! Billing (the connectivity summary of `meter sources check`, and a sync started as
//! `POST /api/v1/syncs` starts it).

use super::super::auth::Staff;
use super::super::syncs::{self, Begun};
use super::super::App;
use super::figures::{failure, money};
use super::invoicing::connectivity;
use super::plans::{allowance_table, field_errors};
use super::{csrf, notice, page, problem};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use billing::access::Permission;
use billing::allowance::AllowanceDoc;
use billing::customers::{CustomerDetail, CustomerRow};
use billing::doc::InvoiceRow;
use billing::edit::PlanChange;
use billing::life::ListFilter;
use billing::metered::check::SourceCheck;
use billing::metered::SyncRequest;
use billing::subscriptions::SubscriptionDoc;
use billing::BillingError;
use maud::{html, Markup};
use serde::Deserialize;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/customers", get(list))
        .route("/customers/{id}", get(profile))
        .route("/customers/{id}/sync", post(sync))
        .route("/customers/{id}/plans", post(change_plans))
}

#[derive(Debug, Default, Deserialize)]
struct Search {
    #[serde(default)]
    q: String,
}

async fn list(State(app): State<App>, staff: Staff, Query(search): Query<Search>) -> Response {
    let q = search.q.clone();
    let found = billing::run!(app.billing, |s| billing::customers::find_customers(s, &q)).await;
    let rows = match found {
        Ok(rows) => rows,
        Err(e) => {
            let (s, m) = failure(e);
            return problem(&staff, s, "Customers", &m);
        }
    };
    let body = html! {
        form.filters method="get" action="/customers" role="search" {
            label { "Search (id, name or domain)" input type="search" name="q" value=(search.q); }
            button type="submit" { "Search" }
            @if !search.q.is_empty() { a href="/customers" { "Clear" } }
        }
        p.muted { (rows.len()) " customers" @if !search.q.trim().is_empty() { " matching “" (search.q.trim()) "”" } "." }
        div.table-wrap tabindex="0" role="region" aria-label="Customers" {
            table {
                thead { tr { th { "Id" } th { "Name" } th { "Time zone" } th { "Billing day" } th { "Currency" } th { "Deck" } th { "Plans" } th { "Domains" } } }
                tbody {
                    @for c in &rows {
                        tr {
                            td { a href=(format!("/customers/{}", c.id)) { (c.id) } }
                            td { (c.name) }
                            td { (c.timezone) }
                            td.num { (c.billing_day) }
                            td { (c.currency) }
                            td { (c.deck.as_deref().unwrap_or("—")) }
                            td { (c.plans.join(", ")) }
                            td { @for (i, d) in c.domains.iter().enumerate() { @if i > 0 { br; } (d.source) ": " (d.domain) } }
                        }
                    }
                }
            }
        }
    };
    page(&staff, "Customers", "/customers", body).into_response()
}

#[derive(Debug, Default, Deserialize)]
struct Tab {
    tab: Option<String>,
    done: Option<String>,
}

/// What a failed form leaves on the page shown again: the messages and what was typed.
#[derive(Debug, Default)]
struct Failed {
    status: Option<StatusCode>,
    messages: Vec<String>,
    plans: Option<String>,
    from: String,
    to: String,
}

async fn profile(State(app): State<App>, staff: Staff, Path(id): Path<String>, Query(t): Query<Tab>) -> Response {
    let tab = t.tab.clone().unwrap_or_else(|| "overview".into());
    let done = t.done.as_deref().and_then(done_words).map(str::to_owned);
    render(&app, &staff, &id, &tab, done, Failed::default()).await
}

fn done_words(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "plans" => "Plans saved.",
        "nothing" => "Nothing to sync: the customer has no domain on a configured source for these days.",
        _ => return None,
    })
}

/// What the overview shows besides the customer.
struct Overview {
    subscriptions: Vec<SubscriptionDoc>,
    open: Vec<InvoiceRow>,
    allowance: AllowanceDoc,
}

async fn render(app: &App, staff: &Staff, id: &str, tab: &str, done: Option<String>, failed: Failed) -> Response {
    let (key, now) = (app.key.clone(), crate::clock::now());
    let (who, which) = (id.to_owned(), tab.to_owned());
    let answer = billing::run!(app.billing, |s| {
        let detail = billing::customers::show_customer(s, &who)?;
        let overview = match which.as_str() {
            "overview" => {
                let subscriptions = billing::subscriptions::list(s, Some(&who))?;
                let filter =
                    ListFilter { customer: Some(who.clone()), status: Some(store::InvoiceStatus::Draft), days: None };
                let open = billing::life::list(s, &filter)?;
                let allowance = billing::allowance::remaining(s, &who, None, now)?;
                Some(Overview { subscriptions, open, allowance })
            }
            _ => None,
        };
        let checks = match which.as_str() {
            "metered" => Some(billing::metered::check::check_customer(s, key.as_ref(), &who, None, true)?),
            _ => None,
        };
        Ok::<_, BillingError>((detail, overview, checks))
    })
    .await;
    let (detail, overview, checks) = match answer {
        Ok(a) => a,
        Err(e) => {
            let (s, m) = failure(e);
            return problem(staff, s, "Customer", &m);
        }
    };
    let c = &detail.customer;
    let sources: Vec<&str> = {
        let mut v: Vec<&str> = c.domains.iter().map(|d| d.source.as_str()).collect();
        v.dedup();
        v
    };
    let known = tab == "overview" || tab == "metered" || sources.contains(&tab);
    if !known {
        return problem(staff, StatusCode::NOT_FOUND, "Customer", &format!("Customer {id} has no tab `{tab}`."));
    }
    let mut tabs: Vec<(String, String)> = vec![("overview".into(), "Overview".into())];
    tabs.extend(sources.iter().map(|s| (s.to_string(), s.to_string())));
    tabs.push(("metered".into(), "Metered Billing".into()));
    let body = html! {
        @if let Some(d) = &done { (notice("ok", d)) }
        @for m in &failed.messages { (notice("bad", m)) }
        nav.tabs aria-label="Customer" {
            ul {
                @for (key, label) in &tabs {
                    li {
                        @if key == tab {
                            a href=(format!("/customers/{id}?tab={key}")) aria-current="page" { (label) }
                        } @else {
                            a href=(format!("/customers/{id}?tab={key}")) { (label) }
                        }
                    }
                }
            }
        }
        @if let Some(o) = &overview { (overview_tab(staff, &detail, o, failed.plans.as_deref())) }
        @else if let Some(checks) = &checks { (metered_tab(staff, c, checks, &failed)) }
        @else { (source_tab(&detail, tab)) }
    };
    let title = format!("{} ({})", c.name, c.id);
    (failed.status.unwrap_or(StatusCode::OK), page(staff, &title, "/customers", body)).into_response()
}

fn overview_tab(staff: &Staff, d: &CustomerDetail, o: &Overview, typed: Option<&str>) -> Markup {
    let c = &d.customer;
    html! {
        h2 { "Overview" }
        div.card {
            dl.facts {
                dt { "Time zone" } dd #zone { (c.timezone) }
                dt { "Billing day" } dd #billing-day { (c.billing_day) }
                dt { "Currency" } dd #currency { (c.currency) }
                dt { "Deck" } dd #deck { (c.deck.as_deref().unwrap_or("none (the default deck)")) }
                dt { "Plans" } dd #plans { @if c.plans.is_empty() { "none" } (c.plans.join(", ")) }
                dt { "E-mail" } dd { (c.email.as_deref().unwrap_or("—")) }
                dt { "Domains" } dd { @for (i, x) in c.domains.iter().enumerate() { @if i > 0 { ", " } (x.source) ": " (x.domain) } @if c.domains.is_empty() { "none" } }
            }
        }
        @if staff.may(Permission::Bill) {
            form.filters method="post" action=(format!("/customers/{}/plans", c.id)) {
                (csrf(staff))
                label { "Plans, in drawing order (separated by |)" input type="text" name="plans" value=(typed.map_or_else(|| c.plans.join("|"), str::to_owned)); }
                button type="submit" { "Save plans" }
                a href="/plans" { "All plans" }
            }
        }
        h2 { "Allowances this period" }
        p.muted { "Billing period " (o.allowance.period_from) " to " (o.allowance.period_to) "." }
        (allowance_table(&o.allowance, false))
        h2 { "Subscriptions" }
        @if o.subscriptions.is_empty() { p.muted { "No subscriptions." } } @else {
            div.table-wrap tabindex="0" role="region" aria-label="Subscriptions" { table #subscriptions {
                thead { tr { th { "Id" } th { "Description" } th { "Start" } th { "End" } th { "Quantity" } th { "Unit price" } th { "Plans" } } }
                tbody { @for s in &o.subscriptions { tr {
                    td { a href=(format!("/subscriptions/{}", s.id)) { (s.id) } }
                    td { (s.description) } td { (s.start) } td { (s.end.as_deref().unwrap_or("open")) }
                    td.num { (s.quantity) } td.num { (money(&c.currency, &s.unit_price)) } td { (s.plans.join(", ")) }
                } } }
            } }
        }
        h2 { "Open invoices" }
        @if o.open.is_empty() { p.muted { "No draft invoices." } } @else {
            div.table-wrap tabindex="0" role="region" aria-label="Open invoices" { table #open-invoices {
                thead { tr { th { "Invoice" } th { "From" } th { "To" } th { "Total" } } }
                tbody { @for i in &o.open { tr {
                    td { a href=(format!("/invoices/{}", i.id)) { (i.id) } }
                    td { (i.from) } td { (i.to) } td.num { (money(&i.currency, &i.total)) }
                } } }
            } }
        }
        h2 { "Last syncs" }
        @if d.last_syncs.is_empty() { p.muted { "Never synced." } } @else {
            ul { @for s in &d.last_syncs { li { (s.source) ": " a href=(format!("/jobs/{}", s.job)) { "job " (s.job) } " " (s.state) " at " (s.at) } } }
        }
    }
}

fn source_tab(d: &CustomerDetail, source: &str) -> Markup {
    let numbers: Vec<_> = d.numbers.iter().filter(|n| n.source == source).collect();
    html! {
        h2 { (source) }
        div.card { dl.facts {
            dt { "Domain" }
            dd { @for x in d.customer.domains.iter().filter(|x| x.source == source) { (x.domain) " " } }
        } }
        h3 { "Phone numbers (" (numbers.len()) ")" }
        @if numbers.is_empty() { p.muted { "No numbers synced from " (source) " yet: sync them from Metered Billing." } } @else {
            div.table-wrap tabindex="0" role="region" aria-label="Phone numbers" { table #numbers {
                thead { tr { th { "Number" } th { "State" } } }
                tbody { @for n in &numbers { tr { td { (n.number) } td { @if n.enabled { "enabled" } @else { "disabled" } } } } }
            } }
        }
    }
}

fn metered_tab(staff: &Staff, c: &CustomerRow, checks: &[SourceCheck], failed: &Failed) -> Markup {
    html! {
        h2 { "Connectivity" }
        (connectivity(checks))
        @if staff.may(Permission::Bill) {
            h2 { "Sync phone numbers & call records" }
            form.filters method="post" action=(format!("/customers/{}/sync", c.id)) {
                (csrf(staff))
                label { "From" input type="date" name="from" value=(failed.from) required; }
                label { "To" input type="date" name="to" value=(failed.to) required; }
                button type="submit" { "Sync phone numbers & call records" }
            }
            p.muted { "Days in the customer's time zone (" (c.timezone) "). The sync runs as a job: its page follows it." }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct SyncForm {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

fn forbidden(staff: &Staff, what: &str) -> Response {
    let message = format!("A {} may look but not {what}.", staff.user.role.as_str());
    problem(staff, StatusCode::FORBIDDEN, "Not allowed", &message)
}

/// Starts the customer's sync as the API does, then follows its job.
async fn sync(State(app): State<App>, staff: Staff, Path(id): Path<String>, Form(f): Form<SyncForm>) -> Response {
    if !staff.may(Permission::Bill) {
        return forbidden(&staff, "sync");
    }
    let mut failed = Failed { from: f.from.clone(), to: f.to.clone(), ..Failed::default() };
    let date = |name: &str, v: &str| billing::time::parse_date(v.trim()).map_err(|e| format!("{name}: {e}."));
    let days = date("From", &f.from).and_then(|from| Ok((from, date("To", &f.to)?)));
    let (from, to) = match days {
        Ok(d) => d,
        Err(why) => {
            (failed.status, failed.messages) = (Some(StatusCode::BAD_REQUEST), vec![why]);
            return render(&app, &staff, &id, "metered", None, failed).await;
        }
    };
    let req = SyncRequest { customer: Some(id.clone()), source: None, from, to };
    match syncs::begin(&app, req).await {
        Ok(Begun::Started(job)) => Redirect::to(&format!("/jobs/{}", job.id)).into_response(),
        Ok(Begun::Ended(jobs)) => match jobs.first() {
            Some(job) => Redirect::to(&format!("/jobs/{}", job.id)).into_response(),
            None => Redirect::to(&format!("/customers/{id}?tab=metered&done=nothing")).into_response(),
        },
        Err(e) => {
            let (s, m) = failure(e);
            (failed.status, failed.messages) = (Some(s), vec![format!("Not synced: {m}")]);
            render(&app, &staff, &id, "metered", None, failed).await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct PlansForm {
    plans: Option<String>,
    add: Option<String>,
    remove: Option<String>,
    /// `plans`: the Plans page sent it (and shows the outcome).
    back: Option<String>,
}

/// Sets, adds or removes the customer's plans as importing customers.csv would.
async fn change_plans(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<String>,
    Form(f): Form<PlansForm>,
) -> Response {
    if !staff.may(Permission::Bill) {
        return forbidden(&staff, "change plans");
    }
    let change = match (&f.plans, &f.add, &f.remove) {
        (Some(p), _, _) => PlanChange::Set(p.clone()),
        (None, Some(p), _) => PlanChange::Add(p.clone()),
        (None, None, Some(p)) => PlanChange::Remove(p.clone()),
        _ => PlanChange::Set(String::new()),
    };
    let who = id.clone();
    let changed = billing::run!(app.billing, |s| billing::edit::change_plans(s, &who, &change)).await;
    let to_plans = f.back.as_deref() == Some("plans");
    match changed {
        Ok(_) if to_plans => Redirect::to("/plans?done=assigned").into_response(),
        Ok(_) => Redirect::to(&format!("/customers/{id}?done=plans")).into_response(),
        Err(e) if to_plans => {
            let (status, messages) = field_errors(e, false);
            super::plans::render(&app, &staff, &super::plans::PlansQuery::default(), None, status, messages).await
        }
        Err(e) => {
            let (status, messages) = field_errors(e, false);
            let failed = Failed { status: Some(status), messages, plans: f.plans.clone(), ..Failed::default() };
            render(&app, &staff, &id, "overview", None, failed).await
        }
    }
}
