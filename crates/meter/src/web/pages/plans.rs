//! Calling plans and subscriptions: the plans (`meter plans list`), the customers' plans, the
//! subscriptions (`meter subscriptions list`) and each customer's allowances left this period
//! (`meter customers allowance`); a plan edited, plans assigned and removed, subscriptions
//! added, edited and ended through billing::edit, which checks them as the CSV imports do.

use super::super::auth::Staff;
use super::super::App;
use super::figures::{failure, sentence};
use super::invoices::customer_select;
use super::{csrf, notice, page, problem};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use billing::access::Permission;
use billing::allowance::AllowanceDoc;
use billing::customers::{CustomerRow, PlanRow};
use billing::edit::{AllowanceInput, Saving, SubscriptionInput};
use billing::subscriptions::SubscriptionDoc;
use billing::BillingError;
use maud::{html, Markup};
use serde::Deserialize;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/plans", get(list))
        .route("/plans/{id}", get(edit_page).post(edit_plan))
        .route("/plans/assign", post(assign))
        .route("/subscriptions", post(add_subscription))
        .route("/subscriptions/{id}", get(subscription_page).post(save_subscription))
}

/// Minutes and seconds, as the command line writes them.
fn min_sec(seconds: u64) -> String {
    crate::catalog::min_sec(seconds)
}

/// The allowances of a period; `customer` adds the customer's column.
pub fn allowance_table(d: &AllowanceDoc, customer: bool) -> Markup {
    html! {
        @if d.allowances.is_empty() { p.muted { "No allowances: no plan gives " (d.customer) " included minutes this period." } } @else {
            div.table-wrap tabindex="0" role="region" aria-label="Allowances left" { table.allowances {
                thead { tr {
                    @if customer { th { "Customer" } }
                    th { "Plan" } th { "Call types" } th { "Included" } th { "Used" } th { "Left" }
                } }
                tbody { @for a in &d.allowances { tr data-plan=(a.plan) data-position=(a.position) {
                    @if customer { td { a href=(format!("/customers/{}", d.customer)) { (d.customer) } } }
                    td { (a.plan) @if !a.description.is_empty() { span.muted { " " (a.description) } } }
                    td { (a.call_types.join(", ")) }
                    td.num.included { (a.included_minutes) " min" }
                    td.num.used data-seconds=(a.used_seconds) { (min_sec(a.used_seconds)) }
                    td.num.left data-seconds=(a.left_seconds) { (min_sec(a.left_seconds)) }
                } } }
            } }
        }
    }
}

/// A refused edit: the status and the messages, each naming the field (and the row of a plan's
/// allowances) as the import names the column.
pub fn field_errors(e: BillingError, rows: bool) -> (StatusCode, Vec<String>) {
    match e {
        BillingError::File(f) => {
            let messages = f
                .errors
                .iter()
                .map(|e| {
                    let field = e.column.as_deref().map(|c| sentence(&c.replace('_', " "))).unwrap_or_default();
                    let row = if rows { format!("Allowance {}, ", e.line - 1) } else { String::new() };
                    format!("{row}{field}: {}. Nothing was saved.", e.reason)
                })
                .collect();
            (StatusCode::BAD_REQUEST, messages)
        }
        e => {
            let (s, m) = failure(e);
            (s, vec![m])
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct PlansQuery {
    #[serde(default)]
    customer: String,
    done: Option<String>,
}

async fn list(State(app): State<App>, staff: Staff, Query(q): Query<PlansQuery>) -> Response {
    let done = q.done.as_deref().and_then(done_words).map(str::to_owned);
    render(&app, &staff, &q, done, StatusCode::OK, Vec::new()).await
}

fn done_words(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "assigned" => "The customer's plans were saved.",
        "plan" => "Plan saved.",
        "subscription" => "Subscription saved.",
        _ => return None,
    })
}

/// What the Plans page shows.
struct Shown {
    plans: Vec<PlanRow>,
    customers: Vec<CustomerRow>,
    subscriptions: Vec<SubscriptionDoc>,
    allowances: Vec<AllowanceDoc>,
}

/// The Plans page, with `messages` of a refused form above it (answered with `status`).
pub async fn render(
    app: &App,
    staff: &Staff,
    q: &PlansQuery,
    done: Option<String>,
    status: StatusCode,
    messages: Vec<String>,
) -> Response {
    let customer = Some(q.customer.trim().to_owned()).filter(|c| !c.is_empty());
    let now = crate::clock::now();
    let answer = billing::run!(app.billing, |s| {
        let plans = billing::customers::list_plans(s)?;
        let customers = billing::customers::list_customers(s)?;
        let subscriptions = billing::subscriptions::list(s, customer.as_deref())?;
        let mut allowances = Vec::new();
        for c in customers.iter().filter(|c| customer.as_ref().is_none_or(|only| *only == c.id)) {
            allowances.push(billing::allowance::remaining(s, &c.id, None, now)?);
        }
        Ok::<_, BillingError>(Shown { plans, customers, subscriptions, allowances })
    })
    .await;
    let shown = match answer {
        Ok(s) => s,
        Err(e) => {
            let (s, m) = failure(e);
            return problem(staff, s, "Plans", &m);
        }
    };
    let bill = staff.may(Permission::Bill);
    let body = html! {
        @if let Some(d) = &done { (notice("ok", d)) }
        @for m in &messages { (notice("bad", m)) }
        h2 { "Calling plans" }
        @if shown.plans.is_empty() { p.muted { "No calling plans yet: make one here, or import them with meter plans import." } }
        @else { div.table-wrap tabindex="0" role="region" aria-label="Plans" { table #plans {
            thead { tr { th { "Plan" } th { "Call types" } th { "Included minutes" } th { "Description" } th { "Customers" } @if bill { th { span.vh { "Actions" } } } } }
            tbody { @for p in &shown.plans {
                @for (i, a) in p.allowances.iter().enumerate() { tr data-plan=(p.id) {
                    td { @if i == 0 { (p.id) } }
                    td { (a.call_types.join(", ")) }
                    td.num { (a.included_minutes) }
                    td { (a.description) }
                    td { @if i == 0 { (p.customers.join(", ")) } }
                    @if bill { td { @if i == 0 { a href=(format!("/plans/{}", p.id)) { "Edit " span.vh { (p.id) } } } } }
                } }
            } }
        } } }
        @if bill {
            form.filters method="get" action="/plans/new" {
                label { "New plan id" input type="text" name="id" required; }
                button type="submit" { "New plan" }
            }
        }
        h2 { "Customers' plans" }
        div.table-wrap tabindex="0" role="region" aria-label="Customers' plans" { table #customer-plans {
            thead { tr { th { "Customer" } th { "Plans, in drawing order" } } }
            tbody { @for c in &shown.customers { tr data-customer=(c.id) {
                td { a href=(format!("/customers/{}", c.id)) { (c.id) } }
                td {
                    @if c.plans.is_empty() { span.muted { "none" } }
                    @for p in &c.plans {
                        @if bill {
                            form.inline method="post" action=(format!("/customers/{}/plans", c.id)) {
                                (csrf(staff))
                                input type="hidden" name="back" value="plans";
                                (p) " "
                                " "
                                button.secondary type="submit" name="remove" value=(p) { "Remove " span.vh { (p) " from " (c.id) } }
                            }
                        } @else { (p) " " }
                    }
                }
            } } }
        } }
        @if bill && !shown.customers.is_empty() && !shown.plans.is_empty() {
            form.filters method="post" action="/plans/assign" {
                (csrf(staff))
                label { "Customer" (customer_select(&shown.customers, q.customer.trim(), false)) }
                label { "Plan" select name="plan" required { @for p in &shown.plans { option value=(p.id) { (p.id) } } } }
                button type="submit" { "Assign plan" }
            }
        }
        h2 { "Subscriptions" }
        form.filters method="get" action="/plans" {
            label { "Customer" (customer_select(&shown.customers, q.customer.trim(), true)) }
            button type="submit" { "Filter" }
        }
        @if shown.subscriptions.is_empty() { p.muted { "No subscriptions." } } @else {
            div.table-wrap tabindex="0" role="region" aria-label="Subscriptions" { table #subscriptions {
                thead { tr { th { "Id" } th { "Customer" } th { "Start" } th { "End" } th { "Description" } th { "Quantity" } th { "Unit price" } th { "Plans" } } }
                tbody { @for s in &shown.subscriptions { tr {
                    td { a href=(format!("/subscriptions/{}", s.id)) { (s.id) } }
                    td { (s.customer) } td { (s.start) } td { (s.end.as_deref().unwrap_or("open")) } td { (s.description) }
                    td.num { (s.quantity) } td.num { (s.unit_price) } td { (s.plans.join(", ")) }
                } } }
            } }
        }
        @if bill {
            h3 { "Add a subscription" }
            (subscription_form(staff, "/subscriptions", &SubscriptionInput { customer: q.customer.trim().to_owned(), ..Default::default() }, true))
        }
        h2 { "Allowances left this period" }
        @if shown.allowances.iter().all(|d| d.allowances.is_empty()) {
            p.muted { "No customer has included minutes this period: no plan of theirs gives any." }
        }
        @for d in &shown.allowances {
            @if !d.allowances.is_empty() {
                h3 { (d.customer) span.muted { " " (d.period_from) " to " (d.period_to) } }
                (allowance_table(d, false))
            }
        }
    };
    (status, page(staff, "Plans & subscriptions", "/plans", body)).into_response()
}

/// A subscription's fields; `new` lets its id and customer be typed.
fn subscription_form(staff: &Staff, action: &str, s: &SubscriptionInput, new: bool) -> Markup {
    html! {
        form.stack.narrow method="post" action=(action) {
            (csrf(staff))
            @if new {
                label { "Id" input type="text" name="id" value=(s.id) required; }
                label { "Customer" input type="text" name="customer" value=(s.customer) required; }
            } @else {
                input type="hidden" name="id" value=(s.id);
                input type="hidden" name="customer" value=(s.customer);
            }
            label { "First day" input type="date" name="start" value=(s.start) required; }
            label { "Last day (blank: open)" input type="date" name="end" value=(s.end); }
            label { "Description" input type="text" name="description" value=(s.description) required; }
            label { "Quantity (blank: 1)" input type="text" inputmode="decimal" name="quantity" value=(s.quantity); }
            label { "Unit price" input type="text" inputmode="decimal" name="unit_price" value=(s.unit_price) required; }
            label { "Plans (separated by |)" input type="text" name="plans" value=(s.plans); }
            button type="submit" { @if new { "Add subscription" } @else { "Save subscription" } }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct SubscriptionForm {
    #[serde(default)]
    id: String,
    #[serde(default)]
    customer: String,
    #[serde(default)]
    start: String,
    #[serde(default)]
    end: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    quantity: String,
    #[serde(default)]
    unit_price: String,
    #[serde(default)]
    plans: String,
    /// `end`: only the last day is given (the subscription ends).
    #[serde(default)]
    action: String,
}

impl SubscriptionForm {
    fn input(&self) -> SubscriptionInput {
        SubscriptionInput {
            id: self.id.clone(),
            customer: self.customer.clone(),
            start: self.start.clone(),
            end: self.end.clone(),
            description: self.description.clone(),
            quantity: self.quantity.clone(),
            unit_price: self.unit_price.clone(),
            plans: self.plans.clone(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct Assign {
    #[serde(default)]
    customer: String,
    #[serde(default)]
    plan: String,
}

/// A plan added to a customer's, drawn from last (as `POST /customers/{id}/plans` with `add`).
async fn assign(State(app): State<App>, staff: Staff, Form(a): Form<Assign>) -> Response {
    if !staff.may(Permission::Bill) {
        return forbidden(&staff, "assign plans");
    }
    let change = billing::edit::PlanChange::Add(a.plan.clone());
    let who = a.customer.clone();
    match billing::run!(app.billing, |s| billing::edit::change_plans(s, &who, &change)).await {
        Ok(_) => Redirect::to("/plans?done=assigned").into_response(),
        Err(e) => {
            let (status, messages) = field_errors(e, false);
            render(&app, &staff, &PlansQuery::default(), None, status, messages).await
        }
    }
}

fn forbidden(staff: &Staff, what: &str) -> Response {
    let message = format!("A {} may look but not {what}.", staff.user.role.as_str());
    problem(staff, StatusCode::FORBIDDEN, "Not allowed", &message)
}

async fn add_subscription(State(app): State<App>, staff: Staff, Form(f): Form<SubscriptionForm>) -> Response {
    if !staff.may(Permission::Bill) {
        return forbidden(&staff, "change subscriptions");
    }
    let input = f.input();
    let saved = billing::run!(app.billing, |s| billing::edit::save_subscription(s, &input, Saving::Add)).await;
    match saved {
        Ok(_) => Redirect::to("/plans?done=subscription").into_response(),
        Err(e) => {
            let (status, messages) = field_errors(e, false);
            let q = PlansQuery { customer: f.customer.clone(), done: None };
            render(&app, &staff, &q, None, status, messages).await
        }
    }
}

async fn subscription_page(State(app): State<App>, staff: Staff, Path(id): Path<String>) -> Response {
    show_subscription(&app, &staff, &id, None, StatusCode::OK, Vec::new()).await
}

async fn show_subscription(
    app: &App,
    staff: &Staff,
    id: &str,
    typed: Option<SubscriptionInput>,
    status: StatusCode,
    messages: Vec<String>,
) -> Response {
    let found = billing::run!(app.billing, |s| billing::subscriptions::list(s, None)).await;
    let stored = match found {
        Ok(list) => list.into_iter().find(|s| s.id == id),
        Err(e) => {
            let (s, m) = failure(e);
            return problem(staff, s, "Subscription", &m);
        }
    };
    let Some(stored) = stored else {
        return problem(staff, StatusCode::NOT_FOUND, "Subscription", &format!("Unknown subscription {id}."));
    };
    let shown = typed.unwrap_or_else(|| SubscriptionInput::from(stored.clone()));
    let action = format!("/subscriptions/{id}");
    let body = html! {
        @for m in &messages { (notice("bad", m)) }
        p { "Customer " a href=(format!("/customers/{}", stored.customer)) { (stored.customer) } ". " a href="/plans" { "All subscriptions" } }
        @if staff.may(Permission::Bill) {
            h2 { "Edit" }
            (subscription_form(staff, &action, &shown, false))
            h2 { "End" }
            form.filters method="post" action=(action) {
                (csrf(staff))
                input type="hidden" name="action" value="end";
                label { "Last active day" input type="date" name="end" value=(stored.end.clone().unwrap_or_default()) required; }
                button type="submit" { "End subscription" }
            }
        } @else {
            div.card { dl.facts {
                dt { "First day" } dd { (stored.start) }
                dt { "Last day" } dd { (stored.end.as_deref().unwrap_or("open")) }
                dt { "Description" } dd { (stored.description) }
                dt { "Quantity" } dd { (stored.quantity) }
                dt { "Unit price" } dd { (stored.unit_price) }
                dt { "Plans" } dd { (stored.plans.join(", ")) }
            } }
        }
    };
    (status, page(staff, &format!("Subscription {id}"), "/plans", body)).into_response()
}

async fn save_subscription(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<String>,
    Form(f): Form<SubscriptionForm>,
) -> Response {
    if !staff.may(Permission::Bill) {
        return forbidden(&staff, "change subscriptions");
    }
    let input = SubscriptionInput { id: id.clone(), ..f.input() };
    let (who, end, ending, given) = (id.clone(), f.end.clone(), f.action == "end", input.clone());
    let saved = billing::run!(app.billing, |s| {
        if ending {
            billing::edit::end_subscription(s, &who, &end)
        } else {
            billing::edit::save_subscription(s, &given, Saving::Edit)
        }
    })
    .await;
    match saved {
        Ok(_) => Redirect::to("/plans?done=subscription").into_response(),
        Err(e) => {
            let (status, messages) = field_errors(e, false);
            let typed = (!ending).then_some(input);
            show_subscription(&app, &staff, &id, typed, status, messages).await
        }
    }
}

/// How many allowance rows a plan's form has beyond its own: room for new ones.
const SPARE_ROWS: usize = 2;

#[derive(Debug, Default, Deserialize)]
struct NewPlan {
    #[serde(default)]
    id: String,
}

async fn edit_page(State(app): State<App>, staff: Staff, Path(id): Path<String>, Query(n): Query<NewPlan>) -> Response {
    // The "New plan" form asks for /plans/new?id=…: the plan's own form, empty.
    let id = if id == "new" && !n.id.trim().is_empty() { n.id.trim().to_owned() } else { id };
    show_plan(&app, &staff, &id, None, StatusCode::OK, Vec::new()).await
}

async fn show_plan(
    app: &App,
    staff: &Staff,
    id: &str,
    typed: Option<Vec<AllowanceInput>>,
    status: StatusCode,
    messages: Vec<String>,
) -> Response {
    let found = billing::run!(app.billing, |s| billing::customers::list_plans(s)).await;
    let stored = match found {
        Ok(list) => list.into_iter().find(|p| p.id == id),
        Err(e) => {
            let (s, m) = failure(e);
            return problem(staff, s, "Plan", &m);
        }
    };
    // What was typed is shown as typed, its rows where they were (errors name them by place).
    let rows = typed.unwrap_or_else(|| {
        let own = stored.iter().flat_map(|p| &p.allowances).map(|a| AllowanceInput {
            call_types: a.call_types.join("|"),
            included_minutes: a.included_minutes.to_string(),
            description: a.description.clone(),
        });
        own.chain(std::iter::repeat_n(AllowanceInput::default(), SPARE_ROWS)).collect()
    });
    let bill = staff.may(Permission::Bill);
    let body = html! {
        @for m in &messages { (notice("bad", m)) }
        @if stored.is_none() { p.muted { "A new plan: give at least one allowance." } }
        @if let Some(p) = &stored { p { "Customers: " @if p.customers.is_empty() { "none" } (p.customers.join(", ")) ". " a href="/plans" { "All plans" } } }
        @if bill {
            form.stack.narrow method="post" action=(format!("/plans/{id}")) {
                (csrf(staff))
                @for (i, a) in rows.iter().enumerate() {
                    fieldset {
                        legend { "Allowance " (i + 1) }
                        label { "Call types (separated by |)" input type="text" name="call_types" value=(a.call_types); }
                        label { "Included minutes" input type="text" inputmode="numeric" name="included_minutes" value=(a.included_minutes); }
                        label { "Description" input type="text" name="description" value=(a.description); }
                    }
                }
                p.muted { "A blank allowance is left out: clear one to remove it." }
                button type="submit" { "Save plan" }
            }
        } @else {
            p.muted { "Viewers may not edit plans." }
        }
    };
    (status, page(staff, &format!("Plan {id}"), "/plans", body)).into_response()
}

/// The allowances of a plan's form: its fields repeat, one of each per row, in order.
fn allowances_of(fields: &[(String, String)]) -> Vec<AllowanceInput> {
    let mut rows: Vec<AllowanceInput> = Vec::new();
    let mut at = [0usize; 3];
    for (k, v) in fields {
        let which = match k.as_str() {
            "call_types" => 0,
            "included_minutes" => 1,
            "description" => 2,
            _ => continue,
        };
        let i = at[which];
        at[which] += 1;
        if rows.len() <= i {
            rows.resize(i + 1, AllowanceInput::default());
        }
        let cell = match which {
            0 => &mut rows[i].call_types,
            1 => &mut rows[i].included_minutes,
            _ => &mut rows[i].description,
        };
        *cell = v.clone();
    }
    rows
}

async fn edit_plan(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    if !staff.may(Permission::Bill) {
        return forbidden(&staff, "edit plans");
    }
    let rows = allowances_of(&fields);
    let (plan, given) = (id.clone(), rows.clone());
    let saved = billing::run!(app.billing, |s| billing::edit::edit_plan(s, &plan, &given)).await;
    match saved {
        Ok(_) => Redirect::to("/plans?done=plan").into_response(),
        Err(e) => {
            let (status, messages) = field_errors(e, true);
            show_plan(&app, &staff, &id, Some(rows), status, messages).await
        }
    }
}
