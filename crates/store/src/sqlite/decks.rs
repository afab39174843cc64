//! Named rate decks and the local calling table.

use super::{MultiInsert, SqliteTx, CHUNK};
use crate::{Deck, Result, StoreError};
use rating::NpaNxx;
use rusqlite::params;

static INSERT_PAIRS: MultiInsert =
    MultiInsert::new("local_calling (npa_nxx, local_npa_nxx)", 2, "ON CONFLICT DO NOTHING");

impl crate::Decks for SqliteTx<'_> {
    fn decks(&mut self) -> Result<Vec<Deck>> {
        let mut st = self.tx.prepare_cached("SELECT id, description FROM decks ORDER BY id")?;
        let decks = st.query_map([], |r| Ok(Deck { id: r.get(0)?, description: r.get(1)? }))?;
        Ok(decks.collect::<rusqlite::Result<_>>()?)
    }

    fn save_deck(&mut self, deck: &Deck) -> Result<()> {
        self.tx.execute(
            "INSERT INTO decks (id, description) VALUES (?1, ?2)
             ON CONFLICT (id) DO UPDATE SET description = excluded.description",
            params![deck.id, deck.description],
        )?;
        Ok(())
    }

    fn local_calling(&mut self) -> Result<Vec<(NpaNxx, NpaNxx)>> {
        let mut st = self.tx.prepare_cached("SELECT npa_nxx, local_npa_nxx FROM local_calling")?;
        let mut rows = st.query([])?;
        let mut out = Vec::new();
        let parse =
            |v: i64| NpaNxx::parse(&format!("{v:06}")).map_err(|e| StoreError::Corrupt(format!("local_calling: {e}")));
        while let Some(r) = rows.next()? {
            out.push((parse(r.get(0)?)?, parse(r.get(1)?)?));
        }
        Ok(out)
    }

    fn replace_local_calling(&mut self, pairs: &[(NpaNxx, NpaNxx)]) -> Result<()> {
        self.tx.execute("DELETE FROM local_calling", [])?;
        for chunk in pairs.chunks(CHUNK) {
            let mut st = INSERT_PAIRS.prepare(&self.tx, chunk.len())?;
            for (i, (a, b)) in chunk.iter().enumerate() {
                st.raw_bind_parameter(2 * i + 1, a.value())?;
                st.raw_bind_parameter(2 * i + 2, b.value())?;
            }
            st.raw_execute()?;
        }
        Ok(())
    }
}
