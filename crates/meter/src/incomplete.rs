//! How the command line words what holds an invoice (billing's `metered::guard`): the refusal of
//! `invoice create` and the preview's warning, each hold with what to do about it.

use billing::metered::guard::{Hold, Incomplete};
use chrono::NaiveDate;

/// What to do about one hold of the customer's days `from..=to`.
fn fix(customer: &str, (from, to): (NaiveDate, NaiveDate), hold: &Hold) -> String {
    match hold {
        Hold::SyncRunning { job, .. } => format!(
            "let job {job} finish (meter jobs show {job}); if its process died, running the same sync again resumes it"
        ),
        Hold::Records { source, .. } => {
            format!("meter sync --customer {customer} --source {source} --from {from} --to {to}")
        }
        Hold::Unreachable { .. } => format!("meter sources check --customer {customer} --from {from} --to {to}"),
    }
}

/// The refusal of `invoice create`, for stderr.
pub fn refusal(i: &Incomplete) -> String {
    let mut o = format!("error: {i}\n");
    for hold in &i.holds {
        o.push_str(&format!("  fix: {}\n", fix(&i.customer, (i.from, i.to), hold)));
    }
    o.push_str("  or pass --force to invoice only the calls stored now\n");
    o
}

/// The preview's warning that `invoice create` would refuse the range.
pub fn warning(customer: &str, days: (NaiveDate, NaiveDate), holds: &[Hold]) -> String {
    let mut o = String::from("\nIncomplete: `invoice create` refuses this range (--force invoices it anyway)\n");
    for hold in holds {
        o.push_str(&format!("  - {hold}\n    fix: {}\n", fix(customer, days, hold)));
    }
    o
}
