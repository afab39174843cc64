//! How the billing, jobs and invoice pages show what billing answers: money with its currency,
//! durations, instants in a zone, an invoice's lines, and a failed use case as a notice.

use super::super::auth::Staff;
use super::super::error::ApiError;
use axum::http::StatusCode;
use billing::doc::{InvoiceDoc, LineDoc};
use billing::BillingError;
use chrono_tz::Tz;
use maud::{html, Markup};

/// An amount with its currency, as the command line prints it (`USD 12.50`).
pub fn money(currency: &str, amount: &str) -> String {
    format!("{currency} {amount}")
}

/// Seconds as H:MM:SS, as billing staff read durations.
pub fn hms(s: u64) -> String {
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// An instant billing gives in UTC (RFC 3339) shown in `zone` (`2026-01-05 09:03:00 EST`); a text
/// that is not one is shown as it is.
pub fn local(utc: &str, zone: Tz) -> String {
    match billing::time::parse_timestamp(utc) {
        Ok(t) => billing::time::format_local(t, zone),
        Err(_) => utc.to_owned(),
    }
}

/// The zone a customer's times are shown in (UTC when its zone is unknown).
pub fn zone(name: &str) -> Tz {
    billing::time::parse_zone(name).unwrap_or(Tz::UTC)
}

/// Who made a change from the web application, in the invoice's history.
pub fn actor(staff: &Staff) -> String {
    staff.user.email.clone()
}

/// A failed use case: the status it answers and billing's words for it, as a sentence.
pub fn failure(e: BillingError) -> (StatusCode, String) {
    let message = sentence(&e.to_string());
    (ApiError::from(e).status, message)
}

/// `text` with a capital first letter.
pub fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// What an invoice line is called: its call type (a late one with its period), a recurring
/// line's description with its quantity and days, or a manual line's description.
fn label(l: &LineDoc) -> String {
    let days = match (&l.from, &l.to) {
        (Some(from), Some(to)) => format!(" ({from} to {to})"),
        _ => String::new(),
    };
    match (&l.call_type, &l.quantity) {
        (Some(t), _) if l.late => format!("{t}, late{days}"),
        (Some(t), _) => t.clone(),
        (None, Some(q)) => format!("{} × {q}{days}", l.description),
        (None, None) => l.description.clone(),
    }
}

/// The kind of a line, in words (`usage`, `recurring`, `manual`, a manual one below zero `credit`).
fn kind(l: &LineDoc) -> &str {
    match l.kind.as_str() {
        "manual" if l.amount.starts_with('-') => "credit",
        other => other,
    }
}

/// A line's remove button: the invoice's id and the staff member whose form it is.
pub struct Removal<'a> {
    pub invoice: &'a str,
    pub staff: &'a Staff,
}

/// An invoice's (or a preview's) lines with their total; with `removal`, each manual line has a
/// button that removes it. On a narrow screen the seconds' columns are left out (`wide`).
pub fn lines_table(doc: &InvoiceDoc, removal: Option<Removal<'_>>) -> Markup {
    let cur = &doc.currency;
    let seconds = |v: Option<u64>| v.map(hms).unwrap_or_default();
    html! {
        div.table-wrap tabindex="0" role="region" aria-label="Lines" {
            table {
                caption.vh { "Lines, amounts in " (cur) }
                thead {
                    tr {
                        th scope="col" class="num" { "#" }
                        th scope="col" { "Line" }
                        th scope="col" { "Kind" }
                        th scope="col" class="num" { "Calls" }
                        th scope="col" class="num wide" { "Billable" }
                        th scope="col" class="num wide" { "Included" }
                        th scope="col" class="num wide" { "Charged" }
                        th scope="col" class="num" { "Amount" }
                        @if removal.is_some() { th scope="col" { span.vh { "Remove" } } }
                    }
                }
                tbody {
                    @for (i, l) in doc.lines.iter().enumerate() {
                        tr {
                            td.num { (i + 1) }
                            th scope="row" { (label(l)) }
                            td { (kind(l)) }
                            td.num { (l.calls.map(|n| n.to_string()).unwrap_or_default()) }
                            td.num.wide { (seconds(l.billable_seconds)) }
                            td.num.wide { (seconds(l.included_seconds)) }
                            td.num.wide { (seconds(l.charged_seconds)) }
                            td.num { (money(cur, &l.amount)) }
                            @if let Some(r) = &removal {
                                td {
                                    @if l.kind == "manual" {
                                        form.inline method="post" action=(format!("/invoices/{}/lines/{}/remove", r.invoice, i + 1)) {
                                            (super::csrf(r.staff))
                                            button.secondary type="submit" { "Remove" span.vh { " line " (i + 1) } }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    @if doc.lines.is_empty() {
                        tr { td colspan=(if removal.is_some() { 9 } else { 8 }) { span.muted { "No lines." } } }
                    }
                }
                tfoot {
                    tr {
                        th scope="row" colspan="4" { "Total" }
                        td.wide colspan="3" {}
                        td.num { (money(cur, &doc.total)) }
                        @if removal.is_some() { td {} }
                    }
                }
            }
        }
    }
}

/// What an invoice (or a preview) did not bill: calls of a type without a rate (`notes`: which
/// tiers were tried, previews only), calls already on another invoice, and why nothing is
/// billable.
pub fn warnings(doc: &InvoiceDoc, notes: &[String], reason: Option<&str>) -> Markup {
    let mut said = Vec::new();
    for (i, u) in doc.unrated.iter().enumerate() {
        let why = notes.get(i).map(|n| format!(" ({n})")).unwrap_or_default();
        let s = if u.calls == 1 { "" } else { "s" };
        said.push(format!("{} {} call{s} not billed: no rate{why}.", u.calls, u.call_type));
    }
    if doc.already_billed > 0 {
        said.push(format!("{} calls in range are already on another invoice.", doc.already_billed));
    }
    if let Some(r) = reason {
        said.push(format!("{}.", sentence(r)));
    }
    html! {
        @if !said.is_empty() {
            div.notice.warn role="status" {
                p { strong { "Not billed" } }
                ul { @for w in &said { li { (w) } } }
            }
        }
    }
}

/// A status as a badge: its word, coloured by kind (the word says it: colour is not the only
/// signal).
pub fn badge(status: &str) -> Markup {
    html! { span class=(format!("badge {status}")) { (status) } }
}
