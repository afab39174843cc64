//! What the document says, the same in HTML and PDF: its name, the facts in its header, each
//! line's cells, the notes under the total and the call detail's titles.

use crate::format::{calls_of_type, count, duration, grouped, minutes, money, period};
use billing::doc::LineDoc;
use billing::document::{Appendix, CallGroup, CallRow, InvoiceDocument, Status};

/// How the document names itself: `Invoice INV-000001`, `Draft D-3`, `Void invoice INV-000002`.
pub(crate) fn reference(doc: &InvoiceDocument) -> String {
    let number = doc.number.as_deref().unwrap_or(&doc.id);
    match doc.status {
        Status::Draft => format!("Draft {}", doc.id),
        Status::Final => format!("Invoice {number}"),
        Status::Void => format!("Void invoice {number}"),
    }
}

/// The line under the title: the number, or what makes the document no invoice to pay.
pub(crate) fn status_line(doc: &InvoiceDocument) -> String {
    match doc.status {
        Status::Draft => "DRAFT — not a valid invoice".to_owned(),
        Status::Final => format!("No. {}", doc.number.as_deref().unwrap_or(&doc.id)),
        Status::Void => format!("VOID — {}", doc.number.as_deref().unwrap_or(&doc.id)),
    }
}

/// The header's facts: (label, value).
pub(crate) fn facts(doc: &InvoiceDocument) -> Vec<(&'static str, String)> {
    // A number is the line under the title; a draft has its id only.
    let mut facts = match &doc.number {
        Some(_) => vec![],
        None => vec![("Reference", doc.id.clone())],
    };
    if let Some(issued) = &doc.issued {
        facts.push(("Issued", issued.clone()));
    }
    if let Some(due) = &doc.due {
        facts.push(("Due", due.clone()));
    }
    facts.push(("Period", period(&doc.from, &doc.to)));
    facts.push(("Currency", doc.currency.clone()));
    facts.push(("Time zone", doc.zone.clone()));
    facts
}

/// The amount box: its label, the total in the currency, and the note under it (and whether
/// the note is a warning).
pub(crate) fn amount_box(doc: &InvoiceDocument) -> (&'static str, String, Option<(String, bool)>) {
    let total = money(&doc.total, &doc.currency);
    match doc.status {
        Status::Final => ("Amount due", total, doc.due.as_ref().map(|d| (format!("Due by {d}"), false))),
        Status::Draft => ("Total", total, Some(("Draft: not a request for payment".to_owned(), true))),
        Status::Void => ("Total", total, Some(("Void: nothing is due".to_owned(), true))),
    }
}

/// A void invoice's reason, as shown under the bill-to block.
pub(crate) fn voided(doc: &InvoiceDocument) -> Option<String> {
    (doc.status == Status::Void)
        .then(|| format!("This invoice was voided: {}", doc.void_reason.as_deref().unwrap_or("")))
}

/// A line's cells: its description, a note under it, the days it bills, its calls, minutes and
/// included minutes (usage lines), and its amount.
pub(crate) struct LineCells {
    pub description: String,
    pub note: Option<String>,
    pub days: String,
    pub figures: [Option<String>; 3],
    pub amount: String,
}

pub(crate) fn line_cells(doc: &InvoiceDocument, l: &LineDoc) -> LineCells {
    let amount = grouped(&l.amount);
    match l.kind.as_str() {
        "usage" => LineCells {
            description: calls_of_type(l.call_type.as_deref().unwrap_or_default()),
            note: l.late.then(|| "Late usage of an earlier period".to_owned()),
            days: match (&l.from, &l.to) {
                (Some(f), Some(t)) => period(f, t),
                _ => period(&doc.from, &doc.to),
            },
            figures: [l.calls.map(count), l.billable_seconds.map(minutes), l.included_seconds.map(minutes)],
            amount,
        },
        "recurring" => LineCells {
            description: l.description.clone(),
            note: l
                .quantity
                .as_ref()
                .zip(l.unit_price.as_ref())
                .map(|(q, p)| format!("{q} × {} per period", grouped(p))),
            days: l.from.as_ref().zip(l.to.as_ref()).map(|(f, t)| period(f, t)).unwrap_or_default(),
            figures: [None, None, None],
            amount,
        },
        _ => LineCells {
            description: l.description.clone(),
            note: None,
            days: String::new(),
            figures: [None, None, None],
            amount,
        },
    }
}

/// The notes under the total: what is due, and where the call detail is (`detail_page`, the
/// page it starts on, when known).
pub(crate) fn notes(doc: &InvoiceDocument, detail_page: Option<usize>) -> Vec<String> {
    let total = money(&doc.total, &doc.currency);
    let mut notes = Vec::new();
    match (doc.status, &doc.due) {
        (Status::Final, Some(due)) => notes.push(format!("Payment of {total} is due by {due}.")),
        (Status::Final, None) => {}
        (Status::Draft, _) => {
            notes.push("This is a draft: it is not a request for payment, and it may still change.".into())
        }
        (Status::Void, _) => notes.push("This invoice is void: nothing is due on it.".into()),
    }
    if let Some(a) = &doc.appendix {
        let from = detail_page.map(|p| format!(" from page {p}")).unwrap_or_default();
        notes.push(format!("The call detail follows{from}: {}, times in {}.", calls(a.calls), doc.zone));
    }
    notes
}

/// `1 billed call`, `1,234 billed calls`.
fn calls(n: u64) -> String {
    format!("{} billed call{}", count(n), if n == 1 { "" } else { "s" })
}

/// The call detail's introduction.
pub(crate) fn appendix_intro(doc: &InvoiceDocument, a: &Appendix) -> String {
    format!(
        "Every call this invoice bills ({} in all), by invoice line. Times are in {}. Billed minutes \
         are the call's billable seconds after the rate's increments; included minutes, those of \
         them drawn from the plan's included minutes. Charges are in {} to 4 decimals; each line's \
         amount is the sum of its calls' charges rounded to 2 decimals, shown as the subtotal.",
        count(a.calls),
        doc.zone,
        doc.currency
    )
}

/// A group's title: its call type, and for a late line the period it bills.
pub(crate) fn group_title(g: &CallGroup) -> String {
    match &g.late {
        Some((from, to)) => format!("{} — late usage of {}", calls_of_type(&g.call_type), period(from, to)),
        None => calls_of_type(&g.call_type),
    }
}

/// `12 calls` under a group's title.
pub(crate) fn group_count(g: &CallGroup) -> String {
    let n = g.calls.len();
    format!("{} call{}", count(n as u64), if n == 1 { "" } else { "s" })
}

/// The subtotal row's label.
pub(crate) fn subtotal_label(g: &CallGroup) -> String {
    format!("Subtotal, {}: charges {} rounded to the line", group_count(g), grouped(&g.charges))
}

/// A row of the call detail as shown, in its columns' order: date and time, from, to, call type,
/// duration, billed minutes, included minutes, rate per minute, charge.
pub fn call_cells(c: &CallRow) -> [String; 9] {
    [
        format!("{} {}", c.date, c.time),
        c.from.clone(),
        c.to.clone(),
        c.call_type.clone(),
        duration(u64::from(c.duration)),
        minutes(c.billable_seconds),
        minutes(c.included_seconds),
        c.rate.as_deref().map(grouped).unwrap_or_default(),
        grouped(&c.charge),
    ]
}
