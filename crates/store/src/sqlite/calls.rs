//! Call records: import and queries.

use super::{narrow, SqliteTx};
use crate::registry::Registry;
use crate::{BilledCall, CallOutcome, CallQuery, InvoiceId, NewCall, Result, StoreError, StoredCall};
use rating::{CallType, Charge, Direction, Micros};
use rusqlite::{params, CachedStatement, Row};

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

fn stored_call(r: &Row<'_>, sources: &Registry) -> Result<StoredCall> {
    let customer_pk = r.get(15)?;
    let source = sources.get(r.get(1)?)?;
    let direction = Direction::from_code(r.get(5)?).ok_or_else(|| StoreError::Corrupt("calls.direction".into()))?;
    let call_type = match r.get::<_, Option<String>>(8)? {
        Some(t) => Some(CallType::parse(&t).map_err(|e| StoreError::Corrupt(e.to_string()))?),
        None => None,
    };
    let billed = match r.get::<_, Option<i64>>(9)? {
        Some(invoice) => Some(BilledCall {
            invoice: InvoiceId(invoice),
            call_type: r.get(10)?,
            rate_id: r.get(11)?,
            billable_seconds: narrow(r.get(12)?, "billed_calls.billable_seconds")?,
            included_seconds: narrow(r.get(13)?, "billed_calls.included_seconds")?,
            charge: Charge::from_units(r.get(14)?),
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

    /// The calls of a query, read one by one from the statement (for one customer, SQLite sorts
    /// the ties of a start as it goes: the calls' key is already in start order).
    fn each_call<E: From<StoreError>>(
        &mut self,
        q: &CallQuery,
        f: impl FnMut(StoredCall) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut sql = String::from(
            "SELECT c.pk, c.source, c.source_call_id, c.start_us, c.duration, c.direction, c.from_number, c.to_number,
                    c.call_type, b.invoice_pk, b.call_type, b.rate_id, b.billable_seconds, b.included_seconds, b.charge_e4,
                    c.customer_pk
             FROM calls c LEFT JOIN billed_calls b
               ON b.customer_pk = c.customer_pk AND b.call_start_us = c.start_us AND b.call_pk = c.pk
             WHERE c.start_us >= ?1 AND c.start_us < ?2",
        );
        let mut values: Vec<rusqlite::types::Value> =
            vec![q.from.unwrap_or(i64::MIN).into(), q.to.unwrap_or(i64::MAX).into()];
        let mut bind = |sql: &mut String, condition: &str, value: rusqlite::types::Value| {
            values.push(value);
            sql.push_str(&condition.replace('?', &format!("?{}", values.len())));
        };
        if let Some(pk) = q.customer_pk {
            bind(&mut sql, " AND c.customer_pk = ?", pk.into());
        }
        if let Some(source) = &q.source {
            bind(&mut sql, " AND c.source = ?", source.code().into());
        }
        if let Some(number) = &q.number {
            bind(&mut sql, " AND (instr(c.from_number, ?) > 0 OR instr(c.to_number, ?) > 0)", number.clone().into());
        }
        if let Some(invoice) = q.invoice {
            bind(&mut sql, " AND b.invoice_pk = ?", invoice.0.into());
        }
        for (wanted, condition) in [
            (q.answered_only, " AND c.duration > 0"),
            (q.unanswered_only, " AND c.duration = 0"),
            (q.unbilled_only, " AND b.call_pk IS NULL"),
            (q.billed_only, " AND b.call_pk IS NOT NULL"),
        ] {
            if wanted {
                sql.push_str(condition);
            }
        }
        sql.push_str(" ORDER BY c.start_us, c.source, c.source_call_id");
        let sources = self.registry()?.clone();
        let mut emit = sources.in_order(f);
        let mut st = self.tx.prepare_cached(&sql).map_err(StoreError::from)?;
        let mut rows = st.query(rusqlite::params_from_iter(values)).map_err(StoreError::from)?;
        while let Some(r) = rows.next().map_err(StoreError::from)? {
            emit(Some(stored_call(r, &sources)?))?;
        }
        emit(None)
    }

    /// Through the index of billed calls by invoice, each link joined to its call by the
    /// calls' key.
    fn each_invoice_call<E: From<StoreError>>(
        &mut self,
        invoice: InvoiceId,
        f: impl FnMut(StoredCall) -> Result<(), E>,
    ) -> Result<(), E> {
        let sources = self.registry()?.clone();
        let mut emit = sources.in_order(f);
        let mut st = self
            .tx
            .prepare_cached(
                "SELECT c.pk, c.source, c.source_call_id, c.start_us, c.duration, c.direction, c.from_number,
                        c.to_number, c.call_type, b.invoice_pk, b.call_type, b.rate_id, b.billable_seconds,
                        b.included_seconds, b.charge_e4, c.customer_pk
                 FROM billed_calls b JOIN calls c
                   ON c.customer_pk = b.customer_pk AND c.start_us = b.call_start_us AND c.pk = b.call_pk
                 WHERE b.invoice_pk = ?1
                 ORDER BY c.start_us, c.source, c.source_call_id",
            )
            .map_err(StoreError::from)?;
        let mut rows = st.query([invoice.0]).map_err(StoreError::from)?;
        while let Some(r) = rows.next().map_err(StoreError::from)? {
            emit(Some(stored_call(r, &sources)?))?;
        }
        emit(None)
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
