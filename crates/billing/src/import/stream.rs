//! Streamed import of call records, shared by every layout: parsed on one thread, written on another.

pub(super) use super::seen::SeenIds;
use super::Summary;
use crate::csvfile::CsvFile;
use crate::error::{BillingError, Result};
use crate::Progress;
use rating::CallType;
use std::sync::mpsc::SyncSender;
use store::{CallOutcome, NewCall, StoreTx};

/// Rows written per store call.
const BATCH: usize = 4096;

/// Turns the rows of one file layout into call records.
pub(super) trait RowParser: Sync {
    /// The call of the current row of `f` (at `line`), or `None` when the row is bad: its errors
    /// are then recorded in `f`. `seen` holds the ids of the rows before it.
    fn parse(&self, f: &CsvFile, line: u64, seen: &mut SeenIds) -> Option<NewCall>;
}

/// How an import's batches are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Writes {
    /// Expecting only calls not stored yet: no look-up per record, and a stored one fails the
    /// attempt with `StoreError::KnownCalls`.
    New,
    /// Each record looked up: new, the same, or changed.
    Checked,
}

/// Runs an import expecting only new calls (the usual case, and the fastest), and once more,
/// looking each record up, when the file holds calls already stored.
pub(super) fn expecting_new(mut attempt: impl FnMut(Writes) -> Result<Summary>) -> Result<Summary> {
    match attempt(Writes::New) {
        Err(BillingError::Store(store::StoreError::KnownCalls)) => {
            tracing::debug!("the file holds stored calls: importing again with a look-up per record");
            attempt(Writes::Checked)
        }
        other => other,
    }
}

/// Imports every row of `f` through `rows` and commits `tx`. All-or-nothing: with any bad row
/// nothing is written.
///
/// The file is parsed and checked on one thread while the store writes batches on the calling
/// thread, inside one transaction, so that parsing and writing overlap on two cores.
pub(super) fn import_rows<T: StoreTx>(
    mut tx: T,
    f: CsvFile,
    rows: &impl RowParser,
    progress: &dyn Progress,
    writes: Writes,
) -> Result<Summary> {
    let file = f.name.clone();
    progress.start(f.size());
    let (send, receive) = std::sync::mpsc::sync_channel::<Vec<NewCall>>(4);
    let mut sum = Summary::default();
    let (parsed, written) = std::thread::scope(|scope| {
        let parser = std::thread::Builder::new()
            .name("cdrs-parser".into())
            .spawn_scoped(scope, move || parse_file(f, rows, progress, send));
        let mut outcomes: Vec<CallOutcome> = Vec::with_capacity(BATCH);
        let mut written: Result<()> = Ok(());
        for mut batch in receive {
            // After a store error keep draining so that the parser finishes and reports every
            // bad row; except when the import is to run again with look-ups: that run will.
            if written.is_ok() {
                written = write(&mut tx, &mut batch, &mut outcomes, &mut sum, writes);
            }
            if matches!(written, Err(BillingError::Store(store::StoreError::KnownCalls))) {
                break;
            }
        }
        (parser.map(|p| p.join()), written)
    });
    let stopped = |reason: String| BillingError::Read { file: file.clone(), reason };
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
    rows: &impl RowParser,
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
        let call = rows.parse(&f, line, &mut seen);
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

/// Checks that a row's id is not on an earlier row (an empty id is
/// [`crate::record::check_call`]'s to report). `report` records what is wrong.
pub(super) fn check_repeated(id: &str, line: u64, seen: &mut SeenIds, report: impl FnOnce(String)) {
    if id.is_empty() {
        return;
    }
    if let Some(first) = seen.insert(id, line) {
        report(format!("id `{id}` is repeated: it is also on line {first}"));
    }
}

/// A row's call type: `Some(None)` when the cell is empty, `None` when it is bad (reported
/// through `report`).
pub(super) fn parse_call_type(cell: &str, report: impl FnOnce(String)) -> Option<Option<CallType>> {
    match cell {
        "" => Some(None),
        t => CallType::parse(t).map(Some).map_err(|e| report(e.to_string())).ok(),
    }
}

fn write<T: StoreTx>(
    tx: &mut T,
    batch: &mut Vec<NewCall>,
    out: &mut Vec<CallOutcome>,
    sum: &mut Summary,
    writes: Writes,
) -> Result<()> {
    match writes {
        Writes::New => tx.import_new_calls(batch, out)?,
        Writes::Checked => tx.import_calls(batch, out)?,
    }
    out.drain(..).for_each(|o| sum.count(o));
    batch.clear();
    Ok(())
}
