//! The invoice's life on PostgreSQL: manual lines of drafts, finalization with the next number,
//! voiding, the events, and the listing. Each change locks the invoice's row and its customer's
//! first (as a deletion does), so that changes of one invoice, and a customer's invoices made and
//! released, come one after another; the triggers of migration 0013 refuse what would change a
//! final invoice whatever the caller.

use super::{at, PgTx};
use crate::{
    event_kind_of, not_in_state, status_of, Finalization, InvoiceEvent, InvoiceId, InvoiceQuery, InvoiceStatus,
    InvoiceSummary, Result, StoreError,
};
use chrono::{DateTime, NaiveDate, Utc};
use rating::Amount;

impl PgTx<'_> {
    /// Locks the invoice's row and its customer's until the transaction ends; its status, if it
    /// exists.
    pub(super) fn lock_invoice(&mut self, id: InvoiceId) -> Result<Option<InvoiceStatus>> {
        let st = self.prepared(
            "SELECT i.status FROM invoices i JOIN customers c ON c.pk = i.customer_pk WHERE i.pk = $1 FOR UPDATE",
        )?;
        let row = self.tx.query_opt(&st, &[&id.0])?;
        row.map(|r| status_of(r.try_get(0)?)).transpose()
    }

    /// Locks the invoice; refuses unless it is in `wanted` (`needs` says why).
    fn require(&mut self, id: InvoiceId, wanted: InvoiceStatus, needs: &str) -> Result<()> {
        match self.lock_invoice(id)? {
            Some(s) if s == wanted => Ok(()),
            other => Err(not_in_state(id, other, needs)),
        }
    }

    pub(super) fn events_of(&mut self, id: InvoiceId) -> Result<Vec<InvoiceEvent>> {
        let st =
            self.prepared("SELECT at, what, actor, detail FROM invoice_events WHERE invoice_pk = $1 ORDER BY seq")?;
        self.tx
            .query(&st, &[&id.0])?
            .iter()
            .map(|r| {
                Ok(InvoiceEvent {
                    at: r.try_get::<_, DateTime<Utc>>(0)?.timestamp_micros(),
                    what: event_kind_of(r.try_get(1)?)?,
                    by: r.try_get(2)?,
                    detail: r.try_get(3)?,
                })
            })
            .collect()
    }

    pub(super) fn add_event_in(&mut self, id: InvoiceId, e: &InvoiceEvent) -> Result<()> {
        let st = self.prepared(
            "INSERT INTO invoice_events (invoice_pk, seq, at, what, actor, detail)
             SELECT $1, coalesce(max(seq) + 1, 0), $2, $3, $4, $5 FROM invoice_events WHERE invoice_pk = $1",
        )?;
        self.tx.execute(&st, &[&id.0, &at(e.at)?, &e.what.as_str(), &e.by, &e.detail])?;
        Ok(())
    }

    fn set_total(&mut self, id: InvoiceId, total: Amount) -> Result<()> {
        let st = self.prepared("UPDATE invoices SET total_e2 = $2 WHERE pk = $1")?;
        self.tx.execute(&st, &[&id.0, &total.units()])?;
        Ok(())
    }

    pub(super) fn add_manual_line_in(
        &mut self,
        id: InvoiceId,
        description: &str,
        amount: Amount,
        total: Amount,
    ) -> Result<()> {
        self.require(id, InvoiceStatus::Draft, "only a draft's lines change")?;
        let st = self.prepared(
            "INSERT INTO invoice_lines (invoice_pk, position, kind, description, amount_e2)
             SELECT $1, coalesce(max(position) + 1, 0), 'manual', $2, $3 FROM invoice_lines WHERE invoice_pk = $1",
        )?;
        self.tx.execute(&st, &[&id.0, &description, &amount.units()])?;
        self.set_total(id, total)
    }

    pub(super) fn remove_line_in(&mut self, id: InvoiceId, ordinal: usize, total: Amount) -> Result<()> {
        self.require(id, InvoiceStatus::Draft, "only a draft's lines change")?;
        let st = self.prepared(
            "SELECT position, kind FROM invoice_lines WHERE invoice_pk = $1 ORDER BY position OFFSET $2 LIMIT 1",
        )?;
        let offset = i64::try_from(ordinal.saturating_sub(1)).unwrap_or(i64::MAX);
        let line = self.tx.query_opt(&st, &[&id.0, &offset])?;
        let line: Option<(i64, String)> =
            line.map(|r| Ok::<_, StoreError>((r.try_get(0)?, r.try_get(1)?))).transpose()?;
        match line {
            Some((position, kind)) if ordinal > 0 && kind == "manual" => {
                let st = self.prepared("DELETE FROM invoice_lines WHERE invoice_pk = $1 AND position = $2")?;
                self.tx.execute(&st, &[&id.0, &position])?;
                self.set_total(id, total)
            }
            Some((_, kind)) if ordinal > 0 => Err(StoreError::Refused(format!(
                "line {ordinal} of invoice {id} is a {kind} line: only manual lines are removed"
            ))),
            _ => Err(StoreError::Refused(format!("invoice {id} has no line {ordinal}"))),
        }
    }

    pub(super) fn finalize_in(&mut self, id: InvoiceId, f: &Finalization) -> Result<String> {
        self.require(id, InvoiceStatus::Draft, "only a draft is finalized")?;
        // The counter's row stays locked until this transaction ends: a concurrent finalization
        // waits here and takes the next number once this one has committed, or this very number
        // if this one rolls back.
        let st =
            self.prepared("UPDATE counters SET next = next + 1 WHERE name = 'invoice_numbers' RETURNING next - 1")?;
        let seq: i64 = self.tx.query_one(&st, &[])?.try_get(0)?;
        let number = f.number(seq);
        let st = self.prepared(
            "UPDATE invoices SET status = 'final', number_seq = $2, number = $3, issued = $4, due = $5,
                 finalized_at = $6
             WHERE pk = $1 AND status = 'draft'",
        )?;
        self.tx.execute(&st, &[&id.0, &seq, &number, &f.issued, &f.due, &at(f.at)?])?;
        Ok(number)
    }

    pub(super) fn void_in(&mut self, id: InvoiceId, when: rating::Micros, reason: &str) -> Result<u64> {
        self.require(id, InvoiceStatus::Final, "only a final invoice is voided (a draft is deleted)")?;
        let st = self.prepared(
            "UPDATE invoices SET status = 'void', voided_at = $2, void_reason = $3 WHERE pk = $1 AND status = 'final'",
        )?;
        self.tx.execute(&st, &[&id.0, &at(when)?, &reason])?;
        // Released as a deletion releases them: the draws given back, then the rows that held
        // the days and the calls (which the triggers allow now that the invoice is void).
        let st = self.prepared(
            "UPDATE allowance_balances AS b SET used_seconds = b.used_seconds - d.seconds
             FROM invoice_draws d, invoices i
             WHERE d.invoice_pk = $1 AND i.pk = d.invoice_pk AND b.customer_pk = i.customer_pk
               AND b.plan_id = d.plan_id AND b.position = d.position AND b.period_start = d.period_start",
        )?;
        self.tx.execute(&st, &[&id.0])?;
        let st = self.prepared("DELETE FROM invoice_draws WHERE invoice_pk = $1")?;
        self.tx.execute(&st, &[&id.0])?;
        let st = self.prepared("DELETE FROM billed_days WHERE invoice_pk = $1")?;
        self.tx.execute(&st, &[&id.0])?;
        // Through the billed calls' key, within the invoice's call numbers (migration 0005).
        let st = self.prepared(
            "DELETE FROM billed_calls b USING invoices i
             WHERE i.pk = $1 AND b.customer_pk = i.customer_pk AND b.call_pk BETWEEN i.first_call_pk AND i.last_call_pk
               AND b.invoice_pk = i.pk",
        )?;
        Ok(self.tx.execute(&st, &[&id.0])?)
    }

    pub(super) fn list_invoices(&mut self, q: &InvoiceQuery) -> Result<Vec<InvoiceSummary>> {
        let (first, last) = match q.overlapping {
            Some((first, last)) => (Some(first), Some(last)),
            None => (None, None),
        };
        let st = self.prepared(
            "SELECT i.pk, i.number, c.id, i.from_date, i.to_date, i.status, i.currency, i.total_e2, i.issued, i.due
             FROM invoices i JOIN customers c ON c.pk = i.customer_pk
             WHERE ($1::bigint IS NULL OR i.customer_pk = $1) AND ($2::text IS NULL OR i.status = $2)
               AND ($3::date IS NULL OR i.to_date >= $3) AND ($4::date IS NULL OR i.from_date <= $4)
             ORDER BY i.pk DESC",
        )?;
        let status = q.status.map(InvoiceStatus::as_str);
        let rows = self.tx.query(&st, &[&q.customer_pk, &status, &first, &last])?;
        let day = |d: Option<NaiveDate>| d.map(|d| d.to_string());
        rows.iter()
            .map(|r| {
                Ok(InvoiceSummary {
                    id: InvoiceId(r.try_get(0)?),
                    number: r.try_get(1)?,
                    customer: r.try_get(2)?,
                    from: r.try_get::<_, NaiveDate>(3)?.to_string(),
                    to: r.try_get::<_, NaiveDate>(4)?.to_string(),
                    status: status_of(r.try_get(5)?)?,
                    currency: r.try_get(6)?,
                    total: Amount::from_units(r.try_get(7)?),
                    issued: day(r.try_get(8)?),
                    due: day(r.try_get(9)?),
                })
            })
            .collect()
    }
}
