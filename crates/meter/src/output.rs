//! What commands print: one JSON document with `--format json`, readable tables otherwise.

use crate::cli::Format;
use crate::escape::printable;
use crate::stdout::{out, outln, Out};
use anyhow::Result;
use billing::cycle::{CycleReport, NotInvoiced};
use billing::doc::InvoiceDoc;
use billing::import::Summary;
use billing::listing::{DeckRow, RateRow};
use billing::metered::JobDoc;
use serde::Serialize;
use std::borrow::Cow;
use std::io::Write;

/// Prints one JSON document on stdout.
pub fn json<T: Serialize>(doc: &T) -> Result<()> {
    let mut out = Out::new();
    serde_json::to_writer_pretty(&mut out, doc)?;
    writeln!(out)?;
    Ok(out.finish()?)
}

pub fn summary(what: &str, s: &Summary, format: Format) -> Result<()> {
    match format {
        Format::Json => json(s),
        Format::Text => {
            outln!(
                "{what}: {} imported, {} updated, {} duplicates, {} conflicts",
                s.imported,
                s.updated,
                s.duplicates,
                s.conflicts
            )?;
            if s.conflicts > 0 {
                outln!("conflicts are records that differ from calls already billed: they were left unchanged")?;
            }
            Ok(())
        }
    }
}

/// Seconds as H:MM:SS, as billing staff read durations.
fn hms(s: u64) -> String {
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// An invoice: the lines as a table with the total, then the warnings. `unrated_notes` says,
/// for each unrated call type in order, which tiers were tried (previews only).
pub fn invoice(doc: &InvoiceDoc, reason: Option<&str>, unrated_notes: &[String], format: Format) -> Result<()> {
    if format == Format::Json {
        return json(doc);
    }
    let mut o = String::new();
    match (&doc.id, &doc.status) {
        (Some(id), Some(status)) => o.push_str(&format!("Invoice {id} ({status})\n")),
        _ => o.push_str("Invoice preview (nothing is saved)\n"),
    }
    if let Some(Some(number)) = &doc.number {
        o.push_str(&format!("Number    {}\n", printable(number)));
    }
    if let (Some(Some(issued)), Some(Some(due))) = (&doc.issued, &doc.due) {
        o.push_str(&format!("Issued    {issued}, due {due}\n"));
    }
    o.push_str(&format!("Customer  {}\nPeriod    {} to {}\n", printable(&doc.customer), doc.from, doc.to));
    if let Some(types) = &doc.call_types {
        o.push_str(&format!("Types     {}\n", printable(&types.join(", "))));
    }
    o.push('\n');
    let cur = &doc.currency;
    let amount = |a: &str| format!("{cur} {a}");
    let header = ["Call type", "Calls", "Billable", "Included", "Charged", "Amount"];
    let mut rows: Vec<[String; 6]> = doc
        .lines
        .iter()
        .map(|l| {
            [
                line_label(l),
                l.calls.map_or_else(String::new, |n| n.to_string()),
                l.billable_seconds.map_or_else(String::new, hms),
                l.included_seconds.map_or_else(String::new, hms),
                l.charged_seconds.map_or_else(String::new, hms),
                amount(&l.amount),
            ]
        })
        .collect();
    rows.push(["Total".into(), String::new(), String::new(), String::new(), String::new(), amount(&doc.total)]);
    let mut widths = header.map(str::len);
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let fmt_row = |cells: [&str; 6]| {
        let mut line = format!("  {:<w$}", cells[0], w = widths[0]);
        for (c, w) in cells[1..].iter().zip(&widths[1..]) {
            line.push_str(&format!("  {c:>w$}"));
        }
        line.trim_end().to_owned() + "\n"
    };
    o.push_str(&fmt_row(header));
    let rule: usize = widths.iter().sum::<usize>() + 2 * widths.len();
    for (i, r) in rows.iter().enumerate() {
        if i == rows.len() - 1 {
            o.push_str(&format!("  {}\n", "-".repeat(rule - 2)));
        }
        o.push_str(&fmt_row([&r[0], &r[1], &r[2], &r[3], &r[4], &r[5]]));
    }
    if doc.lines.is_empty() {
        o.push_str("  (no lines)\n");
    }
    let mut warnings = Vec::new();
    for (i, u) in doc.unrated.iter().enumerate() {
        let why = unrated_notes.get(i).map_or_else(String::new, |n| format!(" ({n})"));
        warnings.push(format!(
            "{} {} call{} not billed: no rate{why}",
            u.calls,
            u.call_type,
            if u.calls == 1 { "" } else { "s" }
        ));
    }
    if doc.already_billed > 0 {
        warnings.push(format!("{} calls in range are already on another invoice", doc.already_billed));
    }
    if let Some(r) = reason {
        warnings.push(r.to_owned());
    }
    if !warnings.is_empty() {
        o.push_str("\nWarnings\n");
        for w in warnings {
            o.push_str(&format!("  - {}\n", printable(&w)));
        }
    }
    if let Some(events) = doc.events.as_deref().filter(|e| !e.is_empty()) {
        o.push_str("\nHistory\n");
        for e in events {
            let what = e.what.replace('_', " ");
            let why = match (&e.reason, &e.line) {
                (Some(reason), _) => format!(": {}", printable(reason)),
                (None, Some(line)) => format!(": line {}", printable(line)),
                (None, None) => String::new(),
            };
            o.push_str(&format!("  {}  {what} by {}{why}\n", e.at, printable(&e.by)));
        }
    }
    Ok(out!("{o}")?)
}

/// `invoice list`: `{"invoices": [...]}`, or a table.
pub fn invoice_list(rows: &[billing::doc::InvoiceRow], format: Format) -> Result<()> {
    if format == Format::Json {
        return json(&serde_json::json!({ "invoices": rows }));
    }
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.id.clone(),
                opt(&r.number),
                r.customer.clone(),
                r.from.clone(),
                r.to.clone(),
                r.status.clone(),
                format!("{} {}", r.currency, r.total),
                opt(&r.issued),
                opt(&r.due),
            ]
        })
        .collect();
    table(&["Id", "Number", "Customer", "From", "To", "Status", "Total", "Issued", "Due"], &cells)?;
    Ok(outln!("{} invoices", rows.len())?)
}

/// What `invoice finalize` did: the invoices finalized, and those that were not, with why.
pub fn finalized(done: &[InvoiceDoc], failed: &[(String, String)], format: Format) -> Result<()> {
    if format == Format::Json {
        let failed: Vec<_> =
            failed.iter().map(|(id, reason)| serde_json::json!({"id": id, "reason": reason})).collect();
        return json(&serde_json::json!({ "invoices": done, "failed": failed }));
    }
    for d in done {
        outln!(
            "finalized {} as {}: {} {}, issued {}, due {}",
            d.id.as_deref().unwrap_or("?"),
            printable(&d.number.clone().flatten().unwrap_or_default()),
            d.currency,
            d.total,
            d.issued.clone().flatten().unwrap_or_default(),
            d.due.clone().flatten().unwrap_or_default()
        )?;
    }
    for (id, reason) in failed {
        outln!("not finalized {}: {}", printable(id), printable(reason))?;
    }
    Ok(())
}

/// Settings: `{"settings": [...]}`, or one line each.
pub fn settings(list: &[billing::settings::SettingDoc], format: Format) -> Result<()> {
    if format == Format::Json {
        return json(&serde_json::json!({ "settings": list }));
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|s| {
            let mut value = s.value.clone().unwrap_or_else(|| "(not set)".into());
            if let (Some(kind), Some(bytes)) = (&s.media_type, s.bytes) {
                value = format!("{value} ({kind}, {bytes} bytes, stored)");
            }
            let value = value.replace('\n', " / ");
            let whose = if s.set {
                "set"
            } else if s.value.is_some() {
                "default"
            } else {
                ""
            };
            vec![s.name.clone(), value, whose.to_owned()]
        })
        .collect();
    table(&["Setting", "Value", ""], &rows)
}

/// The due customers a cycle did not invoice, by what became of them.
pub fn not_invoiced(report: &CycleReport) -> [(&'static str, &[NotInvoiced]); 3] {
    [("skipped", &report.skipped), ("held", &report.held), ("failed", &report.failed)]
}

/// What a line of an invoice's table is called: its call type (a late one with its period), or
/// a recurring line's description, quantity and days.
fn line_label(l: &billing::doc::LineDoc) -> String {
    let days = match (&l.from, &l.to) {
        (Some(from), Some(to)) => format!(" ({from} to {to})"),
        _ => String::new(),
    };
    match (&l.call_type, &l.quantity) {
        (Some(t), _) if l.late => printable(&format!("{t}, late{days}")).into_owned(),
        (Some(t), _) => printable(t).into_owned(),
        (None, Some(q)) => printable(&format!("{} × {q}{days}", l.description)).into_owned(),
        (None, None) => printable(&l.description).into_owned(),
    }
}

/// A cycle run's JSON document (keys in name order), written from the report as it is: a run of
/// 100,000 customers holds 100,000 invoices, and no copy of them is made to print them.
#[derive(Serialize)]
struct CycleJson<'a> {
    failed: &'a [NotInvoiced],
    held: &'a [NotInvoiced],
    invoices: &'a [InvoiceDoc],
    job: Option<i64>,
    skipped: &'a [NotInvoiced],
    unbilled_earlier: &'a [billing::cycle::UnbilledEarlier],
}

pub fn cycle(report: &CycleReport, format: Format) -> Result<()> {
    if format == Format::Json {
        return json(&CycleJson {
            failed: &report.failed,
            held: &report.held,
            invoices: &report.invoices,
            job: report.job,
            skipped: &report.skipped,
            unbilled_earlier: &report.unbilled_earlier,
        });
    }
    if report.invoices.is_empty() {
        outln!("no invoices created")?;
    }
    for d in &report.invoices {
        outln!(
            "created {} for {} ({} to {}): {} {}",
            d.id.as_deref().unwrap_or("?"),
            printable(&d.customer),
            d.from,
            d.to,
            d.currency,
            d.total
        )?;
    }
    for (what, list) in not_invoiced(report) {
        for n in list {
            outln!("{what} {}: {}", printable(&n.customer), printable(&n.reason))?;
        }
    }
    for u in &report.unbilled_earlier {
        outln!(
            "unbilled earlier {}: {} answered calls from {} to {} are on no invoice (bill them with invoice create)",
            printable(&u.customer),
            u.calls,
            u.from,
            u.to
        )?;
    }
    let job = report.job.map(|j| format!(" (job {j})")).unwrap_or_default();
    outln!(
        "this run{job}: {} invoiced, {} skipped, {} held, {} failed",
        report.invoices.len(),
        report.skipped.len(),
        report.held.len(),
        report.failed.len()
    )?;
    Ok(())
}

/// Prints rows of cells as a table with a header, columns padded to their widest cell, control
/// characters escaped.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> Result<()> {
    let rows: Vec<Vec<Cow<'_, str>>> = rows.iter().map(|r| r.iter().map(|c| printable(c)).collect()).collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = Out::new();
    let line = |cells: Vec<&str>| {
        let s: Vec<String> = cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        s.join("  ").trim_end().to_owned()
    };
    writeln!(out, "{}", line(header.to_vec()))?;
    for r in &rows {
        writeln!(out, "{}", line(r.iter().map(|c| c.as_ref()).collect()))?;
    }
    Ok(out.finish()?)
}

pub fn decks(decks: &[DeckRow], format: Format) -> Result<()> {
    if format == Format::Json {
        return json(&serde_json::json!({ "decks": decks }));
    }
    let rows: Vec<Vec<String>> = decks
        .iter()
        .map(|d| {
            let customers = if d.deck == "default" { "(everyone)".to_owned() } else { d.customers.join(", ") };
            vec![d.deck.clone(), d.rates.to_string(), customers, d.description.clone()]
        })
        .collect();
    table(&["Deck", "Rates", "Customers", "Description"], &rows)
}

/// A customer's phone numbers by source: `{"numbers": [...]}`, or a table.
pub fn numbers(numbers: &[billing::import::NumberRow], format: Format) -> Result<()> {
    if format == Format::Json {
        return json(&serde_json::json!({ "numbers": numbers }));
    }
    let yes_no = |e: bool| if e { "yes" } else { "no" }.to_owned();
    let rows: Vec<Vec<String>> =
        numbers.iter().map(|n| vec![n.source.clone(), n.number.clone(), yes_no(n.enabled)]).collect();
    table(&["Source", "Number", "Enabled"], &rows)?;
    Ok(outln!("{} numbers", numbers.len())?)
}

/// The call types no rate covers: `{"call_types": [...]}`, or a table.
pub fn unrated(types: &[billing::listing::UnratedType], format: Format) -> Result<()> {
    if format == Format::Json {
        return json(&serde_json::json!({ "call_types": types }));
    }
    let rows: Vec<Vec<String>> = types
        .iter()
        .map(|t| vec![t.call_type.clone(), t.calls.to_string(), t.first_seen.clone(), t.last_seen.clone()])
        .collect();
    table(&["Call type", "Calls", "First seen", "Last seen"], &rows)?;
    Ok(outln!("{} call types without a rate", types.len())?)
}

pub fn rates(rates: &[RateRow], format: Format) -> Result<()> {
    if format == Format::Json {
        return json(&serde_json::json!({ "rates": rates }));
    }
    let or_any = |s: &str| if s.is_empty() { "*".to_owned() } else { s.to_owned() };
    let rows: Vec<Vec<String>> = rates
        .iter()
        .map(|row| {
            let r = &row.rate;
            vec![
                r.id.to_string(),
                row.call_type.clone(),
                r.owner.clone(),
                or_any(&r.prefix),
                or_any(&r.local_prefix),
                r.rate.clone(),
                r.connection_fee.clone(),
                format!("{}/{}", r.initial_increment, r.subsequent_increment),
                row.effective_from.clone().unwrap_or_default(),
                row.effective_to.clone().unwrap_or_default(),
                row.description.clone(),
            ]
        })
        .collect();
    table(
        &["Id", "Call type", "Owner", "Prefix", "Local", "Per min", "Fee", "Incr", "From", "To", "Description"],
        &rows,
    )?;
    Ok(outln!("{} rates", rates.len())?)
}

/// Sync jobs: `{"jobs": [...]}`, or one line each.
pub fn jobs(docs: &[JobDoc], format: Format) -> Result<()> {
    match format {
        Format::Json => json(&serde_json::json!({ "jobs": docs })),
        Format::Text => {
            let mut out = Out::new();
            for d in docs {
                out.write_all(job_line(d).as_bytes())?;
            }
            Ok(out.finish()?)
        }
    }
}

/// Jobs of every kind (`jobs list`).
pub fn any_jobs(docs: &[billing::runs::AnyJob], format: Format) -> Result<()> {
    use billing::runs::AnyJob;
    match format {
        Format::Json => json(&serde_json::json!({ "jobs": docs })),
        Format::Text => {
            let mut out = Out::new();
            for d in docs {
                let line = match d {
                    AnyJob::Sync(j) => job_line(j),
                    AnyJob::Run(r) => run_line(r),
                };
                out.write_all(line.as_bytes())?;
            }
            Ok(out.finish()?)
        }
    }
}

/// One line per cycle or scheduler run.
fn run_line(r: &billing::runs::RunDoc) -> String {
    let what = if r.kind == "cycle" { "customers" } else { "steps" };
    let mut line = format!("job {} {} {} {}: {} of {} {what}", r.id, r.state, r.kind, r.date, r.done, r.total);
    if r.kind == "cycle" {
        line.push_str(&format!(
            ", {} invoiced, {} skipped, {} held, {} failed",
            r.invoiced, r.skipped, r.held, r.failed
        ));
    }
    if let Some(e) = &r.error {
        line.push_str(&format!(": {}", printable(e)));
    }
    line.push('\n');
    line
}

/// One line per job, then one per rejected record kept.
fn job_line(d: &JobDoc) -> String {
    let reconciled = match (d.platform_count, d.stored_count, d.reconciliation) {
        (Some(p), Some(s), Some("exact")) => format!("platform {p} = stored {s}"),
        (Some(p), Some(s), Some("with_hidden_legs")) => {
            format!("platform {p} = stored {s} + {} hidden legs", d.skipped)
        }
        (Some(p), Some(s), _) => format!("platform {p} ≠ stored {s} (difference {})", d.difference.unwrap_or(0)),
        _ => "not reconciled".into(),
    };
    let mut rejected = String::new();
    if d.rejected > 0 {
        rejected = format!(", {} rejected", d.rejected);
    }
    let mut line = format!(
        "job {} {} {} {} {}: {} pages, {} records, {} imported, {} updated, {} duplicates, {} conflicts{rejected}, {}\n",
        d.id,
        d.state,
        printable(&d.customer),
        d.source,
        printable(&d.domain),
        d.pages,
        d.received,
        d.imported,
        d.updated,
        d.duplicates,
        d.conflicts,
        reconciled
    );
    for r in &d.rejects {
        line.push_str(&format!("  rejected {}: {}\n", r.id, r.reason));
    }
    line
}
