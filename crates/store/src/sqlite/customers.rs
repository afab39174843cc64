//! Customers and calling plans.

use super::{narrow, wide, SqliteTx};
use crate::{Customer, Plan, PlanAllowance, Result, StoreError};
use rating::CallType;
use rusqlite::{params, OptionalExtension, Row};

const CUSTOMER_COLUMNS: &str = "pk, id, name, timezone, billing_day, currency, email, deck_id";

fn customer_of(row: &Row<'_>) -> rusqlite::Result<Customer> {
    Ok(Customer {
        pk: row.get(0)?,
        id: row.get(1)?,
        name: row.get(2)?,
        timezone: row.get(3)?,
        billing_day: row.get(4)?,
        currency: row.get(5)?,
        plans: Vec::new(),
        deck: row.get(7)?,
        domains: Vec::new(),
        email: row.get(6)?,
    })
}

impl SqliteTx<'_> {
    /// The customer's plans and domains.
    fn load_plans_of(&mut self, c: &mut Customer) -> Result<()> {
        let mut st =
            self.tx.prepare_cached("SELECT plan_id FROM customer_plans WHERE customer_pk = ?1 ORDER BY position")?;
        c.plans = st.query_map([c.pk], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        drop(st);
        let mut st = self.tx.prepare_cached("SELECT source, domain FROM customer_domains WHERE customer_pk = ?1")?;
        let rows: Vec<(i64, String)> =
            st.query_map([c.pk], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
        drop(st);
        let sources = self.registry()?;
        c.domains = rows.into_iter().map(|(code, d)| Ok((sources.get(code)?, d))).collect::<Result<_>>()?;
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
        let mut list: Vec<Customer> = st.query_map([], customer_of)?.collect::<rusqlite::Result<_>>()?;
        drop(st);
        for c in &mut list {
            self.load_plans_of(c)?;
        }
        Ok(list)
    }

    fn customer(&mut self, id: &str) -> Result<Option<Customer>> {
        let mut st = self.tx.prepare_cached(&format!("SELECT {CUSTOMER_COLUMNS} FROM customers WHERE id = ?1"))?;
        let found = st.query_row([id], customer_of).optional()?;
        drop(st);
        match found {
            Some(mut c) => {
                self.load_plans_of(&mut c)?;
                Ok(Some(c))
            }
            None => Ok(None),
        }
    }

    fn save_customer(&mut self, c: &Customer) -> Result<i64> {
        let pk = if c.pk == 0 {
            self.tx.execute(
                "INSERT INTO customers (id, name, timezone, billing_day, currency, email, deck_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![c.id, c.name, c.timezone, c.billing_day, c.currency, c.email, c.deck],
            )?;
            self.tx.last_insert_rowid()
        } else {
            self.tx.execute(
                "UPDATE customers SET id = ?2, name = ?3, timezone = ?4, billing_day = ?5, currency = ?6,
                 email = ?7, deck_id = ?8 WHERE pk = ?1",
                params![c.pk, c.id, c.name, c.timezone, c.billing_day, c.currency, c.email, c.deck],
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
        let mut st = self.tx.prepare_cached(
            "SELECT p.id, a.call_types, a.included_minutes, a.description
             FROM plans p LEFT JOIN allowances a ON a.plan_id = p.id ORDER BY p.id, a.position",
        )?;
        let mut rows = st.query([])?;
        let mut plans: Vec<Plan> = Vec::new();
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            if plans.last().is_none_or(|p| p.id != id) {
                plans.push(Plan { id, allowances: Vec::new() });
            }
            let types: Option<String> = r.get(1)?;
            if let (Some(types), Some(plan)) = (types, plans.last_mut()) {
                let call_types = types
                    .split('|')
                    .map(|t| CallType::parse(t).map_err(|e| StoreError::Corrupt(e.to_string())))
                    .collect::<Result<_>>()?;
                plan.allowances.push(PlanAllowance {
                    call_types,
                    included_minutes: narrow(r.get(2)?, "allowances.included_minutes")?,
                    description: r.get(3)?,
                });
            }
        }
        Ok(plans)
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
