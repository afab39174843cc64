//! Which migrations a database has against those this program knows, and the databases it
//! refuses: one migrated by a newer meter, and one another application made.

use crate::{Result, StoreError};
use std::collections::BTreeMap;

/// One migration: known to this program, applied to the database, or both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    pub name: String,
    /// When it was applied, `YYYY-MM-DDThh:mm:ssZ` (`None`: pending).
    pub applied_at: Option<String>,
    /// Whether this program knows it: a migration applied that it does not know was applied by
    /// a newer meter.
    pub known: bool,
}

/// The migrations of a database: those this program knows, in order, then those only the
/// database has, by name. `applied`: name → when, as the database records them.
pub(crate) fn migrations(known: &[(&'static str, &str)], mut applied: BTreeMap<String, String>) -> Vec<Migration> {
    let mut out: Vec<Migration> = known
        .iter()
        .map(|(name, _)| Migration { name: (*name).to_owned(), applied_at: applied.remove(*name), known: true })
        .collect();
    out.extend(applied.into_iter().map(|(name, at)| Migration { name, applied_at: Some(at), known: false }));
    out
}

/// Refuses a database with migrations this program does not know: its code would read and
/// write a schema it was not written for (and hit triggers it does not expect).
pub(crate) fn refuse_newer(migrations: &[Migration]) -> Result<()> {
    let unknown: Vec<String> = migrations.iter().filter(|m| !m.known).map(|m| m.name.clone()).collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(StoreError::Newer(unknown))
    }
}

/// Refuses a database without meter's migrations table that holds tables all the same: another
/// application's, which migrations must not be written into.
pub(crate) fn refuse_foreign(tables: Vec<String>) -> Result<()> {
    if tables.is_empty() {
        Ok(())
    } else {
        Err(StoreError::NotMeter(tables))
    }
}

/// The names of the migrations not applied yet.
pub fn pending(migrations: &[Migration]) -> Vec<String> {
    migrations.iter().filter(|m| m.applied_at.is_none()).map(|m| m.name.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_migrations_come_in_order_then_unknown_ones() {
        let known = [("0001_a", ""), ("0002_b", "")];
        let applied = BTreeMap::from([("0001_a".to_owned(), "t1".to_owned()), ("0009_z".to_owned(), "t9".to_owned())]);
        let m = migrations(&known, applied);
        let names: Vec<_> = m.iter().map(|m| (m.name.as_str(), m.applied_at.as_deref(), m.known)).collect();
        assert_eq!(names, [("0001_a", Some("t1"), true), ("0002_b", None, true), ("0009_z", Some("t9"), false)]);
        assert_eq!(pending(&m), ["0002_b"]);
        assert!(matches!(refuse_newer(&m), Err(StoreError::Newer(n)) if n == ["0009_z"]));
    }
}
