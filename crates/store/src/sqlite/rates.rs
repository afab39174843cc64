//! The rate deck.

use super::{narrow, SqliteTx};
use crate::{Result, StoreError};
use rating::number::Prefix;
use rating::{CallType, Increments, Micros, Owner, Price, Rate, Window};
use rusqlite::params;

impl SqliteTx<'_> {
    pub(crate) fn insert_rate(&mut self, rate: &Rate) -> Result<i64> {
        let deck: Option<&str> = match &rate.owner {
            Owner::Deck(id) => Some(id),
            _ => None,
        };
        let customer_pk: Option<i64> = match &rate.owner {
            Owner::Default | Owner::Deck(_) => None,
            Owner::Customer(id) => Some(
                self.tx
                    .query_row("SELECT pk FROM customers WHERE id = ?1", [id], |r| r.get(0))
                    .map_err(|_| StoreError::Corrupt(format!("rate for unknown customer {id}")))?,
            ),
        };
        let mut st = self.tx.prepare_cached(
            "INSERT INTO rates (call_type, prefix, customer_pk, effective_from, effective_to, rate_e8,
                 connection_fee_e8, initial_increment, subsequent_increment, description, deck_id, local_prefix)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )?;
        st.execute(params![
            rate.call_type.as_str(),
            rate.prefix.as_str(),
            customer_pk,
            rate.window.from,
            rate.window.to,
            rate.price.units(),
            rate.connection_fee.units(),
            rate.increments.initial(),
            rate.increments.subsequent(),
            rate.description,
            deck,
            rate.local_prefix.as_str(),
        ])?;
        Ok(self.tx.last_insert_rowid())
    }
}

impl crate::Rates for SqliteTx<'_> {
    fn rates(&mut self) -> Result<Vec<Rate>> {
        let mut st = self.tx.prepare_cached(
            "SELECT r.id, r.call_type, r.prefix, c.id, r.effective_from, r.effective_to, r.rate_e8,
                    r.connection_fee_e8, r.initial_increment, r.subsequent_increment, r.description,
                    r.deck_id, r.local_prefix
             FROM rates r LEFT JOIN customers c ON c.pk = r.customer_pk ORDER BY r.id",
        )?;
        let mut rows = st.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let corrupt = |e: rating::ParseError| StoreError::Corrupt(e.to_string());
            let customer: Option<String> = r.get(3)?;
            let deck: Option<String> = r.get(11)?;
            let owner = match (customer, deck) {
                (Some(c), _) => Owner::Customer(c),
                (None, Some(d)) => Owner::Deck(d),
                (None, None) => Owner::Default,
            };
            let increments = Increments::new(
                narrow(r.get(8)?, "rates.initial_increment")?,
                narrow(r.get(9)?, "rates.subsequent_increment")?,
            )
            .ok_or_else(|| StoreError::Corrupt("rate increment below 1".into()))?;
            out.push(Rate {
                id: r.get(0)?,
                call_type: CallType::parse(&r.get::<_, String>(1)?).map_err(corrupt)?,
                prefix: Prefix::parse(&r.get::<_, String>(2)?).map_err(corrupt)?,
                local_prefix: Prefix::parse(&r.get::<_, String>(12)?).map_err(corrupt)?,
                owner,
                window: Window { from: r.get(4)?, to: r.get(5)? },
                price: Price::from_units(r.get(6)?),
                connection_fee: Price::from_units(r.get(7)?),
                increments,
                description: r.get(10)?,
            });
        }
        Ok(out)
    }

    fn close_rate(&mut self, id: i64, effective_to: Micros) -> Result<()> {
        self.tx.execute(
            "UPDATE rates SET effective_to = ?2 WHERE id = ?1 AND effective_to IS NULL",
            params![id, effective_to],
        )?;
        Ok(())
    }

    fn insert_rates(&mut self, rates: &[rating::Rate]) -> Result<Vec<i64>> {
        rates.iter().map(|r| self.insert_rate(r)).collect()
    }
}
