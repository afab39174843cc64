//! Call records: import and queries.
//!
//! `import_new_calls` copies (COPY, binary) a batch expected to be new straight into `calls`; the
//! unique index refuses it if it holds a stored call. `import_calls` looks first: a batch of new
//! records (one probe of the unique index finds none of them, and no id repeats within the
//! batch) is copied straight in as well. Any other
//! batch is copied into a session-local staging table and moved into `calls` with one INSERT …
//! ON CONFLICT DO NOTHING; one join from the staging side then tells each record's outcome, and
//! the changed unbilled calls are updated through their primary key. Imports hold the call
//! counter's row lock, so no other import can add an id between the probe and the copy.

use super::copy::BinaryRows;
use super::{at, narrow, source_code, PgTx, FETCH_ROWS};
use crate::page::{Dialect, Param, Plan, COLUMNS};
use crate::registry::Registry;
use crate::{BilledCall, CallKey, CallOutcome, CallQuery, InvoiceId, NewCall, Result, StoreError, StoredCall};
use chrono::{DateTime, Utc};
use postgres::types::{ToSql, Type};
use postgres::Row;
use rating::{CallType, Charge, Direction, Micros};
use std::collections::{BTreeMap, HashMap, HashSet};

/// The staging table, created once per connection; emptied at every commit.
const STAGING: &str = "CREATE TEMP TABLE IF NOT EXISTS calls_staging (
    pk bigint, source smallint, source_call_id text COLLATE \"C\", customer_pk bigint, start_at timestamptz,
    duration bigint, direction smallint, from_number text, to_number text, call_type text COLLATE \"C\"
) ON COMMIT DELETE ROWS";

const COPY_STAGING: &str = "COPY calls_staging (pk, source, source_call_id, customer_pk, start_at, duration, direction,
    from_number, to_number, call_type) FROM STDIN BINARY";

const COPY_CALLS: &str = "COPY calls (pk, source, source_call_id, customer_pk, start_at, duration, direction,
    from_number, to_number, call_type) FROM STDIN BINARY";

/// The types of the copied columns, in the order of `COPY_CALLS` and `COPY_STAGING`.
const COPY_TYPES: &[Type] = &[
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

/// Stored calls a batch changes, column by column: where they are now and what they become.
#[derive(Default)]
struct Changed<'a> {
    index: Vec<usize>,
    pk: Vec<i64>,
    old_customer: Vec<i64>,
    old_start: Vec<DateTime<Utc>>,
    customer: Vec<i64>,
    start: Vec<DateTime<Utc>>,
    duration: Vec<i64>,
    direction: Vec<i16>,
    from: Vec<&'a str>,
    to: Vec<&'a str>,
    call_type: Vec<Option<&'a str>>,
}

impl<'a> Changed<'a> {
    fn push(
        &mut self,
        index: usize,
        pk: i64,
        old_customer: i64,
        old_start: DateTime<Utc>,
        c: &'a NewCall,
    ) -> Result<()> {
        self.index.push(index);
        self.pk.push(pk);
        self.old_customer.push(old_customer);
        self.old_start.push(old_start);
        self.customer.push(c.customer_pk);
        self.start.push(at(c.start)?);
        self.duration.push(i64::from(c.duration));
        self.direction.push(direction_code(c.direction));
        self.from.push(&c.from);
        self.to.push(&c.to);
        self.call_type.push(c.call_type.as_ref().map(CallType::as_str));
        Ok(())
    }
}

impl PgTx<'_> {
    /// Numbers for `n` new calls. The counter's row lock is held to commit: imports number their
    /// calls one after another, and no other import adds a call meanwhile.
    fn call_numbers(&mut self, n: usize) -> Result<i64> {
        let st = self.prepared("SELECT next FROM counters WHERE name = 'calls' FOR UPDATE")?;
        let first: i64 = self.tx.query_one(&st, &[])?.try_get(0)?;
        let st = self.prepared("UPDATE counters SET next = $1 WHERE name = 'calls'")?;
        self.tx.execute(&st, &[&(first + n as i64)])?;
        Ok(first)
    }

    /// Copies a batch of calls not stored yet straight into `calls`; a stored one (or an id
    /// repeated in the batch) makes the unique index refuse the copy: `KnownCalls`.
    fn copy_new(&mut self, calls: &[NewCall], first: i64, outcomes: &mut Vec<CallOutcome>) -> Result<()> {
        self.copy_calls(COPY_CALLS, calls, first)?;
        self.new_calls += calls.len();
        outcomes.extend(std::iter::repeat_n(CallOutcome::Imported, calls.len()));
        Ok(())
    }

    /// Whether no record of the batch is stored yet and no id repeats within it.
    fn all_new(&mut self, calls: &[NewCall]) -> Result<bool> {
        let mut seen = HashSet::with_capacity(calls.len());
        if !calls.iter().all(|c| seen.insert((c.source.code(), c.source_call_id.as_str()))) {
            return Ok(false);
        }
        let sources: Vec<i16> = calls.iter().map(|c| source_code(&c.source)).collect();
        let ids: Vec<&str> = calls.iter().map(|c| c.source_call_id.as_str()).collect();
        let st = self.prepared(
            "SELECT NOT EXISTS (SELECT 1 FROM unnest($1::smallint[], $2::text[]) AS k (source, id)
                                JOIN calls c ON c.source = k.source AND c.source_call_id = k.id)",
        )?;
        Ok(self.tx.query_one(&st, &[&sources, &ids])?.try_get(0)?)
    }

    /// Copies the batch into `calls` or the staging table, numbering its calls from `first`.
    fn copy_calls(&mut self, copy: &str, calls: &[NewCall], first: i64) -> Result<()> {
        let mut writer = BinaryRows::new(self.tx.copy_in(copy)?, COPY_TYPES, known_calls);
        for (n, c) in calls.iter().enumerate() {
            let row: [&(dyn ToSql + Sync); 10] = [
                &(first + n as i64),
                &source_code(&c.source),
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
        Ok(())
    }

    /// The links of a batch of calls in start order, read customer by customer (a batch of one
    /// customer's calls, the common case, is one read): for each customer, those in the range of
    /// its calls' numbers and starts in the batch (a link of another call there is never matched).
    fn billed_of_calls(&mut self, calls: &[StoredCall]) -> Result<HashMap<i64, BilledCall>> {
        // Per customer: the lowest and highest call number, the first and last start.
        let mut spans: BTreeMap<i64, (i64, i64, Micros, Micros)> = BTreeMap::new();
        for c in calls {
            let (pk, start) = (c.pk, c.call.start);
            let span = spans.entry(c.call.customer_pk).or_insert((pk, pk, start, start));
            *span = (span.0.min(pk), span.1.max(pk), span.2.min(start), span.3.max(start));
        }
        let st = self.prepared(
            "SELECT call_pk, invoice_pk, call_type, rate_id, billable_seconds, included_seconds, charge_e4
             FROM billed_calls WHERE customer_pk = $1 AND call_pk BETWEEN $2 AND $3
               AND call_start_at >= $4 AND call_start_at <= $5",
        )?;
        let mut billed = HashMap::new();
        for (customer_pk, (low, high, since, until)) in spans {
            let (since, until) = (at(since)?, at(until)?);
            self.each_row(&st, &[&customer_pk, &low, &high, &since, &until], |r| {
                let (pk, b) = billed_call(r)?;
                billed.insert(pk, b);
                Ok(())
            })?;
        }
        Ok(billed)
    }
}

/// The billing of a call `c` is the row `b` of its customer and number.
const JOIN: &str = "b.customer_pk = c.customer_pk AND b.call_pk = c.pk";

/// PostgreSQL's SQL for the call listing's reads.
struct Pg;

impl Dialect for Pg {
    type Value = Box<dyn ToSql + Sync>;
    const START: &'static str = "start_at";
    /// A lateral lookup, kept from being flattened into a join (`OFFSET 0`): flattened, the
    /// planner misjudged the three-column match and hashed every call of the table against the
    /// scan (290 ms for a page of 1,000,000 calls, against 1.5 ms).
    fn call_of_scan(start: &str) -> String {
        format!(
            "CROSS JOIN LATERAL (SELECT * FROM calls c
               WHERE c.customer_pk = w.customer_pk AND c.{start} = w.{start} AND c.pk = w.pk OFFSET 0) c"
        )
    }

    fn placeholder(n: usize, value: &Param<'_>) -> String {
        let cast = match value {
            Param::Int(_) => "bigint",
            Param::Time(_) => "timestamptz",
            Param::Text(_) | Param::Holds(_) => "text",
        };
        format!("${n}::{cast}")
    }

    fn value(p: Param<'_>) -> Result<Self::Value> {
        Ok(match p {
            Param::Int(v) => Box::new(v),
            Param::Time(v) => Box::new(at(v)?),
            Param::Text(t) => Box::new(t.to_owned()),
            Param::Holds(t) => {
                let escaped: String = t
                    .chars()
                    .flat_map(|c| if matches!(c, '%' | '_' | '\\') { vec!['\\', c] } else { vec![c] })
                    .collect();
                Box::new(format!("%{escaped}%"))
            }
        })
    }

    /// `LIKE`, which a trigram index (`calls_numbers`, where pg_trgm is installed) serves.
    fn holds(column: &str, p: &str) -> String {
        format!("{column} LIKE {p}")
    }
}

impl PgTx<'_> {
    /// The customer and span of starts of the invoice a query names, `Some(None)` when it does
    /// not exist, `None` when the query names none.
    fn invoice_reach(&mut self, q: &CallQuery) -> Result<Option<Option<(i64, Micros, Micros)>>> {
        let Some(id) = q.invoice else { return Ok(None) };
        let st =
            self.prepared("SELECT customer_pk, coalesce(calls_from, from_date), to_date FROM invoices WHERE pk = $1")?;
        let row = self.tx.query_opt(&st, &[&id.0])?;
        row.map(|r| {
            let (start, end) = crate::billed_span(r.try_get(1)?, r.try_get(2)?);
            Ok((r.try_get(0)?, start, end))
        })
        .transpose()
        .map(Some)
    }

    /// A page of calls with their billing, joined by the server (a page is short, so each
    /// call's link is one probe of its key; a whole listing reads them apart, see `each_call`),
    /// handed to `f` as they come, a page's worth of rows per round trip.
    fn page<E: From<StoreError>>(
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
        let sql = plan.page::<Pg>(JOIN, &sources, "")?;
        let st = self.prepared(&sql.text)?;
        let params: Vec<&(dyn ToSql + Sync)> = sql.values.iter().map(|v| v.as_ref() as _).collect();
        let each = |rows: &[Row], f: &mut dyn FnMut(StoredCall) -> Result<(), E>| -> Result<(), E> {
            for r in rows {
                f(paged_call(r, &sources)?)?;
            }
            Ok(())
        };
        if q.limit.is_some() {
            // A page of at most its limit, in one round trip.
            let rows = self.tx.query(&st, &params).map_err(StoreError::from)?;
            return each(&rows, &mut f);
        }
        // Without a limit, the scan's calls that the reader filters, a batch at a time.
        let portal = self.tx.bind(&st, &params).map_err(StoreError::from)?;
        loop {
            let rows = self.tx.query_portal(&portal, PAGE_ROWS).map_err(StoreError::from)?;
            each(&rows, &mut f)?;
            if rows.len() < PAGE_ROWS as usize {
                return Ok(());
            }
        }
    }
}

impl super::PgStore {
    /// [`crate::Store::each_call_if`] of a page with a limit and no invoice, in one statement
    /// outside any transaction: the page's query, each row with the stamps of its snapshot.
    /// `sources` are the sources kept with the customers' stamp `expected` names. An empty page
    /// tells no stamps: it is read again in a transaction.
    pub(crate) fn page_alone<E: From<StoreError>>(
        &mut self,
        q: &CallQuery,
        expected: crate::Stamps,
        sources: &Registry,
        mut f: impl FnMut(StoredCall) -> Result<(), E>,
    ) -> Result<bool, E> {
        let mut plan = Plan::new(q, None, sources)?;
        plan.customer_in_text = true;
        self.plan(if plan.planned_once() { super::Planning::Auto } else { super::Planning::Custom })?;
        // The stamps are subqueries of no row of the page: the server reads them once.
        let page = plan.page::<Pg>(JOIN, sources, &format!(", {}", crate::STAMP_COLUMNS))?;
        let st = super::prepared(&mut self.statements, &mut self.client, &page.text)?;
        let params: Vec<&(dyn ToSql + Sync)> = page.values.iter().map(|v| v.as_ref() as _).collect();
        let rows = self.client.query(&st, &params).map_err(StoreError::from)?;
        // After the page's columns.
        let at = COLUMNS.split(',').count();
        let stamps = |r: &Row| -> Result<crate::Stamps> {
            Ok(crate::Stamps { pricing: r.try_get(at)?, customers: r.try_get(at + 1)? })
        };
        if rows.first().map(stamps).transpose()? != Some(expected) {
            return if rows.is_empty() { crate::each_call_if_in_transaction(self, q, expected, f) } else { Ok(false) };
        }
        for r in &rows {
            f(paged_call(r, sources)?)?;
        }
        Ok(true)
    }
}

/// A call of a page's row, with its billing if it has one.
fn paged_call(r: &Row, sources: &Registry) -> Result<StoredCall> {
    let mut call = stored_call(r, sources)?;
    if r.try_get::<_, Option<i64>>(10)?.is_some() {
        call.billed = Some(billed_call_at(r, 10)?);
    }
    Ok(call)
}

/// Rows per round trip of a read with a scan but no limit.
const PAGE_ROWS: i32 = 256;

fn direction_code(d: Direction) -> i16 {
    i16::try_from(d.code()).unwrap_or(i16::MAX)
}

fn stored_call(r: &Row, sources: &Registry) -> Result<StoredCall> {
    let customer_pk = r.try_get(9)?;
    let source = sources.get(i64::from(r.try_get::<_, i16>(1)?))?;
    let direction = Direction::from_code(i64::from(r.try_get::<_, i16>(5)?))
        .ok_or_else(|| StoreError::Corrupt("calls.direction".into()))?;
    let call_type = match r.try_get::<_, Option<&str>>(8)? {
        Some(t) => Some(CallType::parse(t).map_err(|e| StoreError::Corrupt(e.to_string()))?),
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
        billed: None,
    })
}

/// A row of `billed_calls` as (call number, billing).
fn billed_call(r: &Row) -> Result<(i64, BilledCall)> {
    Ok((r.try_get(0)?, billed_call_at(r, 1)?))
}

/// The billing in the columns of `r` from `first` (invoice, call type, rate, billable and
/// included seconds, charge).
fn billed_call_at(r: &Row, first: usize) -> Result<BilledCall> {
    Ok(BilledCall {
        invoice: InvoiceId(r.try_get(first)?),
        call_type: r.try_get(first + 1)?,
        rate_id: r.try_get(first + 2)?,
        billable_seconds: narrow(r.try_get(first + 3)?, "billed_calls.billable_seconds")?,
        included_seconds: narrow(r.try_get(first + 4)?, "billed_calls.included_seconds")?,
        charge: Charge::from_units(r.try_get(first + 5)?),
    })
}

/// A copy the unique index of (source, source call id) refused is `KnownCalls`.
fn known_calls(e: postgres::Error) -> StoreError {
    let unique = e.as_db_error().is_some_and(|d| {
        *d.code() == postgres::error::SqlState::UNIQUE_VIOLATION && d.constraint() == Some("calls_source_id_unique")
    });
    if unique {
        StoreError::KnownCalls
    } else {
        e.into()
    }
}

impl crate::Calls for PgTx<'_> {
    fn import_calls(&mut self, calls: &[NewCall], outcomes: &mut Vec<CallOutcome>) -> Result<()> {
        if calls.is_empty() {
            return Ok(());
        }
        let first = self.call_numbers(calls.len())?;
        if self.all_new(calls)? {
            return self.copy_new(calls, first, outcomes);
        }
        self.tx.batch_execute(STAGING)?;
        self.tx.batch_execute("TRUNCATE calls_staging")?;
        self.copy_calls(COPY_STAGING, calls, first)?;
        let st = self.prepared(
            "INSERT INTO calls (pk, source, source_call_id, customer_pk, start_at, duration, direction, from_number,
                 to_number, call_type)
             SELECT pk, source, source_call_id, customer_pk, start_at, duration, direction, from_number, to_number,
                    call_type
             FROM calls_staging ORDER BY customer_pk, start_at, pk
             ON CONFLICT (source, source_call_id) DO NOTHING",
        )?;
        let inserted = self.tx.execute(&st, &[])?;
        self.new_calls += usize::try_from(inserted).unwrap_or(usize::MAX);
        if inserted == calls.len() as u64 {
            outcomes.extend(std::iter::repeat_n(CallOutcome::Imported, calls.len()));
            return Ok(());
        }
        // Each record against the call it matched: inserted by this batch, the same, or changed.
        // (Joined from the staging side, one probe of the unique index per record.)
        let st = self.prepared(&format!(
            "SELECT s.pk, c.pk, c.customer_pk, c.start_at, {SAME}
             FROM calls_staging s JOIN calls c ON c.source = s.source AND c.source_call_id = s.source_call_id
             ORDER BY s.pk"
        ))?;
        let rows = self.tx.query(&st, &[])?;
        if rows.len() != calls.len() {
            return Err(StoreError::Corrupt(format!(
                "{} of {} staged calls found after import",
                rows.len(),
                calls.len()
            )));
        }
        let start = outcomes.len();
        let mut changed = Changed::default();
        for r in rows {
            let n = usize::try_from(r.try_get::<_, i64>(0)? - first).unwrap_or(usize::MAX);
            let stored: i64 = r.try_get(1)?;
            let outcome = if stored >= first {
                CallOutcome::Imported
            } else if r.try_get(4)? {
                CallOutcome::Duplicate
            } else {
                let c = calls.get(n).ok_or_else(|| StoreError::Corrupt(format!("staged call {n}")))?;
                changed.push(n, stored, r.try_get(2)?, r.try_get(3)?, c)?;
                CallOutcome::Conflict // unless updated below
            };
            outcomes.push(outcome);
        }
        if changed.pk.is_empty() {
            return Ok(());
        }
        // Changed calls, unless billed, are updated in place once their customers (before and
        // after) are locked as invoicing locks them, so that no invoice bills one meanwhile.
        let mut customers: Vec<i64> = changed.old_customer.iter().chain(&changed.customer).copied().collect();
        customers.sort_unstable();
        customers.dedup();
        let st = self.prepared("SELECT pk FROM customers WHERE pk = ANY($1) ORDER BY pk FOR UPDATE")?;
        self.tx.query(&st, &[&customers])?;
        let st = self.prepared(
            "UPDATE calls c SET customer_pk = u.customer_pk, start_at = u.start_at, duration = u.duration,
                 direction = u.direction, from_number = u.from_number, to_number = u.to_number, call_type = u.call_type
             FROM unnest($1::bigint[], $2::timestamptz[], $3::bigint[], $4::bigint[], $5::timestamptz[], $6::bigint[],
                         $7::smallint[], $8::text[], $9::text[], $10::text[])
                  AS u (old_customer, old_start, pk, customer_pk, start_at, duration, direction, from_number,
                        to_number, call_type)
             WHERE c.customer_pk = u.old_customer AND c.start_at = u.old_start AND c.pk = u.pk
               AND NOT EXISTS (SELECT 1 FROM billed_calls b
                               WHERE b.customer_pk = c.customer_pk AND b.call_start_at = c.start_at AND b.call_pk = c.pk)
             RETURNING c.pk",
        )?;
        let k = &changed;
        let updated: HashSet<i64> = self
            .tx
            .query(
                &st,
                &[
                    &k.old_customer,
                    &k.old_start,
                    &k.pk,
                    &k.customer,
                    &k.start,
                    &k.duration,
                    &k.direction,
                    &k.from,
                    &k.to,
                    &k.call_type,
                ],
            )?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, _>>()?;
        for (n, pk) in changed.index.iter().zip(&changed.pk) {
            if updated.contains(pk) {
                outcomes[start + n] = CallOutcome::Updated;
            }
        }
        Ok(())
    }

    fn import_new_calls(&mut self, calls: &[NewCall], outcomes: &mut Vec<CallOutcome>) -> Result<()> {
        if calls.is_empty() {
            return Ok(());
        }
        let first = self.call_numbers(calls.len())?;
        self.copy_new(calls, first, outcomes)
    }

    /// The calls of a query (one customer's, or everyone's) in the contract's order (start,
    /// source, source call id), each with its billing if it is on an invoice, handed to `f` a
    /// batch of [`FETCH_ROWS`] at a time; with a limit, a page (see [`PgTx::page`]).
    ///
    /// The server sorts the calls and sends them a batch at a time, so that the program holds one
    /// batch whatever the range (sorting them here meant holding them all). The links of each
    /// batch are read apart, as a range of their own key (the batch's call numbers, within its
    /// span of starts): as one join, the server hashed one side and sorted the whole range (on
    /// disk past `work_mem`) before the first row. Callers read in one snapshot or hold the
    /// customer's lock (invoicing), so the reads agree.
    fn each_call<E: From<StoreError>>(
        &mut self,
        q: &CallQuery,
        mut f: impl FnMut(StoredCall) -> Result<(), E>,
    ) -> Result<(), E> {
        if q.limit.is_some() || q.scan.is_some() {
            return self.page(q, f);
        }
        let sources = self.registry()?.clone();
        let invoice = self.invoice_reach(q)?;
        let plan = Plan::new(q, invoice, &sources)?;
        if plan.empty {
            return Ok(());
        }
        let sql = plan.listing::<Pg>(
            "c.pk, c.source, c.source_call_id, c.start_at, c.duration, c.direction, c.from_number, c.to_number,
             c.call_type, c.customer_pk",
            &sources,
        )?;
        let st = self.prepared(&sql.text)?;
        let params: Vec<&(dyn ToSql + Sync)> = sql.values.iter().map(|v| v.as_ref() as _).collect();
        let portal = self.tx.bind(&st, &params).map_err(StoreError::from)?;
        let mut calls = Vec::with_capacity(FETCH_ROWS as usize);
        loop {
            let rows = self.tx.query_portal(&portal, FETCH_ROWS).map_err(StoreError::from)?;
            calls.clear();
            for r in &rows {
                calls.push(stored_call(r, &sources)?);
            }
            let mut billed = self.billed_of_calls(&calls)?;
            for mut call in calls.drain(..) {
                call.billed = billed.remove(&call.pk);
                let wanted = match &call.billed {
                    Some(b) => !q.unbilled_only && q.invoice.is_none_or(|i| i == b.invoice),
                    None => !q.billed_only && q.invoice.is_none(),
                };
                if wanted {
                    f(call)?;
                }
            }
            if rows.len() < FETCH_ROWS as usize {
                return Ok(());
            }
        }
    }

    fn scan_end(&mut self, q: &CallQuery) -> Result<Option<CallKey>> {
        let sources = self.registry()?.clone();
        let invoice = self.invoice_reach(q)?;
        let plan = Plan::new(q, invoice, &sources)?;
        let Some(scan) = q.scan.filter(|_| !plan.empty) else { return Ok(None) };
        let sql = plan.nth::<Pg>(scan, &sources)?;
        let st = self.prepared(&sql.text)?;
        let params: Vec<&(dyn ToSql + Sync)> = sql.values.iter().map(|v| v.as_ref() as _).collect();
        let Some(r) = self.tx.query_opt(&st, &params)? else { return Ok(None) };
        Ok(Some(CallKey {
            start: r.try_get::<_, DateTime<Utc>>(0)?.timestamp_micros(),
            source: sources.get(i64::from(r.try_get::<_, i16>(1)?))?,
            source_call_id: r.try_get(2)?,
        }))
    }

    /// Through the invoice's links, one range of their key (the customer and the call numbers
    /// the invoice records, migration 0005), each joined to its call by the calls' key within the
    /// invoice's span of starts; sorted by the server and sent [`FETCH_ROWS`] at a time.
    fn each_invoice_call<E: From<StoreError>>(
        &mut self,
        invoice: InvoiceId,
        mut f: impl FnMut(StoredCall) -> Result<(), E>,
    ) -> Result<(), E> {
        let sources = self.registry()?.clone();
        let st = self.prepared(&format!(
            "SELECT {} FROM invoices i
             JOIN billed_calls b ON b.customer_pk = i.customer_pk
               AND b.call_pk BETWEEN i.first_call_pk AND i.last_call_pk AND b.invoice_pk = i.pk
             JOIN calls c ON c.customer_pk = i.customer_pk AND c.start_at = b.call_start_at AND c.pk = b.call_pk
               AND c.start_at >= invoice_span_start(coalesce(i.calls_from, i.from_date))
               AND c.start_at < invoice_span_end(i.to_date)
             WHERE i.pk = $1 {}",
            COLUMNS.replace("START", Pg::START),
            Plan::order::<Pg>("c", &sources)
        ))?;
        let portal = self.tx.bind(&st, &[&invoice.0]).map_err(StoreError::from)?;
        loop {
            let rows = self.tx.query_portal(&portal, FETCH_ROWS).map_err(StoreError::from)?;
            for r in &rows {
                let mut call = stored_call(r, &sources)?;
                call.billed = Some(billed_call_at(r, 10)?);
                f(call)?;
            }
            if rows.len() < FETCH_ROWS as usize {
                return Ok(());
            }
        }
    }

    fn unbilled_before(&mut self, customer_pk: i64, before: Micros) -> Result<Option<(u64, Micros, Micros)>> {
        let st = self.prepared(
            "SELECT count(*), (extract(epoch FROM min(c.start_at)) * 1000000)::bigint,
                    (extract(epoch FROM max(c.start_at)) * 1000000)::bigint
             FROM calls c
             WHERE c.customer_pk = $1 AND c.start_at < $2 AND c.duration > 0
               AND NOT EXISTS (SELECT 1 FROM billed_calls b WHERE b.customer_pk = c.customer_pk AND b.call_pk = c.pk)",
        )?;
        let row = self.tx.query_one(&st, &[&customer_pk, &at(before)?])?;
        let n = narrow(row.try_get::<_, i64>(0)?, "unbilled call count")?;
        Ok(match (row.try_get(1)?, row.try_get(2)?) {
            (Some(first), Some(last)) if n > 0 => Some((n, first, last)),
            _ => None,
        })
    }

    fn count_calls(&mut self, customer_pk: i64, source: &crate::Source, from: i64, to: i64) -> Result<u64> {
        let st = self.prepared(
            "SELECT count(*) FROM calls WHERE customer_pk = $1 AND start_at >= $2 AND start_at < $3 AND source = $4",
        )?;
        let n: i64 = self.tx.query_one(&st, &[&customer_pk, &at(from)?, &at(to)?, &source_code(source)])?.try_get(0)?;
        narrow(n, "call count")
    }
}
