//! Operator tools: verifying a live database.

use crate::error::Result;
use store::{Store, StoreTx};

/// Checks the invariants money depends on, in one consistent snapshot: every invoice total is
/// the sum of its lines, every usage line the sum of the calls billed on it, every allowance
/// balance the sum of the live invoices' draws, every billed call its invoice's customer's, the
/// storage itself sound, and no domain of a source given to two customers (imports refuse that
/// now; older databases may hold it). Returns each problem found, in words.
pub fn check<S: Store>(store: &mut S) -> Result<Vec<String>> {
    let _span = tracing::info_span!("db.check").entered();
    let mut tx = store.read()?;
    let mut problems = tx.check()?;
    problems.extend(crate::import::shared_domains(&tx.customers()?));
    Ok(problems)
}
