//! The call detail as CSV: one row per billed call, grouped and ordered as the document's
//! appendix, with every figure a customer needs to check its charge. Cells a spreadsheet would
//! run as a formula are prefixed as in every CSV meter writes ([`spreadsheet_cell`]).

use crate::format::{minutes, spreadsheet_cell};
use crate::RenderError;
use billing::document::InvoiceDocument;
use std::io::Write;

/// The columns, in order.
pub const HEADER: [&str; 18] = [
    "invoice",
    "line",
    "call_type",
    "period_from",
    "period_to",
    "call_id",
    "source",
    "start",
    "from",
    "to",
    "duration_seconds",
    "billable_seconds",
    "billed_minutes",
    "included_seconds",
    "rate_per_minute",
    "connection_fee",
    "charge",
    "currency",
];

pub(crate) fn write(doc: &InvoiceDocument, out: impl Write) -> Result<(), RenderError> {
    let appendix = doc.appendix.as_ref().ok_or(RenderError::NoCalls)?;
    let mut w = csv::Writer::from_writer(out);
    w.write_record(HEADER)?;
    let invoice = doc.number.as_deref().unwrap_or(&doc.id);
    for g in &appendix.groups {
        let line = g.line.map(|i| (i + 1).to_string()).unwrap_or_default();
        let (from, to) = match &g.late {
            Some((f, t)) => (f.as_str(), t.as_str()),
            None => (doc.from.as_str(), doc.to.as_str()),
        };
        for c in &g.calls {
            let cells = [
                invoice,
                &line,
                &c.call_type,
                from,
                to,
                &c.id,
                &c.source,
                &c.start(),
                &c.from,
                &c.to,
                &c.duration.to_string(),
                &c.billable_seconds.to_string(),
                &minutes(c.billable_seconds).replace(',', ""),
                &c.included_seconds.to_string(),
                c.rate.as_deref().unwrap_or(""),
                c.connection_fee.as_deref().unwrap_or(""),
                &c.charge,
                &doc.currency,
            ];
            w.write_record(cells.iter().map(|c| spreadsheet_cell(c)).collect::<Vec<_>>().iter().map(|c| c.as_bytes()))?;
        }
    }
    w.flush()?;
    Ok(())
}
