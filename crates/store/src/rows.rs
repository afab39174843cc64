//! The rows of the reference and bookkeeping tables (customers, plans, decks, the local calling
//! table, sources and their settings, phone numbers, sync jobs, users, sessions and API tokens),
//! read the same way on both backends: each backend's row is a [`Cells`], and every table's row
//! is turned into the program's value here, once.
//!
//! Both backends store a value the same way except for integers: SQLite has one INTEGER type,
//! PostgreSQL stores source codes and billing days as `smallint`, NPA-NXXs as `integer`, times as
//! `timestamptz`. [`Cells::int_or_null`] reads all of them as the `i64` SQLite stores (times as
//! microseconds since the Unix epoch, UTC), so one reader serves both.
//!
//! A value the program cannot take (NULL where one is required, a number out of its range) is
//! [`StoreError::Corrupt`], naming the column as `table.column`.

use crate::registry::Registry;
use crate::{rejects_of, Customer, Deck, Job, JobProgress, PhoneNumber, Plan, PlanAllowance, Result};
use crate::{ApiToken, Setting, Source, SourceSettings, StoreError, StoredSession, User};
use rating::{CallType, NpaNxx};

/// A row of either backend, read by column position. The readers of values that must be there
/// take the column's name, `table.column`, to name it when the value is NULL or out of range.
pub(crate) trait Cells {
    /// An integer column (SQLite INTEGER; PostgreSQL `smallint`, `integer`, `bigint`, or
    /// `timestamptz` as microseconds since the Unix epoch), NULL as `None`.
    fn int_or_null(&self, i: usize) -> Result<Option<i64>>;
    /// A text column, NULL as `None`.
    fn text_or_null(&self, i: usize) -> Result<Option<String>>;
    /// A yes/no column (SQLite INTEGER, 0 for no; PostgreSQL `boolean`), NULL as `None`.
    fn flag_or_null(&self, i: usize) -> Result<Option<bool>>;
    /// A binary column (SQLite BLOB; PostgreSQL `bytea`), NULL as `None`.
    fn bytes_or_null(&self, i: usize) -> Result<Option<Vec<u8>>>;

    /// An integer column that must not be NULL.
    fn int(&self, i: usize, column: &str) -> Result<i64> {
        self.int_or_null(i)?.ok_or_else(|| null(column))
    }

    /// A text column that must not be NULL.
    fn text(&self, i: usize, column: &str) -> Result<String> {
        self.text_or_null(i)?.ok_or_else(|| null(column))
    }

    /// A yes/no column that must not be NULL.
    fn flag(&self, i: usize, column: &str) -> Result<bool> {
        self.flag_or_null(i)?.ok_or_else(|| null(column))
    }

    /// A binary column that must not be NULL.
    fn bytes(&self, i: usize, column: &str) -> Result<Vec<u8>> {
        self.bytes_or_null(i)?.ok_or_else(|| null(column))
    }

    /// An integer column that must not be NULL and must fit a narrower type: a count, a billing
    /// day.
    fn narrow<T: TryFrom<i64>>(&self, i: usize, column: &str) -> Result<T> {
        crate::narrow(self.int(i, column)?, column)
    }

    /// [`Cells::narrow`] of a column that may be NULL.
    fn narrow_or_null<T: TryFrom<i64>>(&self, i: usize, column: &str) -> Result<Option<T>> {
        self.int_or_null(i)?.map(|v| crate::narrow(v, column)).transpose()
    }
}

/// A required column found NULL.
fn null(column: &str) -> StoreError {
    StoreError::Corrupt(format!("{column} is NULL"))
}

impl Cells for rusqlite::Row<'_> {
    fn int_or_null(&self, i: usize) -> Result<Option<i64>> {
        Ok(self.get(i)?)
    }

    fn text_or_null(&self, i: usize) -> Result<Option<String>> {
        Ok(self.get(i)?)
    }

    fn flag_or_null(&self, i: usize) -> Result<Option<bool>> {
        Ok(self.get(i)?)
    }

    fn bytes_or_null(&self, i: usize) -> Result<Option<Vec<u8>>> {
        Ok(self.get(i)?)
    }
}

impl Cells for postgres::Row {
    /// Reads the column as its own type says; a type no integer is stored as is refused by the
    /// driver, naming it.
    fn int_or_null(&self, i: usize) -> Result<Option<i64>> {
        use postgres::types::Type;
        let ty = self.columns().get(i).map(postgres::Column::type_);
        Ok(if ty == Some(&Type::INT2) {
            self.try_get::<_, Option<i16>>(i)?.map(i64::from)
        } else if ty == Some(&Type::INT4) {
            self.try_get::<_, Option<i32>>(i)?.map(i64::from)
        } else if ty == Some(&Type::TIMESTAMPTZ) {
            self.try_get::<_, Option<chrono::DateTime<chrono::Utc>>>(i)?.map(|t| t.timestamp_micros())
        } else {
            self.try_get(i)?
        })
    }

    fn text_or_null(&self, i: usize) -> Result<Option<String>> {
        Ok(self.try_get(i)?)
    }

    fn flag_or_null(&self, i: usize) -> Result<Option<bool>> {
        Ok(self.try_get(i)?)
    }

    fn bytes_or_null(&self, i: usize) -> Result<Option<Vec<u8>>> {
        Ok(self.try_get(i)?)
    }
}

/// The source whose code is in column `i`.
fn source_at(row: &impl Cells, i: usize, column: &str, sources: &Registry) -> Result<Source> {
    sources.get(row.int(i, column)?)
}

/// The registered sources, in the order [`source_of`] reads them.
pub(crate) const SELECT_SOURCES: &str = "SELECT code, name, platform FROM sources";

/// A registered source.
pub(crate) fn source_of(row: &impl Cells) -> Result<Source> {
    let (code, name) = (row.int(0, "sources.code")?, row.text(1, "sources.name")?);
    let platform = row.text(2, "sources.platform")?.parse().map_err(StoreError::Corrupt)?;
    Ok(Source::new(code, &name, platform))
}

/// The columns of a customer, in the order [`customer_of`] reads them.
pub(crate) const CUSTOMER_COLUMNS: &str =
    "pk, id, name, timezone, billing_day, currency, email, deck_id, payment_terms";

/// A customer without its plans and domains, which other tables hold.
pub(crate) fn customer_of(row: &impl Cells) -> Result<Customer> {
    Ok(Customer {
        pk: row.int(0, "customers.pk")?,
        id: row.text(1, "customers.id")?,
        name: row.text(2, "customers.name")?,
        timezone: row.text(3, "customers.timezone")?,
        billing_day: row.narrow(4, "customers.billing_day")?,
        currency: row.text(5, "customers.currency")?,
        plans: Vec::new(),
        deck: row.text_or_null(7)?,
        domains: Vec::new(),
        email: row.text_or_null(6)?,
        payment_terms: row.narrow_or_null(8, "customers.payment_terms")?,
    })
}

/// The installation's settings, in the order [`setting_of`] reads them.
pub(crate) const SELECT_SETTINGS: &str = "SELECT name, value, data, updated_at FROM settings ORDER BY name";

/// An installation setting.
pub(crate) fn setting_of(row: &impl Cells) -> Result<Setting> {
    Ok(Setting {
        name: row.text(0, "settings.name")?,
        value: row.text(1, "settings.value")?,
        data: row.bytes_or_null(2)?,
        updated_at: row.int(3, "settings.updated_at")?,
    })
}

/// The columns of a user, in the order [`user_of`] reads them from its first.
pub(crate) const USER_COLUMNS: &str = "id, email, role, password_hash, created_at, disabled";

/// A user whose columns ([`USER_COLUMNS`]) start at column `i`.
pub(crate) fn user_of(row: &impl Cells, i: usize) -> Result<User> {
    Ok(User {
        id: row.int(i, "users.id")?,
        email: row.text(i + 1, "users.email")?,
        role: row.text(i + 2, "users.role")?,
        password_hash: row.text(i + 3, "users.password_hash")?,
        created_at: row.int(i + 4, "users.created_at")?,
        disabled: row.flag(i + 5, "users.disabled")?,
    })
}

/// A session and its user, read from `sessions s JOIN users u`, as [`SELECT_SESSION`] reads
/// them; the backend adds its own `WHERE s.id = …`.
pub(crate) const SELECT_SESSION: &str = "SELECT s.id, s.user_id, s.csrf, s.created_at, s.expires_at, s.last_seen_at,
        u.id, u.email, u.role, u.password_hash, u.created_at, u.disabled
    FROM sessions s JOIN users u ON u.id = s.user_id";

/// A session and its user, read by [`SELECT_SESSION`].
pub(crate) fn session_of(row: &impl Cells) -> Result<(StoredSession, User)> {
    let session = StoredSession {
        id: row.bytes(0, "sessions.id")?,
        user_id: row.int(1, "sessions.user_id")?,
        csrf: row.text(2, "sessions.csrf")?,
        created_at: row.int(3, "sessions.created_at")?,
        expires_at: row.int(4, "sessions.expires_at")?,
        last_seen_at: row.int(5, "sessions.last_seen_at")?,
    };
    Ok((session, user_of(row, 6)?))
}

/// The columns of an API token, in the order [`token_of`] reads them.
pub(crate) const TOKEN_COLUMNS: &str = "id, name, role, secret_hash, created_at, created_by, revoked_at";

pub(crate) fn token_of(row: &impl Cells) -> Result<ApiToken> {
    Ok(ApiToken {
        id: row.int(0, "api_tokens.id")?,
        name: row.text_or_null(1)?,
        role: row.text(2, "api_tokens.role")?,
        secret_hash: row.bytes(3, "api_tokens.secret_hash")?,
        created_at: row.int(4, "api_tokens.created_at")?,
        created_by: row.text(5, "api_tokens.created_by")?,
        revoked_at: row.int_or_null(6)?,
    })
}

/// One of a customer's plans, by id, in column `i`.
pub(crate) fn plan_id_at(row: &impl Cells, i: usize) -> Result<String> {
    row.text(i, "customer_plans.plan_id")
}

/// A customer's domain on a source: the source's code in column `i`, the domain in the next.
pub(crate) fn domain_at(row: &impl Cells, i: usize, sources: &Registry) -> Result<(Source, String)> {
    Ok((source_at(row, i, "customer_domains.source", sources)?, row.text(i + 1, "customer_domains.domain")?))
}

/// Every plan with its allowances, in the order [`plan_row`] reads them: a plan without
/// allowances is one row of NULL allowance columns.
pub(crate) const SELECT_PLANS: &str = "SELECT p.id, a.call_types, a.included_minutes, a.description
             FROM plans p LEFT JOIN allowances a ON a.plan_id = p.id ORDER BY p.id, a.position";

/// A plan's id and one of its allowances (none: the plan has none).
pub(crate) fn plan_row(row: &impl Cells) -> Result<(String, Option<PlanAllowance>)> {
    let id = row.text(0, "plans.id")?;
    let Some(types) = row.text_or_null(1)? else { return Ok((id, None)) };
    let call_types = types
        .split('|')
        .map(|t| CallType::parse(t).map_err(|e| StoreError::Corrupt(e.to_string())))
        .collect::<Result<_>>()?;
    let allowance = PlanAllowance {
        call_types,
        included_minutes: row.narrow(2, "allowances.included_minutes")?,
        description: row.text(3, "allowances.description")?,
    };
    Ok((id, Some(allowance)))
}

/// The plans of [`plan_row`]s read in the order of [`SELECT_PLANS`], each with its allowances in
/// order.
pub(crate) fn plans_of(rows: impl IntoIterator<Item = Result<(String, Option<PlanAllowance>)>>) -> Result<Vec<Plan>> {
    let mut plans: Vec<Plan> = Vec::new();
    for row in rows {
        let (id, allowance) = row?;
        if plans.last().is_none_or(|p| p.id != id) {
            plans.push(Plan { id, allowances: Vec::new() });
        }
        if let (Some(allowance), Some(plan)) = (allowance, plans.last_mut()) {
            plan.allowances.push(allowance);
        }
    }
    Ok(plans)
}

/// The named decks, by id, in the order [`deck_of`] reads them.
pub(crate) const SELECT_DECKS: &str = "SELECT id, description FROM decks ORDER BY id";

pub(crate) fn deck_of(row: &impl Cells) -> Result<Deck> {
    Ok(Deck { id: row.text(0, "decks.id")?, description: row.text(1, "decks.description")? })
}

/// The local calling table, in the order [`local_pair_of`] reads it.
pub(crate) const SELECT_LOCAL_CALLING: &str = "SELECT npa_nxx, local_npa_nxx FROM local_calling";

/// A (caller's NPA-NXX, local NPA-NXX) pair, each stored as a six-digit integer.
pub(crate) fn local_pair_of(row: &impl Cells) -> Result<(NpaNxx, NpaNxx)> {
    let npa_nxx = |i: usize, column: &str| {
        let v = row.int(i, column)?;
        NpaNxx::parse(&format!("{v:06}")).map_err(|e| StoreError::Corrupt(format!("local_calling: {e}")))
    };
    Ok((npa_nxx(0, "local_calling.npa_nxx")?, npa_nxx(1, "local_calling.local_npa_nxx")?))
}

/// A source's settings, read as `source, settings, secrets, updated_at`.
pub(crate) fn source_settings_of(row: &impl Cells, sources: &Registry) -> Result<SourceSettings> {
    Ok(SourceSettings {
        source: source_at(row, 0, "source_settings.source", sources)?,
        settings: row.text(1, "source_settings.settings")?,
        secrets: row.bytes(2, "source_settings.secrets")?,
        updated_at: row.int(3, "source_settings.updated_at")?,
    })
}

/// A customer's phone number on a source, read as `source, number, enabled`.
pub(crate) fn phone_number_of(row: &impl Cells, sources: &Registry) -> Result<(Source, PhoneNumber)> {
    let number =
        PhoneNumber { number: row.text(1, "phone_numbers.number")?, enabled: row.flag(2, "phone_numbers.enabled")? };
    Ok((source_at(row, 0, "phone_numbers.source", sources)?, number))
}

/// The columns of a job (`j`) with its customer's id (`c`), in the order [`job_of`] reads them.
pub(crate) const JOB_COLUMNS: &str =
    "j.id, j.customer_pk, c.id, j.source, j.domain, j.window_start, j.window_end, j.state,
    j.position, j.pages, j.received, j.imported, j.updated, j.duplicates, j.conflicts, j.skipped, j.repeated,
    j.errors, j.numbers, j.platform_count, j.stored_count, j.started_at, j.finished_at, j.error, j.outside,
    j.rejected, j.rejects, j.updated_at";

pub(crate) fn job_of(row: &impl Cells, sources: &Registry) -> Result<Job> {
    Ok(Job {
        id: row.int(0, "jobs.id")?,
        customer_pk: row.int(1, "jobs.customer_pk")?,
        customer: row.text(2, "customers.id")?,
        source: source_at(row, 3, "jobs.source", sources)?,
        domain: row.text(4, "jobs.domain")?,
        window_start: row.int(5, "jobs.window_start")?,
        window_end: row.int(6, "jobs.window_end")?,
        state: row.text(7, "jobs.state")?.parse().map_err(StoreError::Corrupt)?,
        position: row.text(8, "jobs.position")?,
        progress: JobProgress {
            pages: row.narrow(9, "jobs.pages")?,
            received: row.narrow(10, "jobs.received")?,
            imported: row.narrow(11, "jobs.imported")?,
            updated: row.narrow(12, "jobs.updated")?,
            duplicates: row.narrow(13, "jobs.duplicates")?,
            conflicts: row.narrow(14, "jobs.conflicts")?,
            skipped: row.narrow(15, "jobs.skipped")?,
            repeated: row.narrow(16, "jobs.repeated")?,
            errors: row.narrow(17, "jobs.errors")?,
            outside: row.narrow(24, "jobs.outside")?,
            rejected: row.narrow(25, "jobs.rejected")?,
        },
        numbers: row.narrow_or_null(18, "jobs.numbers")?,
        platform_count: row.narrow_or_null(19, "jobs.platform_count")?,
        stored_count: row.narrow_or_null(20, "jobs.stored_count")?,
        started_at: row.int(21, "jobs.started_at")?,
        finished_at: row.int_or_null(22)?,
        error: row.text_or_null(23)?,
        rejects: rejects_of(&row.text(26, "jobs.rejects")?)?,
        updated_at: row.int(27, "jobs.updated_at")?,
    })
}

/// A run read from `runs`: id, kind, date (as `YYYY-MM-DD` text), state, total, done, invoiced,
/// skipped, held, failed, started_at, updated_at, finished_at, error.
pub(crate) fn run_of(r: &impl Cells) -> Result<crate::Run> {
    let corrupt = |e: String| StoreError::Corrupt(e);
    Ok(crate::Run {
        id: r.int(0, "runs.id")?,
        kind: r.text(1, "runs.kind")?.parse().map_err(corrupt)?,
        date: r.text(2, "runs.date")?,
        state: r.text(3, "runs.state")?.parse().map_err(corrupt)?,
        total: r.narrow(4, "runs.total")?,
        done: r.narrow(5, "runs.done")?,
        invoiced: r.narrow(6, "runs.invoiced")?,
        skipped: r.narrow(7, "runs.skipped")?,
        held: r.narrow(8, "runs.held")?,
        failed: r.narrow(9, "runs.failed")?,
        started_at: r.int(10, "runs.started_at")?,
        updated_at: r.int(11, "runs.updated_at")?,
        finished_at: r.int_or_null(12)?,
        error: r.text_or_null(13)?,
    })
}

/// Claim counts read as rows of (state, live, count, µs until the first lease ends).
pub(crate) fn claim_counts_of(rows: impl IntoIterator<Item = (String, bool, i64, Option<i64>)>) -> crate::ClaimCounts {
    let mut c = crate::ClaimCounts::default();
    for (state, live, n, expiry) in rows {
        let n = u64::try_from(n).unwrap_or(0);
        let slot = match (state.as_str(), live) {
            ("pending", _) => &mut c.pending,
            ("claimed", true) => &mut c.claimed,
            ("claimed", false) => &mut c.expired,
            ("invoiced", _) => &mut c.invoiced,
            ("skipped", _) => &mut c.skipped,
            ("held", _) => &mut c.held,
            _ => &mut c.failed,
        };
        *slot += n;
        if state == "claimed" && live {
            c.next_expiry = match (c.next_expiry, expiry) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use testkit::{on_both_backends, Backend};

    on_both_backends! {
        a_null_or_out_of_range_value_is_corrupt_naming_its_column,
    }

    /// Columns: an integer NULL, 300, -1, one second after the epoch (PostgreSQL: a
    /// `timestamptz`), 7, the text `x` and a text NULL, each as the backend stores such a value.
    fn a_null_or_out_of_range_value_is_corrupt_naming_its_column(backend: Backend) {
        match backend {
            Backend::Sqlite => {
                let conn = rusqlite::Connection::open_in_memory().expect("in-memory database");
                let mut st = conn.prepare("SELECT NULL, 300, -1, 1000000, 7, 'x', NULL").expect("statement");
                let mut rows = st.query([]).expect("query");
                check(rows.next().expect("row").expect("one row"));
            }
            Backend::Postgres => {
                let mut pg = crate::PgStore::connect_url(&testkit::test_server_url()).expect("test server");
                let rows = pg
                    .rows(
                        "SELECT NULL::bigint, 300::smallint, (-1)::bigint,
                         '1970-01-01 00:00:01+00'::timestamptz, 7::integer, 'x'::text, NULL::text",
                    )
                    .expect("query");
                check(rows.first().expect("one row"));
            }
        }
    }

    /// What a read reported as corrupt.
    fn corrupt<T: std::fmt::Debug>(read: Result<T>) -> String {
        match read {
            Err(StoreError::Corrupt(what)) => what,
            other => panic!("expected a corrupt value, got {other:?}"),
        }
    }

    fn check(row: &impl Cells) {
        assert_eq!(row.int_or_null(0).expect("NULL"), None);
        assert_eq!(corrupt(row.int(0, "jobs.window_start")), "jobs.window_start is NULL");
        assert_eq!(corrupt(row.text(6, "customers.name")), "customers.name is NULL");
        assert_eq!(corrupt(row.narrow::<u8>(1, "customers.billing_day")), "customers.billing_day = 300");
        assert_eq!(corrupt(row.narrow::<u64>(2, "jobs.pages")), "jobs.pages = -1");
        assert_eq!(corrupt(row.narrow_or_null::<u64>(2, "jobs.numbers")), "jobs.numbers = -1");
        assert_eq!(row.narrow_or_null::<u64>(0, "jobs.numbers").expect("NULL"), None);
        assert_eq!(row.int(3, "jobs.started_at").expect("time"), 1_000_000);
        assert_eq!(row.int(4, "local_calling.npa_nxx").expect("integer"), 7);
        assert_eq!(row.text(5, "decks.id").expect("text"), "x");
        assert!(row.text(4, "decks.id").is_err(), "an integer is not read as text");
    }
}
