//! Pages of the call listing, written once for both backends: the SQL that reads the calls of a
//! query past a call (a seek in the listing's order, never a skip), at most a page of them, and
//! at most a given number of calls examined, whatever the filters leave out.
//!
//! The calls a page examines are those of its *reach*: one customer's or every customer's, in a
//! span of starts, past a call. Both backends read the reach in order from an index (a customer's
//! from the calls' key, every customer's from `calls_by_start`), so a page costs what it
//! examines. The other filters (source, number, answered or not, billed or not, one invoice)
//! choose among those calls; when they are rare, a scan limit bounds the page (its `resume` says
//! where the next one starts). An invoice's calls are narrowed to its customer and the span its
//! calls start in.

use crate::registry::Registry;
use crate::{CallQuery, Result};
use rating::Micros;

/// What differs between the backends' SQL.
pub(crate) trait Dialect {
    type Value;
    /// The column of a call's start.
    const START: &'static str;
    /// A page's scan `w` (outer, in the listing's order) joined to its calls `c`, each looked up
    /// by its key (`start` the start's column), so that the join keeps the scan's order and a
    /// page stops as soon as it is full.
    fn call_of_scan(start: &str) -> String;
    /// The `n`-th parameter, from 1, of the type of `value` (PostgreSQL casts it, so that it
    /// need not guess the type from where it is used).
    fn placeholder(n: usize, value: &Param<'_>) -> String;
    /// The value of a parameter.
    fn value(value: Param<'_>) -> Result<Self::Value>;
    /// A condition true when the text in `column` holds the text of the parameter `p`.
    fn holds(column: &str, p: &str) -> String;
}

/// A parameter of the SQL of a page.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Param<'a> {
    Int(i64),
    Time(Micros),
    Text(&'a str),
    /// The text that [`Dialect::holds`] looks for.
    Holds(&'a str),
}

/// SQL with its parameters.
pub(crate) struct Sql<D: Dialect> {
    pub text: String,
    pub values: Vec<D::Value>,
}

impl<D: Dialect> Sql<D> {
    fn new() -> Sql<D> {
        Sql { text: String::new(), values: Vec::new() }
    }

    fn push(&mut self, text: &str) {
        self.text.push_str(text);
    }

    /// Appends `text`, each `?` of it the next of `params`.
    fn bind<'a>(&mut self, text: &str, params: impl IntoIterator<Item = Param<'a>>) -> Result<()> {
        let mut params = params.into_iter();
        for (i, part) in text.split('?').enumerate() {
            if i > 0 {
                let p = params.next().ok_or_else(|| crate::StoreError::Corrupt("a page's SQL lacks a value".into()))?;
                self.text.push_str(&D::placeholder(self.values.len() + 1, &p));
                self.values.push(D::value(p)?);
            }
            self.text.push_str(part);
        }
        Ok(())
    }
}

/// A count or limit, written into the SQL rather than bound: PostgreSQL plans a statement with
/// a bound limit again for every execution (a generic plan cannot know the limit is small), which
/// took over half as long as reading the page; with the limit in its text the plan is made once
/// per connection. The limits are few (a page's size, the scan), so the statements are too.
fn count(n: u64) -> u64 {
    n.min(i64::MAX as u64)
}

/// The columns every page reads, the call's (`c`) and its billing's (`b`), in the order the
/// backends decode them.
pub(crate) const COLUMNS: &str = "c.pk, c.source, c.source_call_id, c.START, c.duration, c.direction, c.from_number,
    c.to_number, c.call_type, c.customer_pk, b.invoice_pk, b.call_type, b.rate_id, b.billable_seconds,
    b.included_seconds, b.charge_e4";

/// A page's reading, planned: the reach and the filters of a query.
pub(crate) struct Plan<'q> {
    pub query: &'q CallQuery,
    /// One customer's calls; `None`: every customer's.
    pub customer_pk: Option<i64>,
    /// The span of starts, `[from, to)`; `None`: open.
    pub from: Option<Micros>,
    pub to: Option<Micros>,
    /// Past this call: (start, its source's place by name, source call id).
    pub after: Option<(Micros, i64, &'q str)>,
    /// Nothing can match (an invoice of another customer, an empty span).
    pub empty: bool,
    /// The customer written into the SQL rather than bound: a statement of one customer's calls
    /// that PostgreSQL may plan once for that customer ([`Plan::planned_once`]).
    pub customer_in_text: bool,
}

impl<'q> Plan<'q> {
    /// The plan of `query`; `invoice` is its invoice's customer and span of starts, when it names
    /// one (`None` when the invoice does not exist).
    pub fn new(
        query: &'q CallQuery,
        invoice: Option<Option<(i64, Micros, Micros)>>,
        sources: &Registry,
    ) -> Result<Plan<'q>> {
        let mut plan = Plan {
            query,
            customer_pk: query.customer_pk,
            from: query.from,
            to: query.to,
            after: None,
            empty: false,
            customer_in_text: false,
        };
        match invoice {
            None => {}
            Some(None) => plan.empty = true,
            Some(Some((customer_pk, from, to))) => {
                plan.empty |= plan.customer_pk.is_some_and(|c| c != customer_pk);
                plan.customer_pk = Some(customer_pk);
                plan.from = Some(plan.from.map_or(from, |f| f.max(from)));
                plan.to = Some(plan.to.map_or(to, |t| t.min(to)));
            }
        }
        if let Some(k) = &query.after {
            plan.after = Some((k.start, sources.rank(&k.source)?, k.source_call_id.as_str()));
        }
        plan.empty |=
            plan.from.zip(plan.to).is_some_and(|(f, t)| f >= t) || query.limit == Some(0) || query.scan == Some(0);
        Ok(plan)
    }

    /// Whether a page of this plan, its customer written into its SQL, has one good plan whatever
    /// the values of its parameters (at most a cursor's): a range of the index of every
    /// customer's calls by start, or of one customer's calls.
    pub fn planned_once(&self) -> bool {
        self.from.is_none() && self.to.is_none() && !self.filters()
    }

    /// Whether the query filters beyond its reach: only then can a page examine calls it does
    /// not return.
    pub fn filters(&self) -> bool {
        let q = self.query;
        q.source.is_some()
            || q.number.is_some()
            || q.invoice.is_some()
            || q.answered_only
            || q.unanswered_only
            || q.billed_only
            || q.unbilled_only
    }

    /// The conditions of the reach on the calls of `alias`.
    fn reach<D: Dialect>(&self, sql: &mut Sql<D>, alias: &str, sources: &Registry) -> Result<()> {
        let start = format!("{alias}.{}", D::START);
        sql.push("TRUE");
        if let Some(from) = self.from {
            sql.bind(&format!(" AND {start} >= ?"), [Param::Time(from)])?;
        }
        if let Some(to) = self.to {
            sql.bind(&format!(" AND {start} < ?"), [Param::Time(to)])?;
        }
        match self.customer_pk {
            Some(pk) if self.customer_in_text => sql.push(&format!(" AND {alias}.customer_pk = {pk}")),
            Some(pk) => sql.bind(&format!(" AND {alias}.customer_pk = ?"), [Param::Int(pk)])?,
            None => {}
        }
        match self.after {
            Some((at, rank, id)) if sources.codes_follow_names() => {
                // The calls past the call in the order of the index on (start, source, id): one
                // range of it, which PostgreSQL plans in half the time of the form below.
                sql.bind(
                    &format!(" AND ({start}, {alias}.source, {alias}.source_call_id) > (?, ?, ?)"),
                    [Param::Time(at), Param::Int(rank), Param::Text(id)],
                )?;
            }
            Some((at, rank, id)) => {
                // A range of the index on the start, and among the calls of that very start (a
                // few), those past the call by source name and id.
                let rank_sql = sources.rank_sql(&format!("{alias}.source"));
                sql.bind(
                    &format!(
                        " AND {start} >= ? AND ({start} > ? OR {rank_sql} > ? OR ({rank_sql} = ? AND {alias}.source_call_id > ?))"
                    ),
                    [Param::Time(at), Param::Time(at), Param::Int(rank), Param::Int(rank), Param::Text(id)],
                )?;
            }
            None => {}
        }
        Ok(())
    }

    /// The query's other filters on the call `c` and its billing `b`.
    fn other_filters<D: Dialect>(&self, sql: &mut Sql<D>) -> Result<()> {
        self.call_filters(sql)?;
        let q = self.query;
        if let Some(invoice) = q.invoice {
            sql.bind(" AND b.invoice_pk = ?", [Param::Int(invoice.0)])?;
        }
        for (wanted, condition) in
            [(q.unbilled_only, " AND b.call_pk IS NULL"), (q.billed_only, " AND b.call_pk IS NOT NULL")]
        {
            if wanted {
                sql.push(condition);
            }
        }
        Ok(())
    }

    /// The query's filters on the call `c` itself.
    fn call_filters<D: Dialect>(&self, sql: &mut Sql<D>) -> Result<()> {
        let q = self.query;
        if let Some(source) = &q.source {
            sql.bind(" AND c.source = ?", [Param::Int(source.code())])?;
        }
        if let Some(number) = &q.number {
            let (from, to) = (D::holds("c.from_number", "?"), D::holds("c.to_number", "?"));
            sql.bind(&format!(" AND ({from} OR {to})"), [Param::Holds(number), Param::Holds(number)])?;
        }
        for (wanted, condition) in
            [(q.answered_only, " AND c.duration > 0"), (q.unanswered_only, " AND c.duration = 0")]
        {
            if wanted {
                sql.push(condition);
            }
        }
        Ok(())
    }

    /// The order of the listing on the calls of `alias`.
    pub fn order<D: Dialect>(alias: &str, sources: &Registry) -> String {
        format!(
            " ORDER BY {alias}.{}, {}, {alias}.source_call_id",
            D::START,
            sources.rank_sql(&format!("{alias}.source"))
        )
    }

    /// The SQL of a read with its billing (`join` joins `b` to `c`): the calls in order, at most
    /// the query's limit, among at most its scan of the reach when it has one; each row has
    /// [`COLUMNS`], then the `more` columns when there are some (`, …`).
    pub fn page<D: Dialect>(&self, join: &str, sources: &Registry, more: &str) -> Result<Sql<D>> {
        let mut sql = Sql::<D>::new();
        let columns = COLUMNS.replace("START", D::START) + more;
        let q = self.query;
        let mut limit = q.limit;
        match q.scan {
            Some(scan) if self.filters() => {
                // The reach's first `scan` calls, in order (from an index), then each call and its
                // billing, filtered, in the same order.
                sql.push(&format!(
                    "SELECT {columns} FROM (SELECT w.customer_pk, w.{start}, w.pk, w.source, w.source_call_id
                     FROM calls w WHERE ",
                    start = D::START
                ));
                self.reach(&mut sql, "w", sources)?;
                sql.push(&Self::order::<D>("w", sources));
                sql.push(&format!(" LIMIT {}", count(scan)));
                sql.push(&format!(
                    ") w {calls} LEFT JOIN billed_calls b ON {join} WHERE TRUE",
                    calls = D::call_of_scan(D::START),
                ));
                self.other_filters(&mut sql)?;
                sql.push(&Self::order::<D>("w", sources));
            }
            scan => {
                // Every call examined is read: a scan is a limit.
                limit = match (limit, scan) {
                    (Some(l), Some(s)) => Some(l.min(s)),
                    (l, s) => l.or(s),
                };
                sql.push(&format!("SELECT {columns} FROM calls c LEFT JOIN billed_calls b ON {join} WHERE "));
                self.reach(&mut sql, "c", sources)?;
                self.other_filters(&mut sql)?;
                sql.push(&Self::order::<D>("c", sources));
            }
        }
        if let Some(limit) = limit {
            sql.push(&format!(" LIMIT {}", count(limit)));
        }
        Ok(sql)
    }

    /// The SQL of a whole listing without the billing: the calls (`columns` of `c`) of the reach
    /// that the filters on calls keep, in order; the filters on billing are the reader's.
    pub fn listing<D: Dialect>(&self, columns: &str, sources: &Registry) -> Result<Sql<D>> {
        let mut sql = Sql::<D>::new();
        sql.push(&format!("SELECT {columns} FROM calls c WHERE "));
        self.reach(&mut sql, "c", sources)?;
        self.call_filters(&mut sql)?;
        sql.push(&Self::order::<D>("c", sources));
        Ok(sql)
    }

    /// The SQL of the key of the reach's `n`-th call (from 1): where a scan of `n` calls ends.
    pub fn nth<D: Dialect>(&self, n: u64, sources: &Registry) -> Result<Sql<D>> {
        let mut sql = Sql::<D>::new();
        sql.push(&format!("SELECT w.{}, w.source, w.source_call_id FROM calls w WHERE ", D::START));
        self.reach(&mut sql, "w", sources)?;
        sql.push(&Self::order::<D>("w", sources));
        sql.push(&format!(" LIMIT 1 OFFSET {}", count(n.saturating_sub(1))));
        Ok(sql)
    }
}

/// A stored date, `YYYY-MM-DD`.
pub(crate) fn date(text: &str) -> Result<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| crate::StoreError::Corrupt(format!("date `{text}`")))
}
