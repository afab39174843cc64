//! The tools the web tests drive (Chromium, playwright, schemathesis, axe-core), installed where
//! missing by scripts/test-tools.sh, once per test process.

use std::path::PathBuf;
use std::sync::OnceLock;

/// The directory of the tools: `venv/bin/python`, `venv/bin/schemathesis`,
/// `node_modules/axe-core/axe.min.js`.
pub fn test_tools() -> PathBuf {
    static TOOLS: OnceLock<PathBuf> = OnceLock::new();
    TOOLS
        .get_or_init(|| {
            let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/test-tools.sh");
            let out = std::process::Command::new("bash")
                .arg(&script)
                .stdin(std::process::Stdio::null())
                .output()
                .expect("running scripts/test-tools.sh");
            assert!(out.status.success(), "scripts/test-tools.sh failed:\n{}", String::from_utf8_lossy(&out.stderr));
            PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
        })
        .clone()
}
