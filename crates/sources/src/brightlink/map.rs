//! Brightlink PBX Cloud searches on the wire and how their answers become meter's records,
//! numbers and domains.
//!
//! **Assumed** (nothing public shows these; check them first against a real account, see
//! docs/sources.md):
//! - the call-record search `POST v1/cdr/search` with `searchItems` DOMAIN, START, END (RFC 3339
//!   UTC), `sortBy: "startTime"`, `accending: true`, at most 1,000 rows a page, answering
//!   `{"cdrTotalCount", "cdrs": [{"callId", "direction", "fromNumber", "toNumber", "startTime",
//!   "answerTime", "endTime", "billsec", "domain"}]}`; `cdrTotalCount` is the window's count;
//! - the END of a search is included (a record starting then is listed and counted): the pager
//!   leaves such records out and the count is asked up to the second before;
//! - the domain search `POST v1/domain/search` with DOMAIN answering `{"domainTotalCount",
//!   "domains": [{"domain", "name", "timeZone"}]}`; no entry of that name = no such domain;
//! - one customer's numbers: the public `POST v1/did/numbers` with a DOMAIN search item;
//!   a number is enabled when its `status` is `active`;
//! - mapping: call id = `callId`; direction as given (`inbound`, `outbound`, `internal`);
//!   from/to = `fromNumber`/`toNumber`; start = `startTime`; talk seconds = `billsec`, 0 when
//!   `answerTime` is null;
//! - a domain the platform does not have answers every search with nothing: a count of 0 is
//!   checked with the domain search, and an unknown domain is an error;
//! - tokens expire (the emulator issues 300-second ones) and an expired token answers 401;
//!   there is no refresh token.

use serde::Deserialize;
use serde_json::json;

use crate::pager::Row;
use crate::wire::{bad, call_id, digits, domain_info, parse, rfc3339, time, List, Num, Text};
use crate::{Direction, DomainInfo, PhoneNumber, Record, Window};

/// The body of `v1/domain/search` for one domain.
pub(crate) fn domain_search(domain: &str) -> String {
    json!({
        "searchItems": [{"searchField": "DOMAIN", "searchText": domain}],
        "paginationData": {"pageNo": 0, "resultCount": 100},
    })
    .to_string()
}

/// The body of `v1/did/numbers` for one page of a domain's numbers.
pub(crate) fn numbers_search(domain: &str, page_no: u64, count: u64) -> String {
    json!({
        "searchItems": [{"searchField": "DOMAIN", "searchText": domain}],
        "searchColumn": {},
        "paginationData": {"pageNo": page_no, "resultCount": count},
    })
    .to_string()
}

/// The body of `v1/cdr/search` for one page of a window, oldest first; END (the window's end) is
/// included by the platform.
pub(crate) fn cdr_search(domain: &str, window: &Window, page_no: u64, count: u64) -> String {
    json!({
        "searchItems": [
            {"searchField": "DOMAIN", "searchText": domain},
            {"searchField": "START", "searchText": time(window.start)},
            {"searchField": "END", "searchText": time(window.end)},
        ],
        "paginationData": {"pageNo": page_no, "resultCount": count},
        "sortBy": "startTime",
        "accending": true,
    })
    .to_string()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CdrPage<'a> {
    cdr_total_count: Num,
    #[serde(borrow)]
    cdrs: List<Cdr<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Cdr<'a> {
    #[serde(borrow)]
    call_id: Text<'a>,
    #[serde(borrow)]
    direction: Text<'a>,
    #[serde(borrow)]
    from_number: Text<'a>,
    #[serde(borrow)]
    to_number: Text<'a>,
    #[serde(borrow)]
    start_time: Text<'a>,
    #[serde(borrow, default)]
    answer_time: Text<'a>,
    #[serde(default)]
    billsec: Option<Num>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Numbers<'a> {
    #[serde(borrow)]
    numbers: List<Number<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Number<'a> {
    #[serde(borrow)]
    did_number: Text<'a>,
    #[serde(borrow)]
    status: Text<'a>,
}

#[derive(Deserialize)]
struct Domains {
    domains: List<Domain>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Domain {
    domain: String,
    #[serde(default)]
    time_zone: Option<String>,
}

/// A page of `v1/cdr/search`: its rows and `cdrTotalCount`.
pub(crate) fn cdr_rows(body: &[u8]) -> Result<(Vec<Row>, u64), String> {
    let page: CdrPage = parse(body, "the call records are not `{\"cdrTotalCount\", \"cdrs\"}`")?;
    let rows = page.cdrs.0.into_iter().enumerate().map(|(i, cdr)| cdr_row(cdr, i + 1)).collect::<Result<_, _>>()?;
    Ok((rows, page.cdr_total_count.0))
}

/// `cdrTotalCount` alone.
pub(crate) fn cdr_total(body: &[u8]) -> Result<u64, String> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Total {
        cdr_total_count: Num,
    }
    parse::<Total>(body, "the call records are not `{\"cdrTotalCount\", …}`").map(|t| t.cdr_total_count.0)
}

fn cdr_row(cdr: Cdr, row: usize) -> Result<Row, String> {
    let id = call_id("callId", row, cdr.call_id)?;
    let given = cdr.direction.as_str().trim();
    let direction = if given.eq_ignore_ascii_case("inbound") {
        Direction::Inbound
    } else if given.eq_ignore_ascii_case("outbound") {
        Direction::Outbound
    } else if given.eq_ignore_ascii_case("internal") {
        Direction::Internal
    } else {
        return Err(bad("direction", row, cdr.direction.as_str(), "inbound, outbound or internal"));
    };
    let start = rfc3339("startTime", row, cdr.start_time.as_str())?;
    let talk_seconds = match (cdr.answer_time.as_str().trim().is_empty(), cdr.billsec) {
        (true, _) => 0,
        (false, Some(Num(secs))) => i64::try_from(secs).unwrap_or(i64::MAX),
        (false, None) => return Err(bad("billsec", row, "", "a number of seconds (the call was answered)")),
    };
    Ok(Row::Kept(Record {
        call_id: id,
        direction,
        from: cdr.from_number.0.into_owned(),
        to: cdr.to_number.0.into_owned(),
        start,
        talk_seconds,
    }))
}

/// A page of `v1/did/numbers`.
pub(crate) fn numbers(body: &[u8]) -> Result<Vec<PhoneNumber>, String> {
    let page: Numbers = parse(body, "the numbers are not `{\"numberTotalCount\", \"numbers\"}`")?;
    let number = |n: &Number| PhoneNumber {
        number: digits(n.did_number.as_str()),
        enabled: n.status.as_str().trim().eq_ignore_ascii_case("active"),
    };
    Ok(page.numbers.0.iter().map(number).collect())
}

/// The entry of `v1/domain/search` named `domain`, if any.
pub(crate) fn domain(body: &[u8], domain: &str) -> Result<Option<DomainInfo>, String> {
    let page: Domains = parse(body, "the domains are not `{\"domainTotalCount\", \"domains\"}`")?;
    Ok(page
        .domains
        .0
        .into_iter()
        .find(|d| d.domain.eq_ignore_ascii_case(domain))
        .map(|d| domain_info(d.domain, d.time_zone)))
}

#[cfg(test)]
mod tests;
