//! `db check` on PostgreSQL: the shared checks' queries, run in one read transaction.

use super::PgTx;
use crate::check::{run, Cell, Problem};
use crate::Result;
use postgres::types::Type;

impl PgTx<'_> {
    pub(crate) fn check_impl(&mut self) -> Result<Vec<String>> {
        let tx = &mut self.tx;
        let rows = |sql: &str| -> Result<Vec<Problem>> {
            let mut out = Vec::new();
            for r in tx.query(sql, &[])? {
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
                out.push(Problem(cells));
            }
            Ok(out)
        };
        run(rows, |i| i.postgres, |c| c.postgres)
    }
}
