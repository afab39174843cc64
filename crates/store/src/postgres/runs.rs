//! Cycle and scheduler runs, the claims of a cycle's customers, and the scheduler's state.
//! Workers on several hosts claim customers with `FOR UPDATE SKIP LOCKED`; leases are timed by
//! the server's clock (`clock_timestamp()`), one clock for every host.

use super::{date, PgTx};
use crate::rows::{claim_counts_of, run_of};
use crate::{wide, ClaimCounts, ClaimOutcome, Result, Run, RunKind, StoreError};
use std::time::Duration;

const RUN_COLUMNS: &str =
    "id, kind, to_char(date, 'YYYY-MM-DD'), state, total, done, invoiced, skipped, held, failed, \
                           started_at, updated_at, finished_at, error";

/// Claims added at once from which a run refreshes the statistics of the claims.
const ANALYZE_CLAIMS_FROM: u64 = 1_000;

fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

impl crate::Runs for PgTx<'_> {
    fn start_run(&mut self, kind: RunKind, day: &str, now: rating::Micros) -> Result<(Run, bool)> {
        let (on, at) = (date(day)?, super::at(now)?);
        // Workers starting together: one inserts, the others wait for its commit and find its run.
        let insert = self.prepared(
            "INSERT INTO runs (kind, date, state, started_at, updated_at) VALUES ($1, $2, 'running', $3, $3)
             ON CONFLICT (kind, date) WHERE state = 'running' DO NOTHING RETURNING id",
        )?;
        let select = self
            .prepared(&format!("SELECT {RUN_COLUMNS} FROM runs WHERE kind = $1 AND date = $2 AND state = 'running'"))?;
        // The running run an insert gave way to can finish before the select reads it (its last
        // worker commits in between): then the insert is tried again.
        for _ in 0..3 {
            let inserted = self.tx.query_opt(&insert, &[&kind.as_str(), &on, &at])?;
            if let Some(row) = self.tx.query_opt(&select, &[&kind.as_str(), &on])? {
                return Ok((run_of(&row)?, inserted.is_some()));
            }
        }
        Err(StoreError::Corrupt(format!("the running {} run of {day} vanished", kind.as_str())))
    }

    fn save_run(&mut self, r: &Run) -> Result<()> {
        let st = self.prepared(
            "UPDATE runs SET state = $2, total = $3, invoiced = $4, skipped = $5, held = $6, failed = $7,
             updated_at = $8, finished_at = $9, error = $10, done = $11 WHERE id = $1",
        )?;
        let (updated, finished) = (super::at(r.updated_at)?, r.finished_at.map(super::at).transpose()?);
        let counts = [r.total, r.invoiced, r.skipped, r.held, r.failed, r.done].map(wide);
        let changed = self.tx.execute(
            &st,
            &[
                &r.id,
                &r.state.as_str(),
                &counts[0],
                &counts[1],
                &counts[2],
                &counts[3],
                &counts[4],
                &updated,
                &finished,
                &r.error,
                &counts[5],
            ],
        )?;
        match changed {
            1 => Ok(()),
            _ => Err(StoreError::Corrupt(format!("run {} does not exist", r.id))),
        }
    }

    fn run(&mut self, id: i64) -> Result<Option<Run>> {
        let st = self.prepared(&format!("SELECT {RUN_COLUMNS} FROM runs WHERE id = $1"))?;
        self.tx.query_opt(&st, &[&id])?.as_ref().map(run_of).transpose()
    }

    fn runs(&mut self, limit: Option<u64>) -> Result<Vec<Run>> {
        let st = self.prepared(&format!("SELECT {RUN_COLUMNS} FROM runs ORDER BY id DESC LIMIT $1"))?;
        let limit = limit.map(wide);
        self.tx.query(&st, &[&limit])?.iter().map(run_of).collect()
    }

    fn add_claims(&mut self, run_id: i64, customer_pks: &[i64]) -> Result<()> {
        let st = self.prepared(
            "INSERT INTO cycle_claims (run_id, customer_pk, state)
             SELECT $1, pk, 'pending' FROM unnest($2::bigint[]) AS pk ON CONFLICT DO NOTHING",
        )?;
        let added = self.tx.execute(&st, &[&run_id, &customer_pks])?;
        // The planner's statistics of the claims, refreshed when a run adds many: planned for the
        // table as it was before (empty, say), taking the next few claims past a key read and
        // sorted every claim past it (100,000 customers: a sort spilled to disk per claim).
        if added >= ANALYZE_CLAIMS_FROM {
            self.tx.batch_execute("ANALYZE cycle_claims")?;
        }
        Ok(())
    }

    fn retry_claims(&mut self, run_id: i64) -> Result<u64> {
        let st = self.prepared(
            "UPDATE cycle_claims SET state = 'pending', worker = NULL, lease_until = NULL, reason = NULL
             WHERE run_id = $1 AND state IN ('held', 'failed')",
        )?;
        Ok(self.tx.execute(&st, &[&run_id])?)
    }

    fn claim_customers(
        &mut self,
        run_id: i64,
        worker: &str,
        (after, limit): (i64, u64),
        lease: Duration,
    ) -> Result<Vec<i64>> {
        let st = self.prepared(
            "UPDATE cycle_claims SET state = 'claimed', worker = $2,
                 lease_until = clock_timestamp() + $4::bigint * interval '1 microsecond'
             WHERE run_id = $1 AND customer_pk IN (
                 SELECT customer_pk FROM cycle_claims
                 WHERE run_id = $1 AND customer_pk > $5
                   AND (state = 'pending' OR (state = 'claimed' AND lease_until < clock_timestamp()))
                 ORDER BY customer_pk LIMIT $3 FOR UPDATE SKIP LOCKED)
             RETURNING customer_pk",
        )?;
        let rows = self.tx.query(&st, &[&run_id, &worker, &wide(limit), &micros(lease), &after])?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    fn claim_holders(&mut self, run_id: i64) -> Result<Vec<String>> {
        let st = self.prepared(
            "SELECT DISTINCT worker FROM cycle_claims
             WHERE run_id = $1 AND state = 'claimed' AND lease_until >= clock_timestamp() ORDER BY 1",
        )?;
        self.tx.query(&st, &[&run_id])?.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    fn release_claims(&mut self, run_id: i64, worker: &str) -> Result<u64> {
        let st = self.prepared(
            "UPDATE cycle_claims SET state = 'pending', worker = NULL, lease_until = NULL
             WHERE run_id = $1 AND worker = $2 AND state = 'claimed'",
        )?;
        Ok(self.tx.execute(&st, &[&run_id, &worker])?)
    }

    fn renew_claims(&mut self, run_id: i64, worker: &str, lease: Duration) -> Result<()> {
        let st = self.prepared(
            "UPDATE cycle_claims SET lease_until = clock_timestamp() + $3::bigint * interval '1 microsecond'
             WHERE run_id = $1 AND worker = $2 AND state = 'claimed'",
        )?;
        self.tx.execute(&st, &[&run_id, &worker, &micros(lease)])?;
        Ok(())
    }

    fn settle_claim(
        &mut self,
        run_id: i64,
        customer_pk: i64,
        worker: &str,
        outcome: ClaimOutcome,
        reason: &str,
    ) -> Result<bool> {
        let st = self.prepared(
            "UPDATE cycle_claims SET state = $4, reason = $5, lease_until = NULL
             WHERE run_id = $1 AND customer_pk = $2 AND worker = $3 AND state = 'claimed'",
        )?;
        Ok(self.tx.execute(&st, &[&run_id, &customer_pk, &worker, &outcome.as_str(), &reason])? == 1)
    }

    fn claim_counts(&mut self, run_id: i64) -> Result<ClaimCounts> {
        let st = self.prepared(
            "SELECT state, coalesce(lease_until >= clock_timestamp(), false), count(*),
                 (extract(epoch FROM min(lease_until) - clock_timestamp()) * 1000000)::bigint
             FROM cycle_claims WHERE run_id = $1 GROUP BY 1, 2",
        )?;
        let rows = self.tx.query(&st, &[&run_id])?;
        let rows = rows
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)))
            .collect::<Result<Vec<_>>>()?;
        Ok(claim_counts_of(rows))
    }

    fn scheduler_day(&mut self) -> Result<Option<String>> {
        let st = self.prepared("SELECT to_char(last_day, 'YYYY-MM-DD') FROM scheduler WHERE id = 1")?;
        Ok(self.tx.query_opt(&st, &[])?.map(|r| r.try_get::<_, Option<String>>(0)).transpose()?.flatten())
    }

    fn set_scheduler_day(&mut self, day: &str) -> Result<()> {
        let st = self.prepared("UPDATE scheduler SET last_day = $1 WHERE id = 1")?;
        self.tx.execute(&st, &[&date(day)?])?;
        Ok(())
    }

    fn take_scheduler_lease(&mut self, holder: &str, lease: Duration) -> Result<Option<(String, i64)>> {
        let st = self.prepared(
            "UPDATE scheduler SET holder = $1, lease_until = clock_timestamp() + $2::bigint * interval '1 microsecond'
             WHERE id = 1 AND (holder IS NULL OR holder = $1 OR lease_until < clock_timestamp())",
        )?;
        if self.tx.execute(&st, &[&holder, &micros(lease)])? == 1 {
            return Ok(None);
        }
        let st = self.prepared(
            "SELECT coalesce(holder, ''),
                 coalesce((extract(epoch FROM lease_until - clock_timestamp()) * 1000000)::bigint, 0)
             FROM scheduler WHERE id = 1",
        )?;
        let row = self.tx.query_one(&st, &[])?;
        Ok(Some((row.try_get(0)?, row.try_get(1)?)))
    }

    fn release_scheduler_lease(&mut self, holder: &str) -> Result<()> {
        let st =
            self.prepared("UPDATE scheduler SET holder = NULL, lease_until = NULL WHERE id = 1 AND holder = $1")?;
        self.tx.execute(&st, &[&holder])?;
        Ok(())
    }
}
