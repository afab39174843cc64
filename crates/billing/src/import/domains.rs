//! Customers' domains in customers.csv: the shorthand columns of the platforms' own sources
//! (`netsapiens_domain`, `brightlink_domain`) and `domains` (`source:domain|source:domain`),
//! and the rule that a domain names one customer on its source.

use super::owners::domain_key;
use super::too_long;
use crate::csvfile::CsvFile;
use std::collections::{HashMap, HashSet};
use store::{Customer, Platform, Source};

/// The shorthand columns: each sets the domain on its platform's own source.
const SHORTHANDS: [(&str, Platform); 2] =
    [("netsapiens_domain", Platform::Netsapiens), ("brightlink_domain", Platform::Brightlink)];

/// Sets a row's domains from the file. With a `domains` column, the customer's domains are the
/// ones it lists plus those of non-empty shorthand cells; without it, each shorthand column
/// present sets (or, empty, removes) its source's domain and the others stay.
pub(super) fn read(f: &CsvFile, line: u64, sources: &[Source], c: &mut Customer) {
    if f.has("domains") {
        c.domains.clear();
        let cell = f.cell("domains").trim();
        for item in cell.split('|').filter(|_| !cell.is_empty()) {
            match parse_item(item, sources) {
                Ok((source, _)) if c.domain(&source).is_some() => {
                    let why = format!("source `{source}` is given twice: a customer has one domain per source");
                    f.error(line, Some("domains"), why);
                }
                Ok((source, domain)) => c.set_domain(&source, Some(domain)),
                Err(why) => f.error(line, Some("domains"), why),
            }
        }
    }
    for (col, platform) in SHORTHANDS {
        if !f.has(col) {
            continue;
        }
        let source = Source::default_of(platform);
        let cell = f.cell(col);
        if cell.len() > store::MAX_ID_LEN {
            f.error(line, Some(col), too_long("domain"));
        } else if f.has("domains") && !cell.is_empty() && c.domain(&source).is_some() {
            f.error(line, Some(col), format!("the {source} domain is also given in `domains`: give it once"));
        } else if !cell.is_empty() || !f.has("domains") {
            c.set_domain(&source, (!cell.is_empty()).then(|| cell.to_owned()));
        }
    }
}

/// One `source:domain` item of a `domains` cell.
fn parse_item(item: &str, sources: &[Source]) -> Result<(Source, String), String> {
    let Some((name, domain)) = item.split_once(':') else {
        return Err(format!("`{item}` is not `source:domain`"));
    };
    let (name, domain) = (name.trim(), domain.trim());
    let Some(source) = sources.iter().find(|s| s.name() == name) else {
        let known: Vec<&str> = sources.iter().filter(|s| s.platform() != Platform::File).map(Source::name).collect();
        return Err(format!("unknown source `{name}` (known: {})", known.join(", ")));
    };
    if source.platform() == Platform::File {
        return Err("the file source has no domains: a file's records name their customer".into());
    }
    if domain.is_empty() {
        return Err(format!("the domain of `{name}` is empty"));
    }
    if domain.len() > store::MAX_ID_LEN {
        return Err(too_long("domain"));
    }
    Ok((source.clone(), domain.to_owned()))
}

/// The column of a source's domain in this file: its shorthand when the file has it, else
/// `domains`.
fn column_of(f: &CsvFile, source: &Source) -> &'static str {
    SHORTHANDS.iter().find(|(col, p)| f.has(col) && *source == Source::default_of(*p)).map_or("domains", |(col, _)| col)
}

/// Records an error on each row whose domain on a source is another customer's: a stored
/// customer's that the file does not take from it, or an earlier row's.
pub(super) fn check(f: &CsvFile, existing: &HashMap<String, Customer>, rows: &[(Customer, u64)]) {
    let in_file: HashSet<&str> = rows.iter().map(|(c, _)| c.id.as_str()).collect();
    let mut stored: Vec<&Customer> = existing.values().filter(|c| !in_file.contains(c.id.as_str())).collect();
    stored.sort_by(|a, b| a.id.cmp(&b.id));
    // (source code, domain key) → its customer, and the line when it is the file's.
    let mut owner: HashMap<(i64, String), (&str, Option<u64>)> = HashMap::new();
    for c in &stored {
        for (s, d) in &c.domains {
            owner.entry((s.code(), domain_key(d))).or_insert((&c.id, None));
        }
    }
    for (c, line) in rows {
        for (source, d) in &c.domains {
            let key = (source.code(), domain_key(d));
            let why = match owner.get(&key) {
                None => {
                    owner.insert(key, (&c.id, Some(*line)));
                    continue;
                }
                Some((other, Some(first))) => format!("`{d}` is also customer `{other}`'s, on line {first}"),
                Some((other, None)) => format!("`{d}` is customer `{other}`'s already"),
            };
            let col = column_of(f, source);
            f.error(
                *line,
                Some(col),
                format!("{why} on {source}: a domain names one customer (compared ignoring case)"),
            );
        }
    }
}
