//! What the tests of every crate share, kept out of the production ones: throwaway PostgreSQL
//! databases, the server the PostgreSQL tests use, and the server's own programs.

pub use store;
use store::{PgStore, Result};

/// The backend a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates, for each listed `fn name(backend: Backend)`, the tests `sqlite::name` and
/// `postgres::name` (a run leaves the PostgreSQL half out with `-- --skip postgres::`). With
/// `stores:` before the list, each `fn name<S: OpenStore>(backend: Backend)` runs on the
/// backend's own store: [`store::SqliteStore`], then [`store::PgStore`].
#[macro_export]
macro_rules! on_both_backends {
    (stores: $($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { super::$name::<$crate::store::SqliteStore>($crate::Backend::Sqlite) } )*
        }
        mod postgres {
            $( #[test] fn $name() { super::$name::<$crate::store::PgStore>($crate::Backend::Postgres) } )*
        }
    };
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { super::$name($crate::Backend::Sqlite) } )*
        }
        mod postgres {
            $( #[test] fn $name() { super::$name($crate::Backend::Postgres) } )*
        }
    };
}

/// A throwaway database on a server, for tests and benchmarks: created empty from an
/// administrator's URL and dropped, with its connections and its saved copies, when the value is
/// dropped.
#[derive(Debug)]
pub struct TempDatabase {
    admin_url: String,
    name: String,
    url: String,
    copies: std::sync::Mutex<Vec<String>>,
}

/// The administrator's URL of the server the PostgreSQL tests use when
/// `METER_TEST_POSTGRES_URL` is not set: the local server of development and CI machines.
pub const LOCAL_TEST_SERVER: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// The administrator's URL of the PostgreSQL server for tests: `METER_TEST_POSTGRES_URL`, else
/// [`LOCAL_TEST_SERVER`]. Panics, failing the calling test, when no server answers there, saying
/// how to leave the PostgreSQL tests out (a test that did not run must not pass); the server is
/// tried once per process.
pub fn test_server_url() -> String {
    static SERVER: std::sync::OnceLock<std::result::Result<String, String>> = std::sync::OnceLock::new();
    let server = SERVER.get_or_init(|| {
        let url = std::env::var("METER_TEST_POSTGRES_URL")
            .ok()
            .filter(|url| !url.is_empty())
            .unwrap_or_else(|| LOCAL_TEST_SERVER.to_owned());
        match PgStore::connect_url(&url) {
            Ok(_) => Ok(url),
            Err(e) => Err(format!(
                "the PostgreSQL tests need a server, and none answers at {}: {e}. Start one, or set \
                 METER_TEST_POSTGRES_URL to an administrator's URL of one, or leave these tests out \
                 (the harness counts them as filtered out): cargo test --workspace -- --skip postgres::",
                store::redact_url(&url)
            )),
        }
    });
    server.clone().unwrap_or_else(|why| panic!("{why}"))
}

/// The newest installed PostgreSQL's `program` (`psql`, `initdb`, …) on Debian-style
/// installations, which keep the server's programs in `/usr/lib/postgresql/VERSION/bin`, off the
/// PATH (whose `psql` is a Perl wrapper that takes three times as long to start); `None` elsewhere.
pub fn installed_program(program: &str) -> Option<std::path::PathBuf> {
    let mut found: Vec<(u32, std::path::PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            let path = e.path().join("bin").join(program);
            path.is_file().then_some((version, path))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, path)| path)
}

impl TempDatabase {
    /// A database for the running test, named after it, on the server of [`test_server_url`].
    pub fn for_test() -> TempDatabase {
        let admin = test_server_url();
        let test = std::thread::current().name().unwrap_or("test").rsplit("::").next().unwrap_or("test").to_owned();
        TempDatabase::create(&admin, &test)
            .unwrap_or_else(|e| panic!("creating a test database on {}: {e}", store::redact_url(&admin)))
    }

    /// Creates database `meter_{label}_{pid}_{n}` on the server of `admin_url`.
    pub fn create(admin_url: &str, label: &str) -> Result<TempDatabase> {
        static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let label: String = label
            .chars()
            .take(30)
            .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' })
            .collect();
        let name = format!("meter_{label}_{}_{n}", std::process::id());
        let db = TempDatabase {
            admin_url: admin_url.to_owned(),
            url: with_database(admin_url, &name),
            name,
            copies: std::sync::Mutex::new(Vec::new()),
        };
        db.admin(&[
            &format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", db.name),
            &format!("CREATE DATABASE \"{}\"", db.name),
        ])?;
        Ok(db)
    }

    /// The URL of the new database.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Saves a copy of the database under `copy`. No other connection may be open to it.
    pub fn save(&self, copy: &str) -> Result<()> {
        let copy = self.copy_name(copy);
        self.admin(&[
            &format!("DROP DATABASE IF EXISTS \"{copy}\""),
            &format!("CREATE DATABASE \"{copy}\" TEMPLATE \"{}\"", self.name),
        ])?;
        self.copies.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(copy);
        Ok(())
    }

    /// Puts back the copy saved by [`TempDatabase::save`], closing any connection to the database.
    pub fn restore(&self, copy: &str) -> Result<()> {
        let copy = self.copy_name(copy);
        self.admin(&[
            &format!("DROP DATABASE \"{}\" WITH (FORCE)", self.name),
            &format!("CREATE DATABASE \"{}\" TEMPLATE \"{copy}\"", self.name),
        ])
    }

    fn copy_name(&self, copy: &str) -> String {
        let copy: String =
            copy.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
        format!("{}_{copy}", self.name)
    }

    /// Runs statements one by one on the administrator's connection (CREATE and DROP DATABASE
    /// cannot share a transaction).
    fn admin(&self, statements: &[&str]) -> Result<()> {
        let mut admin = PgStore::connect_url(&self.admin_url)?;
        for sql in statements {
            admin.batch_execute(sql)?;
        }
        Ok(())
    }
}

impl Drop for TempDatabase {
    fn drop(&mut self) {
        let copies = std::mem::take(self.copies.get_mut().unwrap_or_else(std::sync::PoisonError::into_inner));
        for name in copies.iter().chain([&self.name]) {
            let _ = self.admin(&[&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")]);
        }
    }
}

/// `url` with its database name replaced by `name` (query parameters kept).
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}
#[cfg(test)]
mod tests {
    #[test]
    fn with_database_replaces_the_name_and_keeps_parameters() {
        assert_eq!(super::with_database("postgres://u@h:5432/postgres", "x"), "postgres://u@h:5432/x");
        assert_eq!(super::with_database("postgres://u@h", "x"), "postgres://u@h/x");
        assert_eq!(super::with_database("postgres://u@h/db?sslmode=disable", "x"), "postgres://u@h/x?sslmode=disable");
    }
}
