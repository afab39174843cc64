//! Connecting to a PostgreSQL server: the URL's settings that the driver does not read itself
//! (`sslmode`, `sslrootcert`, `connect_timeout`), one time limit on the whole connection (TCP,
//! TLS, authentication and the session's first statement), and errors that say why it failed.

use super::tls::{self, SslMode};
use postgres::error::SqlState;
use postgres::Client;
use std::time::Duration;

/// How long connecting may take when the URL sets no `connect_timeout`.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why meter could not connect to a PostgreSQL server.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("the URL is not valid: {0}")]
    Url(String),
    #[error("{addr} refused the connection: no PostgreSQL server listens there")]
    Refused { addr: String },
    #[error("no answer from {addr} within {} s (connect_timeout in the URL sets the limit)", .limit.as_secs())]
    Timeout { addr: String, limit: Duration },
    #[error("authentication failed: {0}")]
    Authentication(String),
    #[error("the database does not exist: {0}")]
    NoDatabase(String),
    #[error("TLS: {0}")]
    Tls(String),
    #[error("{0}")]
    Other(String),
}

/// A URL read into the driver's configuration and the settings meter applies itself.
pub(super) struct Settings {
    config: postgres::Config,
    ssl: SslMode,
    root_cert: Option<String>,
    /// `None`: no limit (`connect_timeout=0`, as libpq).
    limit: Option<Duration>,
}

impl Settings {
    /// Reads `postgres://…?…`: `sslmode`, `sslrootcert` and `connect_timeout` are taken out of
    /// the query and the rest is left to the driver.
    pub(super) fn parse(url: &str) -> Result<Settings, ConnectError> {
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let (mut ssl, mut root_cert, mut limit) = (None, None, Some(DEFAULT_CONNECT_TIMEOUT));
        let mut rest = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, raw) = pair.split_once('=').unwrap_or((pair, ""));
            let value = || percent_decoded(raw).ok_or_else(|| ConnectError::Url(format!("{key}: bad %-escape")));
            match key {
                "sslmode" => ssl = Some(value()?.parse().map_err(ConnectError::Url)?),
                "sslrootcert" => root_cert = Some(value()?),
                "connect_timeout" => {
                    let value = value()?;
                    let secs: i64 = value
                        .trim()
                        .parse()
                        .map_err(|_| ConnectError::Url(format!("connect_timeout={value}: not a number of seconds")))?;
                    limit = u64::try_from(secs).ok().filter(|&s| s > 0).map(Duration::from_secs);
                }
                _ => rest.push(pair),
            }
        }
        let url = if rest.is_empty() { base.to_owned() } else { format!("{base}?{}", rest.join("&")) };
        let mut config: postgres::Config = url.parse().map_err(|e| ConnectError::Url(super::message(&e)))?;
        let ssl = ssl.unwrap_or_else(|| default_mode(&config));
        config.ssl_mode(ssl.driver_mode());
        if let Some(limit) = limit {
            config.connect_timeout(limit);
        }
        Ok(Settings { config, ssl, root_cert, limit })
    }

    /// The first server the URL names, for messages.
    fn addr(&self) -> String {
        let host = match self.config.get_hosts().first() {
            Some(postgres::config::Host::Tcp(host)) => host.clone(),
            Some(postgres::config::Host::Unix(path)) => path.display().to_string(),
            None => "localhost".to_owned(),
        };
        format!("{host}:{}", self.config.get_ports().first().copied().unwrap_or(5432))
    }

    /// Connects and runs `setup`, all within the time limit.
    pub(super) fn connect(self, setup: &'static str) -> Result<Client, ConnectError> {
        let tls = tls::connector(self.ssl, self.root_cert.as_deref())?;
        let addr = self.addr();
        let Settings { config, limit, .. } = self;
        let attempt = move || -> Result<Client, postgres::Error> {
            let mut client = config.connect(tls)?;
            client.batch_execute(setup)?;
            Ok(client)
        };
        let Some(limit) = limit else { return attempt().map_err(|e| why(&e, &addr, None)) };
        // The driver waits for the server without a limit once TCP is connected; the attempt runs
        // on its own thread so that this one can stop waiting. An attempt given up on ends by
        // itself when the server answers or closes the connection.
        let (sender, receiver) = std::sync::mpsc::sync_channel(1);
        std::thread::Builder::new()
            .name("postgres-connect".into())
            .spawn(move || {
                let _ = sender.send(attempt());
            })
            .map_err(|e| ConnectError::Other(format!("cannot start connecting: {e}")))?;
        match receiver.recv_timeout(limit) {
            Ok(outcome) => outcome.map_err(|e| why(&e, &addr, Some(limit))),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Err(ConnectError::Timeout { addr, limit }),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                Err(ConnectError::Other("the connection attempt ended without an outcome".into()))
            }
        }
    }
}

/// The mode when the URL names none: `prefer`, as libpq, except for a server on this machine
/// (loopback addresses, `localhost`, a Unix socket), where TLS protects nothing and cost every
/// invoice creation a handshake and its encryption (100 invoices of the benchmark: 13.5 s
/// without, 17.0 s with).
fn default_mode(config: &postgres::Config) -> SslMode {
    let local = |host: &postgres::config::Host| match host {
        postgres::config::Host::Unix(_) => true,
        postgres::config::Host::Tcp(name) => {
            name == "localhost" || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
        }
    };
    let hosts = config.get_hosts();
    if !hosts.is_empty() && hosts.iter().all(local) {
        SslMode::Disable
    } else {
        SslMode::Prefer
    }
}

/// What a failed connection attempt says about why it failed (`limit`: the time limit it had).
fn why(e: &postgres::Error, addr: &str, limit: Option<Duration>) -> ConnectError {
    if let Some(db) = e.as_db_error() {
        let said = super::message(e);
        return match *db.code() {
            SqlState::INVALID_PASSWORD | SqlState::INVALID_AUTHORIZATION_SPECIFICATION => {
                ConnectError::Authentication(said)
            }
            SqlState::INVALID_CATALOG_NAME => ConnectError::NoDatabase(said),
            _ => ConnectError::Other(said),
        };
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(tls) = tls::error_in(s) {
            return ConnectError::Tls(tls);
        }
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            match (io.kind(), limit) {
                (std::io::ErrorKind::ConnectionRefused, _) => return ConnectError::Refused { addr: addr.to_owned() },
                (std::io::ErrorKind::TimedOut, Some(limit)) => {
                    return ConnectError::Timeout { addr: addr.to_owned(), limit }
                }
                _ => {}
            }
        }
        source = s.source();
    }
    // The driver's words, for the causes it gives no type to.
    let said = super::message(e);
    if said.ends_with("password missing") {
        ConnectError::Authentication("the server asks for a password and the URL gives none".into())
    } else if let Some(rest) = said.strip_prefix("error performing TLS handshake: ") {
        ConnectError::Tls(rest.to_owned())
    } else {
        ConnectError::Other(said)
    }
}

/// `%HH` escapes of a URL's query value decoded (and `+` kept, as libpq does); `None` when an
/// escape is malformed or the result is not UTF-8.
fn percent_decoded(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meter_takes_its_settings_out_of_the_url_and_leaves_the_rest_to_the_driver() {
        let s = Settings::parse(
            "postgres://u@h:6543/db?application_name=x&sslmode=verify-full&sslrootcert=%2Fetc%2Fca%20b.pem",
        )
        .expect("parses");
        assert_eq!(s.ssl, SslMode::VerifyFull);
        assert_eq!(s.root_cert.as_deref(), Some("/etc/ca b.pem"));
        assert_eq!(s.limit, Some(DEFAULT_CONNECT_TIMEOUT));
        assert_eq!(s.config.get_application_name(), Some("x"));
        assert_eq!(s.addr(), "h:6543");
        assert_eq!(
            Settings::parse("postgres://h/db?connect_timeout=3").expect("parses").limit,
            Some(Duration::from_secs(3))
        );
        assert_eq!(Settings::parse("postgres://h/db?connect_timeout=0").expect("parses").limit, None);
        assert_eq!(Settings::parse("postgres://h/db").expect("parses").ssl, SslMode::Prefer);
        for local in ["postgres://localhost/db", "postgres://127.0.0.1:5432/db", "postgres://[::1]/db"] {
            assert_eq!(Settings::parse(local).expect("parses").ssl, SslMode::Disable, "{local}");
        }
        let asked = Settings::parse("postgres://127.0.0.1/db?sslmode=require").expect("parses");
        assert_eq!(asked.ssl, SslMode::Require);
    }

    #[test]
    fn bad_settings_are_named() {
        for (url, says) in [
            ("postgres://h/db?sslmode=sometimes", "sslmode"),
            ("postgres://h/db?connect_timeout=soon", "connect_timeout"),
            ("postgres://h/db?sslrootcert=%zz", "sslrootcert"),
            ("postgres://h/db?colour=blue", "colour"),
        ] {
            match Settings::parse(url) {
                Err(ConnectError::Url(why)) => assert!(why.contains(says), "{url}: {why}"),
                Err(e) => panic!("{url}: {e}"),
                Ok(_) => panic!("{url} parsed"),
            }
        }
    }
}
