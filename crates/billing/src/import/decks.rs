//! decks.csv and localcalling.csv

use super::{tally, validate_id, Summary};
use crate::csvfile::CsvFile;
use crate::error::Result;
use rating::NpaNxx;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use store::prelude::*;
use store::{Deck, Store, StoreTx};

/// Imports named decks: new ids are added, existing ones updated. `default` cannot be named:
/// the default deck always exists.
pub fn import_decks<S: Store>(store: &mut S, path: &Path) -> Result<Summary> {
    let mut f = CsvFile::open(path, &["deck", "description"], &["deck"])?;
    let mut decks: Vec<Deck> = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    while let Some(line) = f.next_row()? {
        let id = f.cell("deck");
        if id.eq_ignore_ascii_case("default") {
            f.error(line, Some("deck"), format!("`{id}`: the default deck always exists and cannot be imported"));
        } else if let Err(e) = validate_id("deck", id) {
            f.error(line, Some("deck"), e);
        } else if let Some(first) = seen.insert(id.to_owned(), line) {
            f.error(line, Some("deck"), format!("deck `{id}` is also on line {first}"));
        } else {
            decks.push(Deck { id: id.to_owned(), description: f.cell("description").to_owned() });
        }
        if f.full() {
            break;
        }
    }
    let has_description = f.has("description");
    f.into_result()?;
    let mut tx = store.write()?;
    let existing: HashMap<String, Deck> = tx.decks()?.into_iter().map(|d| (d.id.clone(), d)).collect();
    let mut sum = Summary::default();
    for mut d in decks {
        // As for every import, a column absent from the file keeps the stored value.
        if !has_description {
            if let Some(old) = existing.get(&d.id) {
                d.description = old.description.clone();
            }
        }
        if tally(&mut sum, existing.get(&d.id), &d) {
            tx.save_deck(&d)?;
        }
    }
    tx.commit()?;
    Ok(sum)
}

/// Replaces the local calling table with the file's pairs; a pair repeated in the file counts
/// as a duplicate.
pub fn import_local_calling<S: Store>(store: &mut S, path: &Path) -> Result<Summary> {
    let mut f = CsvFile::open(path, &["npa_nxx", "local_npa_nxx"], &["npa_nxx", "local_npa_nxx"])?;
    let mut pairs: Vec<(NpaNxx, NpaNxx)> = Vec::new();
    let mut seen: HashSet<(NpaNxx, NpaNxx)> = HashSet::new();
    let mut sum = Summary::default();
    while let Some(line) = f.next_row()? {
        let parse = |col: &str| NpaNxx::parse(f.cell(col)).map_err(|e| f.error(line, Some(col), e.to_string())).ok();
        let (a, b) = (parse("npa_nxx"), parse("local_npa_nxx"));
        if let (Some(a), Some(b)) = (a, b) {
            if seen.insert((a, b)) {
                pairs.push((a, b));
                sum.imported += 1;
            } else {
                sum.duplicates += 1;
            }
        }
        if f.full() {
            break;
        }
    }
    f.into_result()?;
    let mut tx = store.write()?;
    tx.replace_local_calling(&pairs)?;
    tx.commit()?;
    Ok(sum)
}
