//! customers.csv

use super::{domains, tally, validate_id, Summary};
use crate::csvfile::CsvFile;
use crate::error::Result;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use store::{Customer, Store, StoreTx};

const COLUMNS: &[&str] = &[
    "id",
    "name",
    "timezone",
    "billing_day",
    "currency",
    "plans",
    "netsapiens_domain",
    "brightlink_domain",
    "email",
    "deck",
    "domains",
    "payment_terms",
];

fn optional(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

/// Imports customers: new ids are added, existing ones updated. Columns absent from the file
/// keep their values; an empty cell means the default.
pub fn import_customers<S: Store>(store: &mut S, path: &Path) -> Result<Summary> {
    let f = CsvFile::open(path, COLUMNS, &["id", "name"])?;
    let mut tx = store.write()?;
    let sum = import_customers_in(&mut tx, f)?;
    tx.commit()?;
    Ok(sum)
}

/// customers.csv's rows as text (a page's edit of one customer), in the caller's transaction:
/// checked and saved as an import of them. Only `id` is required: a column absent keeps its
/// value, the name too.
pub(crate) fn import_customers_text<T: StoreTx>(tx: &mut T, name: &str, text: String) -> Result<Summary> {
    import_customers_in(tx, CsvFile::from_text(name, text, COLUMNS, &["id"])?)
}

fn import_customers_in<T: StoreTx>(tx: &mut T, mut f: CsvFile) -> Result<Summary> {
    let existing: HashMap<String, Customer> = tx.customers()?.into_iter().map(|c| (c.id.clone(), c)).collect();
    let plans: HashSet<String> = tx.plans()?.into_iter().map(|p| p.id).collect();
    let decks: HashSet<String> = tx.decks()?.into_iter().map(|d| d.id).collect();
    let sources = tx.sources()?;
    let mut seen: HashMap<String, u64> = HashMap::new();
    // Each customer of the file with its line.
    let mut rows: Vec<(Customer, u64)> = Vec::new();
    while let Some(line) = f.next_row()? {
        let id = f.cell("id").to_owned();
        if let Err(e) = validate_id("customer", &id) {
            f.error(line, Some("id"), e);
            continue;
        }
        if let Some(first) = seen.insert(id.clone(), line) {
            f.error(line, Some("id"), format!("customer `{id}` is also on line {first}"));
            continue;
        }
        let mut c = existing.get(&id).cloned().unwrap_or_else(|| Customer::new(&id, ""));
        // A file always has the column (it is required); an edit may keep the name.
        if f.has("name") {
            c.name = f.cell("name").to_owned();
        }
        if c.name.is_empty() {
            f.error(line, Some("name"), "the name is empty".into());
        }
        if f.has("timezone") {
            let tz = f.cell("timezone");
            c.timezone = if tz.is_empty() { "UTC".into() } else { tz.to_owned() };
            if let Err(e) = crate::time::parse_zone(&c.timezone) {
                f.error(line, Some("timezone"), e);
            }
        }
        if f.has("billing_day") {
            let v = f.cell("billing_day");
            match if v.is_empty() { Ok(1) } else { v.parse::<u8>() } {
                Ok(d) if (1..=31).contains(&d) => c.billing_day = d,
                _ => f.error(line, Some("billing_day"), format!("`{v}` is not a day of the month (1-31)")),
            }
        }
        if f.has("currency") {
            let v = f.cell("currency");
            c.currency = if v.is_empty() { "USD".into() } else { v.to_owned() };
            if c.currency.len() != 3 || !c.currency.bytes().all(|b| b.is_ascii_uppercase()) {
                f.error(line, Some("currency"), format!("`{v}` is not an ISO 4217 code (like USD)"));
            }
        }
        if f.has("plans") {
            let v = f.cell("plans");
            c.plans = if v.is_empty() { Vec::new() } else { v.split('|').map(|p| p.trim().to_owned()).collect() };
            let mut once = HashSet::new();
            for p in &c.plans {
                if !plans.contains(p) {
                    f.error(line, Some("plans"), format!("unknown plan `{p}` (import plans.csv first)"));
                } else if !once.insert(p) {
                    f.error(line, Some("plans"), format!("plan `{p}` is listed twice"));
                }
            }
        }
        if f.has("deck") {
            c.deck = match f.cell("deck") {
                "" => None,
                "default" => {
                    f.error(line, Some("deck"), "the default deck applies to everyone and cannot be assigned".into());
                    None
                }
                d if decks.contains(d) => Some(d.to_owned()),
                d => {
                    f.error(line, Some("deck"), format!("unknown deck `{d}` (import decks.csv first)"));
                    None
                }
            };
        }
        if f.has("payment_terms") {
            let v = f.cell("payment_terms");
            match if v.is_empty() { Ok(None) } else { v.parse::<u32>().map(Some) } {
                Ok(days) if days.is_none_or(|d| d <= 36_500) => c.payment_terms = days,
                _ => f.error(line, Some("payment_terms"), format!("`{v}` is not a whole number of days ≥ 0")),
            }
        }
        if f.has("email") {
            c.email = optional(f.cell("email"));
        }
        domains::read(&f, line, &sources, &mut c);
        if let Some(e) = &c.email {
            if !e.contains('@') {
                f.error(line, Some("email"), format!("`{e}` is not an e-mail address"));
            }
        }
        rows.push((c, line));
        if f.full() {
            break;
        }
    }
    domains::check(&f, &existing, &rows);
    f.into_result()?;
    // Customers first give up the domains they lose, so that one of them may move to another
    // customer of the file saved before it (a domain names one customer at every step).
    for (c, _) in &rows {
        if let Some(old) = existing.get(&c.id).filter(|old| old.domains != c.domains) {
            let mut kept = old.clone();
            kept.domains.retain(|d| c.domains.contains(d));
            tx.save_customer(&kept)?;
        }
    }
    let mut sum = Summary::default();
    for (c, _) in rows {
        if tally(&mut sum, existing.get(&c.id), &c) {
            tx.save_customer(&c)?;
        }
    }
    Ok(sum)
}
