//! The rate deck.

use super::{at, narrow, PgTx};
use crate::{Result, StoreError};
use chrono::{DateTime, Utc};
use rating::number::Prefix;
use rating::{CallType, Increments, Micros, Owner, Price, Rate, Window};

impl PgTx<'_> {
    pub(crate) fn rates_impl(&mut self) -> Result<Vec<Rate>> {
        let st = self.prepared(
            "SELECT r.id, r.call_type, r.prefix, c.id, r.effective_from, r.effective_to, r.rate_e8,
                    r.connection_fee_e8, r.initial_increment, r.subsequent_increment, r.description,
                    r.deck_id, r.local_prefix
             FROM rates r LEFT JOIN customers c ON c.pk = r.customer_pk ORDER BY r.id",
        )?;
        let mut out = Vec::new();
        for r in self.tx.query(&st, &[])? {
            let corrupt = |e: rating::ParseError| StoreError::Corrupt(e.to_string());
            let customer: Option<String> = r.try_get(3)?;
            let deck: Option<String> = r.try_get(11)?;
            let owner = match (customer, deck) {
                (Some(c), _) => Owner::Customer(c),
                (None, Some(d)) => Owner::Deck(d),
                (None, None) => Owner::Default,
            };
            let increments = Increments::new(
                narrow(r.try_get(8)?, "rates.initial_increment")?,
                narrow(r.try_get(9)?, "rates.subsequent_increment")?,
            )
            .ok_or_else(|| StoreError::Corrupt("rate increment below 1".into()))?;
            let micros = |t: Option<DateTime<Utc>>| t.map(|t| t.timestamp_micros());
            out.push(Rate {
                id: r.try_get(0)?,
                call_type: CallType::parse(r.try_get(1)?).map_err(corrupt)?,
                prefix: Prefix::parse(r.try_get(2)?).map_err(corrupt)?,
                local_prefix: Prefix::parse(r.try_get(12)?).map_err(corrupt)?,
                owner,
                window: Window { from: micros(r.try_get(4)?), to: micros(r.try_get(5)?) },
                price: Price::from_units(r.try_get(6)?),
                connection_fee: Price::from_units(r.try_get(7)?),
                increments,
                description: r.try_get(10)?,
            });
        }
        Ok(out)
    }

    pub(crate) fn insert_rate_impl(&mut self, rate: &Rate) -> Result<i64> {
        let deck: Option<&str> = match &rate.owner {
            Owner::Deck(id) => Some(id),
            _ => None,
        };
        let customer_pk: Option<i64> = match &rate.owner {
            Owner::Default | Owner::Deck(_) => None,
            Owner::Customer(id) => {
                let st = self.prepared("SELECT pk FROM customers WHERE id = $1")?;
                let row = self.tx.query_opt(&st, &[id])?;
                Some(row.ok_or_else(|| StoreError::Corrupt(format!("rate for unknown customer {id}")))?.try_get(0)?)
            }
        };
        let st = self.prepared(
            "INSERT INTO rates (call_type, prefix, customer_pk, effective_from, effective_to, rate_e8,
                 connection_fee_e8, initial_increment, subsequent_increment, description, deck_id, local_prefix)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
        )?;
        let from = rate.window.from.map(at).transpose()?;
        let to = rate.window.to.map(at).transpose()?;
        let row = self.tx.query_one(
            &st,
            &[
                &rate.call_type.as_str(),
                &rate.prefix.as_str(),
                &customer_pk,
                &from,
                &to,
                &rate.price.units(),
                &rate.connection_fee.units(),
                &i64::from(rate.increments.initial()),
                &i64::from(rate.increments.subsequent()),
                &rate.description,
                &deck,
                &rate.local_prefix.as_str(),
            ],
        )?;
        Ok(row.try_get(0)?)
    }

    pub(crate) fn close_rate_impl(&mut self, id: i64, effective_to: Micros) -> Result<()> {
        let st = self.prepared("UPDATE rates SET effective_to = $2 WHERE id = $1 AND effective_to IS NULL")?;
        self.tx.execute(&st, &[&id, &at(effective_to)?])?;
        Ok(())
    }
}
