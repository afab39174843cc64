//! Subscriptions, their plans and the days invoices billed of them.

use super::PgTx;
use crate::{Result, Subscription};
use chrono::NaiveDate;

impl crate::Subscriptions for PgTx<'_> {
    fn subscriptions(&mut self, customer_pk: Option<i64>) -> Result<Vec<Subscription>> {
        let st = self.prepared(
            "SELECT s.pk, s.id, s.customer_pk, c.id, s.start_date, s.end_date, s.description, s.quantity_e4,
                    s.unit_price_e4
             FROM subscriptions s JOIN customers c ON c.pk = s.customer_pk
             WHERE $1::bigint IS NULL OR s.customer_pk = $1 ORDER BY s.id",
        )?;
        let mut list = Vec::new();
        for r in self.tx.query(&st, &[&customer_pk])? {
            list.push(Subscription {
                pk: r.try_get(0)?,
                id: r.try_get(1)?,
                customer_pk: r.try_get(2)?,
                customer: r.try_get(3)?,
                start: r.try_get(4)?,
                end: r.try_get(5)?,
                description: r.try_get(6)?,
                quantity_e4: r.try_get(7)?,
                unit_price_e4: r.try_get(8)?,
                plans: Vec::new(),
            });
        }
        let st = self.prepared(
            "SELECT subscription_pk, plan_id FROM subscription_plans
             WHERE subscription_pk = ANY($1) ORDER BY subscription_pk, position",
        )?;
        let pks: Vec<i64> = list.iter().map(|s| s.pk).collect();
        for r in self.tx.query(&st, &[&pks])? {
            let pk: i64 = r.try_get(0)?;
            if let Some(s) = list.iter_mut().find(|s| s.pk == pk) {
                s.plans.push(r.try_get(1)?);
            }
        }
        Ok(list)
    }

    fn save_subscription(&mut self, s: &Subscription) -> Result<i64> {
        let pk: i64 = if s.pk == 0 {
            let st = self.prepared(
                "INSERT INTO subscriptions (id, customer_pk, start_date, end_date, description, quantity_e4, unit_price_e4)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING pk",
            )?;
            let row = self.tx.query_one(
                &st,
                &[&s.id, &s.customer_pk, &s.start, &s.end, &s.description, &s.quantity_e4, &s.unit_price_e4],
            )?;
            row.try_get(0)?
        } else {
            let st = self.prepared(
                "UPDATE subscriptions SET id = $2, customer_pk = $3, start_date = $4, end_date = $5, description = $6,
                     quantity_e4 = $7, unit_price_e4 = $8 WHERE pk = $1",
            )?;
            self.tx.execute(
                &st,
                &[&s.pk, &s.id, &s.customer_pk, &s.start, &s.end, &s.description, &s.quantity_e4, &s.unit_price_e4],
            )?;
            s.pk
        };
        let st = self.prepared("DELETE FROM subscription_plans WHERE subscription_pk = $1")?;
        self.tx.execute(&st, &[&pk])?;
        let st =
            self.prepared("INSERT INTO subscription_plans (subscription_pk, position, plan_id) VALUES ($1, $2, $3)")?;
        for (i, plan) in s.plans.iter().enumerate() {
            self.tx.execute(&st, &[&pk, &(i as i64), plan])?;
        }
        Ok(pk)
    }

    fn billed_days(&mut self, subscription_pk: i64) -> Result<Vec<NaiveDate>> {
        let st = self.prepared("SELECT day FROM billed_days WHERE subscription_pk = $1 ORDER BY day")?;
        let rows = self.tx.query(&st, &[&subscription_pk])?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }
}
