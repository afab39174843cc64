//! A page of the call listing, for servers: the calls after a cursor, up to a limit, with the
//! cursor of the next page. The store seeks to the cursor and reads only what the page needs, so
//! page 1,000 costs what page 1 does.

use super::{CallFilter, Cursor, Listing};
use crate::doc::CallDoc;
use crate::error::{BillingError, Result};
use crate::pricing::PricingCache;
use store::prelude::*;
use store::{CallKey, Store, StoreError};

/// The calls a page examines at most, whatever its filters leave out of them: those of its
/// customer (or invoice) and days past its cursor, in order (see [`store::CallQuery::scan`]).
/// A page of rare calls (a number or a status that few calls have, a call type only rating
/// tells) so answers in bounded time, maybe with fewer calls than its limit, even none, and a
/// `next` where the following page goes on.
pub const SCAN: u64 = 20_000;

/// A page of calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallPage {
    /// In the listing's order (start, source, source call id), as `calls list` gives them.
    pub calls: Vec<CallDoc>,
    /// Where the next page starts; `None` when no call follows.
    pub next: Option<Cursor>,
}

/// Why a page's reading stopped early.
enum Stop {
    /// The page is full and another call follows it.
    Full,
    Store(StoreError),
}

impl From<StoreError> for Stop {
    fn from(e: StoreError) -> Stop {
        Stop::Store(e)
    }
}

/// The calls `filter` names after `after` (from the start without one), at most `limit`, with
/// the cursor of the next page. `pricing` keeps what prices calls from one page to the next.
/// At most [`SCAN`] calls are examined.
pub fn page<S: Store>(
    store: &mut S,
    filter: &CallFilter,
    after: Option<&Cursor>,
    limit: usize,
    pricing: &PricingCache,
) -> Result<CallPage> {
    page_within(store, filter, after, limit, SCAN, pricing)
}

/// [`page`], examining at most `scan` calls.
pub fn page_within<S: Store>(
    store: &mut S,
    filter: &CallFilter,
    after: Option<&Cursor>,
    limit: usize,
    scan: u64,
    pricing: &PricingCache,
) -> Result<CallPage> {
    let mut tx = store.read()?;
    let listing = Listing::prepare(&mut tx, filter, |tx| pricing.load(tx))?;
    let mut query = listing.query.clone();
    if let Some(cursor) = after {
        query.after = Some(cursor.key(&tx.sources()?)?);
    }
    query.scan = Some(scan);
    if listing.exact() {
        // Every call read is listed: the page and one more, to know whether one follows.
        query.limit = Some(limit as u64 + 1);
    }
    let mut calls = Vec::with_capacity(limit);
    let mut last: Option<CallKey> = None;
    let read = tx.each_call(&query, |s| {
        if calls.len() == limit {
            return match listing.doc(s) {
                Some(_) => Err(Stop::Full),
                None => Ok(()),
            };
        }
        let key = (calls.len() + 1 == limit).then(|| CallKey::of(&s.call));
        if let Some(doc) = listing.doc(s) {
            calls.push(doc);
            last = key;
        }
        Ok(())
    });
    let next = match read {
        Err(Stop::Full) => last,
        Err(Stop::Store(e)) => return Err(BillingError::from(e)),
        // The reach ended, or the scan did: then the next page starts after its last call.
        Ok(()) => tx.scan_end(&query)?,
    };
    Ok(CallPage { calls, next: next.as_ref().map(Cursor::after) })
}
