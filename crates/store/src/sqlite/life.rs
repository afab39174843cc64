//! The invoice's life on SQLite: manual lines of drafts, finalization with the next number,
//! voiding, the events, and the listing. Under the write lock every one of them runs alone; the
//! triggers of migration 0013 refuse what would change a final invoice whatever the caller.

use super::{wide, SqliteTx};
use crate::{
    event_kind_of, not_in_state, status_of, Finalization, InvoiceEvent, InvoiceId, InvoiceQuery, InvoiceStatus,
    InvoiceSummary, Result,
};
use rating::Amount;
use rusqlite::{params, OptionalExtension};

impl SqliteTx<'_> {
    /// The invoice's status, if it exists.
    fn status(&mut self, id: InvoiceId) -> Result<Option<InvoiceStatus>> {
        let text: Option<String> =
            self.tx.query_row("SELECT status FROM invoices WHERE pk = ?1", [id.0], |r| r.get(0)).optional()?;
        text.as_deref().map(status_of).transpose()
    }

    /// Refuses unless the invoice is in `wanted`; `needs` says why.
    fn require(&mut self, id: InvoiceId, wanted: InvoiceStatus, needs: &str) -> Result<()> {
        match self.status(id)? {
            Some(s) if s == wanted => Ok(()),
            other => Err(not_in_state(id, other, needs)),
        }
    }

    pub(super) fn events_of(&mut self, id: InvoiceId) -> Result<Vec<InvoiceEvent>> {
        let mut st = self
            .tx
            .prepare_cached("SELECT at, what, actor, detail FROM invoice_events WHERE invoice_pk = ?1 ORDER BY seq")?;
        let mut rows = st.query([id.0])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let what: String = r.get(1)?;
            out.push(InvoiceEvent { at: r.get(0)?, what: event_kind_of(&what)?, by: r.get(2)?, detail: r.get(3)? });
        }
        Ok(out)
    }

    pub(super) fn add_event_in(&mut self, id: InvoiceId, e: &InvoiceEvent) -> Result<()> {
        self.tx.execute(
            "INSERT INTO invoice_events (invoice_pk, seq, at, what, actor, detail)
             SELECT ?1, coalesce(max(seq) + 1, 0), ?2, ?3, ?4, ?5 FROM invoice_events WHERE invoice_pk = ?1",
            params![id.0, e.at, e.what.as_str(), e.by, e.detail],
        )?;
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
        self.tx.execute(
            "INSERT INTO invoice_lines (invoice_pk, position, kind, description, amount_e2)
             SELECT ?1, coalesce(max(position) + 1, 0), 'manual', ?2, ?3 FROM invoice_lines WHERE invoice_pk = ?1",
            params![id.0, description, amount.units()],
        )?;
        self.tx.execute("UPDATE invoices SET total_e2 = ?2 WHERE pk = ?1", params![id.0, total.units()])?;
        Ok(())
    }

    pub(super) fn remove_line_in(&mut self, id: InvoiceId, ordinal: usize, total: Amount) -> Result<()> {
        self.require(id, InvoiceStatus::Draft, "only a draft's lines change")?;
        let line: Option<(i64, String)> = self
            .tx
            .query_row(
                "SELECT position, kind FROM invoice_lines WHERE invoice_pk = ?1 ORDER BY position LIMIT 1 OFFSET ?2",
                params![id.0, wide(ordinal.saturating_sub(1) as u64)],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        match line {
            Some((position, kind)) if ordinal > 0 && kind == "manual" => {
                self.tx.execute(
                    "DELETE FROM invoice_lines WHERE invoice_pk = ?1 AND position = ?2",
                    params![id.0, position],
                )?;
                self.tx.execute("UPDATE invoices SET total_e2 = ?2 WHERE pk = ?1", params![id.0, total.units()])?;
                Ok(())
            }
            Some((_, kind)) if ordinal > 0 => Err(crate::StoreError::Refused(format!(
                "line {ordinal} of invoice {id} is a {kind} line: only manual lines are removed"
            ))),
            _ => Err(crate::StoreError::Refused(format!("invoice {id} has no line {ordinal}"))),
        }
    }

    pub(super) fn finalize_in(&mut self, id: InvoiceId, f: &Finalization) -> Result<String> {
        self.require(id, InvoiceStatus::Draft, "only a draft is finalized")?;
        // The write lock is held until commit: numbers follow the order of finalization, and a
        // finalization rolled back takes its number back with it.
        let seq: i64 = self.tx.query_row(
            "UPDATE counters SET next = next + 1 WHERE name = 'invoice_numbers' RETURNING next - 1",
            [],
            |r| r.get(0),
        )?;
        let number = f.number(seq);
        self.tx.execute(
            "UPDATE invoices SET status = 'final', number_seq = ?2, number = ?3, issued = ?4, due = ?5,
                 finalized_at = ?6
             WHERE pk = ?1 AND status = 'draft'",
            params![id.0, seq, number, f.issued.to_string(), f.due.to_string(), f.at],
        )?;
        Ok(number)
    }

    pub(super) fn void_in(&mut self, id: InvoiceId, at: rating::Micros, reason: &str) -> Result<u64> {
        self.require(id, InvoiceStatus::Final, "only a final invoice is voided (a draft is deleted)")?;
        self.tx.execute(
            "UPDATE invoices SET status = 'void', voided_at = ?2, void_reason = ?3 WHERE pk = ?1 AND status = 'final'",
            params![id.0, at, reason],
        )?;
        // Released as a deletion releases them: the draws given back, then the rows that held
        // the days and the calls (which the triggers allow now that the invoice is void).
        self.tx.execute(
            "UPDATE allowance_balances AS b SET used_seconds = b.used_seconds - d.seconds
             FROM invoice_draws d, invoices i
             WHERE d.invoice_pk = ?1 AND i.pk = d.invoice_pk AND b.customer_pk = i.customer_pk
               AND b.plan_id = d.plan_id AND b.position = d.position AND b.period_start = d.period_start",
            [id.0],
        )?;
        self.tx.execute("DELETE FROM invoice_draws WHERE invoice_pk = ?1", [id.0])?;
        self.tx.execute("DELETE FROM billed_days WHERE invoice_pk = ?1", [id.0])?;
        let released = self.tx.execute("DELETE FROM billed_calls WHERE invoice_pk = ?1", [id.0])?;
        Ok(released as u64)
    }

    pub(super) fn list_invoices(&mut self, q: &InvoiceQuery) -> Result<Vec<InvoiceSummary>> {
        let (first, last) = match q.overlapping {
            Some((first, last)) => (Some(first.to_string()), Some(last.to_string())),
            None => (None, None),
        };
        let mut st = self.tx.prepare_cached(
            "SELECT i.pk, i.number, c.id, i.from_date, i.to_date, i.status, i.currency, i.total_e2, i.issued, i.due
             FROM invoices i JOIN customers c ON c.pk = i.customer_pk
             WHERE (?1 IS NULL OR i.customer_pk = ?1) AND (?2 IS NULL OR i.status = ?2)
               AND (?3 IS NULL OR i.to_date >= ?3) AND (?4 IS NULL OR i.from_date <= ?4)
             ORDER BY i.pk DESC",
        )?;
        let mut rows = st.query(params![q.customer_pk, q.status.map(InvoiceStatus::as_str), first, last])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let status: String = r.get(5)?;
            out.push(InvoiceSummary {
                id: InvoiceId(r.get(0)?),
                number: r.get(1)?,
                customer: r.get(2)?,
                from: r.get(3)?,
                to: r.get(4)?,
                status: status_of(&status)?,
                currency: r.get(6)?,
                total: Amount::from_units(r.get(7)?),
                issued: r.get(8)?,
                due: r.get(9)?,
            });
        }
        Ok(out)
    }
}
