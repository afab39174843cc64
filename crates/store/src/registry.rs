//! The registered sources as both backends read them: codes to sources, and the contract's
//! order of calls that start at the same time.

use crate::{Result, Source, StoreError, StoredCall};

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

    /// The code a new source takes: the next after the highest.
    pub(crate) fn next_code(&self) -> i64 {
        self.by_code.keys().max().map_or(0, |c| c + 1)
    }

    /// Hands calls read in (start, code, source call id) order to `f` in the contract's order,
    /// (start, source name, source call id): unchanged while codes follow names, else each run
    /// of calls with one start sorted (such runs are a few calls long).
    pub(crate) fn in_order<E>(
        &self,
        mut f: impl FnMut(StoredCall) -> Result<(), E>,
    ) -> impl FnMut(Option<StoredCall>) -> Result<(), E> {
        let sort = !self.code_order_is_name_order;
        let mut run: Vec<StoredCall> = Vec::new();
        move |next: Option<StoredCall>| {
            if !sort {
                return next.map_or(Ok(()), &mut f);
            }
            if let (Some(first), Some(n)) = (run.first(), &next) {
                if first.call.start == n.call.start {
                    run.extend(next);
                    return Ok(());
                }
            }
            run.sort_by(|a, b| {
                (a.call.source.name().as_bytes(), a.call.source_call_id.as_bytes())
                    .cmp(&(b.call.source.name().as_bytes(), b.call.source_call_id.as_bytes()))
            });
            for c in run.drain(..) {
                f(c)?;
            }
            run.extend(next);
            Ok(())
        }
    }
}
