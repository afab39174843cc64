//! Named rate decks and the local calling table.

use super::{MultiInsert, SqliteTx, CHUNK};
use crate::rows::{deck_of, local_pair_of, SELECT_DECKS, SELECT_LOCAL_CALLING};
use crate::{Deck, Result};
use rating::NpaNxx;
use rusqlite::params;

static INSERT_PAIRS: MultiInsert =
    MultiInsert::new("local_calling (npa_nxx, local_npa_nxx)", 2, "ON CONFLICT DO NOTHING");

impl crate::Decks for SqliteTx<'_> {
    fn decks(&mut self) -> Result<Vec<Deck>> {
        let mut st = self.tx.prepare_cached(SELECT_DECKS)?;
        let decks = st.query_and_then([], |r| deck_of(r))?;
        decks.collect()
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
        let mut st = self.tx.prepare_cached(SELECT_LOCAL_CALLING)?;
        let pairs = st.query_and_then([], |r| local_pair_of(r))?;
        pairs.collect()
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
