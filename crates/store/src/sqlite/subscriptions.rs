//! Subscriptions, their plans and the days invoices billed of them.

use super::SqliteTx;
use crate::{Result, StoreError, Subscription};
use chrono::NaiveDate;
use rusqlite::params;

/// A date stored as `YYYY-MM-DD`.
fn day(text: &str, column: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| StoreError::Corrupt(format!("{column} = `{text}`")))
}

impl crate::Subscriptions for SqliteTx<'_> {
    fn subscriptions(&mut self, customer_pk: Option<i64>) -> Result<Vec<Subscription>> {
        let mut st = self.tx.prepare_cached(
            "SELECT s.pk, s.id, s.customer_pk, c.id, s.start_date, s.end_date, s.description, s.quantity_e4,
                    s.unit_price_e4
             FROM subscriptions s JOIN customers c ON c.pk = s.customer_pk
             WHERE ?1 IS NULL OR s.customer_pk = ?1 ORDER BY s.id",
        )?;
        let mut list = st
            .query_and_then([customer_pk], |r| {
                Ok(Subscription {
                    pk: r.get(0)?,
                    id: r.get(1)?,
                    customer_pk: r.get(2)?,
                    customer: r.get(3)?,
                    start: day(&r.get::<_, String>(4)?, "subscriptions.start_date")?,
                    end: r.get::<_, Option<String>>(5)?.map(|d| day(&d, "subscriptions.end_date")).transpose()?,
                    description: r.get(6)?,
                    quantity_e4: r.get(7)?,
                    unit_price_e4: r.get(8)?,
                    plans: Vec::new(),
                })
            })?
            .collect::<Result<Vec<_>>>()?;
        drop(st);
        let mut st = self
            .tx
            .prepare_cached("SELECT plan_id FROM subscription_plans WHERE subscription_pk = ?1 ORDER BY position")?;
        for s in &mut list {
            s.plans = st.query_map([s.pk], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        }
        Ok(list)
    }

    fn save_subscription(&mut self, s: &Subscription) -> Result<i64> {
        let (start, end) = (s.start.to_string(), s.end.map(|d| d.to_string()));
        let pk = if s.pk == 0 {
            self.tx.execute(
                "INSERT INTO subscriptions (id, customer_pk, start_date, end_date, description, quantity_e4, unit_price_e4)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![s.id, s.customer_pk, start, end, s.description, s.quantity_e4, s.unit_price_e4],
            )?;
            self.tx.last_insert_rowid()
        } else {
            self.tx.execute(
                "UPDATE subscriptions SET id = ?2, customer_pk = ?3, start_date = ?4, end_date = ?5, description = ?6,
                     quantity_e4 = ?7, unit_price_e4 = ?8 WHERE pk = ?1",
                params![s.pk, s.id, s.customer_pk, start, end, s.description, s.quantity_e4, s.unit_price_e4],
            )?;
            s.pk
        };
        self.tx.execute("DELETE FROM subscription_plans WHERE subscription_pk = ?1", [pk])?;
        let mut st = self.tx.prepare_cached(
            "INSERT INTO subscription_plans (subscription_pk, position, plan_id) VALUES (?1, ?2, ?3)",
        )?;
        for (i, plan) in s.plans.iter().enumerate() {
            st.execute(params![pk, i as i64, plan])?;
        }
        Ok(pk)
    }

    fn billed_days(&mut self, subscription_pk: i64) -> Result<Vec<NaiveDate>> {
        let mut st = self.tx.prepare_cached("SELECT day FROM billed_days WHERE subscription_pk = ?1 ORDER BY day")?;
        let days = st.query_and_then([subscription_pk], |r| day(&r.get::<_, String>(0)?, "billed_days.day"))?;
        days.collect()
    }
}
