//! The public golden scenarios (tests/golden and, for the rate-deck amendment,
//! tests/golden-decks, copied unchanged from the contract's scenarios), run through the real
//! binary by their own runner.

use std::path::Path;
use std::process::Command;

#[test]
fn golden_scenarios_pass() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new("python3")
        .arg(root.join("tests/golden/run.py"))
        .arg(root.join("tests/golden"))
        .arg(root.join("tests/golden-decks"))
        .args(["--jobs", "2", "-v"])
        .env("METER_BIN", env!("CARGO_BIN_EXE_meter"))
        .output()
        .expect("python3 runs the scenario runner");
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "golden scenarios failed:\n{stdout}");
    assert!(stdout.contains(" passed, 0 failed"), "unexpected runner output:\n{stdout}");
}
