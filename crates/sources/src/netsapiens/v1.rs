//! NetSapiens API v1: `POST /ns-api/?object=…&action=…&format=json`, form-encoded parameters.

use chrono::{DateTime, Utc};

use super::{data, map, Netsapiens, LIMIT};
use crate::http::{Reject, Req};
use crate::pager::Fetched;
use crate::{Cursor, DomainInfo, PhoneNumber, Platform, SourceError, Window};

fn request(ns: &Netsapiens, object: &str, action: &str, params: &[(&str, &str)]) -> Req {
    let mut url = ns.url(&["ns-api", ""]);
    let label = format!("POST {}?object={object}&action={action}", url.path());
    url.query_pairs_mut().append_pair("object", object).append_pair("action", action).append_pair("format", "json");
    Req::post_form(url, params).labelled(label)
}

/// `YYYY-MM-DD hh:mm:ss`, UTC.
fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

pub(super) async fn domain(ns: &Netsapiens, domain: &str) -> Result<Option<DomainInfo>, SourceError> {
    let req = request(ns, "domain", "read", &[("domain", domain)]);
    ns.call(&req, &mut 0, |status, body| match status.as_u16() {
        200..=299 => map::v1_domain(body, domain).map_err(Reject::Malformed),
        _ => Err(Reject::Status),
    })
    .await
}

/// Reads at most one domain: a cheap request that needs a valid token or key.
pub(super) async fn any_domain(ns: &Netsapiens) -> Result<(), SourceError> {
    let req = request(ns, "domain", "read", &[("limit", "1")]);
    ns.call(&req, &mut 0, |status, _| if status.is_success() { Ok(()) } else { Err(Reject::Status) }).await
}

pub(super) async fn phone_numbers(ns: &Netsapiens, domain: &str) -> Result<Vec<PhoneNumber>, SourceError> {
    let req = request(ns, "phonenumber", "read", &[("dialplan", "DID Table"), ("dest_domain", domain)]);
    ns.call(&req, &mut 0, |status, body| data(domain, status, body, map::v1_numbers)).await
}

/// `cdr2 count`; `{}` (or nothing) is 0 when the domain exists, and an unknown domain otherwise.
pub(super) async fn count(ns: &Netsapiens, domain: &str, window: &Window) -> Result<u64, SourceError> {
    let (start, end) = (time(window.start), time(window.end));
    let params = [("domain", domain), ("start_date", start.as_str()), ("end_date", end.as_str())];
    let req = request(ns, "cdr2", "count", &params);
    match ns.call(&req, &mut 0, |status, body| data(domain, status, body, map::v1_count)).await? {
        Some(total) => Ok(total),
        None if self::domain(ns, domain).await?.is_some() => Ok(0),
        None => Err(super::unknown(domain)),
    }
}

/// One page of every type; an empty answer ends the window. `end_date` (the window's end) is
/// included by the platform: the pager leaves out what starts there.
pub(super) async fn page(
    ns: &Netsapiens,
    domain: &str,
    window: &Window,
    cursor: &Cursor,
    retries: &mut u64,
) -> Result<Fetched, SourceError> {
    if cursor.segment != 0 {
        let reason = format!("cursor segment {} is not 0: it comes from NetSapiens v2, this is v1", cursor.segment);
        return Err(SourceError::Config { platform: Platform::Netsapiens, reason });
    }
    let (start, end, offset) = (time(window.start), time(window.end), cursor.offset.to_string());
    let limit = LIMIT.to_string();
    let params = [
        ("domain", domain),
        ("start_date", start.as_str()),
        ("end_date", end.as_str()),
        ("limit", limit.as_str()),
        ("start", offset.as_str()),
    ];
    let req = request(ns, "cdr2", "read", &params);
    let rows = ns.call(&req, retries, |status, body| data(domain, status, body, map::v1_rows)).await?;
    let next = match rows.len() as u64 {
        0 => None,
        read => Some(Cursor { segment: 0, offset: cursor.offset + read }),
    };
    Ok(Fetched { rows, next })
}
