//! The PostgreSQL half of the suite runs, or fails saying why, or is left out where the test
//! harness counts it: it never passes without running. These tests run this very test program
//! again (`postgres::probe` alone) under the environment they check.

mod postgres {
    use std::process::{Command, Output};
    use testkit::TempDatabase;

    /// A PostgreSQL test: it prints where it ran.
    #[test]
    fn probe() {
        let db = TempDatabase::for_test();
        println!("probe ran on {}", store::redact_url(db.url()));
    }

    /// Runs `postgres::probe` alone in a new process of this test program.
    fn probe_with(url: Option<&str>) -> Output {
        let mut cmd = Command::new(std::env::current_exe().expect("the test program's path"));
        cmd.args(["--exact", "postgres::probe", "--nocapture", "--test-threads", "1"]);
        match url {
            Some(url) => cmd.env("METER_TEST_POSTGRES_URL", url),
            None => cmd.env_remove("METER_TEST_POSTGRES_URL"),
        };
        cmd.output().expect("running the test program again")
    }

    fn text(out: &Output) -> String {
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    }

    #[test]
    fn without_a_url_they_run_on_the_local_server() {
        let out = probe_with(None);
        let text = text(&out);
        assert!(out.status.success(), "the probe failed without METER_TEST_POSTGRES_URL:\n{text}");
        assert!(
            text.contains("probe ran on postgres://postgres@127.0.0.1:5432/"),
            "the probe did not run on the local server:\n{text}"
        );
    }

    #[test]
    fn without_a_server_they_fail_saying_how_to_leave_them_out() {
        // A port that was free a moment ago: nothing listens there.
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("port").port();
        let out = probe_with(Some(&format!("postgres://postgres@127.0.0.1:{port}/postgres")));
        let text = text(&out);
        assert!(!out.status.success(), "the probe passed without a server:\n{text}");
        assert!(!text.contains("probe ran"), "{text}");
        assert!(text.contains(&format!("127.0.0.1:{port}")), "the failure does not name the server:\n{text}");
        assert!(text.contains("--skip postgres::"), "the failure does not say how to leave the tests out:\n{text}");
    }
}
