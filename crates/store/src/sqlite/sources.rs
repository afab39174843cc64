//! Source settings, customers' phone numbers and sync jobs.

use super::{wide, SqliteTx};
use crate::registry::Registry;
use crate::rejects_json;
use crate::rows::{job_of, phone_number_of, source_of, source_settings_of, JOB_COLUMNS, SELECT_SOURCES};
use crate::{Job, JobQuery, PhoneNumber, Platform, Result, Source, SourceSettings, StoreError};
use rusqlite::params;

impl SqliteTx<'_> {
    /// The registered sources, read once per transaction.
    pub(crate) fn registry(&mut self) -> Result<&Registry> {
        if self.registry.is_none() {
            let mut st = self.tx.prepare_cached(SELECT_SOURCES)?;
            let registry = Registry::of(st.query_and_then([], |r| source_of(r))?.collect::<Result<_>>()?);
            drop(st);
            self.registry = Some(registry);
        }
        Ok(self.registry.get_or_insert_with(Registry::default))
    }
}

impl crate::Sources for SqliteTx<'_> {
    fn add_source(&mut self, name: &str, platform: Platform) -> Result<Source> {
        Source::check_name(name, platform).map_err(StoreError::Refused)?;
        let code = self.registry()?.next_code();
        let added = self.tx.execute(
            "INSERT INTO sources (code, name, platform) VALUES (?1, ?2, ?3) ON CONFLICT (name) DO NOTHING",
            params![code, name, platform.as_str()],
        )?;
        if added == 0 {
            return Err(StoreError::Refused(format!("source `{name}` exists already")));
        }
        self.registry = None;
        Ok(Source::new(code, name, platform))
    }

    fn source_settings(&mut self) -> Result<Vec<SourceSettings>> {
        let sources = self.registry()?.clone();
        let mut st = self
            .tx
            .prepare_cached("SELECT source, settings, secrets, updated_at FROM source_settings ORDER BY source")?;
        let mut list = st.query_and_then([], |r| source_settings_of(r, &sources))?.collect::<Result<Vec<_>>>()?;
        list.sort_by(|a, b| a.source.cmp(&b.source));
        Ok(list)
    }

    fn save_source_settings(&mut self, s: &SourceSettings) -> Result<()> {
        self.tx.execute(
            "INSERT INTO source_settings (source, settings, secrets, updated_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (source) DO UPDATE SET settings = excluded.settings, secrets = excluded.secrets,
             updated_at = excluded.updated_at",
            params![s.source.code(), s.settings, s.secrets, s.updated_at],
        )?;
        Ok(())
    }

    fn phone_numbers(&mut self, customer_pk: i64) -> Result<Vec<(Source, PhoneNumber)>> {
        let sources = self.registry()?.clone();
        let mut st = self.tx.prepare_cached(
            "SELECT source, number, enabled FROM phone_numbers WHERE customer_pk = ?1 ORDER BY source, number",
        )?;
        let mut list =
            st.query_and_then([customer_pk], |r| phone_number_of(r, &sources))?.collect::<Result<Vec<_>>>()?;
        // By source name, then number.
        list.sort_by(|a, b| (&a.0, &a.1.number).cmp(&(&b.0, &b.1.number)));
        Ok(list)
    }

    fn replace_phone_numbers(&mut self, customer_pk: i64, source: &Source, numbers: &[PhoneNumber]) -> Result<()> {
        self.tx.execute(
            "DELETE FROM phone_numbers WHERE customer_pk = ?1 AND source = ?2",
            params![customer_pk, source.code()],
        )?;
        let mut st = self.tx.prepare_cached(
            "INSERT INTO phone_numbers (customer_pk, source, number, enabled) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT DO UPDATE SET enabled = excluded.enabled",
        )?;
        for n in numbers {
            st.execute(params![customer_pk, source.code(), n.number, n.enabled])?;
        }
        Ok(())
    }

    fn sources(&mut self) -> Result<Vec<crate::Source>> {
        Ok(self.registry()?.list())
    }
}

impl crate::Jobs for SqliteTx<'_> {
    fn save_job(&mut self, j: &Job) -> Result<i64> {
        use rusqlite::types::Value;
        let p = &j.progress;
        let int = |v: u64| Value::Integer(wide(v));
        let opt = |v: Option<u64>| v.map_or(Value::Null, int);
        let text = |v: &str| Value::Text(v.to_owned());
        let mut values = vec![
            Value::Integer(j.customer_pk),
            Value::Integer(j.source.code()),
            text(&j.domain),
            Value::Integer(j.window_start),
            Value::Integer(j.window_end),
            text(j.state.as_str()),
            text(&j.position),
            int(p.pages),
            int(p.received),
            int(p.imported),
            int(p.updated),
            int(p.duplicates),
            int(p.conflicts),
            int(p.skipped),
            int(p.repeated),
            int(p.errors),
            opt(j.numbers),
            opt(j.platform_count),
            opt(j.stored_count),
            Value::Integer(j.started_at),
            j.finished_at.map_or(Value::Null, Value::Integer),
            j.error.as_deref().map_or(Value::Null, text),
            int(p.outside),
            int(p.rejected),
            Value::Text(rejects_json(&j.rejects)),
            Value::Integer(j.updated_at),
        ];
        if j.id == 0 {
            // Above every job's and run's id: sync jobs and runs share one numbering.
            let mut st = self.tx.prepare_cached(
                "INSERT INTO jobs (id, customer_pk, source, domain, window_start, window_end, state, position, pages,
                 received, imported, updated, duplicates, conflicts, skipped, repeated, errors, numbers,
                 platform_count, stored_count, started_at, finished_at, error, outside, rejected, rejects,
                 updated_at)
                 VALUES (1 + max(coalesce((SELECT max(id) FROM jobs), 0), coalesce((SELECT max(id) FROM runs), 0)), ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,
                 ?21, ?22, ?23, ?24, ?25, ?26) RETURNING id",
            )?;
            return Ok(st.query_row(rusqlite::params_from_iter(values), |r| r.get(0))?);
        }
        let mut st = self.tx.prepare_cached(
            "UPDATE jobs SET customer_pk = ?1, source = ?2, domain = ?3, window_start = ?4, window_end = ?5,
             state = ?6, position = ?7, pages = ?8, received = ?9, imported = ?10, updated = ?11, duplicates = ?12,
             conflicts = ?13, skipped = ?14, repeated = ?15, errors = ?16, numbers = ?17, platform_count = ?18,
             stored_count = ?19, started_at = ?20, finished_at = ?21, error = ?22, outside = ?23, rejected = ?24,
             rejects = ?25, updated_at = ?26 WHERE id = ?27",
        )?;
        values.push(Value::Integer(j.id));
        match st.execute(rusqlite::params_from_iter(values))? {
            1 => Ok(j.id),
            _ => Err(StoreError::Corrupt(format!("job {} does not exist", j.id))),
        }
    }

    fn job(&mut self, id: i64) -> Result<Option<Job>> {
        let sources = self.registry()?.clone();
        let mut st = self.tx.prepare_cached(&format!(
            "SELECT {JOB_COLUMNS} FROM jobs j JOIN customers c ON c.pk = j.customer_pk WHERE j.id = ?1"
        ))?;
        let job = st.query_and_then([id], |r| job_of(r, &sources))?.next().transpose();
        job
    }

    fn jobs(&mut self, q: &JobQuery) -> Result<Vec<Job>> {
        let sources = self.registry()?.clone();
        let mut st = self.tx.prepare_cached(&format!(
            "SELECT {JOB_COLUMNS} FROM jobs j JOIN customers c ON c.pk = j.customer_pk
             WHERE (?1 IS NULL OR j.customer_pk = ?1) AND (?2 IS NULL OR j.source = ?2)
             ORDER BY j.id DESC LIMIT ?3"
        ))?;
        let limit = q.limit.map_or(-1, wide);
        let source = q.source.as_ref().map(Source::code);
        let jobs = st.query_and_then(params![q.customer_pk, source, limit], |r| job_of(r, &sources))?.collect();
        jobs
    }
}
