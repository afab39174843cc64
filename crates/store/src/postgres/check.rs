//! `db check`: the invariants money depends on, verified on a live database. The same checks as
//! on SQLite; the links SQLite keeps with foreign keys are checked here as queries.

use super::PgTx;
use crate::Result;
use postgres::Row;

/// Each check is a query whose rows are problems, rendered by `describe`.
struct Check {
    sql: &'static str,
    describe: fn(&Row) -> Result<String, postgres::Error>,
}

const CHECKS: &[Check] = &[
    Check {
        sql: "SELECT i.pk, i.total_e2, coalesce(sum(l.amount_e2), 0)::bigint FROM invoices i
              LEFT JOIN invoice_lines l ON l.invoice_pk = i.pk
              GROUP BY i.pk HAVING i.total_e2 <> coalesce(sum(l.amount_e2), 0)",
        describe: |r| {
            Ok(format!(
                "invoice INV-{:06}: total {} is not the sum of its lines {} (hundredths)",
                r.try_get::<_, i64>(0)?,
                r.try_get::<_, i64>(1)?,
                r.try_get::<_, i64>(2)?
            ))
        },
    },
    Check {
        sql: "SELECT i.pk FROM invoices i WHERE NOT EXISTS (SELECT 1 FROM invoice_lines l WHERE l.invoice_pk = i.pk)",
        describe: |r| Ok(format!("invoice INV-{:06} has no lines", r.try_get::<_, i64>(0)?)),
    },
    // A usage line must be exactly the sum of the calls billed on it, by call type.
    Check {
        sql: "WITH billed AS (
                  SELECT invoice_pk, call_type, count(*) AS calls, sum(billable_seconds)::bigint AS billable,
                         sum(included_seconds)::bigint AS included, div(sum(charge_e4) + 50, 100)::bigint AS amount
                  FROM billed_calls GROUP BY invoice_pk, call_type)
              SELECT l.invoice_pk, l.call_type, l.calls, b.calls, l.billable_seconds, b.billable,
                     l.included_seconds, b.included, l.amount_e2, b.amount
              FROM invoice_lines l LEFT JOIN billed b ON b.invoice_pk = l.invoice_pk AND b.call_type = l.call_type
              WHERE l.kind = 'usage' AND (b.calls IS NULL OR l.calls <> b.calls OR l.billable_seconds <> b.billable
                 OR l.included_seconds <> b.included OR l.charged_seconds <> b.billable - b.included
                 OR l.amount_e2 <> b.amount)",
        describe: |r| {
            Ok(format!(
                "invoice INV-{:06} line {}: calls {} / billed {:?}, billable {} / {:?}, included {} / {:?}, amount {} / {:?}",
                r.try_get::<_, i64>(0)?,
                r.try_get::<_, String>(1)?,
                r.try_get::<_, i64>(2)?,
                r.try_get::<_, Option<i64>>(3)?,
                r.try_get::<_, i64>(4)?,
                r.try_get::<_, Option<i64>>(5)?,
                r.try_get::<_, i64>(6)?,
                r.try_get::<_, Option<i64>>(7)?,
                r.try_get::<_, i64>(8)?,
                r.try_get::<_, Option<i64>>(9)?
            ))
        },
    },
    Check {
        sql: "SELECT b.invoice_pk, b.call_type, count(*) FROM billed_calls b
              WHERE NOT EXISTS (SELECT 1 FROM invoice_lines l WHERE l.invoice_pk = b.invoice_pk
                                AND l.kind = 'usage' AND l.call_type = b.call_type)
              GROUP BY b.invoice_pk, b.call_type",
        describe: |r| {
            Ok(format!(
                "invoice INV-{:06}: {} billed {} calls have no usage line",
                r.try_get::<_, i64>(0)?,
                r.try_get::<_, i64>(2)?,
                r.try_get::<_, String>(1)?
            ))
        },
    },
    Check {
        sql: "SELECT b.invoice_pk, b.call_pk FROM billed_calls b JOIN invoices i ON i.pk = b.invoice_pk
              WHERE b.customer_pk <> i.customer_pk",
        describe: |r| {
            Ok(format!(
                "invoice INV-{:06} bills call #{} of another customer",
                r.try_get::<_, i64>(0)?,
                r.try_get::<_, i64>(1)?
            ))
        },
    },
    // Balances are what the live invoices drew, no more, no less.
    Check {
        sql: "WITH drawn AS (
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
              WHERE coalesce(b.used_seconds, 0) <> coalesce(d.seconds, 0)",
        describe: |r| {
            Ok(format!(
                "customer {} plan {} allowance {} period {}: balance used {} s, live invoices drew {} s",
                r.try_get::<_, String>(0)?,
                r.try_get::<_, String>(1)?,
                r.try_get::<_, i64>(2)?,
                r.try_get::<_, String>(3)?,
                r.try_get::<_, i64>(4)?,
                r.try_get::<_, i64>(5)?
            ))
        },
    },
    // The draws on one invoice match the included seconds of its lines.
    Check {
        sql: "SELECT i.pk, d.seconds, l.seconds FROM invoices i,
                  LATERAL (SELECT coalesce(sum(seconds), 0)::bigint AS seconds FROM invoice_draws WHERE invoice_pk = i.pk) d,
                  LATERAL (SELECT coalesce(sum(included_seconds), 0)::bigint AS seconds FROM invoice_lines
                           WHERE invoice_pk = i.pk) l
              WHERE d.seconds <> l.seconds",
        describe: |r| {
            Ok(format!(
                "invoice INV-{:06}: allowance draws {} s, included seconds on its lines {} s",
                r.try_get::<_, i64>(0)?,
                r.try_get::<_, i64>(1)?,
                r.try_get::<_, i64>(2)?
            ))
        },
    },
    Check {
        sql: "SELECT c.id, b.plan_id, b.position, b.period_start::text, b.used_seconds, a.included_minutes * 60
              FROM allowance_balances b JOIN customers c ON c.pk = b.customer_pk
              JOIN allowances a ON a.plan_id = b.plan_id AND a.position = b.position
              WHERE b.used_seconds > a.included_minutes * 60",
        describe: |r| {
            Ok(format!(
                "customer {} plan {} allowance {} period {}: {} s used of {} s included",
                r.try_get::<_, String>(0)?,
                r.try_get::<_, String>(1)?,
                r.try_get::<_, i64>(2)?,
                r.try_get::<_, String>(3)?,
                r.try_get::<_, i64>(4)?,
                r.try_get::<_, i64>(5)?
            ))
        },
    },
    // What SQLite's foreign keys keep; here the statement-level triggers of the schema.
    Check {
        sql: "SELECT b.invoice_pk, b.call_pk FROM billed_calls b
              WHERE NOT EXISTS (SELECT 1 FROM calls c
                                WHERE c.customer_pk = b.customer_pk AND c.start_at = b.call_start_at AND c.pk = b.call_pk)",
        describe: |r| {
            Ok(format!(
                "invoice INV-{:06} bills call #{}, which is not among the calls (moved or missing)",
                r.try_get::<_, i64>(0)?,
                r.try_get::<_, i64>(1)?
            ))
        },
    },
    Check {
        sql: "SELECT b.invoice_pk, count(*) FROM billed_calls b
              WHERE NOT EXISTS (SELECT 1 FROM invoices i WHERE i.pk = b.invoice_pk) GROUP BY b.invoice_pk",
        describe: |r| {
            Ok(format!(
                "{} calls are marked billed on INV-{:06}, which does not exist",
                r.try_get::<_, i64>(1)?,
                r.try_get::<_, i64>(0)?
            ))
        },
    },
    Check {
        sql: "SELECT next, (SELECT max(pk) FROM calls) FROM counters
              WHERE name = 'calls' AND next <= (SELECT coalesce(max(pk), 0) FROM calls)",
        describe: |r| {
            Ok(format!(
                "the call counter {} is not above the largest call number {}",
                r.try_get::<_, i64>(0)?,
                r.try_get::<_, i64>(1)?
            ))
        },
    },
];

impl PgTx<'_> {
    pub(crate) fn check_impl(&mut self) -> Result<Vec<String>> {
        let mut problems = Vec::new();
        for check in CHECKS {
            for r in self.tx.query(check.sql, &[])? {
                problems.push((check.describe)(&r)?);
            }
        }
        Ok(problems)
    }
}
