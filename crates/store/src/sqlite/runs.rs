//! Cycle and scheduler runs, the claims of a cycle's customers, and the scheduler's state.
//! One process writes at a time (the write lock), so claims are taken one worker after another;
//! leases are timed by this machine's clock.

use super::{wide, SqliteTx};
use crate::rows::{claim_counts_of, run_of};
use crate::{ClaimCounts, ClaimOutcome, Result, Run, RunKind, StoreError};
use rusqlite::{params, OptionalExtension};
use std::time::Duration;

const RUN_COLUMNS: &str =
    "id, kind, date, state, total, done, invoiced, skipped, held, failed, started_at, updated_at, \
                           finished_at, error";

/// This machine's clock, in µs since the epoch (leases; never the billing clock).
fn clock() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

impl crate::Runs for SqliteTx<'_> {
    fn start_run(&mut self, kind: RunKind, date: &str, now: rating::Micros) -> Result<(Run, bool)> {
        let running = self
            .tx
            .query_row(
                &format!("SELECT {RUN_COLUMNS} FROM runs WHERE kind = ?1 AND date = ?2 AND state = 'running'"),
                params![kind.as_str(), date],
                |r| Ok(run_of(r)),
            )
            .optional()?
            .transpose()?;
        if let Some(run) = running {
            return Ok((run, false));
        }
        // Above every sync job's id and every run's: one numbering for `jobs show`.
        let id: i64 = self.tx.query_row(
            "SELECT 1 + max(coalesce((SELECT max(id) FROM jobs), 0), coalesce((SELECT max(id) FROM runs), 0))",
            [],
            |r| r.get(0),
        )?;
        self.tx.execute(
            "INSERT INTO runs (id, kind, date, state, started_at, updated_at) VALUES (?1, ?2, ?3, 'running', ?4, ?4)",
            params![id, kind.as_str(), date, now],
        )?;
        let run = self.run(id)?.ok_or_else(|| StoreError::Corrupt(format!("run {id} vanished")))?;
        Ok((run, true))
    }

    fn save_run(&mut self, r: &Run) -> Result<()> {
        let changed = self.tx.execute(
            "UPDATE runs SET state = ?2, total = ?3, invoiced = ?4, skipped = ?5, held = ?6, failed = ?7,
             updated_at = ?8, finished_at = ?9, error = ?10, done = ?11 WHERE id = ?1",
            params![
                r.id,
                r.state.as_str(),
                wide(r.total),
                wide(r.invoiced),
                wide(r.skipped),
                wide(r.held),
                wide(r.failed),
                r.updated_at,
                r.finished_at,
                r.error,
                wide(r.done)
            ],
        )?;
        match changed {
            1 => Ok(()),
            _ => Err(StoreError::Corrupt(format!("run {} does not exist", r.id))),
        }
    }

    fn run(&mut self, id: i64) -> Result<Option<Run>> {
        let sql = format!("SELECT {RUN_COLUMNS} FROM runs WHERE id = ?1");
        self.tx.query_row(&sql, [id], |r| Ok(run_of(r))).optional()?.transpose()
    }

    fn runs(&mut self, limit: Option<u64>) -> Result<Vec<Run>> {
        let mut st = self.tx.prepare_cached(&format!("SELECT {RUN_COLUMNS} FROM runs ORDER BY id DESC LIMIT ?1"))?;
        let limit = limit.map_or(-1, wide);
        let runs = st.query_and_then([limit], |r| run_of(r))?.collect();
        runs
    }

    fn add_claims(&mut self, run_id: i64, customer_pks: &[i64]) -> Result<()> {
        let mut st = self.tx.prepare_cached(
            "INSERT INTO cycle_claims (run_id, customer_pk, state) VALUES (?1, ?2, 'pending') ON CONFLICT DO NOTHING",
        )?;
        for pk in customer_pks {
            st.execute(params![run_id, pk])?;
        }
        Ok(())
    }

    fn retry_claims(&mut self, run_id: i64) -> Result<u64> {
        let n = self.tx.execute(
            "UPDATE cycle_claims SET state = 'pending', worker = NULL, lease_until = NULL, reason = NULL
             WHERE run_id = ?1 AND state IN ('held', 'failed')",
            [run_id],
        )?;
        Ok(n as u64)
    }

    fn claim_customers(
        &mut self,
        run_id: i64,
        worker: &str,
        (after, limit): (i64, u64),
        lease: Duration,
    ) -> Result<Vec<i64>> {
        let now = clock();
        let mut st = self.tx.prepare_cached(
            "UPDATE cycle_claims SET state = 'claimed', worker = ?2, lease_until = ?4
             WHERE run_id = ?1 AND customer_pk IN (
                 SELECT customer_pk FROM cycle_claims
                 WHERE run_id = ?1 AND customer_pk > ?6
                   AND (state = 'pending' OR (state = 'claimed' AND lease_until < ?5))
                 ORDER BY customer_pk LIMIT ?3)
             RETURNING customer_pk",
        )?;
        let pks = st
            .query_map(params![run_id, worker, wide(limit), now.saturating_add(micros(lease)), now, after], |r| {
                r.get(0)
            })?
            .collect::<rusqlite::Result<Vec<i64>>>()?;
        Ok(pks)
    }

    fn claim_holders(&mut self, run_id: i64) -> Result<Vec<String>> {
        let mut st = self.tx.prepare_cached(
            "SELECT DISTINCT worker FROM cycle_claims
             WHERE run_id = ?1 AND state = 'claimed' AND lease_until >= ?2 ORDER BY 1",
        )?;
        let holders = st.query_map(params![run_id, clock()], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        Ok(holders)
    }

    fn release_claims(&mut self, run_id: i64, worker: &str) -> Result<u64> {
        let n = self.tx.execute(
            "UPDATE cycle_claims SET state = 'pending', worker = NULL, lease_until = NULL
             WHERE run_id = ?1 AND worker = ?2 AND state = 'claimed'",
            params![run_id, worker],
        )?;
        Ok(n as u64)
    }

    fn renew_claims(&mut self, run_id: i64, worker: &str, lease: Duration) -> Result<()> {
        self.tx.execute(
            "UPDATE cycle_claims SET lease_until = ?3 WHERE run_id = ?1 AND worker = ?2 AND state = 'claimed'",
            params![run_id, worker, clock().saturating_add(micros(lease))],
        )?;
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
        let n = self.tx.execute(
            "UPDATE cycle_claims SET state = ?4, reason = ?5, lease_until = NULL
             WHERE run_id = ?1 AND customer_pk = ?2 AND worker = ?3 AND state = 'claimed'",
            params![run_id, customer_pk, worker, outcome.as_str(), reason],
        )?;
        Ok(n == 1)
    }

    fn claim_counts(&mut self, run_id: i64) -> Result<ClaimCounts> {
        let now = clock();
        let mut st = self.tx.prepare_cached(
            "SELECT state, coalesce(lease_until >= ?2, 0), count(*), min(lease_until) - ?2
             FROM cycle_claims WHERE run_id = ?1 GROUP BY 1, 2",
        )?;
        let rows = st
            .query_map(params![run_id, now], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(claim_counts_of(rows))
    }

    fn scheduler_day(&mut self) -> Result<Option<String>> {
        Ok(self.tx.query_row("SELECT last_day FROM scheduler WHERE id = 1", [], |r| r.get(0)).optional()?.flatten())
    }

    fn set_scheduler_day(&mut self, day: &str) -> Result<()> {
        self.tx.execute("UPDATE scheduler SET last_day = ?1 WHERE id = 1", [day])?;
        Ok(())
    }

    fn take_scheduler_lease(&mut self, holder: &str, lease: Duration) -> Result<Option<(String, i64)>> {
        let now = clock();
        let taken = self.tx.execute(
            "UPDATE scheduler SET holder = ?1, lease_until = ?2
             WHERE id = 1 AND (holder IS NULL OR holder = ?1 OR lease_until < ?3)",
            params![holder, now.saturating_add(micros(lease)), now],
        )?;
        if taken == 1 {
            return Ok(None);
        }
        let (other, until): (Option<String>, Option<i64>) =
            self.tx.query_row("SELECT holder, lease_until FROM scheduler WHERE id = 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
        Ok(Some((other.unwrap_or_default(), until.unwrap_or(now) - now)))
    }

    fn release_scheduler_lease(&mut self, holder: &str) -> Result<()> {
        self.tx
            .execute("UPDATE scheduler SET holder = NULL, lease_until = NULL WHERE id = 1 AND holder = ?1", [holder])?;
        Ok(())
    }
}
