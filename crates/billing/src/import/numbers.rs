//! numbers.csv: customers' phone numbers on the `file` source, and the listing of a customer's numbers.

use super::rules::number_key;
use super::Summary;
use crate::csvfile::CsvFile;
use crate::error::{BillingError, Result};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use store::prelude::*;
use store::{PhoneNumber, Source, Store, StoreTx};

const COLUMNS: &[&str] = &["customer", "number", "enabled"];

/// The numbers of one customer in the file: in file order, and by key with their line.
#[derive(Default)]
struct Listed {
    numbers: Vec<PhoneNumber>,
    lines: HashMap<String, (u64, bool)>,
}

/// Replaces the `file`-source numbers of each customer the file names with the file's. The
/// summary counts the numbers now stored as `imported`, and rows repeating a number of the same
/// customer (compared as the direction rule compares them) as `duplicates`.
pub fn import_numbers<S: Store>(store: &mut S, path: &Path) -> Result<Summary> {
    let mut f = CsvFile::open(path, COLUMNS, &["customer", "number"])?;
    let mut tx = store.write()?;
    let customers: HashMap<String, i64> = tx.customers()?.into_iter().map(|c| (c.id, c.pk)).collect();
    let mut files: BTreeMap<i64, Listed> = BTreeMap::new();
    let mut sum = Summary::default();
    while let Some(line) = f.next_row()? {
        let before = f.error_count();
        let id = f.cell("customer");
        let pk = match customers.get(id) {
            Some(pk) => Some(*pk),
            None if id.is_empty() => {
                f.error(line, Some("customer"), "the customer is empty".into());
                None
            }
            None => {
                f.error(line, Some("customer"), format!("unknown customer `{id}`"));
                None
            }
        };
        let number = f.cell("number");
        let digits = number.strip_prefix('+').unwrap_or(number);
        if digits.is_empty() || digits.len() > 32 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            f.error(
                line,
                Some("number"),
                format!("`{number}` is not a phone number (up to 32 digits, optional leading +)"),
            );
        }
        let v = f.cell("enabled");
        let enabled = match v.to_ascii_lowercase().as_str() {
            "" | "yes" | "true" | "1" => Some(true),
            "no" | "false" | "0" => Some(false),
            _ => {
                f.error(line, Some("enabled"), format!("`{v}` is not yes, no, true, false, 1 or 0"));
                None
            }
        };
        let (Some(pk), Some(enabled), Some(key)) = (pk, enabled, number_key(number)) else { continue };
        if f.error_count() != before {
            continue;
        }
        let listed = files.entry(pk).or_default();
        match listed.lines.get(&key) {
            Some((_, first)) if *first == enabled => sum.duplicates += 1,
            Some((first_line, _)) => f.error(
                line,
                Some("enabled"),
                format!("number `{number}` is also on line {first_line} with the other `enabled` value"),
            ),
            None => {
                listed.lines.insert(key, (line, enabled));
                listed.numbers.push(PhoneNumber { number: number.to_owned(), enabled });
            }
        }
        if f.full() {
            break;
        }
    }
    f.into_result()?;
    for (pk, listed) in &files {
        tx.replace_phone_numbers(*pk, &Source::file(), &listed.numbers)?;
        sum.imported += listed.numbers.len() as u64;
    }
    tx.commit()?;
    Ok(sum)
}

/// One phone number of a customer, as `numbers list` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct NumberRow {
    pub source: String,
    pub number: String,
    pub enabled: bool,
}

/// A customer's phone numbers on every source, by source then number.
pub fn list_numbers<S: Store>(store: &mut S, customer: &str) -> Result<Vec<NumberRow>> {
    let mut tx = store.read()?;
    let c = tx.customer(customer)?.ok_or_else(|| BillingError::UnknownCustomer(customer.to_owned()))?;
    let rows = tx.phone_numbers(c.pk)?;
    Ok(rows
        .into_iter()
        .map(|(s, n)| NumberRow { source: s.name().to_owned(), number: n.number, enabled: n.enabled })
        .collect())
}
