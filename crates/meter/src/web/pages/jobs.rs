//! Jobs: syncs, cycle runs and the scheduler's days (billing::runs), newest first, each with its
//! progress and its errors (a sync's rejected records, a run's error). While a job runs, a small
//! script asks for the page's fragment (`?fragment=1`) every 2 seconds and puts it in place.

use super::super::auth::Staff;
use super::super::App;
use super::figures::{badge, failure, local, zone};
use super::invoices::customer_select;
use super::{page, problem};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use billing::customers::CustomerRow;
use billing::metered::JobDoc;
use billing::runs::{AnyJob, RunDoc};
use billing::BillingError;
use chrono_tz::Tz;
use maud::{html, Markup, PreEscaped};
use serde::Deserialize;
use std::collections::HashMap;

pub fn routes() -> Router<App> {
    Router::new().route("/jobs", get(list)).route("/jobs/{id}", get(show))
}

/// How many jobs the list shows, by default and at most.
const LIMITS: [u64; 3] = [50, 200, 1000];

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    #[serde(default)]
    customer: String,
    limit: Option<String>,
    /// Only the part that refreshes, for the script.
    fragment: Option<String>,
}

/// The zone each customer's times are shown in.
fn zones(customers: &[CustomerRow]) -> HashMap<&str, Tz> {
    customers.iter().map(|c| (c.id.as_str(), zone(&c.timezone))).collect()
}

async fn list(State(app): State<App>, staff: Staff, Query(q): Query<ListQuery>) -> Response {
    let limit = q.limit.and_then(|l| l.parse::<u64>().ok()).filter(|l| LIMITS.contains(l)).unwrap_or(LIMITS[0]);
    let customer = Some(q.customer.trim().to_owned()).filter(|c| !c.is_empty());
    let answer = billing::run!(app.billing, |s| {
        let customers = billing::customers::list_customers(s)?;
        let jobs = billing::runs::list(s, customer.as_deref(), Some(limit));
        Ok::<_, BillingError>((customers, jobs))
    })
    .await;
    let (customers, jobs) = match answer {
        Ok(a) => a,
        Err(e) => {
            let (s, m) = failure(e);
            return problem(&staff, s, "Jobs", &m);
        }
    };
    let (status, jobs, problem_text) = match jobs {
        Ok(jobs) => (StatusCode::OK, jobs, None),
        Err(e) => {
            let (s, m) = failure(e);
            (s, Vec::new(), Some(m))
        }
    };
    let zones = zones(&customers);
    let table = table(&jobs, &zones);
    if q.fragment.is_some() {
        return (status, table).into_response();
    }
    let fragment = format!(
        "/jobs?customer={}&limit={limit}&fragment=1",
        url::form_urlencoded::byte_serialize(q.customer.trim().as_bytes()).collect::<String>()
    );
    let body = html! {
        @if let Some(p) = &problem_text { (super::notice("bad", p)) }
        form.filters method="get" action="/jobs" {
            label { "Customer (its syncs only)" (customer_select(&customers, q.customer.trim(), true)) }
            label {
                "Show"
                select name="limit" {
                    @for l in LIMITS { option value=(l) selected[l == limit] { "the last " (l) } }
                }
            }
            button type="submit" { "Show jobs" }
        }
        (live(&fragment, table))
    };
    (status, page(&staff, "Jobs", "/jobs", body)).into_response()
}

/// The part of a page that follows running jobs: refreshed from `fragment` every 2 seconds
/// while it holds one (`data-running`), by a script; without scripts, by the link.
fn live(fragment: &str, content: Markup) -> Markup {
    html! {
        p.muted {
            "While a job runs, this page follows it every 2 seconds. "
            a href="" { "Refresh now" }
        }
        div #live data-live=(fragment) { (content) }
        script { (PreEscaped(LIVE_SCRIPT)) }
    }
}

/// Puts the fragment in place every 2 seconds while a job runs; a session that ended reloads
/// the page (to the sign-in).
const LIVE_SCRIPT: &str = r#"
(function () {
  var box = document.getElementById("live");
  if (!box || !window.fetch) return;
  var url = box.getAttribute("data-live");
  function tick() {
    if (!box.querySelector("[data-running]")) return;
    fetch(url, { credentials: "same-origin" }).then(function (r) {
      if (r.redirected) { window.location.reload(); return; }
      return r.text().then(function (t) { box.innerHTML = t; setTimeout(tick, 2000); });
    }).catch(function () { setTimeout(tick, 10000); });
  }
  setTimeout(tick, 2000);
})();
"#;

fn table(jobs: &[AnyJob], zones: &HashMap<&str, Tz>) -> Markup {
    let zone_of = |customer: &str| zones.get(customer).copied().unwrap_or(Tz::UTC);
    html! {
        @if jobs.is_empty() {
            p.muted { "No jobs yet." }
        } @else {
            div.table-wrap tabindex="0" role="region" aria-label="Jobs" {
                table {
                    caption.vh { "Jobs, newest first" }
                    thead {
                        tr {
                            th scope="col" { "Job" }
                            th scope="col" { "What" }
                            th scope="col" { "State" }
                            th scope="col" { "Progress" }
                            th scope="col" { "Started" }
                            th scope="col" { "Finished" }
                            th scope="col" { "Problems" }
                        }
                    }
                    tbody {
                        @for j in jobs {
                            @match j {
                                AnyJob::Sync(s) => (sync_row(s, zone_of(&s.customer))),
                                AnyJob::Run(r) => (run_row(r)),
                            }
                        }
                    }
                }
            }
        }
    }
}

fn state(state: &str) -> Markup {
    html! {
        @if state == "running" { span data-running { (badge(state)) } } @else { (badge(state)) }
    }
}

fn sync_row(s: &JobDoc, tz: Tz) -> Markup {
    html! {
        tr {
            th.nowrap scope="row" { a href=(format!("/jobs/{}", s.id)) { "Job " (s.id) } }
            td { "Sync of " (s.customer) " from " (s.source) br; span.muted { (s.domain) } }
            td { (state(s.state)) }
            td { (sync_progress(s)) }
            td.nowrap { (local(&s.started_at, tz)) }
            td.nowrap { (s.finished_at.as_deref().map(|t| local(t, tz)).unwrap_or_default()) }
            td {
                @if let Some(e) = &s.error { (e) br; }
                @if s.rejected > 0 { a href=(format!("/jobs/{}", s.id)) { (s.rejected) " records rejected" } }
            }
        }
    }
}

/// `n` things, in words (`1 page`, `3 pages`).
fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A sync's progress: pages and records so far, of the platform's count once it is known.
fn sync_progress(s: &JobDoc) -> Markup {
    let received = count(s.received, "record", "records");
    html! {
        @if let (Some(total), "running") = (s.platform_count, s.state) {
            @let said = format!("{received} received of the {total} the platform counts");
            progress value=(s.received) max=(total) aria-label=(said) { (said) } br;
            (said) br;
        }
        (count(s.pages, "page", "pages")) ", " (received) ": "
        span.muted { (s.imported) " imported, " (s.updated) " updated, " (s.duplicates) " duplicates" }
    }
}

/// What a run counts: a cycle's customers, a scheduler day's steps.
fn unit(r: &RunDoc) -> &'static str {
    if r.kind == "cycle" {
        "customers"
    } else {
        "steps"
    }
}

fn run_progress(r: &RunDoc) -> Markup {
    let said = format!("{} of {} {}", r.done, r.total, unit(r));
    html! {
        @if r.total > 0 { progress value=(r.done) max=(r.total) aria-label=(said) { (said) } br; }
        (said)
        @if r.kind == "cycle" {
            br; span.muted { (r.invoiced) " invoiced, " (r.skipped) " skipped, " (r.held) " held, " (r.failed) " failed" }
        }
    }
}

fn run_row(r: &RunDoc) -> Markup {
    let utc = |t: &str| local(t, Tz::UTC);
    html! {
        tr {
            th.nowrap scope="row" { a href=(format!("/jobs/{}", r.id)) { "Job " (r.id) } }
            td { (what_run(r)) }
            td { (state(r.state)) }
            td { (run_progress(r)) }
            td.nowrap { (utc(&r.started_at)) }
            td.nowrap { (r.finished_at.as_deref().map(utc).unwrap_or_default()) }
            td { @if let Some(e) = &r.error { (e) } }
        }
    }
}

fn what_run(r: &RunDoc) -> String {
    match r.kind {
        "cycle" => format!("Billing cycle of {}", r.date),
        _ => format!("Scheduler's day {}", r.date),
    }
}

#[derive(Debug, Default, Deserialize)]
struct ShowQuery {
    fragment: Option<String>,
}

async fn show(State(app): State<App>, staff: Staff, Path(id): Path<String>, Query(q): Query<ShowQuery>) -> Response {
    let Ok(id) = id.trim().parse::<i64>() else {
        let message = format!("`{id}` is not a job's number.");
        return problem(&staff, StatusCode::NOT_FOUND, "Job", &message);
    };
    let answer = billing::run!(app.billing, |s| {
        let job = billing::runs::show(s, id)?;
        let tz = match &job {
            AnyJob::Sync(j) => zone(&billing::customers::customer_row(s, &j.customer)?.timezone),
            AnyJob::Run(_) => Tz::UTC,
        };
        Ok::<_, BillingError>((job, tz))
    })
    .await;
    let (job, tz) = match answer {
        Ok(a) => a,
        Err(e) => {
            let (s, m) = failure(e);
            return problem(&staff, s, "Job", &m);
        }
    };
    let detail = match &job {
        AnyJob::Sync(s) => sync_detail(s, tz),
        AnyJob::Run(r) => run_detail(r),
    };
    if q.fragment.is_some() {
        return detail.into_response();
    }
    let title = match &job {
        AnyJob::Sync(s) => format!("Job {}: sync of {} from {}", s.id, s.customer, s.source),
        AnyJob::Run(r) => format!("Job {}: {}", r.id, what_run(r)),
    };
    let body = html! {
        p { a href="/jobs" { "All jobs" } }
        (live(&format!("/jobs/{id}?fragment=1"), detail))
    };
    page(&staff, &title, "/jobs", body).into_response()
}

fn sync_detail(s: &JobDoc, tz: Tz) -> Markup {
    let at = |t: &str| local(t, tz);
    let reconciled = match (s.platform_count, s.stored_count, s.reconciliation) {
        (Some(p), Some(st), Some("exact")) => format!("the platform counts {p}, meter stores {st}: they match"),
        (Some(p), Some(st), Some("with_hidden_legs")) => {
            format!("the platform counts {p}, meter stores {st} and {} hidden legs: they match", s.skipped)
        }
        (Some(p), Some(st), _) => {
            format!("the platform counts {p}, meter stores {st}: {} missing", s.difference.unwrap_or(0))
        }
        _ => "not yet".to_owned(),
    };
    html! {
        @if let Some(e) = &s.error { div.notice.bad role="alert" { strong { "The sync failed: " } (e) } }
        div.card {
            dl.facts {
                dt { "State" } dd { (state(s.state)) }
                dt { "Customer" } dd { a href=(format!("/customers/{}", s.customer)) { (s.customer) } }
                dt { "Source" } dd { (s.source) " (domain " (s.domain) ")" }
                dt { "Calls starting" } dd { "from " (at(&s.from)) " to before " (at(&s.to)) }
                dt { "Started" } dd { (at(&s.started_at)) }
                dt { "Finished" } dd { (s.finished_at.as_deref().map(at).unwrap_or_else(|| "not yet".into())) }
                dt { "Last progress" } dd { (at(&s.updated_at)) }
                dt { "Pages" } dd { (s.pages) }
                dt { "Records received" } dd { (s.received) }
                dt { "Imported" } dd { (s.imported) }
                dt { "Updated" } dd { (s.updated) }
                dt { "Duplicates" } dd { (s.duplicates) }
                dt { "Conflicts" } dd { (s.conflicts) " (differ from calls already billed: left unchanged)" }
                dt { "Hidden legs left out" } dd { (s.skipped) }
                dt { "Repeated, outside the window" } dd { (s.repeated) ", " (s.outside) }
                dt { "Requests retried" } dd { (s.errors) }
                @if let Some(n) = s.numbers { dt { "Phone numbers" } dd { (n) } }
                dt { "Reconciled" } dd { (reconciled) }
                dt { "Rejected" } dd { (s.rejected) " records, not stored" }
            }
        }
        @if !s.rejects.is_empty() {
            h2 { "Rejected records" }
            p.muted { "The first few the sync left out, with why; the others are counted above." }
            div.table-wrap tabindex="0" role="region" aria-label="Rejected records" {
                table {
                    caption.vh { "Rejected records" }
                    thead { tr { th scope="col" { "Record" } th scope="col" { "Reason" } } }
                    tbody { @for r in &s.rejects { tr { th scope="row" { (r.id) } td { (r.reason) } } } }
                }
            }
        }
    }
}

fn run_detail(r: &RunDoc) -> Markup {
    let utc = |t: &str| local(t, Tz::UTC);
    html! {
        @if let Some(e) = &r.error { div.notice.bad role="alert" { strong { "The run failed: " } (e) } }
        div.card {
            dl.facts {
                dt { "State" } dd { (state(r.state)) }
                dt { "Kind" } dd { (r.kind) }
                dt { "Date" } dd { (r.date) }
                dt { "Progress" } dd { (run_progress(r)) }
                dt { "Started" } dd { (utc(&r.started_at)) }
                dt { "Finished" } dd { (r.finished_at.as_deref().map(utc).unwrap_or_else(|| "not yet".into())) }
                dt { "Last progress" } dd { (utc(&r.updated_at)) }
            }
        }
    }
}
