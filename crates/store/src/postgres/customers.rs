//! Customers and calling plans.

use super::{wide, PgTx};
use crate::rows::{customer_of, domain_at, plan_id_at, plan_row, plans_of, Cells, CUSTOMER_COLUMNS, SELECT_PLANS};
use crate::{Customer, Plan, Result, Source, StoreError};
use rating::CallType;
use std::collections::HashMap;

impl PgTx<'_> {
    /// The customer `id`; with `lock`, its row stays locked until the transaction ends.
    pub(crate) fn find_customer(&mut self, id: &str, lock: bool) -> Result<Option<Customer>> {
        let sql = if lock {
            format!("SELECT {CUSTOMER_COLUMNS} FROM customers WHERE id = $1 FOR UPDATE")
        } else {
            format!("SELECT {CUSTOMER_COLUMNS} FROM customers WHERE id = $1")
        };
        let st = self.prepared(&sql)?;
        let Some(row) = self.tx.query_opt(&st, &[&id])? else { return Ok(None) };
        let mut c = customer_of(&row)?;
        let st = self.prepared("SELECT plan_id FROM customer_plans WHERE customer_pk = $1 ORDER BY position")?;
        c.plans = self.tx.query(&st, &[&c.pk])?.iter().map(|r| plan_id_at(r, 0)).collect::<Result<_>>()?;
        c.domains = self.domains_of(Some(c.pk))?.remove(&c.pk).unwrap_or_default();
        Ok(Some(c))
    }

    /// The domains of one customer or of all, by customer pk, each customer's by source name.
    fn domains_of(&mut self, customer_pk: Option<i64>) -> Result<HashMap<i64, Vec<(Source, String)>>> {
        let sources = self.registry()?.clone();
        let st = self.prepared(
            "SELECT customer_pk, source, domain FROM customer_domains WHERE $1::bigint IS NULL OR customer_pk = $1",
        )?;
        let mut domains: HashMap<i64, Vec<(Source, String)>> = HashMap::new();
        for r in self.tx.query(&st, &[&customer_pk])? {
            let domain = domain_at(&r, 1, &sources)?;
            domains.entry(r.int(0, "customer_domains.customer_pk")?).or_default().push(domain);
        }
        for list in domains.values_mut() {
            list.sort_by(|a, b| a.0.cmp(&b.0));
        }
        Ok(domains)
    }
}

/// A domain refused by the unique index, in words.
fn refused_domain(e: postgres::Error, source: &Source, domain: &str) -> StoreError {
    match e.as_db_error() {
        Some(d) if d.constraint() == Some("customer_domains_unique") => {
            StoreError::Refused(format!("{source} domain `{domain}` is another customer's (compared ignoring case)"))
        }
        _ => e.into(),
    }
}

impl crate::Customers for PgTx<'_> {
    fn customers(&mut self) -> Result<Vec<Customer>> {
        let st = self.prepared(&format!("SELECT {CUSTOMER_COLUMNS} FROM customers ORDER BY id"))?;
        let mut list = self.tx.query(&st, &[])?.iter().map(customer_of).collect::<Result<Vec<_>>>()?;
        let st = self.prepared("SELECT customer_pk, plan_id FROM customer_plans ORDER BY customer_pk, position")?;
        let mut plans: std::collections::HashMap<i64, Vec<String>> = std::collections::HashMap::new();
        for r in self.tx.query(&st, &[])? {
            plans.entry(r.int(0, "customer_plans.customer_pk")?).or_default().push(plan_id_at(&r, 1)?);
        }
        let mut domains = self.domains_of(None)?;
        for c in &mut list {
            c.plans = plans.remove(&c.pk).unwrap_or_default();
            c.domains = domains.remove(&c.pk).unwrap_or_default();
        }
        Ok(list)
    }

    fn save_customer(&mut self, c: &Customer) -> Result<i64> {
        let billing_day = i16::from(c.billing_day);
        let terms = c
            .payment_terms
            .map(|days| i32::try_from(days).map_err(|_| StoreError::Refused(format!("payment terms of {days} days"))))
            .transpose()?;
        let pk: i64 = if c.pk == 0 {
            let st = self.prepared(
                "INSERT INTO customers (id, name, timezone, billing_day, currency, email, deck_id, payment_terms)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING pk",
            )?;
            let row = self
                .tx
                .query_one(&st, &[&c.id, &c.name, &c.timezone, &billing_day, &c.currency, &c.email, &c.deck, &terms])?;
            row.try_get(0)?
        } else {
            let st = self.prepared(
                "UPDATE customers SET id = $2, name = $3, timezone = $4, billing_day = $5, currency = $6,
                 email = $7, deck_id = $8, payment_terms = $9 WHERE pk = $1",
            )?;
            self.tx.execute(
                &st,
                &[&c.pk, &c.id, &c.name, &c.timezone, &billing_day, &c.currency, &c.email, &c.deck, &terms],
            )?;
            c.pk
        };
        let st = self.prepared("DELETE FROM customer_plans WHERE customer_pk = $1")?;
        self.tx.execute(&st, &[&pk])?;
        let st = self.prepared("INSERT INTO customer_plans (customer_pk, position, plan_id) VALUES ($1, $2, $3)")?;
        for (i, plan) in c.plans.iter().enumerate() {
            self.tx.execute(&st, &[&pk, &(i as i64), plan])?;
        }
        // Domains the customer gives up first, so that another customer of the same
        // transaction can take them.
        let st = self.prepared("DELETE FROM customer_domains WHERE customer_pk = $1")?;
        self.tx.execute(&st, &[&pk])?;
        let st = self.prepared("INSERT INTO customer_domains (customer_pk, source, domain) VALUES ($1, $2, $3)")?;
        for (source, domain) in &c.domains {
            self.tx
                .execute(&st, &[&pk, &super::source_code(source), domain])
                .map_err(|e| refused_domain(e, source, domain))?;
        }
        Ok(pk)
    }

    fn plans(&mut self) -> Result<Vec<Plan>> {
        let st = self.prepared(SELECT_PLANS)?;
        plans_of(self.tx.query(&st, &[])?.iter().map(plan_row))
    }

    fn save_plan(&mut self, plan: &Plan) -> Result<()> {
        let st = self.prepared("INSERT INTO plans (id) VALUES ($1) ON CONFLICT (id) DO NOTHING")?;
        self.tx.execute(&st, &[&plan.id])?;
        let st = self.prepared("DELETE FROM allowances WHERE plan_id = $1")?;
        self.tx.execute(&st, &[&plan.id])?;
        let st = self.prepared(
            "INSERT INTO allowances (plan_id, position, call_types, included_minutes, description)
             VALUES ($1, $2, $3, $4, $5)",
        )?;
        for (i, a) in plan.allowances.iter().enumerate() {
            let types: Vec<&str> = a.call_types.iter().map(CallType::as_str).collect();
            self.tx
                .execute(&st, &[&plan.id, &(i as i64), &types.join("|"), &wide(a.included_minutes), &a.description])?;
        }
        Ok(())
    }

    fn customer(&mut self, id: &str) -> Result<Option<crate::Customer>> {
        self.find_customer(id, false)
    }

    /// Locks the row in usage writes (exclusive writes already keep every other writer out).
    fn customer_for_update(&mut self, id: &str) -> Result<Option<crate::Customer>> {
        let lock = self.writes;
        self.find_customer(id, lock)
    }
}
