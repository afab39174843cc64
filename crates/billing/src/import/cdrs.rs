//! cdrs.csv: streamed, validated row by row, written in batches inside one transaction.

use super::Summary;
use crate::csvfile::CsvFile;
use crate::error::BillingError;
use crate::error::Result;
use crate::time::parse_timestamp;
use crate::Progress;
use hashbrown::HashTable;
use rating::{CallType, Direction};
use std::hash::BuildHasher;
use std::path::Path;
use std::sync::mpsc::SyncSender;
use store::{CallOutcome, NewCall, Source, Store, StoreTx};

const COLUMNS: &[&str] = &["id", "start", "duration", "direction", "from", "to", "customer", "domain", "call_type"];

/// Rows written per store call.
const BATCH: usize = 4096;

/// How a row names its customer.
struct Customers {
    by_id: std::collections::HashMap<String, i64>,
    /// Lower-cased domain → customer pks that have it on the sources searched.
    by_domain: std::collections::HashMap<String, Vec<(i64, String)>>,
}

impl Customers {
    fn load<T: StoreTx>(tx: &mut T, source: Source) -> Result<Customers> {
        let mut by_id = std::collections::HashMap::new();
        let mut by_domain: std::collections::HashMap<String, Vec<(i64, String)>> = Default::default();
        for c in tx.customers()? {
            let sources: &[Source] = if source == Source::File { &Source::ALL } else { std::slice::from_ref(&source) };
            for s in sources {
                if let Some(d) = c.domain(*s) {
                    let list = by_domain.entry(d.to_lowercase()).or_default();
                    if !list.iter().any(|(pk, _)| *pk == c.pk) {
                        list.push((c.pk, c.id.clone()));
                    }
                }
            }
            by_id.insert(c.id, c.pk);
        }
        Ok(Customers { by_id, by_domain })
    }

    fn resolve(&self, customer: &str, domain: &str) -> std::result::Result<i64, (&'static str, String)> {
        if !customer.is_empty() {
            return self.by_id.get(customer).copied().ok_or(("customer", format!("unknown customer `{customer}`")));
        }
        if domain.is_empty() {
            return Err(("customer", "neither customer nor domain is given".into()));
        }
        match self.by_domain.get(&domain.to_lowercase()).map(Vec::as_slice) {
            Some([(pk, _)]) => Ok(*pk),
            Some(many) if many.len() > 1 => {
                let ids: Vec<&str> = many.iter().map(|(_, id)| id.as_str()).collect();
                Err(("domain", format!("domain `{domain}` belongs to several customers: {}", ids.join(", "))))
            }
            _ => Err(("domain", format!("no customer has domain `{domain}`"))),
        }
    }
}

/// Imports call records from `source`. All-or-nothing: with any bad row nothing is written.
///
/// The file is parsed and checked on one thread while the store writes batches on the calling
/// thread, inside one transaction, so that parsing and writing overlap on two cores.
pub fn import_cdrs<S: Store>(store: &mut S, path: &Path, source: Source, progress: &dyn Progress) -> Result<Summary> {
    let _span = tracing::info_span!("cdrs.import", file = %path.display(), %source).entered();
    let f = CsvFile::open(path, COLUMNS, &["id", "start", "duration", "direction", "to"])?;
    if !f.has("customer") && !f.has("domain") {
        f.error(1, Some("customer"), "required column is missing (or give `domain`)".into());
    }
    let mut tx = store.write_usage()?;
    let customers = Customers::load(&mut tx, source)?;
    progress.start(f.size());
    let (send, receive) = std::sync::mpsc::sync_channel::<Vec<NewCall>>(4);
    let mut sum = Summary::default();
    let (parsed, written) = std::thread::scope(|scope| {
        let parser = std::thread::Builder::new()
            .name("cdrs-parser".into())
            .spawn_scoped(scope, move || parse_file(f, source, &customers, progress, send));
        let mut outcomes: Vec<CallOutcome> = Vec::with_capacity(BATCH);
        let mut written: Result<()> = Ok(());
        for mut batch in receive {
            // After a store error keep draining so that the parser finishes.
            if written.is_ok() {
                written = write(&mut tx, &mut batch, &mut outcomes, &mut sum);
            }
        }
        (parser.map(|p| p.join()), written)
    });
    let stopped = |reason: String| BillingError::Read { file: path.display().to_string(), reason };
    let f = parsed
        .map_err(|e| stopped(format!("cannot start the parser thread: {e}")))?
        .map_err(|_| stopped("the parser thread stopped".into()))??;
    f.into_result()?;
    written?;
    tracing::debug_span!("commit", calls = sum.imported + sum.updated).in_scope(|| tx.commit())?;
    progress.finish();
    Ok(sum)
}

/// Reads every row, sending good rows in batches until the first bad one; keeps reading after
/// that only to report every bad row (up to the limit).
fn parse_file(
    mut f: CsvFile,
    source: Source,
    customers: &Customers,
    progress: &dyn Progress,
    send: SyncSender<Vec<NewCall>>,
) -> Result<CsvFile> {
    let mut seen = SeenIds::default();
    let mut batch: Vec<NewCall> = Vec::with_capacity(BATCH);
    // Each batch goes in the store's order, so that the writer fills neighbouring pages one
    // after the other (ids are unique within the file, so the order does not change outcomes).
    // `false` when the writer has stopped.
    let send_sorted = |mut b: Vec<NewCall>| {
        b.sort_unstable_by_key(|c| (c.customer_pk, c.start));
        send.send(b).is_ok()
    };
    while let Some(line) = f.next_row()? {
        let call = parse_row(&f, line, source, customers, &mut seen);
        if let Some(call) = call.filter(|_| f.ok()) {
            batch.push(call);
            if batch.len() == BATCH {
                if !send_sorted(std::mem::replace(&mut batch, Vec::with_capacity(BATCH))) {
                    break;
                }
                f.report(progress);
            }
        }
        if f.full() {
            break;
        }
    }
    if f.ok() && !batch.is_empty() {
        send_sorted(batch);
    }
    Ok(f)
}

/// The ids of a file with the line of each, to report an id repeated within the file. The ids
/// are kept end to end in one buffer: a few bytes per call beyond the id itself, and no
/// allocation per call.
#[derive(Default)]
struct SeenIds {
    text: String,
    /// (start, end) of an id in `text`, and its line.
    table: HashTable<(usize, usize, u64)>,
    hasher: hashbrown::DefaultHashBuilder,
}

impl SeenIds {
    /// Records `id` at `line`; if it was seen before, returns that line instead.
    fn insert(&mut self, id: &str, line: u64) -> Option<u64> {
        let hash = self.hasher.hash_one(id);
        let text = &self.text;
        let eq = |&(s, e, _): &(usize, usize, u64)| &text[s..e] == id;
        if let Some(&(_, _, first)) = self.table.find(hash, eq) {
            return Some(first);
        }
        let start = self.text.len();
        self.text.push_str(id);
        let end = self.text.len();
        let (text, hasher) = (&self.text, &self.hasher);
        self.table.insert_unique(hash, (start, end, line), |&(s, e, _)| hasher.hash_one(&text[s..e]));
        None
    }
}

fn write<T: StoreTx>(
    tx: &mut T,
    batch: &mut Vec<NewCall>,
    out: &mut Vec<CallOutcome>,
    sum: &mut Summary,
) -> Result<()> {
    tx.import_calls(batch, out)?;
    for o in out.drain(..) {
        match o {
            CallOutcome::Imported => sum.imported += 1,
            CallOutcome::Updated => sum.updated += 1,
            CallOutcome::Duplicate => sum.duplicates += 1,
            CallOutcome::Conflict => sum.conflicts += 1,
        }
    }
    batch.clear();
    Ok(())
}

fn parse_row(f: &CsvFile, line: u64, source: Source, customers: &Customers, seen: &mut SeenIds) -> Option<NewCall> {
    let before = f.error_count();
    let id = f.cell("id");
    if id.is_empty() {
        f.error(line, Some("id"), "the id is empty".into());
    } else if let Some(first) = seen.insert(id, line) {
        f.error(line, Some("id"), format!("id `{id}` is repeated: it is also on line {first}"));
    }
    let start = parse_timestamp(f.cell("start")).map_err(|e| f.error(line, Some("start"), e)).ok();
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
    let to = f.cell("to");
    if to.is_empty() {
        f.error(line, Some("to"), "the called number is empty".into());
    }
    let call_type = match f.cell("call_type") {
        "" => Some(None),
        t => CallType::parse(t).map(Some).map_err(|e| f.error(line, Some("call_type"), e.to_string())).ok(),
    };
    let customer_pk = customers
        .resolve(f.cell("customer"), f.cell("domain"))
        .map_err(|(col, msg)| f.error(line, Some(col), msg))
        .ok();
    if f.error_count() != before || f.full() {
        return None;
    }
    Some(NewCall {
        source,
        source_call_id: f.cell("id").to_owned(),
        customer_pk: customer_pk?,
        start: start?,
        duration: duration?,
        direction: direction?,
        from: f.cell("from").to_owned(),
        to: f.cell("to").to_owned(),
        call_type: call_type?,
    })
}
