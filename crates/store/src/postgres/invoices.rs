//! Invoices, their lines, the calls they bill and the allowance draws they make.

use super::copy::BinaryRows;
use super::{at, date, narrow, wide, PgTx};
use crate::{
    BalanceKey, DeleteOutcome, Finalization, Invoice, InvoiceEvent, InvoiceId, InvoiceKind, InvoiceLine, InvoiceQuery,
    InvoiceSummary, LineKind, NewInvoice, RecurringLine, Result, StoreError,
};
use chrono::{DateTime, NaiveDate, Utc};
use postgres::types::{ToSql, Type};
use rating::Amount;

/// The unique index of live automatic invoices refusing a second one for the period, in words.
fn period_invoiced(e: postgres::Error, inv: &NewInvoice) -> StoreError {
    match e.as_db_error().and_then(|d| d.constraint()) {
        Some("invoices_cycle_once") => StoreError::PeriodInvoiced { from: inv.from.clone(), to: inv.to.clone() },
        _ => e.into(),
    }
}

impl crate::Invoices for PgTx<'_> {
    fn allowance_used(&mut self, customer_pk: i64) -> Result<Vec<(BalanceKey, u64)>> {
        let st = self.prepared(
            "SELECT plan_id, position, period_start, used_seconds FROM allowance_balances WHERE customer_pk = $1",
        )?;
        let mut out = Vec::new();
        for r in self.tx.query(&st, &[&customer_pk])? {
            let key = BalanceKey {
                plan: r.try_get(0)?,
                position: narrow(r.try_get(1)?, "allowance_balances.position")?,
                period_start: r.try_get::<_, NaiveDate>(2)?.to_string(),
            };
            out.push((key, narrow(r.try_get(3)?, "allowance_balances.used_seconds")?));
        }
        Ok(out)
    }

    fn insert_invoice(&mut self, inv: &NewInvoice) -> Result<InvoiceId> {
        crate::check_billed_span(inv)?;
        // Links are written in call-number order (the key's order, which keeps index pages full)
        // and the invoice records the first and last number, where deleting it finds them.
        let mut calls: Vec<&crate::NewBilledCall> = inv.calls.iter().collect();
        calls.sort_unstable_by_key(|c| c.call_pk);
        let (first, last) = (calls.first().map(|c| c.call_pk), calls.last().map(|c| c.call_pk));
        let st = self.prepared(
            "INSERT INTO invoices (customer_pk, from_date, to_date, call_types, kind, currency, total_e2, warnings, created_at,
                 first_call_pk, last_call_pk, calls_from)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING pk",
        )?;
        let calls_from = inv.calls_from.as_deref().map(date).transpose()?;
        let row = self
            .tx
            .query_one(
                &st,
                &[
                    &inv.customer_pk,
                    &date(&inv.from)?,
                    &date(&inv.to)?,
                    &inv.call_types.as_ref().map(|t| t.join("|")),
                    &inv.kind.as_str(),
                    &inv.currency,
                    &inv.total.units(),
                    &inv.warnings,
                    &at(inv.created_at)?,
                    &first,
                    &last,
                    &calls_from,
                ],
            )
            .map_err(|e| period_invoiced(e, inv))?;
        let pk: i64 = row.try_get(0)?;
        let st = self.prepared(
            "INSERT INTO invoice_lines (invoice_pk, position, kind, call_type, description, calls, billable_seconds,
                 included_seconds, charged_seconds, amount_e2, late, from_date, to_date, subscription_pk, quantity_e4,
                 unit_price_e4) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        )?;
        for (i, l) in inv.lines.iter().enumerate() {
            let r = l.recurring.as_ref();
            let days = match &l.days {
                Some((from, to)) => (Some(date(from)?), Some(date(to)?)),
                None => (None, None),
            };
            self.tx.execute(
                &st,
                &[
                    &pk,
                    &(i as i64),
                    &l.kind.as_str(),
                    &l.call_type,
                    &l.description,
                    &wide(l.calls),
                    &wide(l.billable_seconds),
                    &wide(l.included_seconds),
                    &wide(l.charged_seconds),
                    &l.amount.units(),
                    &l.late,
                    &days.0,
                    &days.1,
                    &r.map(|r| r.subscription_pk),
                    &r.map(|r| r.quantity_e4),
                    &r.map(|r| r.unit_price_e4),
                ],
            )?;
        }
        // The primary key (subscription, day) makes a second billing of any day fail here.
        if !inv.days.is_empty() {
            let st = self.prepared(
                "INSERT INTO billed_days (subscription_pk, day, invoice_pk) SELECT s, d, $3 FROM unnest($1::bigint[], $2::date[]) AS t(s, d)",
            )?;
            let subs: Vec<i64> = inv.days.iter().map(|d| d.subscription_pk).collect();
            let days: Vec<NaiveDate> = inv.days.iter().map(|d| d.day).collect();
            self.tx.execute(&st, &[&subs, &days, &pk])?;
        }
        // The primary key (customer, call number) makes a second billing of any call fail here.
        let sink = self.tx.copy_in(
            "COPY billed_calls (customer_pk, call_start_at, call_pk, invoice_pk, call_type, rate_id, billable_seconds,
                 included_seconds, charge_e4) FROM STDIN BINARY",
        )?;
        const TYPES: &[Type] = &[
            Type::INT8,
            Type::TIMESTAMPTZ,
            Type::INT8,
            Type::INT8,
            Type::TEXT,
            Type::INT8,
            Type::INT8,
            Type::INT8,
            Type::INT8,
        ];
        let mut writer = BinaryRows::new(sink, TYPES, StoreError::from);
        for c in calls {
            let row: [&(dyn ToSql + Sync); 9] = [
                &inv.customer_pk,
                &at(c.call_start)?,
                &c.call_pk,
                &pk,
                &&*c.call_type,
                &c.rate_id,
                &wide(c.billable_seconds),
                &wide(c.included_seconds),
                &c.charge.units(),
            ];
            writer.write(&row)?;
        }
        writer.finish()?;
        let draw = self.prepared(
            "INSERT INTO invoice_draws (invoice_pk, plan_id, position, period_start, seconds) VALUES ($1, $2, $3, $4, $5)",
        )?;
        let balance = self.prepared(
            "INSERT INTO allowance_balances (customer_pk, plan_id, position, period_start, used_seconds)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (customer_pk, plan_id, position, period_start)
             DO UPDATE SET used_seconds = allowance_balances.used_seconds + excluded.used_seconds",
        )?;
        for (key, seconds) in &inv.draws {
            let (position, period, seconds) = (i64::from(key.position), date(&key.period_start)?, wide(*seconds));
            self.tx.execute(&draw, &[&pk, &key.plan, &position, &period, &seconds])?;
            self.tx.execute(&balance, &[&inv.customer_pk, &key.plan, &position, &period, &seconds])?;
        }
        Ok(InvoiceId(pk))
    }

    fn invoice(&mut self, id: InvoiceId) -> Result<Option<Invoice>> {
        let st = self.prepared(
            "SELECT c.id, i.from_date, i.to_date, i.call_types, i.kind, i.status, i.currency, i.total_e2,
                    i.warnings, i.created_at, i.number, i.issued, i.due, i.void_reason
             FROM invoices i JOIN customers c ON c.pk = i.customer_pk WHERE i.pk = $1",
        )?;
        let Some(r) = self.tx.query_opt(&st, &[&id.0])? else { return Ok(None) };
        let mut inv = Invoice {
            id,
            customer: r.try_get(0)?,
            from: r.try_get::<_, NaiveDate>(1)?.to_string(),
            to: r.try_get::<_, NaiveDate>(2)?.to_string(),
            call_types: r.try_get::<_, Option<&str>>(3)?.map(|t| t.split('|').map(str::to_owned).collect()),
            kind: if r.try_get::<_, &str>(4)? == "cycle" { InvoiceKind::Cycle } else { InvoiceKind::Manual },
            status: crate::status_of(r.try_get(5)?)?,
            currency: r.try_get(6)?,
            lines: Vec::new(),
            total: Amount::from_units(r.try_get(7)?),
            warnings: r.try_get(8)?,
            created_at: r.try_get::<_, DateTime<Utc>>(9)?.timestamp_micros(),
            number: r.try_get(10)?,
            issued: r.try_get::<_, Option<NaiveDate>>(11)?.map(|d| d.to_string()),
            due: r.try_get::<_, Option<NaiveDate>>(12)?.map(|d| d.to_string()),
            void_reason: r.try_get(13)?,
            events: Vec::new(),
        };
        let st = self.prepared(
            "SELECT l.kind, l.call_type, l.description, l.calls, l.billable_seconds, l.included_seconds, l.charged_seconds,
                    l.amount_e2, l.late, l.from_date, l.to_date, l.subscription_pk, s.id, l.quantity_e4, l.unit_price_e4
             FROM invoice_lines l LEFT JOIN subscriptions s ON s.pk = l.subscription_pk
             WHERE l.invoice_pk = $1 ORDER BY l.position",
        )?;
        for r in self.tx.query(&st, &[&id.0])? {
            let kind: &str = r.try_get(0)?;
            inv.lines.push(InvoiceLine {
                kind: LineKind::parse(kind).ok_or_else(|| StoreError::Corrupt(format!("line kind {kind}")))?,
                call_type: r.try_get(1)?,
                description: r.try_get(2)?,
                calls: narrow(r.try_get(3)?, "invoice_lines.calls")?,
                billable_seconds: narrow(r.try_get(4)?, "invoice_lines.billable_seconds")?,
                included_seconds: narrow(r.try_get(5)?, "invoice_lines.included_seconds")?,
                charged_seconds: narrow(r.try_get(6)?, "invoice_lines.charged_seconds")?,
                amount: Amount::from_units(r.try_get(7)?),
                late: r.try_get(8)?,
                days: match (r.try_get::<_, Option<NaiveDate>>(9)?, r.try_get::<_, Option<NaiveDate>>(10)?) {
                    (Some(from), Some(to)) => Some((from.to_string(), to.to_string())),
                    _ => None,
                },
                recurring: match r.try_get::<_, Option<i64>>(11)? {
                    Some(subscription_pk) => Some(RecurringLine {
                        subscription_pk,
                        subscription: r.try_get(12)?,
                        quantity_e4: r.try_get(13)?,
                        unit_price_e4: r.try_get(14)?,
                    }),
                    None => None,
                },
            });
        }
        inv.events = self.events_of(id)?;
        Ok(Some(inv))
    }

    /// Locks the invoice and its customer's row first, so that a deletion and a creation for the
    /// same customer run one after the other.
    fn delete_invoice(&mut self, id: InvoiceId) -> Result<DeleteOutcome> {
        let st = self.prepared(
            "SELECT i.status FROM invoices i JOIN customers c ON c.pk = i.customer_pk WHERE i.pk = $1 FOR UPDATE",
        )?;
        let status: Option<String> = self.tx.query_opt(&st, &[&id.0])?.map(|r| r.try_get(0)).transpose()?;
        match status.as_deref() {
            None => return Ok(DeleteOutcome::NotFound),
            Some("draft") => {}
            Some(_) => return Ok(DeleteOutcome::NotDraft),
        }
        // Through the billed calls' key, within the invoice's call numbers (migration 0005).
        let st = self.prepared(
            "SELECT count(*) FROM invoices i JOIN billed_calls b ON b.customer_pk = i.customer_pk
               AND b.call_pk BETWEEN i.first_call_pk AND i.last_call_pk AND b.invoice_pk = i.pk
             WHERE i.pk = $1",
        )?;
        let released: i64 = self.tx.query_one(&st, &[&id.0])?.try_get(0)?;
        let st = self.prepared(
            "UPDATE allowance_balances AS b SET used_seconds = b.used_seconds - d.seconds
             FROM invoice_draws d, invoices i
             WHERE d.invoice_pk = $1 AND i.pk = d.invoice_pk AND b.customer_pk = i.customer_pk
               AND b.plan_id = d.plan_id AND b.position = d.position AND b.period_start = d.period_start",
        )?;
        self.tx.execute(&st, &[&id.0])?;
        // Lines, billed-call links and draws go with the invoice (ON DELETE CASCADE).
        let st = self.prepared("DELETE FROM invoices WHERE pk = $1")?;
        self.tx.execute(&st, &[&id.0])?;
        Ok(DeleteOutcome::Deleted { calls_released: narrow(released, "released calls")? })
    }

    fn invoices_for_range(&mut self, customer_pk: i64, from: &str, to: &str) -> Result<Vec<InvoiceId>> {
        let st = self.prepared(
            "SELECT pk FROM invoices WHERE customer_pk = $1 AND from_date = $2 AND to_date = $3
               AND status <> 'void' ORDER BY pk",
        )?;
        let rows = self.tx.query(&st, &[&customer_pk, &date(from)?, &date(to)?])?;
        rows.iter().map(|r| Ok(InvoiceId(r.try_get(0)?))).collect()
    }

    fn draft_invoices(&mut self, customer_pk: i64) -> Result<Vec<InvoiceId>> {
        let st = self.prepared("SELECT pk FROM invoices WHERE customer_pk = $1 AND status = 'draft' ORDER BY pk")?;
        let rows = self.tx.query(&st, &[&customer_pk])?;
        rows.iter().map(|r| Ok(InvoiceId(r.try_get(0)?))).collect()
    }

    /// Locks the invoice's row and its customer's, as a deletion does.
    fn invoice_for_update(&mut self, id: InvoiceId) -> Result<Option<Invoice>> {
        if self.lock_invoice(id)?.is_none() {
            return Ok(None);
        }
        self.invoice(id)
    }

    fn invoice_by_number(&mut self, number: &str) -> Result<Option<InvoiceId>> {
        let st = self.prepared("SELECT pk FROM invoices WHERE number = $1")?;
        let row = self.tx.query_opt(&st, &[&number])?;
        row.map(|r| Ok(InvoiceId(r.try_get(0)?))).transpose()
    }

    fn invoices(&mut self, query: &InvoiceQuery) -> Result<Vec<InvoiceSummary>> {
        self.list_invoices(query)
    }

    fn add_manual_line(&mut self, id: InvoiceId, description: &str, amount: Amount, total: Amount) -> Result<()> {
        self.add_manual_line_in(id, description, amount, total)
    }

    fn remove_line(&mut self, id: InvoiceId, ordinal: usize, total: Amount) -> Result<()> {
        self.remove_line_in(id, ordinal, total)
    }

    fn finalize_invoice(&mut self, id: InvoiceId, finalization: &Finalization) -> Result<String> {
        self.finalize_in(id, finalization)
    }

    fn void_invoice(&mut self, id: InvoiceId, at: rating::Micros, reason: &str) -> Result<u64> {
        self.void_in(id, at, reason)
    }

    fn add_event(&mut self, id: InvoiceId, event: &InvoiceEvent) -> Result<()> {
        self.add_event_in(id, event)
    }
}
