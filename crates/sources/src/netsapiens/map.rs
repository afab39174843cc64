//! NetSapiens wire records (v1 and v2) and how they become meter's records, numbers and domains.
//!
//! **Assumed** (not public; check these first against a real installation, see docs/sources.md):
//! - a window's end (v2 `datetime-end`, v1 `end_date`) is included: the pager leaves out what
//!   starts then, and counts are asked up to the second before;
//! - v1 `cdr2 count` may count hidden legs (the emulator's does; v2's `cdrs/count` does not):
//!   reconciliation accepts either;
//! - v1 answers `{}` to `cdr2 count` for a domain it does not have;
//! - v2 rows come in start-time order, ties by `id`;
//! - v2: the direction is the `type` asked (`Outbound` → outbound, `Inbound` → inbound, `On-net`
//!   → internal), because the `call-direction` codes are unconfirmed; `Missed` is not fetched;
//! - v2: `cdrs/count` leaves out legs with `hide-from-results` = 1 while listings include them;
//!   the count is asked per type and summed;
//! - v1: `start_date`/`end_date` are read in UTC, and `start` is an offset into the listing;
//! - v1: `type` `"2"` (missed) is an unanswered inbound call;
//! - talk seconds = disconnect (v1 `time_release`) − answer, whole seconds, 0 when unanswered;
//! - legs with `hide-from-results` / `hide` = 1 are skipped; other legs are one call each, and
//!   the legs of a transferred call are not merged.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::pager::Row;
use crate::wire::{bad, call_id, digits, domain_info, is_blank, parse, rfc3339, talk, Flag, List, Num, Text};
use crate::{Direction, DomainInfo, PhoneNumber, Record};

/// v2 `GET …/cdrs`: one call leg.
#[derive(Deserialize)]
pub(crate) struct V2Cdr<'a> {
    #[serde(borrow)]
    id: Text<'a>,
    #[serde(rename = "call-start-datetime", borrow)]
    start: Text<'a>,
    #[serde(rename = "call-answer-datetime", borrow, default)]
    answer: Text<'a>,
    #[serde(rename = "call-disconnect-datetime", borrow, default)]
    disconnect: Text<'a>,
    #[serde(rename = "call-orig-from-user", borrow)]
    from: Text<'a>,
    #[serde(rename = "call-orig-request-user", borrow)]
    to: Text<'a>,
    #[serde(rename = "hide-from-results", default)]
    hide: Flag,
}

/// v1 `object=cdr2&action=read`: one call leg, times as epoch-second strings.
#[derive(Deserialize)]
pub(crate) struct V1Cdr<'a> {
    #[serde(borrow)]
    cdr_id: Text<'a>,
    #[serde(rename = "type", borrow)]
    kind: Text<'a>,
    #[serde(borrow)]
    orig_from_uri: Text<'a>,
    #[serde(borrow)]
    orig_req_user: Text<'a>,
    #[serde(borrow)]
    time_start: Text<'a>,
    #[serde(borrow, default)]
    time_answer: Text<'a>,
    #[serde(borrow, default)]
    time_release: Text<'a>,
    #[serde(default)]
    hide: Flag,
}

#[derive(Deserialize)]
struct V2Domain {
    domain: String,
    #[serde(rename = "time-zone", default)]
    time_zone: Option<String>,
}

#[derive(Deserialize)]
struct V1Domain {
    domain: String,
    #[serde(default)]
    time_zone: Option<String>,
}

#[derive(Deserialize)]
struct V2Number<'a> {
    #[serde(borrow)]
    phonenumber: Text<'a>,
    enabled: Flag,
}

#[derive(Deserialize)]
struct V1Number<'a> {
    #[serde(borrow)]
    matchrule: Text<'a>,
    enable: Flag,
}

#[derive(Deserialize)]
struct Count {
    total: Num,
}

#[derive(Deserialize)]
struct MaybeCount {
    #[serde(default)]
    total: Option<Num>,
}

/// A v2 page of call legs of one `type`, which gives their direction.
pub(crate) fn v2_rows(body: &[u8], direction: Direction) -> Result<Vec<Row>, String> {
    let List(cdrs) = parse::<List<V2Cdr>>(body, "the call records are not a list of records")?;
    cdrs.into_iter().enumerate().map(|(i, cdr)| v2_row(cdr, direction, i + 1)).collect()
}

fn v2_row(cdr: V2Cdr, direction: Direction, row: usize) -> Result<Row, String> {
    let id = call_id("id", row, cdr.id)?;
    let start = rfc3339("call-start-datetime", row, cdr.start.as_str())?;
    if cdr.hide.0 {
        return Ok(Row::Hidden { id, start });
    }
    let answer = cdr.answer.as_str().trim();
    let talk_seconds = if answer.is_empty() || answer.starts_with("0000-00-00") {
        0
    } else {
        let answer = rfc3339("call-answer-datetime", row, answer)?;
        talk(answer, rfc3339("call-disconnect-datetime", row, cdr.disconnect.as_str())?)
    };
    let (from, to) = (cdr.from.0.into_owned(), cdr.to.0.into_owned());
    Ok(Row::Kept(Record { call_id: id, direction, from, to, start, talk_seconds }))
}

/// A v1 page of call legs of every type; `{}`, `[]` or an empty body is none.
pub(crate) fn v1_rows(body: &[u8]) -> Result<Vec<Row>, String> {
    if is_blank(body) {
        return Ok(Vec::new());
    }
    let List(cdrs) = parse::<List<V1Cdr>>(body, "the call records are not a list of records")?;
    cdrs.into_iter().enumerate().map(|(i, cdr)| v1_row(cdr, i + 1)).collect()
}

fn v1_row(cdr: V1Cdr, row: usize) -> Result<Row, String> {
    let id = call_id("cdr_id", row, cdr.cdr_id)?;
    let start = epoch("time_start", row, cdr.time_start.as_str())?;
    if cdr.hide.0 {
        return Ok(Row::Hidden { id, start });
    }
    let (direction, missed) = match cdr.kind.as_str().trim() {
        "0" => (Direction::Outbound, false),
        "1" => (Direction::Inbound, false),
        "2" => (Direction::Inbound, true),
        "3" => (Direction::Internal, false),
        other => return Err(bad("type", row, other, "a call type (0 outbound, 1 inbound, 2 missed, 3 on-net)")),
    };
    let answer = cdr.time_answer.as_str().trim();
    let talk_seconds = if missed || answer.is_empty() || answer == "0" {
        0
    } else {
        talk(epoch("time_answer", row, answer)?, epoch("time_release", row, cdr.time_release.as_str())?)
    };
    let from = user_part(cdr.orig_from_uri.as_str()).to_owned();
    Ok(Row::Kept(Record { call_id: id, direction, from, to: cdr.orig_req_user.0.into_owned(), start, talk_seconds }))
}

fn epoch(field: &str, row: usize, value: &str) -> Result<DateTime<Utc>, String> {
    value
        .trim()
        .parse::<i64>()
        .ok()
        .and_then(|secs| DateTime::from_timestamp(secs, 0))
        .ok_or_else(|| bad(field, row, value, "a time in Unix seconds"))
}

/// `sip:17055550000@host` (or `"Name" <sip:…>`, `tel:…`) → `17055550000`.
fn user_part(uri: &str) -> &str {
    let uri = uri.trim();
    let uri = match (uri.find('<'), uri.rfind('>')) {
        (Some(open), Some(close)) if open < close => &uri[open + 1..close],
        _ => uri,
    };
    let user = ["sips:", "sip:", "tel:"].iter().find_map(|s| uri.strip_prefix(s)).unwrap_or(uri);
    &user[..user.find(['@', ';']).unwrap_or(user.len())]
}

/// v2 `GET /domains/{domain}` (200).
pub(crate) fn v2_domain(body: &[u8]) -> Result<DomainInfo, String> {
    let d: V2Domain = parse(body, "the domain is not a domain object")?;
    Ok(domain_info(d.domain, d.time_zone))
}

/// v1 `object=domain&action=read`: the entry named `domain`, if any (`[]` or `{}`: none).
pub(crate) fn v1_domain(body: &[u8], domain: &str) -> Result<Option<DomainInfo>, String> {
    if is_blank(body) {
        return Ok(None);
    }
    let List(found) = parse::<List<V1Domain>>(body, "the domain answer is not a list of domains")?;
    Ok(found.into_iter().find(|d| d.domain.eq_ignore_ascii_case(domain)).map(|d| domain_info(d.domain, d.time_zone)))
}

/// v2 `GET …/phonenumbers`: one page.
pub(crate) fn v2_numbers(body: &[u8]) -> Result<Vec<PhoneNumber>, String> {
    let List(numbers) = parse::<List<V2Number>>(body, "the phone numbers are not a list of numbers")?;
    Ok(numbers
        .into_iter()
        .map(|n| PhoneNumber { number: digits(n.phonenumber.as_str()), enabled: n.enabled.0 })
        .collect())
}

/// v1 `object=phonenumber&action=read`: the `DID Table` rules (`{}`: none).
pub(crate) fn v1_numbers(body: &[u8]) -> Result<Vec<PhoneNumber>, String> {
    if is_blank(body) {
        return Ok(Vec::new());
    }
    let List(rules) = parse::<List<V1Number>>(body, "the phone numbers are not a list of dial rules")?;
    let number = |r: &V1Number| digits(user_part(r.matchrule.as_str()));
    Ok(rules.iter().map(|r| PhoneNumber { number: number(r), enabled: r.enable.0 }).collect())
}

/// `cdrs/count` (v2, integers): the total.
pub(crate) fn count(body: &[u8]) -> Result<u64, String> {
    parse::<Count>(body, COUNT).map(|c| c.total.0)
}

/// `cdr2 count` (v1, strings): the total; `None` for `{}` or an empty body, which is how v1
/// answers for a domain it does not have.
pub(crate) fn v1_count(body: &[u8]) -> Result<Option<u64>, String> {
    if is_blank(body) {
        return Ok(None);
    }
    parse::<MaybeCount>(body, COUNT).map(|c| c.total.map(|n| n.0))
}

const COUNT: &str = "the count is not `{\"total\": N, …}`";

#[cfg(test)]
mod tests;
