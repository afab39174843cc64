//! `db check` on PostgreSQL: the shared invariants' queries, run in one read transaction.

use super::PgTx;
use crate::check::{Cell, Problem, INVARIANTS};
use crate::Result;
use postgres::types::Type;

impl PgTx<'_> {
    pub(crate) fn check_impl(&mut self) -> Result<Vec<String>> {
        let mut problems = Vec::new();
        for invariant in INVARIANTS {
            let Some(sql) = invariant.postgres else { continue };
            for r in self.tx.query(sql, &[])? {
                let cells = r
                    .columns()
                    .iter()
                    .enumerate()
                    .map(|(i, column)| {
                        let cell = match *column.type_() {
                            Type::INT8 => r.try_get::<_, Option<i64>>(i)?.map(Cell::Int),
                            Type::INT4 => r.try_get::<_, Option<i32>>(i)?.map(|v| Cell::Int(v.into())),
                            Type::INT2 => r.try_get::<_, Option<i16>>(i)?.map(|v| Cell::Int(v.into())),
                            _ => r.try_get::<_, Option<String>>(i)?.map(Cell::Text),
                        };
                        Ok(cell.unwrap_or(Cell::Null))
                    })
                    .collect::<Result<_, postgres::Error>>()?;
                problems.push((invariant.describe)(&Problem(cells))?);
            }
        }
        Ok(problems)
    }
}
