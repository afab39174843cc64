//! The web app in real headless Chromium (Debian's chromium, driven by playwright): the billing
//! staff's journey, a screenshot of every screen (target/screenshots/, test artifacts) and
//! axe-core on each, which must find no serious or critical violation. Pages do not depend on
//! the backend (the API and pages tests run on both); the journey runs on SQLite, beside the PBX
//! emulator its sync pulls from.

mod common;

use common::platforms::{config, setup, stored, FROM, TO};
use common::server::Server;
use common::tools::test_tools;
use common::*;
use emulator::{Emulator, Fault, FaultKind};
use std::path::PathBuf;

#[test]
fn billing_staff_work_through_the_web_app_in_chromium() {
    let tools = test_tools();
    // Two of the sync's pages are slow, so that the journey sees its job running, then done.
    let slow = |at| Fault { kind: FaultKind::Slow, at, delay_ms: 2500 };
    let cfg = config(40, vec![slow(2), slow(3)]);
    let emu = Emulator::spawn(cfg.clone()).expect("the emulator");
    let env = setup(Backend::Sqlite, &emu, &cfg);
    // A deck whose second rate has a price that is not a number: the whole file is refused.
    let bad_rates = env.write(
        "bad-rates.csv",
        "call_type,rate,prefix,connection_fee,initial_increment,subsequent_increment,effective_from,effective_to,customer,description\n\
         international,0.10,44,,60,60,,,,United Kingdom\n\
         international,ten cents,33,,60,60,,,,France\n",
    );
    let server = Server::start(&env, &["--no-scheduler"], &[]);
    let password = "a long enough password";
    env.meter_with_env(&["users", "add", "ann@example.com", "--role", "admin"], &[("METER_USER_PASSWORD", password)])
        .assert_ok();
    let rates_before = env.meter(&["rates", "list", "--format", "json"]).stdout;
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    let _ = std::fs::remove_dir_all(&out);
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/browser/journey.py");
    let run = std::process::Command::new(tools.join("venv/bin/python"))
        .arg(&script)
        .args([server.base.as_str(), "ann@example.com", password])
        .arg(&out)
        .arg(tools.join("node_modules/axe-core/axe.min.js"))
        .args(["acme", FROM, TO, &bad_rates])
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

    // What the journey did is in the store: the refused deck left the rates as they were, the
    // sync stored the days' calls, and the invoice was finalized with its credit, then voided.
    assert_eq!(env.meter(&["rates", "list", "--format", "json"]).stdout, rates_before);
    assert!(!stored(&env, "acme", "netsapiens").is_empty(), "the sync stored acme's calls");
    // The void invoice, and the draft that bills its calls again (the list is newest first).
    let invoices = env.meter(&["invoice", "list", "--format", "json"]).json();
    let invoices = invoices["invoices"].as_array().expect("invoices");
    assert_eq!(invoices.len(), 2, "{invoices:#?}");
    let (draft, void) =
        (env.show(invoices[0]["id"].as_str().expect("an id")), env.show(invoices[1]["id"].as_str().expect("an id")));
    assert_eq!((&void["status"], &draft["status"]), (&"void".into(), &"draft".into()), "{void:#}\n{draft:#}");
    assert!(void["lines"].as_array().expect("lines").iter().any(|l| l["amount"] == "-5.00"), "{void:#}");
    let usage = |doc: &serde_json::Value| {
        doc["lines"].as_array().expect("lines").iter().filter(|l| l["kind"] == "usage").cloned().collect::<Vec<_>>()
    };
    assert_eq!(usage(&draft), usage(&void), "the new draft bills the calls the void invoice released");
    let pdf = std::fs::read(out.join("invoice.pdf")).expect("the downloaded PDF");
    assert!(pdf.starts_with(b"%PDF-"), "the PDF download");
    let shots = std::fs::read_dir(&out)
        .expect("the screenshots")
        .filter(|e| e.as_ref().is_ok_and(|e| e.path().extension().is_some_and(|x| x == "png")))
        .count();
    assert!(shots >= 15, "{shots} screenshots in {}", out.display());
}
