//! The rate deck.

use super::{at, narrow, PgTx};
use crate::{Result, StoreError};
use chrono::{DateTime, Utc};
use rating::number::Prefix;
use rating::{CallType, Increments, Micros, Owner, Price, Rate, Window};
use std::collections::HashMap;

/// The rates to insert, column by column.
#[derive(Default)]
struct RateColumns<'a> {
    call_type: Vec<&'a str>,
    prefix: Vec<&'a str>,
    customer_pk: Vec<Option<i64>>,
    from: Vec<Option<DateTime<Utc>>>,
    to: Vec<Option<DateTime<Utc>>>,
    rate: Vec<i64>,
    fee: Vec<i64>,
    initial: Vec<i64>,
    subsequent: Vec<i64>,
    description: Vec<&'a str>,
    deck: Vec<Option<&'a str>>,
    local_prefix: Vec<&'a str>,
}

impl crate::Rates for PgTx<'_> {
    fn rates(&mut self) -> Result<Vec<Rate>> {
        let st = self.prepared(
            "SELECT r.id, r.call_type, r.prefix, c.id, r.effective_from, r.effective_to, r.rate_e8,
                    r.connection_fee_e8, r.initial_increment, r.subsequent_increment, r.description,
                    r.deck_id, r.local_prefix
             FROM rates r LEFT JOIN customers c ON c.pk = r.customer_pk",
        )?;
        let mut out = Vec::new();
        self.each_row(&st, &[], |r| {
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
            Ok(())
        })?;
        // Sorted here: the rows come in the table's order, with no sort before the first one
        // (sorting on the server tripled the query's time).
        out.sort_unstable_by_key(|r| r.id);
        Ok(out)
    }

    /// Inserts the rates with one statement over arrays of their columns; identities are handed
    /// out in the arrays' order, so the new ids in ascending order are the rates' ids in order.
    fn insert_rates(&mut self, rates: &[Rate]) -> Result<Vec<i64>> {
        if rates.is_empty() {
            return Ok(Vec::new());
        }
        let customers: Vec<&str> = rates
            .iter()
            .filter_map(|r| match &r.owner {
                Owner::Customer(id) => Some(id.as_str()),
                _ => None,
            })
            .collect();
        let st = self.prepared("SELECT id, pk FROM customers WHERE id = ANY($1)")?;
        let mut pks: HashMap<String, i64> = HashMap::new();
        for r in self.tx.query(&st, &[&customers])? {
            pks.insert(r.try_get(0)?, r.try_get(1)?);
        }
        let mut columns = RateColumns::default();
        for rate in rates {
            let (customer_pk, deck) = match &rate.owner {
                Owner::Default => (None, None),
                Owner::Deck(id) => (None, Some(id.as_str())),
                Owner::Customer(id) => {
                    let pk =
                        pks.get(id).ok_or_else(|| StoreError::Corrupt(format!("rate for unknown customer {id}")))?;
                    (Some(*pk), None)
                }
            };
            columns.call_type.push(rate.call_type.as_str());
            columns.prefix.push(rate.prefix.as_str());
            columns.customer_pk.push(customer_pk);
            columns.from.push(rate.window.from.map(at).transpose()?);
            columns.to.push(rate.window.to.map(at).transpose()?);
            columns.rate.push(rate.price.units());
            columns.fee.push(rate.connection_fee.units());
            columns.initial.push(i64::from(rate.increments.initial()));
            columns.subsequent.push(i64::from(rate.increments.subsequent()));
            columns.description.push(rate.description.as_str());
            columns.deck.push(deck);
            columns.local_prefix.push(rate.local_prefix.as_str());
        }
        let st = self.prepared(
            "INSERT INTO rates (call_type, prefix, customer_pk, effective_from, effective_to, rate_e8,
                 connection_fee_e8, initial_increment, subsequent_increment, description, deck_id, local_prefix)
             SELECT call_type, prefix, customer_pk, effective_from, effective_to, rate_e8, connection_fee_e8,
                    initial_increment, subsequent_increment, description, deck_id, local_prefix
             FROM unnest($1::text[], $2::text[], $3::bigint[], $4::timestamptz[], $5::timestamptz[], $6::bigint[],
                         $7::bigint[], $8::bigint[], $9::bigint[], $10::text[], $11::text[], $12::text[])
                  WITH ORDINALITY AS r (call_type, prefix, customer_pk, effective_from, effective_to, rate_e8,
                      connection_fee_e8, initial_increment, subsequent_increment, description, deck_id, local_prefix, n)
             ORDER BY n
             RETURNING id",
        )?;
        let c = &columns;
        let rows = self.tx.query(
            &st,
            &[
                &c.call_type,
                &c.prefix,
                &c.customer_pk,
                &c.from,
                &c.to,
                &c.rate,
                &c.fee,
                &c.initial,
                &c.subsequent,
                &c.description,
                &c.deck,
                &c.local_prefix,
            ],
        )?;
        let mut ids = rows.iter().map(|r| r.try_get(0)).collect::<Result<Vec<i64>, _>>()?;
        ids.sort_unstable();
        Ok(ids)
    }

    fn close_rate(&mut self, id: i64, effective_to: Micros) -> Result<()> {
        let st = self.prepared("UPDATE rates SET effective_to = $2 WHERE id = $1 AND effective_to IS NULL")?;
        self.tx.execute(&st, &[&id, &at(effective_to)?])?;
        Ok(())
    }
}
