//! cdrs.csv: streamed, validated row by row, written in batches inside one transaction.

use super::owners::Customers;
use super::stream::{check_repeated, expecting_new, import_rows, parse_call_type, RowParser, SeenIds};
use super::Summary;
use crate::csvfile::CsvFile;
use crate::error::Result;
use crate::record::{check_call, CallFields};
use crate::time::parse_timestamp;
use crate::Progress;
use rating::Direction;
use std::path::Path;
use store::{NewCall, Source, Store};

const COLUMNS: &[&str] = &["id", "start", "duration", "direction", "from", "to", "customer", "domain", "call_type"];

/// Imports call records from `source`. All-or-nothing: with any bad row nothing is written.
pub fn import_cdrs<S: Store>(store: &mut S, path: &Path, source: Source, progress: &dyn Progress) -> Result<Summary> {
    let _span = tracing::info_span!("cdrs.import", file = %path.display(), %source).entered();
    expecting_new(|writes| {
        let f = CsvFile::open(path, COLUMNS, &["id", "start", "duration", "direction", "to"])?;
        if !f.has("customer") && !f.has("domain") {
            f.error(1, Some("customer"), "required column is missing (or give `domain`)".into());
        }
        let mut tx = store.write_usage()?;
        let customers = Customers::load(&mut tx, &source)?;
        import_rows(tx, f, &CdrsRows { source: source.clone(), customers }, progress, writes)
    })
}

/// The rows of meter's own cdrs.csv.
struct CdrsRows {
    source: Source,
    customers: Customers,
}

impl RowParser for CdrsRows {
    fn parse(&self, f: &CsvFile, line: u64, seen: &mut SeenIds) -> Option<NewCall> {
        parse_row(f, line, &self.source, &self.customers, seen)
    }
}

fn parse_row(f: &CsvFile, line: u64, source: &Source, customers: &Customers, seen: &mut SeenIds) -> Option<NewCall> {
    let before = f.error_count();
    let id = f.cell("id");
    check_repeated(id, line, seen, |reason| f.error(line, Some("id"), reason));
    let start = parse_timestamp(f.cell("start")).map_err(|e| f.error(line, Some("start"), e)).ok();
    for bad in check_call(&CallFields { id, start, from: f.cell("from"), to: f.cell("to") }) {
        f.error(line, Some(bad.field.name()), bad.reason);
    }
    let d = f.cell("duration");
    let duration = match d.parse::<i64>() {
        Ok(n) if n < 0 => {
            f.error(line, Some("duration"), format!("`{d}` is negative: a duration is whole seconds ≥ 0"));
            None
        }
        Ok(n) => u32::try_from(n).map_err(|_| f.error(line, Some("duration"), format!("`{d}` is too large"))).ok(),
        Err(_) => {
            f.error(line, Some("duration"), format!("`{d}` is not a whole number of seconds"));
            None
        }
    };
    let dir = f.cell("direction");
    let direction =
        dir.to_ascii_lowercase().parse::<Direction>().map_err(|e| f.error(line, Some("direction"), e.to_string())).ok();
    let call_type = parse_call_type(f.cell("call_type"), |reason| f.error(line, Some("call_type"), reason));
    let customer_pk = customers
        .resolve(f.cell("customer"), f.cell("domain"))
        .map_err(|(col, msg)| f.error(line, Some(col), msg))
        .ok();
    if f.error_count() != before || f.full() {
        return None;
    }
    Some(NewCall {
        source: source.clone(),
        source_call_id: id.to_owned(),
        customer_pk: customer_pk?,
        start: start?,
        duration: duration?,
        direction: direction?,
        from: f.cell("from").to_owned(),
        to: f.cell("to").to_owned(),
        call_type: call_type?,
    })
}
