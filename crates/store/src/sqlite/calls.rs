//! Call records: import and queries.

use super::{narrow, SqliteTx};
use crate::page::{Dialect, Param, Plan, COLUMNS};
use crate::registry::Registry;
use crate::{BilledCall, CallKey, CallOutcome, CallQuery, InvoiceId, NewCall, Result, StoreError, StoredCall};
use rating::{CallType, Charge, Direction, Micros};
use rusqlite::{params, CachedStatement, OptionalExtension, Row};

/// One row per statement, not a multi-row `INSERT`: a statement that writes several rows and may
/// fail half-way (a CHECK, NOT NULL) makes SQLite copy every existing page it touches to a
/// statement journal first, so that it can undo its own part. That copy was 1.8 GB of temporary
/// file writes for an import of 1,000,000 calls, most of its system time (docs/architecture.md).
const INSERT: &str = "INSERT INTO calls (pk, source, source_call_id, customer_pk, start_us, duration, direction,
                          from_number, to_number, call_type)
                      VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                      ON CONFLICT (source, source_call_id) DO NOTHING";

/// The stored form of a call's own type: NULL when it is to be classified.
fn call_type_column(c: &NewCall) -> Option<&str> {
    c.call_type.as_ref().map(CallType::as_str)
}

impl SqliteTx<'_> {
    /// A call whose (source, source call id) is stored: one numbered from `first` was inserted by
    /// this batch (an id repeated in it); another is the same, or updated unless it is billed.
    fn import_known(&self, c: &NewCall, first: i64) -> Result<CallOutcome> {
        let mut existing = self.tx.prepare_cached(
            "SELECT c.pk, c.customer_pk, c.start_us, c.duration, c.direction, c.from_number, c.to_number, c.call_type,
                    EXISTS (SELECT 1 FROM billed_calls b
                            WHERE b.customer_pk = c.customer_pk AND b.call_start_us = c.start_us AND b.call_pk = c.pk)
             FROM calls c WHERE c.source = ?1 AND c.source_call_id = ?2",
        )?;
        let (pk, same, billed) = existing.query_row(params![c.source.code(), c.source_call_id], |r| {
            let same = r.get::<_, i64>(1)? == c.customer_pk
                && r.get::<_, i64>(2)? == c.start
                && r.get::<_, i64>(3)? == i64::from(c.duration)
                && r.get::<_, i64>(4)? == c.direction.code()
                && r.get_ref(5)?.as_str()? == c.from
                && r.get_ref(6)?.as_str()? == c.to
                && r.get_ref(7)?.as_str_or_null()? == call_type_column(c);
            Ok((r.get::<_, i64>(0)?, same, r.get::<_, bool>(8)?))
        })?;
        if pk >= first {
            return Ok(CallOutcome::Imported);
        } else if same {
            return Ok(CallOutcome::Duplicate);
        } else if billed {
            return Ok(CallOutcome::Conflict);
        }
        let mut update = self.tx.prepare_cached(
            "UPDATE calls SET customer_pk = ?2, start_us = ?3, duration = ?4, direction = ?5, from_number = ?6,
                 to_number = ?7, call_type = ?8
             WHERE pk = ?1 AND source = ?9 AND source_call_id = ?10
               AND NOT EXISTS (SELECT 1 FROM billed_calls b
                               WHERE b.customer_pk = calls.customer_pk AND b.call_start_us = calls.start_us
                                 AND b.call_pk = calls.pk)",
        )?;
        update.execute(params![
            pk,
            c.customer_pk,
            c.start,
            c.duration,
            c.direction.code(),
            c.from,
            c.to,
            call_type_column(c),
            c.source.code(),
            c.source_call_id,
        ])?;
        Ok(CallOutcome::Updated)
    }
}

/// A call of [`crate::page::COLUMNS`].
fn stored_call(r: &Row<'_>, sources: &Registry) -> Result<StoredCall> {
    let customer_pk = r.get(9)?;
    let source = sources.get(r.get(1)?)?;
    let direction = Direction::from_code(r.get(5)?).ok_or_else(|| StoreError::Corrupt("calls.direction".into()))?;
    let call_type = match r.get::<_, Option<String>>(8)? {
        Some(t) => Some(CallType::parse(&t).map_err(|e| StoreError::Corrupt(e.to_string()))?),
        None => None,
    };
    let billed = match r.get::<_, Option<i64>>(10)? {
        Some(invoice) => Some(BilledCall {
            invoice: InvoiceId(invoice),
            call_type: r.get(11)?,
            rate_id: r.get(12)?,
            billable_seconds: narrow(r.get(13)?, "billed_calls.billable_seconds")?,
            included_seconds: narrow(r.get(14)?, "billed_calls.included_seconds")?,
            charge: Charge::from_units(r.get(15)?),
        }),
        None => None,
    };
    Ok(StoredCall {
        pk: r.get(0)?,
        call: NewCall {
            source,
            source_call_id: r.get(2)?,
            customer_pk,
            start: r.get(3)?,
            duration: narrow(r.get(4)?, "calls.duration")?,
            direction,
            from: r.get(6)?,
            to: r.get(7)?,
            call_type,
        },
        billed,
    })
}

/// Inserts `c` as call number `pk`; false when its (source, source call id) is stored already.
fn insert_call(insert: &mut CachedStatement<'_>, pk: i64, c: &NewCall) -> Result<bool> {
    insert.raw_bind_parameter(1, pk)?;
    insert.raw_bind_parameter(2, c.source.code())?;
    insert.raw_bind_parameter(3, &c.source_call_id)?;
    insert.raw_bind_parameter(4, c.customer_pk)?;
    insert.raw_bind_parameter(5, c.start)?;
    insert.raw_bind_parameter(6, c.duration)?;
    insert.raw_bind_parameter(7, c.direction.code())?;
    insert.raw_bind_parameter(8, &c.from)?;
    insert.raw_bind_parameter(9, &c.to)?;
    insert.raw_bind_parameter(10, call_type_column(c))?;
    Ok(insert.raw_execute()? == 1)
}

/// The billing of a call `c` is the row `b` of its key.
const JOIN: &str = "b.customer_pk = c.customer_pk AND b.call_start_us = c.start_us AND b.call_pk = c.pk";

/// SQLite's SQL for the call listing's reads.
struct Lite;

impl Dialect for Lite {
    type Value = rusqlite::types::Value;
    const START: &'static str = "start_us";
    /// `CROSS JOIN` keeps that order of SQLite's loops.
    fn call_of_scan(start: &str) -> String {
        format!("CROSS JOIN calls c ON c.customer_pk = w.customer_pk AND c.{start} = w.{start} AND c.pk = w.pk")
    }

    fn placeholder(n: usize, _: &Param<'_>) -> String {
        format!("?{n}")
    }

    fn value(p: Param<'_>) -> Result<Self::Value> {
        Ok(match p {
            Param::Int(v) | Param::Time(v) => v.into(),
            Param::Text(t) | Param::Holds(t) => t.to_owned().into(),
        })
    }

    fn holds(column: &str, p: &str) -> String {
        format!("instr({column}, {p}) > 0")
    }
}

impl SqliteTx<'_> {
    /// The customer and span of starts of the invoice a query names, `Some(None)` when it does
    /// not exist, `None` when the query names none.
    fn invoice_reach(&mut self, q: &CallQuery) -> Result<Option<Option<(i64, Micros, Micros)>>> {
        let Some(id) = q.invoice else { return Ok(None) };
        let mut st = self.tx.prepare_cached(
            "SELECT customer_pk, coalesce(calls_from, from_date), to_date FROM invoices WHERE pk = ?1",
        )?;
        let row = st
            .query_row([id.0], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))
            .optional()?;
        row.map(|(customer_pk, first, last)| {
            let (start, end) = crate::billed_span(crate::page::date(&first)?, crate::page::date(&last)?);
            Ok((customer_pk, start, end))
        })
        .transpose()
        .map(Some)
    }
}

impl crate::Calls for SqliteTx<'_> {
    /// Inserts each call numbered from the counter (a call's number is the counter plus its
    /// place in `calls`); a call whose (source, source call id) is stored already is compared
    /// with the stored one instead.
    fn import_calls(&mut self, calls: &[NewCall], outcomes: &mut Vec<CallOutcome>) -> Result<()> {
        let first: i64 = self.tx.query_row("SELECT next FROM counters WHERE name = 'calls'", [], |r| r.get(0))?;
        let mut insert = self.tx.prepare_cached(INSERT)?;
        for (n, c) in calls.iter().enumerate() {
            let outcome = if insert_call(&mut insert, first + n as i64, c)? {
                CallOutcome::Imported
            } else {
                self.import_known(c, first)?
            };
            outcomes.push(outcome);
        }
        drop(insert);
        self.tx.execute("UPDATE counters SET next = ?1 WHERE name = 'calls'", [first + calls.len() as i64])?;
        Ok(())
    }

    /// The calls of a query, read one by one from the statement: for one customer from the
    /// calls' key, across customers from `calls_by_start`; SQLite sorts the calls of one start by
    /// source name and id as it goes.
    fn each_call<E: From<StoreError>>(
        &mut self,
        q: &CallQuery,
        mut f: impl FnMut(StoredCall) -> Result<(), E>,
    ) -> Result<(), E> {
        let sources = self.registry()?.clone();
        let invoice = self.invoice_reach(q)?;
        let plan = Plan::new(q, invoice, &sources)?;
        if plan.empty {
            return Ok(());
        }
        let sql = plan.page::<Lite>(JOIN, &sources, "")?;
        let mut st = self.tx.prepare_cached(&sql.text).map_err(StoreError::from)?;
        let mut rows = st.query(rusqlite::params_from_iter(sql.values)).map_err(StoreError::from)?;
        while let Some(r) = rows.next().map_err(StoreError::from)? {
            f(stored_call(r, &sources)?)?;
        }
        Ok(())
    }

    fn scan_end(&mut self, q: &CallQuery) -> Result<Option<CallKey>> {
        let sources = self.registry()?.clone();
        let invoice = self.invoice_reach(q)?;
        let plan = Plan::new(q, invoice, &sources)?;
        let Some(scan) = q.scan.filter(|_| !plan.empty) else { return Ok(None) };
        let sql = plan.nth::<Lite>(scan, &sources)?;
        let mut st = self.tx.prepare_cached(&sql.text)?;
        let key = st
            .query_row(rusqlite::params_from_iter(sql.values), |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, String>(2)?)))
            .optional()?;
        key.map(|(start, code, source_call_id)| Ok(CallKey { start, source: sources.get(code)?, source_call_id }))
            .transpose()
    }

    /// Through the index of billed calls by invoice, each link joined to its call by the
    /// calls' key, in the listing's order (sources by name).
    fn each_invoice_call<E: From<StoreError>>(
        &mut self,
        invoice: InvoiceId,
        mut f: impl FnMut(StoredCall) -> Result<(), E>,
    ) -> Result<(), E> {
        let sources = self.registry()?.clone();
        let sql = format!(
            "SELECT {} FROM billed_calls b JOIN calls c
               ON c.customer_pk = b.customer_pk AND c.start_us = b.call_start_us AND c.pk = b.call_pk
             WHERE b.invoice_pk = ?1 {}",
            COLUMNS.replace("START", Lite::START),
            Plan::order::<Lite>("c", &sources)
        );
        let mut st = self.tx.prepare_cached(&sql).map_err(StoreError::from)?;
        let mut rows = st.query([invoice.0]).map_err(StoreError::from)?;
        while let Some(r) = rows.next().map_err(StoreError::from)? {
            f(stored_call(r, &sources)?)?;
        }
        Ok(())
    }

    fn unbilled_before(&mut self, customer_pk: i64, before: Micros) -> Result<Option<(u64, Micros, Micros)>> {
        let mut st = self.tx.prepare_cached(
            "SELECT count(*), min(c.start_us), max(c.start_us) FROM calls c
             WHERE c.customer_pk = ?1 AND c.start_us < ?2 AND c.duration > 0
               AND NOT EXISTS (SELECT 1 FROM billed_calls b
                               WHERE b.customer_pk = c.customer_pk AND b.call_start_us = c.start_us
                                 AND b.call_pk = c.pk)",
        )?;
        let (n, first, last): (i64, Option<i64>, Option<i64>) =
            st.query_row(params![customer_pk, before], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(match (first, last) {
            (Some(first), Some(last)) if n > 0 => Some((narrow(n, "unbilled call count")?, first, last)),
            _ => None,
        })
    }

    fn count_calls(&mut self, customer_pk: i64, source: &crate::Source, from: i64, to: i64) -> Result<u64> {
        let mut st = self.tx.prepare_cached(
            "SELECT count(*) FROM calls WHERE customer_pk = ?1 AND start_us >= ?2 AND start_us < ?3 AND source = ?4",
        )?;
        narrow(st.query_row(params![customer_pk, from, to, source.code()], |r| r.get(0))?, "call count")
    }
}
