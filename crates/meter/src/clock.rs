//! The current instant: the system clock, or `METER_TEST_NOW` (an RFC 3339 timestamp), which
//! tests set to fix "now" and so "today" (docs/operations.md; never set it in production).

use crate::failure::Usage;
use rating::Micros;

const VAR: &str = "METER_TEST_NOW";

fn fixed() -> Option<Result<Micros, String>> {
    std::env::var(VAR).ok().map(|s| billing::time::parse_timestamp(&s))
}

/// Refuses a `METER_TEST_NOW` that is not a timestamp (a usage error), once at start.
pub fn check() -> Result<(), Usage> {
    match fixed() {
        Some(Err(e)) => Err(Usage(format!("{VAR}: {e}"))),
        _ => Ok(()),
    }
}

/// Now, in µs since the epoch (after [`check`], a malformed `METER_TEST_NOW` cannot be seen).
pub fn now() -> Micros {
    match fixed() {
        Some(Ok(t)) => t,
        _ => chrono::Utc::now().timestamp_micros(),
    }
}
