//! The registered sources as both backends read them: codes to sources, and the contract's
//! order of calls that start at the same time.

use crate::{Result, Source, StoreError};

/// Every registered source, by code.
#[derive(Debug, Clone, Default)]
pub(crate) struct Registry {
    by_code: std::collections::HashMap<i64, Source>,
    /// Whether ordering by code orders by name: true while only the platforms' own sources (whose
    /// codes follow their names) and sources named in code order are registered.
    code_order_is_name_order: bool,
}

impl Registry {
    /// The registry of every registered source.
    pub(crate) fn of(mut list: Vec<Source>) -> Registry {
        list.sort_by_key(Source::code);
        let code_order_is_name_order = list.windows(2).all(|w| w[0].name() < w[1].name());
        Registry { by_code: list.into_iter().map(|s| (s.code(), s)).collect(), code_order_is_name_order }
    }

    /// The source of a stored code.
    pub(crate) fn get(&self, code: i64) -> Result<Source> {
        self.by_code.get(&code).cloned().ok_or_else(|| StoreError::Corrupt(format!("unknown source code {code}")))
    }

    /// Every source, by name.
    pub(crate) fn list(&self) -> Vec<Source> {
        let mut list: Vec<Source> = self.by_code.values().cloned().collect();
        list.sort();
        list
    }

    /// A source's place in the order of names, as [`Registry::rank_sql`] computes it: its code
    /// while codes follow names.
    pub(crate) fn rank(&self, source: &Source) -> Result<i64> {
        if self.code_order_is_name_order {
            return Ok(source.code());
        }
        let place = self.list().iter().position(|s| s == source);
        place.map(|p| p as i64).ok_or_else(|| StoreError::Corrupt(format!("unknown source code {}", source.code())))
    }

    /// Whether ordering by code orders by name ([`Registry::rank_sql`] is the column itself).
    pub(crate) fn codes_follow_names(&self) -> bool {
        self.code_order_is_name_order
    }

    /// SQL for the place of the source in `column` (its code) in the order of names: the column
    /// itself while codes follow names (an index on it then gives the order), else a `CASE`.
    pub(crate) fn rank_sql(&self, column: &str) -> String {
        if self.code_order_is_name_order {
            return column.to_owned();
        }
        let arms: String =
            self.list().iter().enumerate().map(|(place, s)| format!(" WHEN {} THEN {place}", s.code())).collect();
        format!("(CASE {column}{arms} END)")
    }

    /// The code a new source takes: the next after the highest.
    pub(crate) fn next_code(&self) -> i64 {
        self.by_code.keys().max().map_or(0, |c| c + 1)
    }
}
