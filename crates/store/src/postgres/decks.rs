//! Named rate decks and the local calling table.

use super::copy::BinaryRows;
use super::PgTx;
use crate::rows::{deck_of, local_pair_of, SELECT_DECKS, SELECT_LOCAL_CALLING};
use crate::{Deck, Result, StoreError};
use postgres::types::Type;
use rating::NpaNxx;

/// An NPA-NXX (six digits) as a stored integer.
fn as_int(n: NpaNxx) -> i32 {
    i32::try_from(n.value()).unwrap_or(i32::MAX)
}

impl crate::Decks for PgTx<'_> {
    fn decks(&mut self) -> Result<Vec<Deck>> {
        let st = self.prepared(SELECT_DECKS)?;
        self.tx.query(&st, &[])?.iter().map(deck_of).collect()
    }

    fn save_deck(&mut self, deck: &Deck) -> Result<()> {
        let st = self.prepared(
            "INSERT INTO decks (id, description) VALUES ($1, $2)
             ON CONFLICT (id) DO UPDATE SET description = excluded.description",
        )?;
        self.tx.execute(&st, &[&deck.id, &deck.description])?;
        Ok(())
    }

    fn local_calling(&mut self) -> Result<Vec<(NpaNxx, NpaNxx)>> {
        let st = self.prepared(SELECT_LOCAL_CALLING)?;
        self.tx.query(&st, &[])?.iter().map(local_pair_of).collect()
    }

    /// Replaces the table with one COPY of the pairs, without repeats.
    fn replace_local_calling(&mut self, pairs: &[(NpaNxx, NpaNxx)]) -> Result<()> {
        let mut rows: Vec<(i32, i32)> = pairs.iter().map(|(a, b)| (as_int(*a), as_int(*b))).collect();
        rows.sort_unstable();
        rows.dedup();
        self.tx.execute("DELETE FROM local_calling", &[])?;
        let sink = self.tx.copy_in("COPY local_calling (npa_nxx, local_npa_nxx) FROM STDIN BINARY")?;
        let mut writer = BinaryRows::new(sink, &[Type::INT4, Type::INT4], StoreError::from);
        for (a, b) in &rows {
            writer.write(&[a, b])?;
        }
        writer.finish()?;
        Ok(())
    }
}
