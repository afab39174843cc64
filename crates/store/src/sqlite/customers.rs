//! Customers and calling plans.

use super::{wide, SqliteTx};
use crate::registry::Registry;
use crate::rows::{customer_of, domain_at, plan_id_at, plan_row, plans_of, CUSTOMER_COLUMNS, SELECT_PLANS};
use crate::{Customer, Plan, Result, StoreError};
use rating::CallType;
use rusqlite::params;

impl SqliteTx<'_> {
    /// The customer's plans and domains.
    fn load_plans_of(&mut self, c: &mut Customer, sources: &Registry) -> Result<()> {
        let mut st =
            self.tx.prepare_cached("SELECT plan_id FROM customer_plans WHERE customer_pk = ?1 ORDER BY position")?;
        c.plans = st.query_and_then([c.pk], |r| plan_id_at(r, 0))?.collect::<Result<_>>()?;
        let mut st = self.tx.prepare_cached("SELECT source, domain FROM customer_domains WHERE customer_pk = ?1")?;
        c.domains = st.query_and_then([c.pk], |r| domain_at(r, 0, sources))?.collect::<Result<_>>()?;
        c.domains.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(())
    }
}

/// A domain refused by the unique index, in words.
fn refused_domain(e: rusqlite::Error, source: &crate::Source, domain: &str) -> StoreError {
    match e {
        rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
            StoreError::Refused(format!("{source} domain `{domain}` is another customer's (compared ignoring case)"))
        }
        e => e.into(),
    }
}

impl crate::Customers for SqliteTx<'_> {
    fn customers(&mut self) -> Result<Vec<Customer>> {
        let mut st = self.tx.prepare_cached(&format!("SELECT {CUSTOMER_COLUMNS} FROM customers ORDER BY id"))?;
        let mut list: Vec<Customer> = st.query_and_then([], |r| customer_of(r))?.collect::<Result<_>>()?;
        drop(st);
        let sources = self.registry()?.clone();
        for c in &mut list {
            self.load_plans_of(c, &sources)?;
        }
        Ok(list)
    }

    fn customer(&mut self, id: &str) -> Result<Option<Customer>> {
        let mut st = self.tx.prepare_cached(&format!("SELECT {CUSTOMER_COLUMNS} FROM customers WHERE id = ?1"))?;
        let found = st.query_and_then([id], |r| customer_of(r))?.next().transpose()?;
        drop(st);
        match found {
            Some(mut c) => {
                let sources = self.registry()?.clone();
                self.load_plans_of(&mut c, &sources)?;
                Ok(Some(c))
            }
            None => Ok(None),
        }
    }

    fn save_customer(&mut self, c: &Customer) -> Result<i64> {
        let pk = if c.pk == 0 {
            self.tx.execute(
                "INSERT INTO customers (id, name, timezone, billing_day, currency, email, deck_id, payment_terms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![c.id, c.name, c.timezone, c.billing_day, c.currency, c.email, c.deck, c.payment_terms],
            )?;
            self.tx.last_insert_rowid()
        } else {
            self.tx.execute(
                "UPDATE customers SET id = ?2, name = ?3, timezone = ?4, billing_day = ?5, currency = ?6,
                 email = ?7, deck_id = ?8, payment_terms = ?9 WHERE pk = ?1",
                params![c.pk, c.id, c.name, c.timezone, c.billing_day, c.currency, c.email, c.deck, c.payment_terms],
            )?;
            c.pk
        };
        self.tx.execute("DELETE FROM customer_plans WHERE customer_pk = ?1", [pk])?;
        for (i, plan) in c.plans.iter().enumerate() {
            self.tx.execute(
                "INSERT INTO customer_plans (customer_pk, position, plan_id) VALUES (?1, ?2, ?3)",
                params![pk, i as i64, plan],
            )?;
        }
        // Domains the customer gives up first, so that another customer of the same
        // transaction can take them.
        self.tx.execute("DELETE FROM customer_domains WHERE customer_pk = ?1", [pk])?;
        for (source, domain) in &c.domains {
            self.tx
                .execute(
                    "INSERT INTO customer_domains (customer_pk, source, domain) VALUES (?1, ?2, ?3)",
                    params![pk, source.code(), domain],
                )
                .map_err(|e| refused_domain(e, source, domain))?;
        }
        Ok(pk)
    }

    fn plans(&mut self) -> Result<Vec<Plan>> {
        let mut st = self.tx.prepare_cached(SELECT_PLANS)?;
        let rows = st.query_and_then([], |r| plan_row(r))?;
        plans_of(rows)
    }

    fn save_plan(&mut self, plan: &Plan) -> Result<()> {
        self.tx.execute("INSERT INTO plans (id) VALUES (?1) ON CONFLICT (id) DO NOTHING", [&plan.id])?;
        self.tx.execute("DELETE FROM allowances WHERE plan_id = ?1", [&plan.id])?;
        for (i, a) in plan.allowances.iter().enumerate() {
            let types: Vec<&str> = a.call_types.iter().map(CallType::as_str).collect();
            self.tx.execute(
                "INSERT INTO allowances (plan_id, position, call_types, included_minutes, description)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![plan.id, i as i64, types.join("|"), wide(a.included_minutes), a.description],
            )?;
        }
        Ok(())
    }

    /// The write lock already keeps every other writer out.
    fn customer_for_update(&mut self, id: &str) -> Result<Option<crate::Customer>> {
        self.customer(id)
    }
}
