//! rates.csv

use super::Summary;
use crate::csvfile::CsvFile;
use crate::error::Result;
use crate::time::parse_instant_or_date;
use rating::number::Prefix;
use rating::{CallType, Increments, Owner, Price, Rate, Window};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use store::prelude::*;
use store::{Store, StoreTx};

const COLUMNS: &[&str] = &[
    "call_type",
    "rate",
    "prefix",
    "connection_fee",
    "initial_increment",
    "subsequent_increment",
    "effective_from",
    "effective_to",
    "customer",
    "description",
    "deck",
    "local_prefix",
];

/// Where a rate of the working deck comes from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Origin {
    Stored,
    Line(u64),
}

struct Entry {
    rate: Rate,
    origin: Origin,
    /// A stored rate whose window this file closes.
    closed: bool,
}

impl Entry {
    fn describe(&self) -> String {
        match self.origin {
            Origin::Stored => format!("the stored rate #{} ({})", self.rate.id, self.rate.owner),
            Origin::Line(l) => format!("the rate on line {l}"),
        }
    }
}

type SlotKey = (CallType, Prefix, Prefix, Owner);

/// The customers and named decks a rate may belong to.
struct Owners {
    customers: HashSet<String>,
    decks: HashSet<String>,
}

/// Adds a file's rates to the deck, row by row: duplicates are skipped, a row that only adds an
/// end to an open-ended rate closes it, and a row that conflicts with another (same call type,
/// prefix, local prefix and owner, overlapping window) rejects the file. A row belongs to the
/// default deck, a named deck (`deck`) or a customer (`customer`).
pub fn import_rates<S: Store>(store: &mut S, path: &Path) -> Result<Summary> {
    import(store, CsvFile::open(path, COLUMNS, &["call_type", "rate"])?)
}

/// [`import_rates`] of a file already in memory (an upload): `name` is how its errors name it.
pub fn import_rates_from<S: Store>(store: &mut S, name: &str, bytes: Vec<u8>) -> Result<Summary> {
    let size = bytes.len() as u64;
    let reader = Box::new(std::io::Cursor::new(bytes));
    import(store, CsvFile::from_reader(name, reader, size, COLUMNS, &["call_type", "rate"])?)
}

fn import<S: Store>(store: &mut S, mut f: CsvFile) -> Result<Summary> {
    let mut tx = store.write()?;
    let owners = Owners {
        customers: tx.customers()?.into_iter().map(|c| c.id).collect(),
        decks: tx.decks()?.into_iter().map(|d| d.id).collect(),
    };
    let mut deck: Vec<Entry> = Vec::new();
    let mut slots: HashMap<SlotKey, Vec<usize>> = HashMap::new();
    for rate in tx.rates()? {
        slots.entry(slot(&rate)).or_default().push(deck.len());
        deck.push(Entry { rate, origin: Origin::Stored, closed: false });
    }
    let mut sum = Summary::default();
    while let Some(line) = f.next_row()? {
        let Some(rate) = parse_row(&f, line, &owners) else { continue };
        let list = slots.entry(slot(&rate)).or_default();
        if list.iter().any(|&i| deck[i].rate.same_terms(&rate)) {
            sum.duplicates += 1;
            continue;
        }
        let closes = list.iter().copied().find(|&i| {
            let old = &deck[i].rate;
            old.window.to.is_none()
                && rate.window.to.is_some()
                && old.window.from == rate.window.from
                && old.price == rate.price
                && old.connection_fee == rate.connection_fee
                && old.increments == rate.increments
        });
        if let Some(i) = closes {
            deck[i].rate.window.to = rate.window.to;
            deck[i].closed = deck[i].origin == Origin::Stored;
            sum.updated += 1;
            continue;
        }
        if let Some(&i) = list.iter().find(|&&i| deck[i].rate.conflicts_with(&rate)) {
            let other = deck[i].describe();
            f.error(
                line,
                None,
                format!(
                    "conflicts with {other}: same call type, prefix, local prefix and owner with overlapping windows"
                ),
            );
            continue;
        }
        list.push(deck.len());
        deck.push(Entry { rate, origin: Origin::Line(line), closed: false });
        sum.imported += 1;
        if f.full() {
            break;
        }
    }
    f.into_result()?;
    for e in deck.iter().filter(|e| e.origin == Origin::Stored && e.closed) {
        if let Some(to) = e.rate.window.to {
            tx.close_rate(e.rate.id, to)?;
        }
    }
    let new: Vec<Rate> = deck.into_iter().filter(|e| e.origin != Origin::Stored).map(|e| e.rate).collect();
    tx.insert_rates(&new)?;
    tx.commit()?;
    Ok(sum)
}

fn slot(r: &Rate) -> SlotKey {
    (r.call_type.clone(), r.prefix.clone(), r.local_prefix.clone(), r.owner.clone())
}

/// Parses one row into a rate, reporting each bad cell; `None` if any was bad.
fn parse_row(f: &CsvFile, line: u64, owners: &Owners) -> Option<Rate> {
    let before = f.error_count();
    let bad = |f: &CsvFile, col: &str, msg: String| f.error(line, Some(col), msg);
    let call_type = CallType::parse(f.cell("call_type")).map_err(|e| bad(f, "call_type", e.to_string())).ok();
    let price = Price::parse(f.cell("rate")).map_err(|e| bad(f, "rate", e.to_string())).ok();
    let fee = match f.cell("connection_fee") {
        "" => Some(Price::ZERO),
        v => Price::parse(v).map_err(|e| bad(f, "connection_fee", e.to_string())).ok(),
    };
    let prefix = Prefix::parse(f.cell("prefix")).map_err(|e| bad(f, "prefix", e.to_string())).ok();
    let local_prefix = Prefix::parse(f.cell("local_prefix")).map_err(|e| bad(f, "local_prefix", e.to_string())).ok();
    let increment = |f: &CsvFile, col: &str| match f.cell(col) {
        "" => Some(60),
        v => Increments::parse_one(v).map_err(|e| bad(f, col, e.to_string())).ok(),
    };
    let initial = increment(f, "initial_increment");
    let subsequent = increment(f, "subsequent_increment");
    let bound = |f: &CsvFile, col: &str| match f.cell(col) {
        "" => Some(None),
        v => parse_instant_or_date(v).map(Some).map_err(|e| bad(f, col, e)).ok(),
    };
    let from = bound(f, "effective_from");
    let to = bound(f, "effective_to");
    if let (Some(Some(a)), Some(Some(b))) = (from, to) {
        if a >= b {
            bad(f, "effective_to", "effective_to must be after effective_from".into());
        }
    }
    let owner = match (f.cell("customer"), f.cell("deck")) {
        ("", "" | "default") => Owner::Default,
        ("", deck) if owners.decks.contains(deck) => Owner::Deck(deck.to_owned()),
        ("", deck) => {
            bad(f, "deck", format!("unknown deck `{deck}` (import decks.csv first)"));
            Owner::Default
        }
        (id, "") if owners.customers.contains(id) => Owner::Customer(id.to_owned()),
        (id, "") => {
            bad(f, "customer", format!("unknown customer `{id}` (import customers.csv first)"));
            Owner::Default
        }
        (_, _) => {
            bad(f, "deck", "a rate belongs to a deck or to a customer, not both".into());
            Owner::Default
        }
    };
    if f.error_count() != before || f.full() {
        return None;
    }
    Some(Rate {
        id: 0,
        call_type: call_type?,
        prefix: prefix?,
        local_prefix: local_prefix?,
        owner,
        window: Window { from: from?, to: to? },
        price: price?,
        connection_fee: fee?,
        increments: Increments::new(initial?, subsequent?)?,
        description: f.cell("description").to_owned(),
    })
}
