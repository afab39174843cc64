//! Subscriptions: customers' recurring services (contract-cycle §1, §5, §6). subscriptions.csv
//! is imported after customers and plans; `list` shows them in id order.

use crate::csvfile::CsvFile;
use crate::error::{BillingError, Result};
use crate::import::{tally, validate_id, Summary};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use store::prelude::*;
use store::{Store, StoreTx, Subscription};

pub(crate) const COLUMNS: &[&str] =
    &["id", "customer", "start", "end", "description", "quantity", "unit_price", "plans"];

/// A subscription as `subscriptions list` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubscriptionDoc {
    pub id: String,
    pub customer: String,
    pub start: String,
    /// The last day; `null` when open.
    pub end: Option<String>,
    pub description: String,
    /// Without trailing zeros.
    pub quantity: String,
    /// With 4 decimals.
    pub unit_price: String,
    pub plans: Vec<String>,
}

/// A quantity in ten-thousandths as the contract writes it: without trailing zeros.
pub fn quantity_text(e4: i64) -> String {
    Decimal::new(e4, 4).normalize().to_string()
}

/// A unit price in ten-thousandths as the contract writes it: with 4 decimals.
pub fn unit_price_text(e4: i64) -> String {
    Decimal::new(e4, 4).to_string()
}

impl SubscriptionDoc {
    pub fn of(s: &Subscription) -> SubscriptionDoc {
        SubscriptionDoc {
            id: s.id.clone(),
            customer: s.customer.clone(),
            start: s.start.to_string(),
            end: s.end.map(|d| d.to_string()),
            description: s.description.clone(),
            quantity: quantity_text(s.quantity_e4),
            unit_price: unit_price_text(s.unit_price_e4),
            plans: s.plans.clone(),
        }
    }
}

/// The subscriptions, all or one customer's, in id order.
pub fn list<S: Store>(store: &mut S, customer: Option<&str>) -> Result<Vec<SubscriptionDoc>> {
    let mut tx = store.read()?;
    let customer_pk = match customer {
        Some(id) => Some(tx.customer(id)?.ok_or_else(|| BillingError::UnknownCustomer(id.to_owned()))?.pk),
        None => None,
    };
    Ok(tx.subscriptions(customer_pk)?.iter().map(SubscriptionDoc::of).collect())
}

/// A decimal of at most 4 decimals as written, in ten-thousandths; `positive` refuses 0.
fn parse_e4(text: &str, positive: bool) -> Result<i64, String> {
    let what = if positive { "a decimal > 0" } else { "a decimal ≥ 0" };
    let bad = || format!("`{text}` is not {what} with at most 4 decimals");
    let well_formed = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && text.bytes().filter(|&b| b == b'.').count() <= 1;
    if !well_formed {
        return Err(bad());
    }
    let d: Decimal = text.parse().map_err(|_| bad())?;
    if d.scale() > 4 || (positive && d.is_zero()) {
        return Err(bad());
    }
    let e4 = d.checked_mul(Decimal::new(10_000, 0)).and_then(|v| i64::try_from(v.trunc()).ok());
    e4.ok_or_else(|| format!("`{text}` is too large"))
}

/// Imports subscriptions.csv: a row replaces the subscription of its id (an optional column
/// absent or empty takes its default). All-or-nothing, like every import.
pub fn import<S: Store>(store: &mut S, path: &Path) -> Result<Summary> {
    let f = CsvFile::open(path, COLUMNS, REQUIRED)?;
    let mut tx = store.write()?;
    let sum = import_in(&mut tx, f)?;
    tx.commit()?;
    Ok(sum)
}

const REQUIRED: &[&str] = &["id", "customer", "start", "description", "unit_price"];

/// subscriptions.csv's rows as text (a page's edit of one subscription), in the caller's
/// transaction: checked and saved as an import of them.
pub(crate) fn import_text<T: StoreTx>(tx: &mut T, name: &str, text: String) -> Result<Summary> {
    import_in(tx, CsvFile::from_text(name, text, COLUMNS, REQUIRED)?)
}

fn import_in<T: StoreTx>(tx: &mut T, mut f: CsvFile) -> Result<Summary> {
    let customers: HashMap<String, i64> = tx.customers()?.into_iter().map(|c| (c.id, c.pk)).collect();
    let plans: HashSet<String> = tx.plans()?.into_iter().map(|p| p.id).collect();
    let existing: HashMap<String, Subscription> =
        tx.subscriptions(None)?.into_iter().map(|s| (s.id.clone(), s)).collect();
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut rows: Vec<Subscription> = Vec::new();
    while let Some(line) = f.next_row()? {
        let id = f.cell("id").to_owned();
        if let Err(e) = validate_id("subscription", &id) {
            f.error(line, Some("id"), e);
            continue;
        }
        if let Some(first) = seen.insert(id.clone(), line) {
            f.error(line, Some("id"), format!("subscription `{id}` is also on line {first}"));
            continue;
        }
        let old = existing.get(&id);
        let customer = f.cell("customer");
        let customer_pk = match customers.get(customer) {
            Some(pk) => *pk,
            None => {
                f.error(line, Some("customer"), format!("unknown customer `{customer}` (import customers.csv first)"));
                0
            }
        };
        if let Some(old) = old.filter(|o| customer_pk != 0 && o.customer_pk != customer_pk) {
            let why = format!("subscription `{id}` is customer `{}`'s: its customer cannot change", old.customer);
            f.error(line, Some("customer"), why);
        }
        let date = |column: &str| -> Option<NaiveDate> {
            let text = f.cell(column);
            if text.is_empty() && column == "end" {
                return None;
            }
            match crate::time::parse_date(text) {
                Ok(d) => Some(d),
                Err(e) => {
                    f.error(line, Some(column), e);
                    None
                }
            }
        };
        let start = date("start");
        let end = if f.has("end") { date("end") } else { None };
        if let (Some(s), Some(e)) = (start, end) {
            if e < s {
                f.error(line, Some("end"), format!("the last day {e} is before the first day {s}"));
            }
        }
        let description = f.cell("description").to_owned();
        if description.is_empty() {
            f.error(line, Some("description"), "the description is empty".into());
        }
        let quantity = match f.cell("quantity") {
            "" => Ok(10_000),
            q => parse_e4(q, true),
        };
        let quantity_e4 = quantity.unwrap_or_else(|e| {
            f.error(line, Some("quantity"), e);
            0
        });
        let unit_price_e4 = parse_e4(f.cell("unit_price"), false).unwrap_or_else(|e| {
            f.error(line, Some("unit_price"), e);
            0
        });
        let cell = f.cell("plans");
        let list: Vec<String> =
            if cell.is_empty() { Vec::new() } else { cell.split('|').map(|p| p.trim().to_owned()).collect() };
        let mut once = HashSet::new();
        for p in &list {
            if !plans.contains(p) {
                f.error(line, Some("plans"), format!("unknown plan `{p}` (import plans.csv first)"));
            } else if !once.insert(p) {
                f.error(line, Some("plans"), format!("plan `{p}` is listed twice"));
            }
        }
        if let Some(start) = start {
            rows.push(Subscription {
                pk: old.map_or(0, |o| o.pk),
                id,
                customer_pk,
                customer: old.map_or_else(|| customer.to_owned(), |o| o.customer.clone()),
                start,
                end,
                description,
                quantity_e4,
                unit_price_e4,
                plans: list,
            });
        }
        if f.full() {
            break;
        }
    }
    f.into_result()?;
    let mut sum = Summary::default();
    for s in rows {
        if tally(&mut sum, existing.get(&s.id), &s) {
            tx.save_subscription(&s)?;
        }
    }
    Ok(sum)
}
