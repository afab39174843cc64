//! The checks every call record passes before it is stored, whether it comes from a file or from
//! a platform: values one backend would store and the other refuse, and values that would be
//! stored and then billed wrongly.

use crate::import::spec::Field;
use crate::import::too_long;
use crate::time::format_utc;
use rating::Micros;

/// The first instant a call may start: 0001-01-01T00:00:00Z.
pub const FIRST_START: Micros = -62_135_596_800_000_000;

/// The instant after the last one a call may start: 10000-01-01T00:00:00Z. Times are written
/// with four-digit years (RFC 3339), in UTC, which the range keeps true.
pub const END_OF_STARTS: Micros = 253_402_300_800_000_000;

/// The fields of a call record that [`check_call`] reads, as read from the file or platform.
#[derive(Debug, Clone, Copy)]
pub struct CallFields<'a> {
    /// The source's id of the call.
    pub id: &'a str,
    /// The start; `None` when it could not be read (the reader has said why).
    pub start: Option<Micros>,
    pub from: &'a str,
    pub to: &'a str,
}

/// A field of a call record that cannot be stored, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadField {
    /// [`Field::Id`], [`Field::Start`], [`Field::From`] or [`Field::To`]; `name()` gives the
    /// column of cdrs.csv.
    pub field: Field,
    pub reason: String,
}

/// Checks a call record: the id is not empty, holds no NUL byte and has at most
/// [`store::MAX_ID_LEN`] bytes; the start lies in the years 1 to 9999 (UTC); the caller holds no
/// NUL byte (it may be empty or hold no digit: a withheld caller, `Anonymous`); the called number
/// holds a digit and no NUL byte. Returns every bad field, in that order (none: the record can
/// be stored).
pub fn check_call(call: &CallFields) -> Vec<BadField> {
    let mut bad = Vec::new();
    let mut report = |field, reason| bad.push(BadField { field, reason });
    if call.id.is_empty() {
        report(Field::Id, "the id is empty".into());
    } else if call.id.len() > store::MAX_ID_LEN {
        report(Field::Id, too_long("id"));
    } else if call.id.contains('\0') {
        report(Field::Id, "the id holds a NUL byte".into());
    }
    if let Some(t) = call.start.filter(|t| !(FIRST_START..END_OF_STARTS).contains(t)) {
        report(Field::Start, format!("{} is outside the years 1 to 9999 (UTC)", format_utc(t)));
    }
    if call.from.contains('\0') {
        report(Field::From, "the caller holds a NUL byte".into());
    }
    if call.to.is_empty() {
        report(Field::To, "the called number is empty".into());
    } else if call.to.contains('\0') {
        report(Field::To, "the called number holds a NUL byte".into());
    } else if !call.to.bytes().any(|b| b.is_ascii_digit()) {
        report(Field::To, format!("`{}` has no digit: a called number needs at least one", call.to));
    }
    bad
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(bad: &[BadField]) -> Vec<&'static str> {
        bad.iter().map(|b| b.field.name()).collect()
    }

    #[test]
    fn a_good_record_has_no_bad_field_and_a_bad_one_has_each() {
        let good = CallFields { id: "a1", start: Some(0), from: "", to: "*97" };
        assert_eq!(check_call(&good), []);
        assert_eq!(check_call(&CallFields { from: "Anonymous", ..good }), []);
        let edges = [FIRST_START, END_OF_STARTS - 1];
        assert!(edges.iter().all(|&t| check_call(&CallFields { start: Some(t), ..good }).is_empty()));
        let bad = CallFields { id: "a\0", start: Some(END_OF_STARTS), from: "\0", to: "sales" };
        assert_eq!(fields(&check_call(&bad)), ["id", "start", "from", "to"]);
        let long = "x".repeat(store::MAX_ID_LEN + 1);
        let bad = CallFields { id: &long, start: Some(FIRST_START - 1), from: "", to: "" };
        assert_eq!(fields(&check_call(&bad)), ["id", "start", "to"]);
        assert_eq!(check_call(&CallFields { start: None, ..good }), []);
    }
}
