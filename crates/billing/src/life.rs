//! The invoice's life (contract-cycle §4): a draft's manual lines added and removed, finalizing
//! with the next number, voiding a final invoice, and the listing. Each change is one
//! transaction that records what happened, when and by whom.

use crate::doc::{InvoiceDoc, InvoiceRow};
use crate::error::{BillingError, Result};
use crate::invoice::{doc_of, resolve, zone_of};
use chrono::{Days, NaiveDate};
use rating::calendar::local_date;
use rating::{Amount, Micros};
use store::prelude::*;
use store::{EventKind, Finalization, Invoice, InvoiceEvent, InvoiceId, InvoiceQuery, InvoiceStatus, LineKind, Store};
use tracing::info_span;

/// The longest description of a manual line, and reason of a void, in characters.
pub const MAX_TEXT: usize = 1_000;

/// Who and when: the operator (or `cycle` / `scheduler`) and the time of the change.
#[derive(Debug, Clone, Copy)]
pub struct By<'a> {
    pub who: &'a str,
    pub at: Micros,
}

impl By<'_> {
    fn event(&self, what: EventKind, detail: Option<String>) -> InvoiceEvent {
        InvoiceEvent { at: self.at, what, by: self.who.to_owned(), detail }
    }
}

/// A text for an invoice, checked: not empty, no control characters, at most [`MAX_TEXT`]
/// characters. `what` names it in errors.
fn checked_text(what: &'static str, text: &str) -> Result<String> {
    let text = text.trim();
    let reason = if text.is_empty() {
        "is empty"
    } else if text.chars().any(char::is_control) {
        "holds control characters"
    } else if text.chars().count() > MAX_TEXT {
        "is longer than 1000 characters"
    } else {
        return Ok(text.to_owned());
    };
    Err(BillingError::BadText { what, reason: reason.into() })
}

/// A manual line's amount: a decimal with at most 2 decimals as written, not zero; negative for
/// a credit.
pub fn parse_amount(value: &str) -> Result<Amount> {
    let bad = |reason: String| BillingError::BadAmount { value: value.to_owned(), reason };
    let amount = Amount::parse(value.trim()).map_err(|e| bad(e.to_string()))?;
    if amount == Amount::ZERO {
        return Err(bad("a line of 0.00 bills nothing".into()));
    }
    Ok(amount)
}

/// The invoice `text` names, locked for a change, in the state `wanted` (`needs` says why).
fn locked<T: StoreTx>(tx: &mut T, text: &str, wanted: InvoiceStatus, needs: &'static str) -> Result<Invoice> {
    let id = resolve(tx, text)?;
    let inv = tx.invoice_for_update(id)?.ok_or_else(|| BillingError::UnknownInvoice(text.to_owned()))?;
    if inv.status != wanted {
        return Err(BillingError::WrongState { id: id.to_string(), status: inv.status, needs });
    }
    Ok(inv)
}

/// The stored invoice's document after a change, in the same transaction.
fn reread<T: StoreTx>(tx: &mut T, id: InvoiceId) -> Result<InvoiceDoc> {
    let inv = tx.invoice(id)?.ok_or_else(|| BillingError::UnknownInvoice(id.to_string()))?;
    Ok(doc_of(&inv))
}

/// Adds a manual line (`amount` negative for a credit) after a draft's lines; its total becomes
/// the sum of all its lines.
pub fn add_line<S: Store>(store: &mut S, id: &str, description: &str, amount: &str, by: By<'_>) -> Result<InvoiceDoc> {
    let _span = info_span!("invoice.add_line", invoice = %id).entered();
    let description = checked_text("description", description)?;
    let amount = parse_amount(amount)?;
    let mut tx = store.write_usage()?;
    let inv = locked(&mut tx, id, InvoiceStatus::Draft, "only a draft invoice's lines change")?;
    let total = inv.total.checked_add(amount)?;
    tx.add_manual_line(inv.id, &description, amount, total)?;
    let line = format!("{}: {description} {amount}", inv.lines.len() + 1);
    tx.add_event(inv.id, &by.event(EventKind::LineAdded, Some(line)))?;
    let doc = reread(&mut tx, inv.id)?;
    tx.commit()?;
    Ok(doc)
}

/// Removes the `line`-th line (from 1, as shown) of a draft, which must be a manual one.
pub fn remove_line<S: Store>(store: &mut S, id: &str, line: usize, by: By<'_>) -> Result<InvoiceDoc> {
    let _span = info_span!("invoice.remove_line", invoice = %id, line).entered();
    let mut tx = store.write_usage()?;
    let inv = locked(&mut tx, id, InvoiceStatus::Draft, "only a draft invoice's lines change")?;
    let Some(l) = line.checked_sub(1).and_then(|i| inv.lines.get(i)) else {
        return Err(BillingError::NoLine { id: inv.id.to_string(), line, lines: inv.lines.len() });
    };
    if l.kind != LineKind::Manual {
        return Err(BillingError::NotManual { id: inv.id.to_string(), line, kind: l.kind.as_str() });
    }
    let total = inv.total.checked_add(Amount::from_units(-l.amount.units()))?;
    let detail = format!("{line}: {} {}", l.description, l.amount);
    tx.remove_line(inv.id, line, total)?;
    tx.add_event(inv.id, &by.event(EventKind::LineRemoved, Some(detail)))?;
    let doc = reread(&mut tx, inv.id)?;
    tx.commit()?;
    Ok(doc)
}

/// Finalizes a draft: the next number of the installation's sequence (the prefix as set now),
/// issued today in the customer's zone, due after the customer's payment terms (else the
/// installation's, else 30 days). One transaction; the number is taken as it commits.
pub fn finalize<S: Store>(store: &mut S, id: &str, by: By<'_>) -> Result<InvoiceDoc> {
    let _span = info_span!("invoice.finalize", invoice = %id).entered();
    let mut tx = store.write_usage()?;
    let inv = locked(&mut tx, id, InvoiceStatus::Draft, "only a draft invoice is finalized")?;
    let customer = tx.customer(&inv.customer)?.ok_or_else(|| BillingError::UnknownCustomer(inv.customer.clone()))?;
    let issued = local_date(by.at, zone_of(&customer)?);
    let terms = match customer.payment_terms {
        Some(days) => days,
        None => crate::settings::payment_terms(&mut tx)?,
    };
    let due = due_after(issued, terms);
    let prefix = crate::settings::prefix(&mut tx)?;
    tx.finalize_invoice(inv.id, &Finalization { prefix, issued, due, at: by.at })?;
    tx.add_event(inv.id, &by.event(EventKind::Finalized, None))?;
    let doc = reread(&mut tx, inv.id)?;
    tx.commit()?;
    Ok(doc)
}

/// The due date `terms` days after `issued` (the last date there is, past the calendar's end).
fn due_after(issued: NaiveDate, terms: u32) -> NaiveDate {
    issued.checked_add_days(Days::new(u64::from(terms))).unwrap_or(NaiveDate::MAX)
}

/// Voids a final invoice: it keeps its number, lines and document; its calls, allowance draws
/// and subscription days are released, to be billed again by a corrected invoice. Returns the
/// document and how many calls were released.
pub fn void<S: Store>(store: &mut S, id: &str, reason: &str, by: By<'_>) -> Result<(InvoiceDoc, u64)> {
    let _span = info_span!("invoice.void", invoice = %id).entered();
    let reason = checked_text("reason", reason)?;
    let mut tx = store.write_usage()?;
    let inv = locked(&mut tx, id, InvoiceStatus::Final, "only a final invoice is voided (a draft is deleted)")?;
    let released = tx.void_invoice(inv.id, by.at, &reason)?;
    tx.add_event(inv.id, &by.event(EventKind::Voided, Some(reason)))?;
    let doc = reread(&mut tx, inv.id)?;
    tx.commit()?;
    Ok((doc, released))
}

/// Which invoices to list: one customer's, of one status, overlapping some days.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    pub customer: Option<String>,
    pub status: Option<InvoiceStatus>,
    /// Days `first..=last`: invoices whose range overlaps them.
    pub days: Option<(NaiveDate, NaiveDate)>,
}

/// Invoices, newest first.
pub fn list<S: Store>(store: &mut S, filter: &ListFilter) -> Result<Vec<InvoiceRow>> {
    if let Some((from, to)) = filter.days {
        crate::error::check_range(from, to)?;
    }
    let mut tx = store.read()?;
    let customer_pk = match &filter.customer {
        Some(id) => Some(tx.customer(id)?.ok_or_else(|| BillingError::UnknownCustomer(id.clone()))?.pk),
        None => None,
    };
    let query = InvoiceQuery { customer_pk, status: filter.status, overlapping: filter.days };
    Ok(tx
        .invoices(&query)?
        .into_iter()
        .map(|i| InvoiceRow {
            id: i.id.to_string(),
            number: i.number,
            customer: i.customer,
            from: i.from,
            to: i.to,
            status: i.status.to_string(),
            currency: i.currency,
            total: i.total.to_string(),
            issued: i.issued,
            due: i.due,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_amounts_have_two_decimals_at_most_and_are_not_zero() {
        assert_eq!(parse_amount("-5.00").map(|a| a.units()).ok(), Some(-500));
        assert_eq!(parse_amount("12").map(|a| a.units()).ok(), Some(1200));
        assert_eq!(parse_amount("0.5").map(|a| a.units()).ok(), Some(50));
        for bad in ["0", "-0.00", "1.005", "1e3", "", "abc", "1,00"] {
            assert!(parse_amount(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn due_dates_count_whole_days() {
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a date");
        assert_eq!(due_after(day("2026-01-31"), 30), day("2026-03-02"));
        assert_eq!(due_after(day("2026-12-15"), 0), day("2026-12-15"));
        assert_eq!(due_after(NaiveDate::MAX, 1), NaiveDate::MAX);
    }
}
