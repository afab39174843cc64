//! NetSapiens API v2: `GET /ns-api/v2/domains/{domain}/…`, JSON, call records asked per type.

use reqwest::Url;

use super::{data, map, Netsapiens, LIMIT};
use crate::http::{Reject, Req};
use crate::pager::Fetched;
use crate::wire::time;
use crate::{Cursor, Direction, DomainInfo, PhoneNumber, Platform, SourceError, Window};

/// The call types asked in turn (cursor segments), and the direction each one gives. `Missed`
/// is never asked: missed calls are not billed.
const TYPES: [(&str, Direction); 3] =
    [("Outbound", Direction::Outbound), ("Inbound", Direction::Inbound), ("On-net", Direction::Internal)];

/// A listing or count URL; `window.end` is sent as the platform's end, which it includes.
fn window_url(ns: &Netsapiens, domain: &str, tail: &[&str], window: &Window, kind: &str) -> Url {
    let mut segments = vec!["ns-api", "v2", "domains", domain];
    segments.extend(tail);
    let mut url = ns.url(&segments);
    url.query_pairs_mut()
        .append_pair("datetime-start", &time(window.start))
        .append_pair("datetime-end", &time(window.end))
        .append_pair("type", kind);
    url
}

pub(super) async fn domain(ns: &Netsapiens, domain: &str) -> Result<Option<DomainInfo>, SourceError> {
    let req = Req::get(ns.url(&["ns-api", "v2", "domains", domain]));
    ns.call(&req, &mut 0, |status, body| match status.as_u16() {
        200..=299 => map::v2_domain(body).map(Some).map_err(Reject::Malformed),
        404 => Ok(None),
        _ => Err(Reject::Status),
    })
    .await
}

pub(super) async fn phone_numbers(ns: &Netsapiens, domain: &str) -> Result<Vec<PhoneNumber>, SourceError> {
    let mut all = Vec::new();
    loop {
        let mut url = ns.url(&["ns-api", "v2", "domains", domain, "phonenumbers"]);
        url.query_pairs_mut().append_pair("start", &all.len().to_string()).append_pair("limit", &LIMIT.to_string());
        let req = Req::get(url);
        let page = ns.call(&req, &mut 0, |status, body| data(domain, status, body, map::v2_numbers)).await?;
        let short = (page.len() as u64) < LIMIT;
        all.extend(page);
        if short {
            return Ok(all);
        }
    }
}

/// The sum of `cdrs/count` over the types asked.
pub(super) async fn count(ns: &Netsapiens, domain: &str, window: &Window) -> Result<u64, SourceError> {
    let mut total = 0;
    for (kind, _) in TYPES {
        let req = Req::get(window_url(ns, domain, &["cdrs", "count"], window, kind));
        total += ns.call(&req, &mut 0, |status, body| data(domain, status, body, map::count)).await?;
    }
    Ok(total)
}

/// One page of one type; a page shorter than the limit ends the type.
pub(super) async fn page(
    ns: &Netsapiens,
    domain: &str,
    window: &Window,
    cursor: &Cursor,
    retries: &mut u64,
) -> Result<Fetched, SourceError> {
    let Some(&(kind, direction)) = TYPES.get(cursor.segment as usize) else {
        let reason = format!("cursor segment {} is past the last call type (On-net = 2)", cursor.segment);
        return Err(SourceError::Config { platform: Platform::Netsapiens, reason });
    };
    let mut url = window_url(ns, domain, &["cdrs"], window, kind);
    url.query_pairs_mut().append_pair("start", &cursor.offset.to_string()).append_pair("limit", &LIMIT.to_string());
    let req = Req::get(url);
    let rows =
        ns.call(&req, retries, |status, body| data(domain, status, body, |b| map::v2_rows(b, direction))).await?;
    let read = rows.len() as u64;
    let next = if read >= LIMIT {
        Some(Cursor { segment: cursor.segment, offset: cursor.offset + read })
    } else if (cursor.segment as usize) + 1 < TYPES.len() {
        Some(Cursor { segment: cursor.segment + 1, offset: 0 })
    } else {
        None
    };
    Ok(Fetched { rows, next })
}
