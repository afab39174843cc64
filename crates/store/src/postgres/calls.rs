//! Call records: import and queries.
//!
//! An import batch is copied (COPY, binary) into a session-local staging table, then moved into
//! `calls` with one INSERT … ON CONFLICT DO NOTHING. When every record was new (the usual case)
//! that is all; otherwise one UPDATE refreshes the changed unbilled calls and one SELECT tells
//! each record's outcome.

use super::{at, narrow, PgTx};
use crate::{BilledCall, CallOutcome, CallQuery, InvoiceId, NewCall, Result, Source, StoreError, StoredCall};
use chrono::{DateTime, Utc};
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::{ToSql, Type};
use postgres::Row;
use rating::{CallType, Charge, Direction};
use std::collections::HashSet;

/// The staging table, created once per connection; emptied at every commit.
const STAGING: &str = "CREATE TEMP TABLE IF NOT EXISTS calls_staging (
    pk bigint, source smallint, source_call_id text COLLATE \"C\", customer_pk bigint, start_at timestamptz,
    duration bigint, direction smallint, from_number text, to_number text, call_type text COLLATE \"C\"
) ON COMMIT DELETE ROWS";

const COPY_STAGING: &str = "COPY calls_staging (pk, source, source_call_id, customer_pk, start_at, duration, direction,
    from_number, to_number, call_type) FROM STDIN BINARY";

const STAGING_TYPES: &[Type] = &[
    Type::INT8,
    Type::INT2,
    Type::TEXT,
    Type::INT8,
    Type::TIMESTAMPTZ,
    Type::INT8,
    Type::INT2,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
];

/// A staged record is the same as its stored call when every column but the numbers agrees.
const SAME: &str = "c.customer_pk = s.customer_pk AND c.start_at = s.start_at AND c.duration = s.duration
    AND c.direction = s.direction AND c.from_number = s.from_number AND c.to_number = s.to_number
    AND c.call_type IS NOT DISTINCT FROM s.call_type";

impl PgTx<'_> {
    pub(crate) fn import_calls_impl(&mut self, calls: &[NewCall], outcomes: &mut Vec<CallOutcome>) -> Result<()> {
        if calls.is_empty() {
            return Ok(());
        }
        // The counter's row lock is held to commit: imports number their calls one after another.
        let st = self.prepared("SELECT next FROM counters WHERE name = 'calls' FOR UPDATE")?;
        let first: i64 = self.tx.query_one(&st, &[])?.try_get(0)?;
        self.tx.batch_execute(STAGING)?;
        self.tx.batch_execute("TRUNCATE calls_staging")?;
        let sink = self.tx.copy_in(COPY_STAGING)?;
        let mut writer = BinaryCopyInWriter::new(sink, STAGING_TYPES);
        for (n, c) in calls.iter().enumerate() {
            let row: [&(dyn ToSql + Sync); 10] = [
                &(first + n as i64),
                &source_code(c.source),
                &c.source_call_id,
                &c.customer_pk,
                &at(c.start)?,
                &i64::from(c.duration),
                &direction_code(c.direction),
                &c.from,
                &c.to,
                &c.call_type.as_ref().map(CallType::as_str),
            ];
            writer.write(&row)?;
        }
        writer.finish()?;
        let st = self.prepared(
            "INSERT INTO calls (pk, source, source_call_id, customer_pk, start_at, duration, direction, from_number,
                 to_number, call_type)
             SELECT pk, source, source_call_id, customer_pk, start_at, duration, direction, from_number, to_number,
                    call_type
             FROM calls_staging ORDER BY customer_pk, start_at, pk
             ON CONFLICT (source, source_call_id) DO NOTHING",
        )?;
        let inserted = self.tx.execute(&st, &[])?;
        let next = first + calls.len() as i64;
        let st = self.prepared("UPDATE counters SET next = $1 WHERE name = 'calls'")?;
        self.tx.execute(&st, &[&next])?;
        if inserted == calls.len() as u64 {
            outcomes.extend(std::iter::repeat_n(CallOutcome::Imported, calls.len()));
            return Ok(());
        }
        // Calls that existed before this batch and changed, unless billed: updated in place, once
        // their customers (before and after) are locked as invoicing locks them, so that no
        // invoice bills one of them meanwhile.
        let st = self.prepared(&format!(
            "SELECT pk FROM customers WHERE pk IN (
                 SELECT unnest(ARRAY[c.customer_pk, s.customer_pk]) FROM calls_staging s
                 JOIN calls c ON c.source = s.source AND c.source_call_id = s.source_call_id
                 WHERE c.pk < $1 AND NOT ({SAME}))
             ORDER BY pk FOR UPDATE"
        ))?;
        self.tx.query(&st, &[&first])?;
        let st = self.prepared(&format!(
            "UPDATE calls c SET customer_pk = s.customer_pk, start_at = s.start_at, duration = s.duration,
                 direction = s.direction, from_number = s.from_number, to_number = s.to_number, call_type = s.call_type
             FROM calls_staging s
             WHERE c.source = s.source AND c.source_call_id = s.source_call_id AND c.pk < $1 AND NOT ({SAME})
               AND NOT EXISTS (SELECT 1 FROM billed_calls b
                               WHERE b.customer_pk = c.customer_pk AND b.call_start_at = c.start_at AND b.call_pk = c.pk)
             RETURNING s.pk"
        ))?;
        let updated: HashSet<i64> =
            self.tx.query(&st, &[&first])?.iter().map(|r| r.try_get(0)).collect::<Result<_, _>>()?;
        let st = self.prepared(&format!(
            "SELECT s.pk, c.pk, {SAME} FROM calls_staging s
             JOIN calls c ON c.source = s.source AND c.source_call_id = s.source_call_id ORDER BY s.pk"
        ))?;
        let rows = self.tx.query(&st, &[])?;
        if rows.len() != calls.len() {
            return Err(StoreError::Corrupt(format!(
                "{} of {} staged calls found after import",
                rows.len(),
                calls.len()
            )));
        }
        for r in rows {
            let staged: i64 = r.try_get(0)?;
            let stored: i64 = r.try_get(1)?;
            let outcome = if stored >= first {
                CallOutcome::Imported
            } else if updated.contains(&staged) {
                CallOutcome::Updated
            } else if r.try_get(2)? {
                CallOutcome::Duplicate
            } else {
                CallOutcome::Conflict
            };
            outcomes.push(outcome);
        }
        Ok(())
    }

    pub(crate) fn calls_impl(&mut self, q: &CallQuery) -> Result<Vec<StoredCall>> {
        let mut sql = String::from(
            "SELECT c.pk, c.source, c.source_call_id, c.start_at, c.duration, c.direction, c.from_number, c.to_number,
                    c.call_type, b.invoice_pk, b.call_type, b.rate_id, b.billable_seconds, b.included_seconds, b.charge_e4
             FROM calls c LEFT JOIN billed_calls b
               ON b.customer_pk = c.customer_pk AND b.call_start_at = c.start_at AND b.call_pk = c.pk
             WHERE c.customer_pk = $1",
        );
        let from = q.from.map(at).transpose()?;
        let to = q.to.map(at).transpose()?;
        let mut params: Vec<&(dyn ToSql + Sync)> = vec![&q.customer_pk];
        if let Some(from) = &from {
            params.push(from);
            sql.push_str(&format!(" AND c.start_at >= ${}", params.len()));
        }
        if let Some(to) = &to {
            params.push(to);
            sql.push_str(&format!(" AND c.start_at < ${}", params.len()));
        }
        if q.answered_only {
            sql.push_str(" AND c.duration > 0");
        }
        if q.unbilled_only {
            sql.push_str(" AND b.call_pk IS NULL");
        }
        sql.push_str(" ORDER BY c.start_at, c.source, c.source_call_id");
        let st = self.prepared(&sql)?;
        let rows = self.tx.query(&st, &params)?;
        rows.iter().map(|r| stored_call(r, q.customer_pk)).collect()
    }
}

fn source_code(s: Source) -> i16 {
    i16::try_from(s.code()).unwrap_or(i16::MAX)
}

fn direction_code(d: Direction) -> i16 {
    i16::try_from(d.code()).unwrap_or(i16::MAX)
}

fn stored_call(r: &Row, customer_pk: i64) -> Result<StoredCall> {
    let source = Source::from_code(i64::from(r.try_get::<_, i16>(1)?))
        .ok_or_else(|| StoreError::Corrupt("calls.source".into()))?;
    let direction = Direction::from_code(i64::from(r.try_get::<_, i16>(5)?))
        .ok_or_else(|| StoreError::Corrupt("calls.direction".into()))?;
    let call_type = match r.try_get::<_, Option<&str>>(8)? {
        Some(t) => Some(CallType::parse(t).map_err(|e| StoreError::Corrupt(e.to_string()))?),
        None => None,
    };
    let billed = match r.try_get::<_, Option<i64>>(9)? {
        Some(invoice) => Some(BilledCall {
            invoice: InvoiceId(invoice),
            call_type: r.try_get(10)?,
            rate_id: r.try_get(11)?,
            billable_seconds: narrow(r.try_get(12)?, "billed_calls.billable_seconds")?,
            included_seconds: narrow(r.try_get(13)?, "billed_calls.included_seconds")?,
            charge: Charge::from_units(r.try_get(14)?),
        }),
        None => None,
    };
    Ok(StoredCall {
        pk: r.try_get(0)?,
        call: NewCall {
            source,
            source_call_id: r.try_get(2)?,
            customer_pk,
            start: r.try_get::<_, DateTime<Utc>>(3)?.timestamp_micros(),
            duration: narrow(r.try_get(4)?, "calls.duration")?,
            direction,
            from: r.try_get(6)?,
            to: r.try_get(7)?,
            call_type,
        },
        billed,
    })
}
