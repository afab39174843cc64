//! What `customers list|show` and `plans list` print: a table, one JSON document, or CSV.

use crate::cli::{Format, ListFormat};
use crate::escape::{printable, spreadsheet_cell};
use crate::output::{json, table};
use crate::stdout::{out, Out};
use anyhow::Result;
use billing::allowance::AllowanceDoc;
use billing::customers::{CustomerDetail, CustomerRow, PlanRow};
use billing::subscriptions::SubscriptionDoc;

/// Writes CSV rows, every cell made safe for spreadsheets.
fn csv(header: &[&str], rows: &[Vec<String>]) -> Result<()> {
    let mut w = csv::Writer::from_writer(Out::new());
    w.write_record(header)?;
    for r in rows {
        w.write_record(r.iter().map(|c| spreadsheet_cell(c)).collect::<Vec<_>>().iter().map(|c| c.as_bytes()))?;
    }
    Ok(w.into_inner().map_err(|e| e.into_error())?.finish()?)
}

fn domains(c: &CustomerRow) -> String {
    let list: Vec<String> = c.domains.iter().map(|d| format!("{}:{}", d.source, d.domain)).collect();
    list.join("|")
}

pub fn customers(list: &[CustomerRow], format: ListFormat) -> Result<()> {
    let header = ["id", "name", "timezone", "billing_day", "currency", "plans", "deck", "email", "domains"];
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|c| {
            vec![
                c.id.clone(),
                c.name.clone(),
                c.timezone.clone(),
                c.billing_day.to_string(),
                c.currency.clone(),
                c.plans.join("|"),
                c.deck.clone().unwrap_or_default(),
                c.email.clone().unwrap_or_default(),
                domains(c),
            ]
        })
        .collect();
    match format {
        ListFormat::Json => json(&serde_json::json!({ "customers": list })),
        ListFormat::Csv => csv(&header, &rows),
        ListFormat::Text => {
            table(&["Id", "Name", "Zone", "Day", "Currency", "Plans", "Deck", "Email", "Domains"], &rows)?;
            Ok(crate::stdout::outln!("{} customers", list.len())?)
        }
    }
}

pub fn customer(d: &CustomerDetail, format: Format) -> Result<()> {
    if format == Format::Json {
        return json(d);
    }
    let c = &d.customer;
    let mut o = String::new();
    let mut row = |k: &str, v: &str| o.push_str(&format!("{k:<14}{}\n", printable(if v.is_empty() { "-" } else { v })));
    row("Customer", &c.id);
    row("Name", &c.name);
    row("Time zone", &c.timezone);
    row("Billing day", &c.billing_day.to_string());
    row("Currency", &c.currency);
    row("Plans", &c.plans.join(", "));
    row("Deck", c.deck.as_deref().unwrap_or("(default)"));
    row("Email", c.email.as_deref().unwrap_or_default());
    o.push_str("\nDomains\n");
    if c.domains.is_empty() {
        o.push_str("  (none: calls come from files)\n");
    }
    for dom in &c.domains {
        let sync = match d.last_syncs.iter().find(|s| s.source == dom.source) {
            Some(s) => format!("last sync: job {} {} at {}, calls from {} to {}", s.job, s.state, s.at, s.from, s.to),
            None => "never synced".into(),
        };
        o.push_str(&format!("  {:<12}{}  ({sync})\n", dom.source, printable(&dom.domain)));
    }
    o.push_str(&format!("\nPhone numbers ({})\n", d.numbers.len()));
    for n in &d.numbers {
        let disabled = if n.enabled { "" } else { " (disabled)" };
        o.push_str(&format!("  {:<12}{}{disabled}\n", n.source, printable(&n.number)));
    }
    o.push_str(&format!("\nOpen invoices ({})\n", d.open_invoices.len()));
    for i in &d.open_invoices {
        o.push_str(&format!("  {}  {} to {}  {} {}  draft\n", i.id, i.from, i.to, i.currency, i.total));
    }
    Ok(out!("{o}")?)
}

pub fn plans(list: &[PlanRow], format: ListFormat) -> Result<()> {
    // One row per allowance; a plan without allowances has one row of its own.
    let mut rows = Vec::new();
    for p in list {
        let customers = p.customers.join("|");
        if p.allowances.is_empty() {
            rows.push(vec![p.id.clone(), String::new(), String::new(), String::new(), customers.clone()]);
        }
        for a in &p.allowances {
            let (types, minutes) = (a.call_types.join("|"), a.included_minutes.to_string());
            rows.push(vec![p.id.clone(), types, minutes, a.description.clone(), customers.clone()]);
        }
    }
    match format {
        ListFormat::Json => json(&serde_json::json!({ "plans": list })),
        ListFormat::Csv => csv(&["plan", "call_types", "included_minutes", "description", "customers"], &rows),
        ListFormat::Text => {
            table(&["Plan", "Call types", "Minutes", "Description", "Customers"], &rows)?;
            Ok(crate::stdout::outln!("{} plans", list.len())?)
        }
    }
}

/// The subscriptions: a table, or `{"subscriptions": [...]}`.
pub fn subscriptions(list: &[SubscriptionDoc], format: Format) -> Result<()> {
    match format {
        Format::Json => json(&serde_json::json!({ "subscriptions": list })),
        Format::Text => {
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|s| {
                    vec![
                        printable(&s.id).into_owned(),
                        printable(&s.customer).into_owned(),
                        s.start.clone(),
                        s.end.clone().unwrap_or_default(),
                        printable(&s.description).into_owned(),
                        s.quantity.clone(),
                        s.unit_price.clone(),
                        s.plans.join("|"),
                    ]
                })
                .collect();
            table(
                &["Subscription", "Customer", "Start", "End", "Description", "Quantity", "Unit price", "Plans"],
                &rows,
            )?;
            Ok(crate::stdout::outln!("{} subscriptions", list.len())?)
        }
    }
}

/// Minutes and seconds, as `12 min 30 s`.
pub fn min_sec(seconds: u64) -> String {
    match seconds % 60 {
        0 => format!("{} min", seconds / 60),
        s => format!("{} min {s} s", seconds / 60),
    }
}

/// A customer's allowances in a period: a table, or the document.
pub fn allowance(d: &AllowanceDoc, format: Format) -> Result<()> {
    match format {
        Format::Json => json(d),
        Format::Text => {
            let rows: Vec<Vec<String>> = d
                .allowances
                .iter()
                .map(|a| {
                    vec![
                        printable(&a.plan).into_owned(),
                        a.call_types.join("|"),
                        format!("{} min", a.included_minutes),
                        min_sec(a.used_seconds),
                        min_sec(a.left_seconds),
                    ]
                })
                .collect();
            crate::stdout::outln!("{}: period {} to {}", printable(&d.customer), d.period_from, d.period_to)?;
            table(&["Plan", "Call types", "Included", "Used", "Left"], &rows)?;
            Ok(crate::stdout::outln!("{} allowances", d.allowances.len())?)
        }
    }
}
