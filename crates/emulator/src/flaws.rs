//! Records a platform gets wrong, written into a page already rendered (faults
//! `release-before-answer` and `garbage-number`).

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use crate::http::rfc3339;

/// How long before its answer the flawed record ends.
const EARLY: Duration = Duration::seconds(5);

/// The page `body` with its first answered, shown record ending before its answer: NetSapiens v2
/// `call-disconnect-datetime`, v1 `time_release`, Brightlink `endTime`. A body that is not a page
/// of records comes back as it is.
pub(crate) fn release_before_answer(body: &[u8]) -> Vec<u8> {
    flaw_first_answered(body, end_before_answer)
}

/// The dialed number of a flawed record: no digit at all, and a formula to a spreadsheet.
pub const GARBAGE_NUMBER: &str = "=HYPERLINK(\"x\")";

/// The page `body` with its first answered, shown record dialing [`GARBAGE_NUMBER`]: NetSapiens
/// v2 `call-orig-request-user`, v1 `orig_req_user`, Brightlink `toNumber`.
pub(crate) fn garbage_number(body: &[u8]) -> Vec<u8> {
    flaw_first_answered(body, |row| {
        let key = ["call-orig-request-user", "orig_req_user", "toNumber"].into_iter().find(|k| row.contains_key(*k));
        if let Some(key) = key {
            row.insert(key.into(), GARBAGE_NUMBER.into());
        }
    })
}

/// The page `body` with `flaw` applied to its first answered, shown record.
fn flaw_first_answered(body: &[u8], flaw: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Vec<u8> {
    let Ok(mut page) = serde_json::from_slice::<Value>(body) else { return body.to_vec() };
    let rows = match &mut page {
        Value::Array(rows) => rows,
        Value::Object(o) => match o.get_mut("cdrs") {
            Some(Value::Array(rows)) => rows,
            _ => return body.to_vec(),
        },
        _ => return body.to_vec(),
    };
    if let Some(row) = rows.iter_mut().find_map(|r| r.as_object_mut().filter(|r| answered(r))) {
        flaw(row);
    }
    serde_json::to_vec(&page).unwrap_or_else(|_| body.to_vec())
}

fn text<'a>(row: &'a serde_json::Map<String, Value>, key: &str) -> &'a str {
    row.get(key).and_then(Value::as_str).unwrap_or("")
}

fn rfc(value: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(value).ok().map(|t| t.with_timezone(&Utc))
}

fn answered(row: &serde_json::Map<String, Value>) -> bool {
    if row.contains_key("call-answer-datetime") {
        row.get("hide-from-results") == Some(&Value::from(0)) && rfc(text(row, "call-answer-datetime")).is_some()
    } else if row.contains_key("time_answer") {
        text(row, "hide") == "0"
            && text(row, "type") != "2"
            && text(row, "time_answer").parse::<i64>().is_ok_and(|t| t > 0)
    } else {
        rfc(text(row, "answerTime")).is_some()
    }
}

fn end_before_answer(row: &mut serde_json::Map<String, Value>) {
    if let Some(answer) = rfc(text(row, "call-answer-datetime")) {
        row.insert("call-disconnect-datetime".into(), rfc3339(answer - EARLY, "+00:00").into());
    } else if let Ok(answer) = text(row, "time_answer").parse::<i64>() {
        row.insert("time_release".into(), (answer - EARLY.num_seconds()).to_string().into());
    } else if let Some(answer) = rfc(text(row, "answerTime")) {
        row.insert("endTime".into(), rfc3339(answer - EARLY, "Z").into());
    }
}
