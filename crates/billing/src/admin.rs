//! Operator tools: verifying a live database.

use crate::error::Result;
use store::prelude::*;
use store::{AnyStore, Store, StoreTx};

/// Checks a database as [`check`] does, after its schema: a migration not applied is a problem,
/// and then nothing else is checked (the checks read the newest schema). Applies nothing; a
/// database a newer meter migrated is refused.
pub fn check_database(store: &mut AnyStore) -> Result<Vec<String>> {
    let pending = store.pending_migrations()?;
    if !pending.is_empty() {
        return Ok(pending
            .iter()
            .map(|name| format!("migration {name} is not applied: the invariants are checked once it is"))
            .collect());
    }
    store::with_backend!(store, |s| check(s))
}

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
