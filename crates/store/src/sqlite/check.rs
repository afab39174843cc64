//! `db check` on SQLite: the shared invariants' queries, run in one read transaction.

use super::SqliteTx;
use crate::check::{Cell, Problem, INVARIANTS};
use crate::Result;
use rusqlite::types::ValueRef;

impl SqliteTx<'_> {
    pub(crate) fn check_impl(&mut self) -> Result<Vec<String>> {
        let mut problems = Vec::new();
        for invariant in INVARIANTS {
            let Some(sql) = invariant.sqlite else { continue };
            let mut st = self.tx.prepare(sql)?;
            let columns = st.column_count();
            let mut rows = st.query([])?;
            while let Some(r) = rows.next()? {
                let cells = (0..columns)
                    .map(|i| {
                        Ok(match r.get_ref(i)? {
                            ValueRef::Integer(v) => Cell::Int(v),
                            ValueRef::Null => Cell::Null,
                            other => Cell::Text(other.as_str().unwrap_or_default().to_owned()),
                        })
                    })
                    .collect::<rusqlite::Result<_>>()?;
                problems.push((invariant.describe)(&Problem(cells))?);
            }
        }
        Ok(problems)
    }
}
