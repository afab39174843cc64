//! `db check`: the invariants money depends on, verified on a live database. Each invariant has
//! the query that finds the rows breaking it in each backend's dialect (or none, where the
//! backend keeps it otherwise) and one wording of the problem, shared.

use crate::{Result, StoreError};
use rating::Amount;

/// The invoice whose key is in a problem's first column, as the program names it.
fn invoice(r: &Problem) -> Result<crate::InvoiceId> {
    r.int(0).map(crate::InvoiceId)
}

/// A value of a row that breaks an invariant.
#[derive(Debug)]
pub(crate) enum Cell {
    Int(i64),
    Text(String),
    Null,
}

/// A row that breaks an invariant, column by column.
pub(crate) struct Problem(pub(crate) Vec<Cell>);

impl Problem {
    fn cell(&self, i: usize) -> Result<&Cell> {
        self.0.get(i).ok_or_else(|| StoreError::Corrupt(format!("db check: no column {i}")))
    }

    fn int(&self, i: usize) -> Result<i64> {
        match self.cell(i)? {
            Cell::Int(v) => Ok(*v),
            other => Err(StoreError::Corrupt(format!("db check: column {i} is {other:?}, not an integer"))),
        }
    }

    fn opt(&self, i: usize) -> Result<Option<i64>> {
        match self.cell(i)? {
            Cell::Null => Ok(None),
            _ => self.int(i).map(Some),
        }
    }

    fn text(&self, i: usize) -> Result<String> {
        match self.cell(i)? {
            Cell::Text(v) => Ok(v.clone()),
            other => Err(StoreError::Corrupt(format!("db check: column {i} is {other:?}, not text"))),
        }
    }
}

/// The stored source codes no registered source has, per table: (table, code, rows).
const UNKNOWN_SOURCES: &str = "SELECT t, source, count(*) FROM (
          SELECT 'calls' AS t, source FROM calls
          UNION ALL SELECT 'phone_numbers', source FROM phone_numbers
          UNION ALL SELECT 'jobs', source FROM jobs
          UNION ALL SELECT 'source_settings', source FROM source_settings) AS s
      WHERE source NOT IN (SELECT code FROM sources) GROUP BY t, source";

/// The numbered invoices, the highest number and the counter, when they disagree.
const NUMBERS: &str = "SELECT count(i.number_seq), coalesce(max(i.number_seq), 0), k.next
      FROM counters k LEFT JOIN invoices i ON i.number_seq IS NOT NULL
      WHERE k.name = 'invoice_numbers' GROUP BY k.next
      HAVING count(i.number_seq) <> coalesce(max(i.number_seq), 0) OR k.next <> coalesce(max(i.number_seq), 0) + 1";

/// What void invoices still hold: (invoice, what, rows). Billed calls are found by invoice on
/// SQLite (its index) and within the invoice's call numbers on PostgreSQL (their key).
const VOID_HOLDS_SQLITE: &str = "SELECT * FROM (
          SELECT v.pk, 'billed calls', (SELECT count(*) FROM billed_calls b WHERE b.invoice_pk = v.pk) AS n
          FROM invoices v WHERE v.status = 'void'
          UNION ALL SELECT v.pk, 'subscription days', (SELECT count(*) FROM billed_days d WHERE d.invoice_pk = v.pk)
          FROM invoices v WHERE v.status = 'void'
          UNION ALL SELECT v.pk, 'allowance draws', (SELECT count(*) FROM invoice_draws d WHERE d.invoice_pk = v.pk)
          FROM invoices v WHERE v.status = 'void') h WHERE n > 0";
const VOID_HOLDS_POSTGRES: &str = "SELECT * FROM (
          SELECT v.pk, 'billed calls'::text AS what, (SELECT count(*) FROM billed_calls b
              WHERE b.customer_pk = v.customer_pk AND b.call_pk BETWEEN v.first_call_pk AND v.last_call_pk
                AND b.invoice_pk = v.pk) AS n
          FROM invoices v WHERE v.status = 'void'
          UNION ALL SELECT v.pk, 'subscription days', (SELECT count(*) FROM billed_days d WHERE d.invoice_pk = v.pk)
          FROM invoices v WHERE v.status = 'void'
          UNION ALL SELECT v.pk, 'allowance draws', (SELECT count(*) FROM invoice_draws d WHERE d.invoice_pk = v.pk)
          FROM invoices v WHERE v.status = 'void') h WHERE n > 0";

/// One invariant: the query per backend whose rows break it, and how a row reads.
pub(crate) struct Invariant {
    pub(crate) sqlite: Option<&'static str>,
    pub(crate) postgres: Option<&'static str>,
    pub(crate) describe: fn(&Problem) -> Result<String>,
}

pub(crate) const INVARIANTS: &[Invariant] = &[
    // Every stored source code names a registered source (migration 0009): a code of none
    // would be read as corruption, and its calls could never be billed.
    Invariant {
        sqlite: Some(UNKNOWN_SOURCES),
        postgres: Some(UNKNOWN_SOURCES),
        describe: |r| Ok(format!("{} rows of {} have source code {}, which no source has", r.int(2)?, r.text(0)?, r.int(1)?)),
    },
    Invariant {
        sqlite: Some("SELECT i.pk, i.total_e2, coalesce(sum(l.amount_e2), 0) FROM invoices i
              LEFT JOIN invoice_lines l ON l.invoice_pk = i.pk
              GROUP BY i.pk HAVING i.total_e2 <> coalesce(sum(l.amount_e2), 0)"),
        postgres: Some("SELECT i.pk, i.total_e2, coalesce(sum(l.amount_e2), 0)::bigint FROM invoices i
              LEFT JOIN invoice_lines l ON l.invoice_pk = i.pk
              GROUP BY i.pk HAVING i.total_e2 <> coalesce(sum(l.amount_e2), 0)"),
        describe: |r| {
            Ok(format!(
                "invoice {}: total {} is not the sum of its lines {} (hundredths)",
                invoice(r)?,
                r.int(1)?,
                r.int(2)?
            ))
        },
    },
    Invariant {
        sqlite: Some("SELECT i.pk FROM invoices i WHERE NOT EXISTS (SELECT 1 FROM invoice_lines l WHERE l.invoice_pk = i.pk)"),
        postgres: Some("SELECT i.pk FROM invoices i WHERE NOT EXISTS (SELECT 1 FROM invoice_lines l WHERE l.invoice_pk = i.pk)"),
        describe: |r| Ok(format!("invoice {} has no lines", invoice(r)?)),
    },
    Invariant {
        sqlite: Some("SELECT b.invoice_pk, b.call_type, count(*) FROM billed_calls b
              WHERE NOT EXISTS (SELECT 1 FROM invoice_lines l WHERE l.invoice_pk = b.invoice_pk
                                AND l.kind = 'usage' AND l.call_type = b.call_type)
              GROUP BY b.invoice_pk, b.call_type"),
        postgres: Some("SELECT b.invoice_pk, b.call_type, count(*) FROM billed_calls b
              WHERE NOT EXISTS (SELECT 1 FROM invoice_lines l WHERE l.invoice_pk = b.invoice_pk
                                AND l.kind = 'usage' AND l.call_type = b.call_type)
              GROUP BY b.invoice_pk, b.call_type"),
        describe: |r| {
            Ok(format!(
                "invoice {}: {} billed {} calls have no usage line",
                invoice(r)?,
                r.int(2)?,
                r.text(1)?
            ))
        },
    },
    Invariant {
        sqlite: Some("SELECT b.invoice_pk, b.call_pk FROM billed_calls b JOIN invoices i ON i.pk = b.invoice_pk
              WHERE b.customer_pk <> i.customer_pk"),
        postgres: Some("SELECT b.invoice_pk, b.call_pk FROM billed_calls b JOIN invoices i ON i.pk = b.invoice_pk
              WHERE b.customer_pk <> i.customer_pk"),
        describe: |r| {
            Ok(format!(
                "invoice {} bills call #{} of another customer",
                invoice(r)?,
                r.int(1)?
            ))
        },
    },
    // An invoice's calls start within its days (give or take a zone's offset), from the first day
    // of the late calls it bills, if any.
    Invariant {
        sqlite: Some("SELECT b.invoice_pk, b.call_pk FROM billed_calls b JOIN invoices i ON i.pk = b.invoice_pk
              WHERE b.call_start_us < (unixepoch(coalesce(i.calls_from, i.from_date)) - 86400) * 1000000
                 OR b.call_start_us >= (unixepoch(i.to_date) + 2 * 86400) * 1000000"),
        postgres: Some("SELECT b.invoice_pk, b.call_pk FROM billed_calls b JOIN invoices i ON i.pk = b.invoice_pk
              WHERE b.call_start_at < invoice_span_start(coalesce(i.calls_from, i.from_date))
                 OR b.call_start_at >= invoice_span_end(i.to_date)"),
        describe: |r| {
            Ok(format!(
                "invoice {} bills call #{}, which starts outside its days",
                invoice(r)?,
                r.int(1)?
            ))
        },
    },
    // On PostgreSQL an invoice records the range of call numbers it bills, where deleting it
    // finds them; SQLite finds them through its index by invoice.
    Invariant {
        sqlite: None,
        postgres: Some("SELECT b.invoice_pk, b.call_pk FROM billed_calls b JOIN invoices i ON i.pk = b.invoice_pk
              WHERE NOT (b.call_pk BETWEEN i.first_call_pk AND i.last_call_pk) OR i.first_call_pk IS NULL"),
        describe: |r| {
            Ok(format!(
                "invoice {} bills call #{}, outside the call numbers it records (deleting it would leave the call billed)",
                invoice(r)?,
                r.int(1)?
            ))
        },
    },
    // Balances are what the live invoices drew, no more, no less.
    Invariant {
        sqlite: Some("WITH drawn AS (
                  SELECT i.customer_pk, d.plan_id, d.position, d.period_start, sum(d.seconds) AS seconds
                  FROM invoice_draws d JOIN invoices i ON i.pk = d.invoice_pk
                  GROUP BY i.customer_pk, d.plan_id, d.position, d.period_start),
              keys AS (
                  SELECT customer_pk, plan_id, position, period_start FROM allowance_balances
                  UNION SELECT customer_pk, plan_id, position, period_start FROM drawn)
              SELECT c.id, k.plan_id, k.position, k.period_start, coalesce(b.used_seconds, 0), coalesce(d.seconds, 0)
              FROM keys k JOIN customers c ON c.pk = k.customer_pk
              LEFT JOIN allowance_balances b ON b.customer_pk = k.customer_pk AND b.plan_id = k.plan_id
                   AND b.position = k.position AND b.period_start = k.period_start
              LEFT JOIN drawn d ON d.customer_pk = k.customer_pk AND d.plan_id = k.plan_id
                   AND d.position = k.position AND d.period_start = k.period_start
              WHERE coalesce(b.used_seconds, 0) <> coalesce(d.seconds, 0)"),
        postgres: Some("WITH drawn AS (
                  SELECT i.customer_pk, d.plan_id, d.position, d.period_start, sum(d.seconds)::bigint AS seconds
                  FROM invoice_draws d JOIN invoices i ON i.pk = d.invoice_pk
                  GROUP BY i.customer_pk, d.plan_id, d.position, d.period_start),
              keys AS (
                  SELECT customer_pk, plan_id, position, period_start FROM allowance_balances
                  UNION SELECT customer_pk, plan_id, position, period_start FROM drawn)
              SELECT c.id, k.plan_id, k.position, k.period_start::text, coalesce(b.used_seconds, 0),
                     coalesce(d.seconds, 0)
              FROM keys k JOIN customers c ON c.pk = k.customer_pk
              LEFT JOIN allowance_balances b ON b.customer_pk = k.customer_pk AND b.plan_id = k.plan_id
                   AND b.position = k.position AND b.period_start = k.period_start
              LEFT JOIN drawn d ON d.customer_pk = k.customer_pk AND d.plan_id = k.plan_id
                   AND d.position = k.position AND d.period_start = k.period_start
              WHERE coalesce(b.used_seconds, 0) <> coalesce(d.seconds, 0)"),
        describe: |r| {
            Ok(format!(
                "customer {} plan {} allowance {} period {}: balance used {} s, live invoices drew {} s",
                r.text(0)?,
                r.text(1)?,
                r.int(2)?,
                r.text(3)?,
                r.int(4)?,
                r.int(5)?
            ))
        },
    },
    // The draws on one invoice match the included seconds of its lines.
    Invariant {
        sqlite: Some("SELECT i.pk, coalesce((SELECT sum(seconds) FROM invoice_draws d WHERE d.invoice_pk = i.pk), 0),
                     coalesce((SELECT sum(included_seconds) FROM invoice_lines l WHERE l.invoice_pk = i.pk), 0)
              FROM invoices i
              WHERE i.status <> 'void'
                AND coalesce((SELECT sum(seconds) FROM invoice_draws d WHERE d.invoice_pk = i.pk), 0)
                 <> coalesce((SELECT sum(included_seconds) FROM invoice_lines l WHERE l.invoice_pk = i.pk), 0)"),
        postgres: Some("SELECT i.pk, d.seconds, l.seconds FROM invoices i,
                  LATERAL (SELECT coalesce(sum(seconds), 0)::bigint AS seconds FROM invoice_draws WHERE invoice_pk = i.pk) d,
                  LATERAL (SELECT coalesce(sum(included_seconds), 0)::bigint AS seconds FROM invoice_lines
                           WHERE invoice_pk = i.pk) l
              WHERE i.status <> 'void' AND d.seconds <> l.seconds"),
        describe: |r| {
            Ok(format!(
                "invoice {}: allowance draws {} s, included seconds on its lines {} s",
                invoice(r)?,
                r.int(1)?,
                r.int(2)?
            ))
        },
    },
    Invariant {
        sqlite: Some("SELECT c.id, b.plan_id, b.position, b.period_start, b.used_seconds, a.included_minutes * 60
              FROM allowance_balances b JOIN customers c ON c.pk = b.customer_pk
              JOIN allowances a ON a.plan_id = b.plan_id AND a.position = b.position
              WHERE b.used_seconds > a.included_minutes * 60"),
        postgres: Some("SELECT c.id, b.plan_id, b.position, b.period_start::text, b.used_seconds, a.included_minutes * 60
              FROM allowance_balances b JOIN customers c ON c.pk = b.customer_pk
              JOIN allowances a ON a.plan_id = b.plan_id AND a.position = b.position
              WHERE b.used_seconds > a.included_minutes * 60"),
        describe: |r| {
            Ok(format!(
                "customer {} plan {} allowance {} period {}: {} s used of {} s included",
                r.text(0)?,
                r.text(1)?,
                r.int(2)?,
                r.text(3)?,
                r.int(4)?,
                r.int(5)?
            ))
        },
    },
    // Invoice numbers are one gapless sequence: the finalized invoices (never deleted) hold the
    // numbers 1 to the highest, and the counter is one above it (migration 0013).
    Invariant {
        sqlite: Some(NUMBERS),
        postgres: Some(NUMBERS),
        describe: |r| {
            Ok(format!(
                "invoice numbers: {} invoices are numbered, the highest is {} and the counter's next is {} (a hole or a repeat in the sequence)",
                r.int(0)?,
                r.int(1)?,
                r.int(2)?
            ))
        },
    },
    // A void invoice has released its calls, subscription days and allowance draws.
    Invariant {
        sqlite: Some(VOID_HOLDS_SQLITE),
        postgres: Some(VOID_HOLDS_POSTGRES),
        describe: |r| Ok(format!("void invoice {} still holds {} of its {}", invoice(r)?, r.int(2)?, r.text(1)?)),
    },
    // The links a billed call keeps: SQLite's foreign keys (checked below), queries here.
    Invariant {
        sqlite: None,
        postgres: Some("SELECT b.invoice_pk, b.call_pk FROM billed_calls b
              WHERE NOT EXISTS (SELECT 1 FROM calls c
                                WHERE c.customer_pk = b.customer_pk AND c.start_at = b.call_start_at AND c.pk = b.call_pk)"),
        describe: |r| {
            Ok(format!(
                "invoice {} bills call #{}, which is not among the calls (moved or missing)",
                invoice(r)?,
                r.int(1)?
            ))
        },
    },
    Invariant {
        sqlite: None,
        postgres: Some("SELECT b.invoice_pk, count(*) FROM billed_calls b
              WHERE NOT EXISTS (SELECT 1 FROM invoices i WHERE i.pk = b.invoice_pk) GROUP BY b.invoice_pk"),
        describe: |r| {
            Ok(format!(
                "{} calls are marked billed on {}, which does not exist",
                r.int(1)?,
                invoice(r)?
            ))
        },
    },
    Invariant {
        sqlite: Some("SELECT next, (SELECT max(pk) FROM calls) FROM counters WHERE name = 'calls' AND next <= (SELECT coalesce(max(pk), 0) FROM calls)"),
        postgres: Some("SELECT next, (SELECT max(pk) FROM calls) FROM counters
              WHERE name = 'calls' AND next <= (SELECT coalesce(max(pk), 0) FROM calls)"),
        describe: |r| {
            Ok(format!(
                "the call counter {} is not above the largest call number {}",
                r.int(0)?,
                r.int(1)?
            ))
        },
    },
    // SQLite's own checks of its foreign keys and of the file.
    Invariant {
        sqlite: Some("SELECT \"table\", rowid, parent FROM pragma_foreign_key_check"),
        postgres: None,
        describe: |r| {
            Ok(format!(
                "{} row {:?} refers to a missing {}",
                r.text(0)?,
                r.opt(1)?,
                r.text(2)?
            ))
        },
    },
    Invariant {
        sqlite: Some("SELECT quick_check FROM pragma_quick_check WHERE quick_check <> 'ok'"),
        postgres: None,
        describe: |r| Ok(format!("storage: {}", r.text(0)?)),
    },
];

/// A usage line must be exactly the sum of the calls billed on it, by call type (a void invoice
/// keeps its lines and has released its calls: its lines are not compared). The query reads
/// every invoice's usage lines of each call type beside the sums of its billed calls of that type;
/// the comparison is made here, so that the line's amount is recomputed by the rounding rule
/// invoicing applies ([`Amount::of_line`]), not by a copy of it in each SQL dialect. An
/// automatic invoice with late usage has several lines of a type (one per billing period), each
/// rounded on its own: their sum is within half a hundredth per line of the rounded sum of all
/// their calls.
pub(crate) const USAGE_LINES: Check = Check {
    sqlite: "WITH billed AS (
              SELECT invoice_pk, call_type, count(*) AS calls, sum(billable_seconds) AS billable,
                     sum(included_seconds) AS included, sum(charge_e4) AS charges
              FROM billed_calls GROUP BY invoice_pk, call_type),
          lines AS (
              SELECT invoice_pk, call_type, count(*) AS lines, sum(calls) AS calls, sum(billable_seconds) AS billable,
                     sum(included_seconds) AS included, sum(charged_seconds) AS charged, sum(amount_e2) AS amount
              FROM invoice_lines WHERE kind = 'usage'
                AND invoice_pk NOT IN (SELECT pk FROM invoices WHERE status = 'void')
              GROUP BY invoice_pk, call_type)
          SELECT l.invoice_pk, l.call_type, l.calls, b.calls, l.billable, b.billable,
                 l.included, b.included, l.charged, l.amount, b.charges, l.lines
          FROM lines l LEFT JOIN billed b ON b.invoice_pk = l.invoice_pk AND b.call_type = l.call_type
          ORDER BY l.invoice_pk, l.call_type",
    postgres: "WITH billed AS (
              SELECT invoice_pk, call_type, count(*) AS calls, sum(billable_seconds)::bigint AS billable,
                     sum(included_seconds)::bigint AS included, sum(charge_e4)::bigint AS charges
              FROM billed_calls GROUP BY invoice_pk, call_type),
          lines AS (
              SELECT invoice_pk, call_type, count(*) AS lines, sum(calls)::bigint AS calls,
                     sum(billable_seconds)::bigint AS billable, sum(included_seconds)::bigint AS included,
                     sum(charged_seconds)::bigint AS charged, sum(amount_e2)::bigint AS amount
              FROM invoice_lines WHERE kind = 'usage'
                AND invoice_pk NOT IN (SELECT pk FROM invoices WHERE status = 'void')
              GROUP BY invoice_pk, call_type)
          SELECT l.invoice_pk, l.call_type, l.calls, b.calls, l.billable, b.billable,
                 l.included, b.included, l.charged, l.amount, b.charges, l.lines
          FROM lines l LEFT JOIN billed b ON b.invoice_pk = l.invoice_pk AND b.call_type = l.call_type
          ORDER BY l.invoice_pk, l.call_type",
    problem: |r| {
        let (calls, billable, included) = (r.opt(3)?, r.opt(5)?, r.opt(7)?);
        let amount = r.opt(10)?.map(|charges| Amount::of_line(charges).units());
        let charged = billable.zip(included).map(|(b, i)| b - i);
        let lines = r.int(11)?;
        let amount_kept = match amount {
            Some(a) if lines == 1 => a == r.int(9)?,
            Some(a) => (a - r.int(9)?).abs() * 2 <= lines + 1,
            None => false,
        };
        let kept = calls == Some(r.int(2)?)
            && billable == Some(r.int(4)?)
            && included == Some(r.int(6)?)
            && charged == Some(r.int(8)?)
            && amount_kept;
        if kept {
            return Ok(None);
        }
        Ok(Some(format!(
            "invoice {} line {}: calls {} / billed {calls:?}, billable {} / {billable:?}, included {} / {included:?}, amount {} / {amount:?}",
            invoice(r)?,
            r.text(1)?,
            r.int(2)?,
            r.int(4)?,
            r.int(6)?,
            r.int(9)?,
        )))
    },
};

/// A check whose rule is applied in the program: the query per backend gives the rows to look at,
/// and `problem` says what breaks the rule in one, if anything.
pub(crate) struct Check {
    pub(crate) sqlite: &'static str,
    pub(crate) postgres: &'static str,
    pub(crate) problem: fn(&Problem) -> Result<Option<String>>,
}

/// Every problem `rows` (a backend's way of running a query) finds: the invariants' queries of
/// that backend (`sql` picks it), then the checks made in the program.
pub(crate) fn run(
    mut rows: impl FnMut(&str) -> Result<Vec<Problem>>,
    sql: fn(&Invariant) -> Option<&'static str>,
    check_sql: fn(&Check) -> &'static str,
) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    for invariant in INVARIANTS {
        let Some(query) = sql(invariant) else { continue };
        for row in rows(query)? {
            problems.push((invariant.describe)(&row)?);
        }
    }
    for row in rows(check_sql(&USAGE_LINES))? {
        problems.extend((USAGE_LINES.problem)(&row)?);
    }
    Ok(problems)
}
