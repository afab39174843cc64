//! The web app in real headless Chromium (Debian's chromium, driven by playwright): the billing
//! staff's journey, a screenshot of every screen (target/screenshots/, test artifacts) and
//! axe-core on each, which must find no serious or critical violation. Pages do not depend on
//! the backend (the API and pages tests run on both); the journey runs on SQLite.

mod common;

use common::server::Server;
use common::tools::test_tools;
use common::*;
use std::path::PathBuf;

#[test]
fn billing_staff_work_through_the_web_app_in_chromium() {
    let tools = test_tools();
    let env = Env::seeded_on(Backend::Sqlite);
    let calls: Vec<Cdr> = (0..30)
        .map(|i| Cdr::domestic(format!("c{i:03}"), "acme", &format!("2026-10-{:02}T10:00:00Z", 1 + i), 60 + i))
        .collect();
    env.import_ok("cdrs", "cdrs.csv", &cdrs_csv(&calls));
    let server = Server::start(&env, &["--no-scheduler"], &[]);
    let password = "a long enough password";
    env.meter_with_env(&["users", "add", "ann@example.com", "--role", "admin"], &[("METER_USER_PASSWORD", password)])
        .assert_ok();
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    let _ = std::fs::remove_dir_all(&out);
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/browser/journey.py");
    let run = std::process::Command::new(tools.join("venv/bin/python"))
        .arg(&script)
        .args([server.base.as_str(), "ann@example.com", password])
        .arg(&out)
        .arg(tools.join("node_modules/axe-core/axe.min.js"))
        .arg("acme")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("running the browser journey");
    let ended = server.stop();
    assert!(
        run.status.success(),
        "the journey failed:\n{}\n{}\nthe server:\n{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr),
        ended.run.dump()
    );
    let shots = std::fs::read_dir(&out)
        .expect("the screenshots")
        .filter(|e| e.as_ref().is_ok_and(|e| e.path().extension().is_some_and(|x| x == "png")))
        .count();
    assert!(shots >= 2, "{shots} screenshots in {}", out.display());
}
