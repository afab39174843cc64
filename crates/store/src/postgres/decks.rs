//! Named rate decks and the local calling table.

use super::copy::BinaryRows;
use super::PgTx;
use crate::{Deck, Result, StoreError};
use postgres::types::Type;
use rating::NpaNxx;

/// An NPA-NXX (six digits) as a stored integer.
fn as_int(n: NpaNxx) -> i32 {
    i32::try_from(n.value()).unwrap_or(i32::MAX)
}

impl crate::Decks for PgTx<'_> {
    fn decks(&mut self) -> Result<Vec<Deck>> {
        let st = self.prepared("SELECT id, description FROM decks ORDER BY id")?;
        let rows = self.tx.query(&st, &[])?;
        rows.iter().map(|r| Ok(Deck { id: r.try_get(0)?, description: r.try_get(1)? })).collect()
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
        let st = self.prepared("SELECT npa_nxx, local_npa_nxx FROM local_calling")?;
        let parse =
            |v: i32| NpaNxx::parse(&format!("{v:06}")).map_err(|e| StoreError::Corrupt(format!("local_calling: {e}")));
        let rows = self.tx.query(&st, &[])?;
        rows.iter().map(|r| Ok((parse(r.try_get(0)?)?, parse(r.try_get(1)?)?))).collect()
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
