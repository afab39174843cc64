//! Source settings, customers' phone numbers and sync jobs.

use super::{at, source_code, wide, PgTx};
use crate::registry::Registry;
use crate::rejects_json;
use crate::rows::{job_of, phone_number_of, source_of, source_settings_of, JOB_COLUMNS, SELECT_SOURCES};
use crate::{Job, JobQuery, PhoneNumber, Platform, Result, Source, SourceSettings, StoreError};

impl PgTx<'_> {
    /// The registered sources, read once per transaction.
    pub(crate) fn registry(&mut self) -> Result<&Registry> {
        if self.registry.is_none() {
            let st = self.prepared(SELECT_SOURCES)?;
            let list = self.tx.query(&st, &[])?.iter().map(source_of).collect::<Result<_>>()?;
            self.registry = Some(Registry::of(list));
        }
        Ok(self.registry.get_or_insert_with(Registry::default))
    }
}

impl crate::Sources for PgTx<'_> {
    fn add_source(&mut self, name: &str, platform: Platform) -> Result<Source> {
        Source::check_name(name, platform).map_err(StoreError::Refused)?;
        let code = self.registry()?.next_code();
        let small = i16::try_from(code).map_err(|_| StoreError::Refused("no source code is left".into()))?;
        let st = self
            .prepared("INSERT INTO sources (code, name, platform) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING")?;
        if self.tx.execute(&st, &[&small, &name, &platform.as_str()])? == 0 {
            return Err(StoreError::Refused(format!("source `{name}` exists already")));
        }
        self.registry = None;
        Ok(Source::new(code, name, platform))
    }

    fn source_settings(&mut self) -> Result<Vec<SourceSettings>> {
        let sources = self.registry()?.clone();
        let st = self.prepared("SELECT source, settings, secrets, updated_at FROM source_settings")?;
        let mut list =
            self.tx.query(&st, &[])?.iter().map(|r| source_settings_of(r, &sources)).collect::<Result<Vec<_>>>()?;
        list.sort_by(|a, b| a.source.cmp(&b.source));
        Ok(list)
    }

    fn save_source_settings(&mut self, s: &SourceSettings) -> Result<()> {
        let st = self.prepared(
            "INSERT INTO source_settings (source, settings, secrets, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (source) DO UPDATE SET settings = excluded.settings, secrets = excluded.secrets,
             updated_at = excluded.updated_at",
        )?;
        self.tx.execute(&st, &[&source_code(&s.source), &s.settings, &s.secrets, &at(s.updated_at)?])?;
        Ok(())
    }

    fn phone_numbers(&mut self, customer_pk: i64) -> Result<Vec<(Source, PhoneNumber)>> {
        let sources = self.registry()?.clone();
        let st = self.prepared(
            "SELECT source, number, enabled FROM phone_numbers WHERE customer_pk = $1 ORDER BY source, number",
        )?;
        let mut list = self
            .tx
            .query(&st, &[&customer_pk])?
            .iter()
            .map(|r| phone_number_of(r, &sources))
            .collect::<Result<Vec<_>>>()?;
        // By source name, then number.
        list.sort_by(|a, b| (&a.0, &a.1.number).cmp(&(&b.0, &b.1.number)));
        Ok(list)
    }

    fn replace_phone_numbers(&mut self, customer_pk: i64, source: &Source, numbers: &[PhoneNumber]) -> Result<()> {
        let st = self.prepared("DELETE FROM phone_numbers WHERE customer_pk = $1 AND source = $2")?;
        self.tx.execute(&st, &[&customer_pk, &source_code(source)])?;
        let st = self.prepared(
            "INSERT INTO phone_numbers (customer_pk, source, number, enabled)
             SELECT $1, $2, n, e FROM unnest($3::text[], $4::boolean[]) AS t(n, e)
             ON CONFLICT (customer_pk, source, number) DO UPDATE SET enabled = excluded.enabled",
        )?;
        let list: Vec<&str> = numbers.iter().map(|n| n.number.as_str()).collect();
        let enabled: Vec<bool> = numbers.iter().map(|n| n.enabled).collect();
        self.tx.execute(&st, &[&customer_pk, &source_code(source), &list, &enabled])?;
        Ok(())
    }

    fn sources(&mut self) -> Result<Vec<crate::Source>> {
        Ok(self.registry()?.list())
    }
}

impl crate::Jobs for PgTx<'_> {
    fn save_job(&mut self, j: &Job) -> Result<i64> {
        let p = &j.progress;
        let counters =
            [p.pages, p.received, p.imported, p.updated, p.duplicates, p.conflicts, p.skipped, p.repeated].map(wide);
        let (errors, outside, rejected) = (wide(p.errors), wide(p.outside), wide(p.rejected));
        let rejects = rejects_json(&j.rejects);
        let (numbers, platform, stored) = (j.numbers.map(wide), j.platform_count.map(wide), j.stored_count.map(wide));
        let (start, end, started, updated) =
            (at(j.window_start)?, at(j.window_end)?, at(j.started_at)?, at(j.updated_at)?);
        let finished = j.finished_at.map(at).transpose()?;
        let state = j.state.as_str();
        let source = source_code(&j.source);
        let values: [&(dyn postgres::types::ToSql + Sync); 26] = [
            &j.customer_pk,
            &source,
            &j.domain,
            &start,
            &end,
            &state,
            &j.position,
            &counters[0],
            &counters[1],
            &counters[2],
            &counters[3],
            &counters[4],
            &counters[5],
            &counters[6],
            &counters[7],
            &errors,
            &numbers,
            &platform,
            &stored,
            &started,
            &finished,
            &j.error,
            &outside,
            &rejected,
            &rejects,
            &updated,
        ];
        if j.id == 0 {
            let st = self.prepared(
                "INSERT INTO jobs (customer_pk, source, domain, window_start, window_end, state, position, pages,
                 received, imported, updated, duplicates, conflicts, skipped, repeated, errors, numbers,
                 platform_count, stored_count, started_at, finished_at, error, outside, rejected, rejects,
                 updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
                 $21, $22, $23, $24, $25, $26) RETURNING id",
            )?;
            return Ok(self.tx.query_one(&st, &values)?.try_get(0)?);
        }
        let st = self.prepared(
            "UPDATE jobs SET customer_pk = $1, source = $2, domain = $3, window_start = $4, window_end = $5,
             state = $6, position = $7, pages = $8, received = $9, imported = $10, updated = $11, duplicates = $12,
             conflicts = $13, skipped = $14, repeated = $15, errors = $16, numbers = $17, platform_count = $18,
             stored_count = $19, started_at = $20, finished_at = $21, error = $22, outside = $23, rejected = $24,
             rejects = $25, updated_at = $26 WHERE id = $27",
        )?;
        let mut with_id = values.to_vec();
        with_id.push(&j.id);
        match self.tx.execute(&st, &with_id)? {
            1 => Ok(j.id),
            _ => Err(StoreError::Corrupt(format!("job {} does not exist", j.id))),
        }
    }

    fn job(&mut self, id: i64) -> Result<Option<Job>> {
        let sources = self.registry()?.clone();
        let st = self.prepared(&format!(
            "SELECT {JOB_COLUMNS} FROM jobs j JOIN customers c ON c.pk = j.customer_pk WHERE j.id = $1"
        ))?;
        self.tx.query_opt(&st, &[&id])?.as_ref().map(|r| job_of(r, &sources)).transpose()
    }

    fn jobs(&mut self, q: &JobQuery) -> Result<Vec<Job>> {
        let sources = self.registry()?.clone();
        let st = self.prepared(&format!(
            "SELECT {JOB_COLUMNS} FROM jobs j JOIN customers c ON c.pk = j.customer_pk
             WHERE ($1::bigint IS NULL OR j.customer_pk = $1) AND ($2::smallint IS NULL OR j.source = $2)
             ORDER BY j.id DESC LIMIT $3"
        ))?;
        let source = q.source.as_ref().map(source_code);
        let limit = q.limit.map(wide);
        self.tx.query(&st, &[&q.customer_pk, &source, &limit])?.iter().map(|r| job_of(r, &sources)).collect()
    }
}
