//! customers.csv

use super::owners::domain_key;
use super::{tally, too_long, validate_id, Summary};
use crate::csvfile::CsvFile;
use crate::error::Result;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use store::{Customer, Source, Store, StoreTx};

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
];

fn optional(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

/// Imports customers: new ids are added, existing ones updated. Columns absent from the file
/// keep their values; an empty cell means the default.
pub fn import_customers<S: Store>(store: &mut S, path: &Path) -> Result<Summary> {
    let mut f = CsvFile::open(path, COLUMNS, &["id", "name"])?;
    let mut tx = store.write()?;
    let existing: HashMap<String, Customer> = tx.customers()?.into_iter().map(|c| (c.id.clone(), c)).collect();
    let plans: HashSet<String> = tx.plans()?.into_iter().map(|p| p.id).collect();
    let decks: HashSet<String> = tx.decks()?.into_iter().map(|d| d.id).collect();
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
        c.name = f.cell("name").to_owned();
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
        for (col, field) in [
            ("netsapiens_domain", &mut c.netsapiens_domain),
            ("brightlink_domain", &mut c.brightlink_domain),
            ("email", &mut c.email),
        ] {
            if f.has(col) {
                *field = optional(f.cell(col));
            }
        }
        // A domain names the customer on its platform: an id, kept within the ids' maximum.
        for col in ["netsapiens_domain", "brightlink_domain"] {
            if f.cell(col).len() > store::MAX_ID_LEN {
                f.error(line, Some(col), too_long("domain"));
            }
        }
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
    check_domains(&f, &existing, &rows);
    f.into_result()?;
    let mut sum = Summary::default();
    for (c, _) in rows {
        if tally(&mut sum, existing.get(&c.id), &c) {
            tx.save_customer(&c)?;
        }
    }
    tx.commit()?;
    Ok(sum)
}

/// Records an error on each row whose domain on a source is another customer's: a stored
/// customer's that the file does not take from it, or an earlier row's. A source whose column
/// the file lacks keeps its stored domains and is not checked here (`db check` reports clashes
/// made before this rule).
fn check_domains(f: &CsvFile, existing: &HashMap<String, Customer>, rows: &[(Customer, u64)]) {
    let in_file: HashSet<&str> = rows.iter().map(|(c, _)| c.id.as_str()).collect();
    let mut stored: Vec<&Customer> = existing.values().filter(|c| !in_file.contains(c.id.as_str())).collect();
    stored.sort_by(|a, b| a.id.cmp(&b.id));
    for (source, col) in [(Source::Netsapiens, "netsapiens_domain"), (Source::Brightlink, "brightlink_domain")] {
        if !f.has(col) {
            continue;
        }
        // Domain key → its customer, and the line when it is the file's.
        let mut owner: HashMap<String, (&str, Option<u64>)> = HashMap::new();
        for c in &stored {
            if let Some(d) = c.domain(source) {
                owner.entry(domain_key(d)).or_insert((&c.id, None));
            }
        }
        for (c, line) in rows {
            let Some(d) = c.domain(source) else { continue };
            let why = match owner.get(&domain_key(d)) {
                None => {
                    owner.insert(domain_key(d), (&c.id, Some(*line)));
                    continue;
                }
                Some((other, Some(first))) => format!("`{d}` is also customer `{other}`'s, on line {first}"),
                Some((other, None)) => format!("`{d}` is customer `{other}`'s already"),
            };
            f.error(*line, Some(col), format!("{why}: a domain names one customer (compared ignoring case)"));
        }
    }
}
