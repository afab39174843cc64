//! Call records: import and queries.

use super::{narrow, MultiInsert, SqliteTx, CHUNK};
use crate::registry::Registry;
use crate::{BilledCall, CallOutcome, CallQuery, InvoiceId, NewCall, Result, StoreError, StoredCall};
use rating::{CallType, Charge, Direction};
use rusqlite::{params, Row};

/// Parameters per call row.
const COLUMNS: usize = 10;

static INSERT: MultiInsert = MultiInsert::new(
    "calls (pk, source, source_call_id, customer_pk, start_us, duration, direction, from_number, to_number, call_type)",
    COLUMNS,
    "ON CONFLICT (source, source_call_id) DO NOTHING",
);

/// The stored form of a call's own type: NULL when it is to be classified.
fn call_type_column(c: &NewCall) -> Option<&str> {
    c.call_type.as_ref().map(CallType::as_str)
}

impl SqliteTx<'_> {
    pub(crate) fn import_calls_impl(&mut self, calls: &[NewCall], outcomes: &mut Vec<CallOutcome>) -> Result<()> {
        let mut next: i64 = self.tx.query_row("SELECT next FROM counters WHERE name = 'calls'", [], |r| r.get(0))?;
        for chunk in calls.chunks(CHUNK) {
            self.import_chunk(chunk, next, outcomes)?;
            next += chunk.len() as i64;
        }
        self.tx.execute("UPDATE counters SET next = ?1 WHERE name = 'calls'", [next])?;
        Ok(())
    }

    /// Inserts a chunk with one multi-row statement, numbering its calls from `first`. When every
    /// row is new (the usual case) that is all; otherwise each row is looked at: a row with a
    /// number from this chunk was inserted by it, the others existed and are compared.
    fn import_chunk(&mut self, chunk: &[NewCall], first: i64, outcomes: &mut Vec<CallOutcome>) -> Result<()> {
        let mut insert = INSERT.prepare(&self.tx, chunk.len())?;
        for (n, c) in chunk.iter().enumerate() {
            let i = n * COLUMNS + 1;
            insert.raw_bind_parameter(i, first + n as i64)?;
            insert.raw_bind_parameter(i + 1, c.source.code())?;
            insert.raw_bind_parameter(i + 2, &c.source_call_id)?;
            insert.raw_bind_parameter(i + 3, c.customer_pk)?;
            insert.raw_bind_parameter(i + 4, c.start)?;
            insert.raw_bind_parameter(i + 5, c.duration)?;
            insert.raw_bind_parameter(i + 6, c.direction.code())?;
            insert.raw_bind_parameter(i + 7, &c.from)?;
            insert.raw_bind_parameter(i + 8, &c.to)?;
            insert.raw_bind_parameter(i + 9, call_type_column(c))?;
        }
        let inserted = insert.raw_execute()?;
        drop(insert);
        if inserted == chunk.len() {
            outcomes.extend(std::iter::repeat_n(CallOutcome::Imported, chunk.len()));
            return Ok(());
        }
        let mut existing = self.tx.prepare_cached(
            "SELECT c.pk, c.customer_pk, c.start_us, c.duration, c.direction, c.from_number, c.to_number, c.call_type,
                    EXISTS (SELECT 1 FROM billed_calls b
                            WHERE b.customer_pk = c.customer_pk AND b.call_start_us = c.start_us AND b.call_pk = c.pk)
             FROM calls c WHERE c.source = ?1 AND c.source_call_id = ?2",
        )?;
        let mut update = self.tx.prepare_cached(
            "UPDATE calls SET customer_pk = ?2, start_us = ?3, duration = ?4, direction = ?5, from_number = ?6,
                 to_number = ?7, call_type = ?8
             WHERE pk = ?1 AND source = ?9 AND source_call_id = ?10
               AND NOT EXISTS (SELECT 1 FROM billed_calls b
                               WHERE b.customer_pk = calls.customer_pk AND b.call_start_us = calls.start_us
                                 AND b.call_pk = calls.pk)",
        )?;
        for c in chunk {
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
            let outcome = if pk >= first {
                CallOutcome::Imported
            } else if same {
                CallOutcome::Duplicate
            } else if billed {
                CallOutcome::Conflict
            } else {
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
                CallOutcome::Updated
            };
            outcomes.push(outcome);
        }
        Ok(())
    }

    /// The calls of a query, read one by one from the statement (for one customer, SQLite sorts
    /// the ties of a start as it goes: the calls' key is already in start order).
    pub(crate) fn each_call_impl<E: From<StoreError>>(
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
