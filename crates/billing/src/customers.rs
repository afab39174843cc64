//! The customers and calling plans as stored: `customers list`, `customers show`, `plans list`.

use crate::error::{BillingError, Result};
use crate::import::NumberRow;
use crate::time::format_utc;
use serde::Serialize;
use store::prelude::*;
use store::{Customer, JobQuery, Store};

/// A customer as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CustomerRow {
    pub id: String,
    pub name: String,
    pub timezone: String,
    pub billing_day: u8,
    pub currency: String,
    /// Plan ids in drawing order.
    pub plans: Vec<String>,
    pub deck: Option<String>,
    pub email: Option<String>,
    /// The customer's domain on each metered source it uses.
    pub domains: Vec<DomainRow>,
}

/// A customer's domain on a metered source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DomainRow {
    pub source: String,
    pub domain: String,
}

/// One customer with what is known of it: numbers, syncs and open invoices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CustomerDetail {
    #[serde(flatten)]
    pub customer: CustomerRow,
    /// Phone numbers by source, then number.
    pub numbers: Vec<NumberRow>,
    /// The newest sync of each source the customer has a domain on (none: never synced).
    pub last_syncs: Vec<LastSync>,
    /// Draft invoices, oldest first: open to deletion and to being created again.
    pub open_invoices: Vec<OpenInvoice>,
}

/// The newest sync job of a customer on a source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LastSync {
    pub source: String,
    pub job: i64,
    pub state: &'static str,
    /// When it finished, else when it started (RFC 3339, UTC).
    pub at: String,
    /// The window of call starts it covered, `[from, to)`, RFC 3339 UTC.
    pub from: String,
    pub to: String,
}

/// A draft invoice, in short.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OpenInvoice {
    pub id: String,
    pub from: String,
    pub to: String,
    pub currency: String,
    pub total: String,
}

/// A calling plan as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PlanRow {
    pub id: String,
    pub allowances: Vec<AllowanceRow>,
    /// The customers that draw from it, by id.
    pub customers: Vec<String>,
}

/// One allowance of a plan, in plan order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AllowanceRow {
    pub call_types: Vec<String>,
    pub included_minutes: u64,
    pub description: String,
}

fn row_of(c: &Customer) -> CustomerRow {
    let domains = c
        .domains
        .iter()
        .filter_map(|(s, domain)| {
            let domain = Some(domain.trim()).filter(|d| !d.is_empty())?;
            Some(DomainRow { source: s.name().to_owned(), domain: domain.to_owned() })
        })
        .collect();
    CustomerRow {
        id: c.id.clone(),
        name: c.name.clone(),
        timezone: c.timezone.clone(),
        billing_day: c.billing_day,
        currency: c.currency.clone(),
        plans: c.plans.clone(),
        deck: c.deck.clone(),
        email: c.email.clone(),
        domains,
    }
}

/// Every customer, by id.
pub fn list_customers<S: Store>(store: &mut S) -> Result<Vec<CustomerRow>> {
    let mut customers = store.read()?.customers()?;
    customers.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(customers.iter().map(row_of).collect())
}

/// The customers whose id, name or a domain holds `text` (whatever its case), by id; every
/// customer for an empty text.
pub fn find_customers<S: Store>(store: &mut S, text: &str) -> Result<Vec<CustomerRow>> {
    let text = text.trim().to_lowercase();
    let holds = |s: &str| s.to_lowercase().contains(&text);
    let all = list_customers(store)?;
    Ok(all
        .into_iter()
        .filter(|c| holds(&c.id) || holds(&c.name) || c.domains.iter().any(|d| holds(&d.domain)))
        .collect())
}

/// One customer as listed (its zone, currency and name), without what `show_customer` adds.
pub fn customer_row<S: Store>(store: &mut S, id: &str) -> Result<CustomerRow> {
    let c = store.read()?.customer(id)?.ok_or_else(|| BillingError::UnknownCustomer(id.to_owned()))?;
    Ok(row_of(&c))
}

/// One customer, with its numbers, its last sync on each source and its open invoices.
pub fn show_customer<S: Store>(store: &mut S, id: &str) -> Result<CustomerDetail> {
    let mut tx = store.read()?;
    let c = tx.customer(id)?.ok_or_else(|| BillingError::UnknownCustomer(id.to_owned()))?;
    let customer = row_of(&c);
    let numbers = tx
        .phone_numbers(c.pk)?
        .into_iter()
        .map(|(s, n)| NumberRow { source: s.name().to_owned(), number: n.number, enabled: n.enabled })
        .collect();
    let mut last_syncs = Vec::new();
    for (source, _) in &c.domains {
        let q = JobQuery { customer_pk: Some(c.pk), source: Some(source.clone()), limit: Some(1) };
        if let Some(j) = tx.jobs(&q)?.into_iter().next() {
            last_syncs.push(LastSync {
                source: source.name().to_owned(),
                job: j.id,
                state: j.state.as_str(),
                at: format_utc(j.finished_at.unwrap_or(j.started_at)),
                from: format_utc(j.window_start),
                to: format_utc(j.window_end),
            });
        }
    }
    let mut open_invoices = Vec::new();
    for iid in tx.draft_invoices(c.pk)? {
        if let Some(inv) = tx.invoice(iid)? {
            let (from, to, currency, total) = (inv.from, inv.to, inv.currency, inv.total.to_string());
            open_invoices.push(OpenInvoice { id: iid.to_string(), from, to, currency, total });
        }
    }
    Ok(CustomerDetail { customer, numbers, last_syncs, open_invoices })
}

/// Every calling plan, by id, with the customers that draw from it.
pub fn list_plans<S: Store>(store: &mut S) -> Result<Vec<PlanRow>> {
    let mut tx = store.read()?;
    let mut customers = tx.customers()?;
    customers.sort_by(|a, b| a.id.cmp(&b.id));
    let mut plans = tx.plans()?;
    plans.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(plans
        .into_iter()
        .map(|p| PlanRow {
            customers: customers.iter().filter(|c| c.plans.contains(&p.id)).map(|c| c.id.clone()).collect(),
            allowances: p
                .allowances
                .iter()
                .map(|a| AllowanceRow {
                    call_types: a.call_types.iter().map(|t| t.to_string()).collect(),
                    included_minutes: a.included_minutes,
                    description: a.description.clone(),
                })
                .collect(),
            id: p.id,
        })
        .collect())
}
