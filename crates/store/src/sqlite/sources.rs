//! Source settings, customers' phone numbers and sync jobs.

use super::{narrow, wide, SqliteTx};
use crate::registry::Registry;
use crate::{rejects_json, rejects_of, JOB_COLUMNS};
use crate::{Job, JobProgress, JobQuery, PhoneNumber, Platform, Result, Source, SourceSettings, StoreError};
use rusqlite::{params, OptionalExtension, Row};

fn count(row: &Row<'_>, i: usize) -> Result<u64> {
    narrow(row.get::<_, i64>(i)?, "jobs counter")
}

fn optional_count(row: &Row<'_>, i: usize) -> Result<Option<u64>> {
    row.get::<_, Option<i64>>(i)?.map(|v| narrow(v, "jobs counter")).transpose()
}

fn job_of(row: &Row<'_>, sources: &Registry) -> Result<Job> {
    Ok(Job {
        id: row.get(0)?,
        customer_pk: row.get(1)?,
        customer: row.get(2)?,
        source: sources.get(row.get(3)?)?,
        domain: row.get(4)?,
        window_start: row.get(5)?,
        window_end: row.get(6)?,
        state: row.get::<_, String>(7)?.parse().map_err(StoreError::Corrupt)?,
        position: row.get(8)?,
        progress: JobProgress {
            pages: count(row, 9)?,
            received: count(row, 10)?,
            imported: count(row, 11)?,
            updated: count(row, 12)?,
            duplicates: count(row, 13)?,
            conflicts: count(row, 14)?,
            skipped: count(row, 15)?,
            repeated: count(row, 16)?,
            errors: count(row, 17)?,
            outside: count(row, 24)?,
            rejected: count(row, 25)?,
        },
        numbers: optional_count(row, 18)?,
        platform_count: optional_count(row, 19)?,
        stored_count: optional_count(row, 20)?,
        started_at: row.get(21)?,
        finished_at: row.get(22)?,
        error: row.get(23)?,
        rejects: rejects_of(&row.get::<_, String>(26)?)?,
        updated_at: row.get(27)?,
    })
}

impl SqliteTx<'_> {
    /// The registered sources, read once per transaction.
    pub(crate) fn registry(&mut self) -> Result<&Registry> {
        if self.registry.is_none() {
            let mut st = self.tx.prepare_cached("SELECT code, name, platform FROM sources")?;
            let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            let registry = Registry::of(rows.collect::<rusqlite::Result<_>>()?)?;
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
        let mut st = self
            .tx
            .prepare_cached("SELECT source, settings, secrets, updated_at FROM source_settings ORDER BY source")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
        let rows: Vec<(i64, String, Vec<u8>, i64)> = rows.collect::<rusqlite::Result<_>>()?;
        drop(st);
        let sources = self.registry()?;
        let mut list = Vec::new();
        for (code, settings, secrets, updated_at) in rows {
            list.push(SourceSettings { source: sources.get(code)?, settings, secrets, updated_at });
        }
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
        let mut st = self.tx.prepare_cached(
            "SELECT source, number, enabled FROM phone_numbers WHERE customer_pk = ?1 ORDER BY source, number",
        )?;
        let rows = st.query_map([customer_pk], |r| Ok((r.get::<_, i64>(0)?, r.get(1)?, r.get(2)?)))?;
        let rows: Vec<(i64, String, bool)> = rows.collect::<rusqlite::Result<_>>()?;
        drop(st);
        let sources = self.registry()?;
        let mut list = Vec::new();
        for (code, number, enabled) in rows {
            list.push((sources.get(code)?, PhoneNumber { number, enabled }));
        }
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
            let mut st = self.tx.prepare_cached(
                "INSERT INTO jobs (customer_pk, source, domain, window_start, window_end, state, position, pages,
                 received, imported, updated, duplicates, conflicts, skipped, repeated, errors, numbers,
                 platform_count, stored_count, started_at, finished_at, error, outside, rejected, rejects,
                 updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,
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
        let row = st.query_row([id], |r| Ok(job_of(r, &sources))).optional()?;
        row.transpose()
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
        let rows = st.query_map(params![q.customer_pk, source, limit], |r| Ok(job_of(r, &sources)))?;
        rows.map(|r| r?).collect()
    }
}
