//! Invoices, their lines, the calls they bill and the allowance draws they make.

use super::{narrow, wide, MultiInsert, SqliteTx, CHUNK};
use crate::{
    BalanceKey, DeleteOutcome, Finalization, Invoice, InvoiceEvent, InvoiceId, InvoiceKind, InvoiceLine, InvoiceQuery,
    InvoiceSummary, LineKind, NewInvoice, RecurringLine, Result, StoreError,
};
use rating::Amount;
use rusqlite::{params, OptionalExtension};

const BILLED_COLUMNS: usize = 9;

static INSERT_BILLED: MultiInsert = MultiInsert::new(
    "billed_calls (customer_pk, call_start_us, call_pk, invoice_pk, call_type, rate_id, billable_seconds, included_seconds, charge_e4)",
    BILLED_COLUMNS,
    "",
);

/// The unique index of live automatic invoices refusing a second one for the period, in words.
fn period_invoiced(e: rusqlite::Error, inv: &NewInvoice) -> StoreError {
    match &e {
        rusqlite::Error::SqliteFailure(f, Some(m))
            if f.code == rusqlite::ErrorCode::ConstraintViolation && m.contains("invoices.customer_pk") =>
        {
            StoreError::PeriodInvoiced { from: inv.from.clone(), to: inv.to.clone() }
        }
        _ => e.into(),
    }
}

impl crate::Invoices for SqliteTx<'_> {
    fn allowance_used(&mut self, customer_pk: i64) -> Result<Vec<(BalanceKey, u64)>> {
        let mut st = self.tx.prepare_cached(
            "SELECT plan_id, position, period_start, used_seconds FROM allowance_balances WHERE customer_pk = ?1",
        )?;
        let mut rows = st.query([customer_pk])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let key = BalanceKey {
                plan: r.get(0)?,
                position: narrow(r.get(1)?, "allowance_balances.position")?,
                period_start: r.get(2)?,
            };
            out.push((key, narrow(r.get(3)?, "allowance_balances.used_seconds")?));
        }
        Ok(out)
    }

    fn insert_invoice(&mut self, inv: &NewInvoice) -> Result<InvoiceId> {
        crate::check_billed_span(inv)?;
        self.tx
            .execute(
            "INSERT INTO invoices (customer_pk, from_date, to_date, call_types, kind, currency, total_e2, warnings, created_at,
                 calls_from)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                inv.customer_pk,
                inv.from,
                inv.to,
                inv.call_types.as_ref().map(|t| t.join("|")),
                inv.kind.as_str(),
                inv.currency,
                inv.total.units(),
                inv.warnings,
                inv.created_at,
                inv.calls_from,
            ],
        )
            .map_err(|e| period_invoiced(e, inv))?;
        let pk = self.tx.last_insert_rowid();
        let mut line = self.tx.prepare_cached(
            "INSERT INTO invoice_lines (invoice_pk, position, kind, call_type, description, calls, billable_seconds,
                 included_seconds, charged_seconds, amount_e2, late, from_date, to_date, subscription_pk, quantity_e4,
                 unit_price_e4) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
        )?;
        for (i, l) in inv.lines.iter().enumerate() {
            let r = l.recurring.as_ref();
            line.execute(params![
                pk,
                i as i64,
                l.kind.as_str(),
                l.call_type,
                l.description,
                wide(l.calls),
                wide(l.billable_seconds),
                wide(l.included_seconds),
                wide(l.charged_seconds),
                l.amount.units(),
                l.late,
                l.days.as_ref().map(|d| &d.0),
                l.days.as_ref().map(|d| &d.1),
                r.map(|r| r.subscription_pk),
                r.map(|r| r.quantity_e4),
                r.map(|r| r.unit_price_e4),
            ])?;
        }
        drop(line);
        // The primary key (subscription, day) makes a second billing of any day fail here.
        let mut day =
            self.tx.prepare_cached("INSERT INTO billed_days (subscription_pk, day, invoice_pk) VALUES (?1, ?2, ?3)")?;
        for d in &inv.days {
            day.execute(params![d.subscription_pk, d.day.to_string(), pk])?;
        }
        drop(day);
        // The primary key (the call's own key) makes a second billing of any call fail here.
        for chunk in inv.calls.chunks(CHUNK) {
            let mut billed = INSERT_BILLED.prepare(&self.tx, chunk.len())?;
            for (i, c) in chunk.iter().enumerate() {
                let p = i * BILLED_COLUMNS;
                billed.raw_bind_parameter(p + 1, inv.customer_pk)?;
                billed.raw_bind_parameter(p + 2, c.call_start)?;
                billed.raw_bind_parameter(p + 3, c.call_pk)?;
                billed.raw_bind_parameter(p + 4, pk)?;
                billed.raw_bind_parameter(p + 5, &c.call_type)?;
                billed.raw_bind_parameter(p + 6, c.rate_id)?;
                billed.raw_bind_parameter(p + 7, wide(c.billable_seconds))?;
                billed.raw_bind_parameter(p + 8, wide(c.included_seconds))?;
                billed.raw_bind_parameter(p + 9, c.charge.units())?;
            }
            billed.raw_execute()?;
        }
        let mut draw = self.tx.prepare_cached(
            "INSERT INTO invoice_draws (invoice_pk, plan_id, position, period_start, seconds) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        let mut balance = self.tx.prepare_cached(
            "INSERT INTO allowance_balances (customer_pk, plan_id, position, period_start, used_seconds)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (customer_pk, plan_id, position, period_start)
             DO UPDATE SET used_seconds = used_seconds + excluded.used_seconds",
        )?;
        for (key, seconds) in &inv.draws {
            draw.execute(params![pk, key.plan, key.position, key.period_start, wide(*seconds)])?;
            balance.execute(params![inv.customer_pk, key.plan, key.position, key.period_start, wide(*seconds)])?;
        }
        Ok(InvoiceId(pk))
    }

    fn invoice(&mut self, id: InvoiceId) -> Result<Option<Invoice>> {
        let header = self
            .tx
            .query_row(
                "SELECT c.id, i.from_date, i.to_date, i.call_types, i.kind, i.status, i.currency, i.total_e2,
                        i.warnings, i.created_at, i.number, i.issued, i.due, i.void_reason
                 FROM invoices i JOIN customers c ON c.pk = i.customer_pk WHERE i.pk = ?1",
                [id.0],
                |r| {
                    Ok((
                        Invoice {
                            id,
                            customer: r.get(0)?,
                            from: r.get(1)?,
                            to: r.get(2)?,
                            call_types: r
                                .get::<_, Option<String>>(3)?
                                .map(|t| t.split('|').map(str::to_owned).collect()),
                            kind: if r.get_ref(4)?.as_str()? == "cycle" {
                                InvoiceKind::Cycle
                            } else {
                                InvoiceKind::Manual
                            },
                            status: crate::InvoiceStatus::Draft,
                            currency: r.get(6)?,
                            lines: Vec::new(),
                            total: Amount::from_units(r.get(7)?),
                            warnings: r.get(8)?,
                            created_at: r.get(9)?,
                            number: r.get(10)?,
                            issued: r.get(11)?,
                            due: r.get(12)?,
                            void_reason: r.get(13)?,
                            events: Vec::new(),
                        },
                        r.get::<_, String>(5)?,
                    ))
                },
            )
            .optional()?;
        let header = match header {
            Some((inv, status)) => Some(Invoice { status: crate::status_of(&status)?, ..inv }),
            None => None,
        };
        let Some(mut inv) = header else { return Ok(None) };
        let mut st = self.tx.prepare_cached(
            "SELECT l.kind, l.call_type, l.description, l.calls, l.billable_seconds, l.included_seconds, l.charged_seconds,
                    l.amount_e2, l.late, l.from_date, l.to_date, l.subscription_pk, s.id, l.quantity_e4, l.unit_price_e4
             FROM invoice_lines l LEFT JOIN subscriptions s ON s.pk = l.subscription_pk
             WHERE l.invoice_pk = ?1 ORDER BY l.position",
        )?;
        let mut rows = st.query([id.0])?;
        while let Some(r) = rows.next()? {
            let kind: String = r.get(0)?;
            inv.lines.push(InvoiceLine {
                kind: LineKind::parse(&kind).ok_or_else(|| StoreError::Corrupt(format!("line kind {kind}")))?,
                call_type: r.get(1)?,
                description: r.get(2)?,
                calls: narrow(r.get(3)?, "invoice_lines.calls")?,
                billable_seconds: narrow(r.get(4)?, "invoice_lines.billable_seconds")?,
                included_seconds: narrow(r.get(5)?, "invoice_lines.included_seconds")?,
                charged_seconds: narrow(r.get(6)?, "invoice_lines.charged_seconds")?,
                amount: Amount::from_units(r.get(7)?),
                late: r.get(8)?,
                days: match (r.get::<_, Option<String>>(9)?, r.get::<_, Option<String>>(10)?) {
                    (Some(from), Some(to)) => Some((from, to)),
                    _ => None,
                },
                recurring: match r.get::<_, Option<i64>>(11)? {
                    Some(subscription_pk) => Some(RecurringLine {
                        subscription_pk,
                        subscription: r.get(12)?,
                        quantity_e4: r.get(13)?,
                        unit_price_e4: r.get(14)?,
                    }),
                    None => None,
                },
            });
        }
        drop(rows);
        drop(st);
        inv.events = self.events_of(id)?;
        Ok(Some(inv))
    }

    fn delete_invoice(&mut self, id: InvoiceId) -> Result<DeleteOutcome> {
        let status: Option<String> =
            self.tx.query_row("SELECT status FROM invoices WHERE pk = ?1", [id.0], |r| r.get(0)).optional()?;
        match status.as_deref() {
            None => return Ok(DeleteOutcome::NotFound),
            Some("draft") => {}
            Some(_) => return Ok(DeleteOutcome::NotDraft),
        }
        let released: i64 =
            self.tx.query_row("SELECT count(*) FROM billed_calls WHERE invoice_pk = ?1", [id.0], |r| r.get(0))?;
        self.tx.execute(
            "UPDATE allowance_balances AS b SET used_seconds = b.used_seconds - d.seconds
             FROM invoice_draws d, invoices i
             WHERE d.invoice_pk = ?1 AND i.pk = d.invoice_pk AND b.customer_pk = i.customer_pk
               AND b.plan_id = d.plan_id AND b.position = d.position AND b.period_start = d.period_start",
            [id.0],
        )?;
        // Lines, billed-call links and draws go with the invoice (ON DELETE CASCADE).
        self.tx.execute("DELETE FROM invoices WHERE pk = ?1", [id.0])?;
        Ok(DeleteOutcome::Deleted { calls_released: narrow(released, "released calls")? })
    }

    fn invoices_for_range(&mut self, customer_pk: i64, from: &str, to: &str) -> Result<Vec<InvoiceId>> {
        let mut st = self.tx.prepare_cached(
            "SELECT pk FROM invoices WHERE customer_pk = ?1 AND from_date = ?2 AND to_date = ?3
               AND status <> 'void' ORDER BY pk",
        )?;
        let ids = st.query_map(params![customer_pk, from, to], |r| Ok(InvoiceId(r.get(0)?)))?;
        Ok(ids.collect::<rusqlite::Result<_>>()?)
    }

    fn draft_invoices(&mut self, customer_pk: i64) -> Result<Vec<InvoiceId>> {
        let mut st = self
            .tx
            .prepare_cached("SELECT pk FROM invoices WHERE customer_pk = ?1 AND status = 'draft' ORDER BY pk")?;
        let ids = st.query_map(params![customer_pk], |r| Ok(InvoiceId(r.get(0)?)))?;
        Ok(ids.collect::<rusqlite::Result<_>>()?)
    }

    /// The write lock is the lock: one writer at a time.
    fn invoice_for_update(&mut self, id: InvoiceId) -> Result<Option<Invoice>> {
        self.invoice(id)
    }

    fn invoice_by_number(&mut self, number: &str) -> Result<Option<InvoiceId>> {
        let found =
            self.tx.query_row("SELECT pk FROM invoices WHERE number = ?1", [number], |r| r.get(0)).optional()?;
        Ok(found.map(InvoiceId))
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
