//! `db check` on SQLite: the shared checks' queries, run in one read transaction.

use super::SqliteTx;
use crate::check::{run, Cell, Problem};
use crate::Result;
use rusqlite::types::ValueRef;

impl SqliteTx<'_> {
    pub(crate) fn check_impl(&mut self) -> Result<Vec<String>> {
        let tx = &self.tx;
        let rows = |sql: &str| -> Result<Vec<Problem>> {
            let mut st = tx.prepare(sql)?;
            let columns = st.column_count();
            let mut rows = st.query([])?;
            let mut out = Vec::new();
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
                out.push(Problem(cells));
            }
            Ok(out)
        };
        run(rows, |i| i.sqlite, |c| c.sqlite)
    }
}
