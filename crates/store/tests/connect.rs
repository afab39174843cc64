//! Connecting to PostgreSQL: a time limit on the whole connection, errors that say why it failed
//! (refused, no answer, authentication, no such database), and TLS as the URL's `sslmode` asks,
//! against a throwaway server of the test's own that accepts nothing but TLS.

mod cluster;

mod postgres {
    use super::cluster::{Cluster, PASSWORD};
    use std::net::TcpListener;
    use std::time::Duration;
    use store::PgStore;
    use testkit::test_server_url;

    /// Connects on another thread; panics if that has not ended within a minute (a hang).
    fn connect_error(url: &str) -> String {
        let url = url.to_owned();
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || sender.send(PgStore::connect_url(&url).map(drop).map_err(|e| e.to_string())));
        match receiver.recv_timeout(Duration::from_secs(60)) {
            Ok(Err(e)) => e,
            Ok(Ok(())) => panic!("connected"),
            Err(_) => panic!("still connecting after a minute"),
        }
    }

    /// The test server's URL with another user and database.
    fn local_as(user: &str, database: &str) -> String {
        let url = test_server_url();
        let rest = &url[url.find('@').expect("an administrator's URL names its user") + 1..];
        let server = rest.split('/').next().unwrap_or(rest);
        format!("postgres://{user}@{server}/{database}")
    }

    #[test]
    fn a_server_that_never_answers_is_given_up_on_at_connect_timeout() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a listener");
        let port = listener.local_addr().expect("its address").port();
        // Accepts connections and holds them open without a word.
        std::thread::spawn(move || {
            let held: Vec<_> = listener.incoming().collect();
            drop(held);
        });
        let e = connect_error(&format!("postgres://postgres@127.0.0.1:{port}/postgres?connect_timeout=1"));
        assert!(e.contains(&format!("no answer from 127.0.0.1:{port} within 1 s")), "{e}");
    }

    #[test]
    fn a_closed_port_is_refused() {
        let port = TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("port").port();
        let e = connect_error(&format!("postgres://postgres@127.0.0.1:{port}/postgres"));
        assert!(e.contains(&format!("127.0.0.1:{port} refused the connection")), "{e}");
        assert!(!e.contains("error connecting to server"), "{e}");
    }

    #[test]
    fn an_unknown_role_fails_authentication() {
        let e = connect_error(&local_as("meter_no_such_role", "postgres"));
        assert!(e.contains("authentication failed: FATAL: role \"meter_no_such_role\" does not exist"), "{e}");
    }

    #[test]
    fn a_missing_database_is_named() {
        let e = connect_error(&local_as("postgres", "meter_no_such_database"));
        assert!(
            e.contains("the database does not exist: FATAL: database \"meter_no_such_database\" does not exist"),
            "{e}"
        );
    }

    #[test]
    fn a_wrong_password_fails_authentication() {
        let server = Cluster::start();
        let e = connect_error(&server.url("meter:wrong", "localhost", "sslmode=require"));
        assert!(e.contains("authentication failed: FATAL: password authentication failed for user \"meter\""), "{e}");
        let e = connect_error(&server.url("meter", "localhost", "sslmode=require"));
        assert!(e.contains("authentication failed: the server asks for a password and the URL gives none"), "{e}");
        PgStore::connect_url(&server.url(&format!("meter:{PASSWORD}"), "localhost", "sslmode=require"))
            .expect("the right password is accepted");
    }

    /// The server takes nothing but TLS, so every connection that succeeds was encrypted.
    #[test]
    fn tls_is_used_and_checked_as_sslmode_asks() {
        let server = Cluster::start();
        let (ca, other) = (server.authority(), server.other_authority());
        let connects = |host: &str, query: &str| {
            let url = server.url("postgres", host, query);
            if let Err(e) = PgStore::connect_url(&url) {
                panic!("{url}: {e}");
            }
        };
        connects("localhost", &format!("sslmode=verify-full&sslrootcert={ca}"));
        connects("127.0.0.1", &format!("sslmode=verify-ca&sslrootcert={ca}"));
        connects("127.0.0.1", "sslmode=require");
        connects("127.0.0.1", "sslmode=prefer");
        let fails = |host: &str, query: &str, says: &str| {
            let e = connect_error(&server.url("postgres", host, query));
            assert!(e.contains(says), "{host} {query}: {e}");
        };
        fails("localhost", "sslmode=disable", "no encryption");
        // A server on this machine is reached without TLS unless the URL asks for it.
        fails("127.0.0.1", "", "no encryption");
        fails(
            "127.0.0.1",
            &format!("sslmode=verify-full&sslrootcert={ca}"),
            "TLS: invalid peer certificate: certificate not valid for name \"127.0.0.1\"",
        );
        fails(
            "localhost",
            &format!("sslmode=verify-full&sslrootcert={other}"),
            "TLS: the server's certificate was not issued by an authority of sslrootcert",
        );
        fails(
            "localhost",
            &format!("sslmode=require&sslrootcert={other}"),
            "not issued by an authority of sslrootcert",
        );
        fails("localhost", "sslmode=verify-full", "sslmode=verify-full needs sslrootcert=FILE");
        fails("localhost", "sslmode=verify-ca&sslrootcert=/nonexistent/ca.crt", "sslrootcert /nonexistent/ca.crt: ");
    }
}
