//! Customers and calling plans.

use super::{narrow, wide, PgTx};
use crate::{Customer, Plan, PlanAllowance, Result, Source, StoreError};
use postgres::Row;
use rating::CallType;
use std::collections::HashMap;

const CUSTOMER_COLUMNS: &str = "pk, id, name, timezone, billing_day, currency, email, deck_id";

fn customer_of(row: &Row) -> Result<Customer> {
    Ok(Customer {
        pk: row.try_get(0)?,
        id: row.try_get(1)?,
        name: row.try_get(2)?,
        timezone: row.try_get(3)?,
        billing_day: narrow(i64::from(row.try_get::<_, i16>(4)?), "customers.billing_day")?,
        currency: row.try_get(5)?,
        plans: Vec::new(),
        deck: row.try_get(7)?,
        domains: Vec::new(),
        email: row.try_get(6)?,
    })
}

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
        c.plans = self.tx.query(&st, &[&c.pk])?.iter().map(|r| r.try_get(0)).collect::<Result<_, _>>()?;
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
            let source = sources.get(i64::from(r.try_get::<_, i16>(1)?))?;
            domains.entry(r.try_get(0)?).or_default().push((source, r.try_get(2)?));
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
            plans.entry(r.try_get(0)?).or_default().push(r.try_get(1)?);
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
        let pk: i64 = if c.pk == 0 {
            let st = self.prepared(
                "INSERT INTO customers (id, name, timezone, billing_day, currency, email, deck_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING pk",
            )?;
            let row =
                self.tx.query_one(&st, &[&c.id, &c.name, &c.timezone, &billing_day, &c.currency, &c.email, &c.deck])?;
            row.try_get(0)?
        } else {
            let st = self.prepared(
                "UPDATE customers SET id = $2, name = $3, timezone = $4, billing_day = $5, currency = $6,
                 email = $7, deck_id = $8 WHERE pk = $1",
            )?;
            self.tx
                .execute(&st, &[&c.pk, &c.id, &c.name, &c.timezone, &billing_day, &c.currency, &c.email, &c.deck])?;
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
        let st = self.prepared(
            "SELECT p.id, a.call_types, a.included_minutes, a.description
             FROM plans p LEFT JOIN allowances a ON a.plan_id = p.id ORDER BY p.id, a.position",
        )?;
        let mut plans: Vec<Plan> = Vec::new();
        for r in self.tx.query(&st, &[])? {
            let id: String = r.try_get(0)?;
            if plans.last().is_none_or(|p| p.id != id) {
                plans.push(Plan { id, allowances: Vec::new() });
            }
            let types: Option<String> = r.try_get(1)?;
            if let (Some(types), Some(plan)) = (types, plans.last_mut()) {
                let call_types = types
                    .split('|')
                    .map(|t| CallType::parse(t).map_err(|e| StoreError::Corrupt(e.to_string())))
                    .collect::<Result<_>>()?;
                plan.allowances.push(PlanAllowance {
                    call_types,
                    included_minutes: narrow(r.try_get(2)?, "allowances.included_minutes")?,
                    description: r.try_get(3)?,
                });
            }
        }
        Ok(plans)
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
