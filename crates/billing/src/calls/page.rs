//! A page of the call listing, for servers: the calls after a cursor, up to a limit, with the
//! cursor of the next page. The store seeks to the cursor and reads only what the page needs, so
//! page 1,000 costs what page 1 does.

use super::{CallFilter, Cursor, Listing};
use crate::doc::CallDoc;
use crate::error::Result;
use crate::pricing::{Kept, Reference};
use store::prelude::*;
use store::{CallKey, Store, StoreError, StoredCall};

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

/// The calls `filter` names after `after` (from the start without one), at most `limit`, with
/// the cursor of the next page. `kept` keeps what prices and places calls from one page to the
/// next.
/// At most [`SCAN`] calls are examined.
pub fn page<S: Store>(
    store: &mut S,
    filter: &CallFilter,
    after: Option<&Cursor>,
    limit: usize,
    kept: &Kept,
) -> Result<CallPage> {
    page_within(store, filter, after, limit, SCAN, kept)
}

/// [`page`], examining at most `scan` calls.
///
/// A server's page is first read with what `kept` holds, in one read of the store that checks
/// it is still what the store holds ([`store::Store::each_call_if`]); a page of an invoice, a
/// page that is not full (whose end the scan gives, read apart) and a page read when something
/// changed are read again in one read transaction.
pub fn page_within<S: Store>(
    store: &mut S,
    filter: &CallFilter,
    after: Option<&Cursor>,
    limit: usize,
    scan: u64,
    kept: &Kept,
) -> Result<CallPage> {
    if let (None, Some((stamps, reference))) = (&filter.invoice, kept.last()) {
        if let Some(page) = page_alone(store, filter, after, (limit, scan), stamps, reference)? {
            return Ok(page);
        }
    }
    let mut tx = store.read()?;
    let listing = Listing::prepare(&mut tx, filter, |tx| kept.load(tx))?;
    let query = page_query(&listing, after, limit, scan)?;
    let mut reading = Reading::new(&listing, limit);
    let next = match tx.each_call(&query, |s| reading.take(s)) {
        Err(Stop::Full) => reading.last.take(),
        Err(Stop::Store(e)) => return Err(e.into()),
        // The reach ended, or the scan did: then the next page starts after its last call.
        Ok(()) => tx.scan_end(&query)?,
    };
    Ok(reading.page(next))
}

/// The page read alone with what was kept ([`Store::each_call_if`]); `None` when what is kept
/// is no longer what the store holds, when it cannot resolve the filter (a customer or source
/// added since), or when the page is not full (its end is read apart).
fn page_alone<S: Store>(
    store: &mut S,
    filter: &CallFilter,
    after: Option<&Cursor>,
    (limit, scan): (usize, u64),
    stamps: store::Stamps,
    reference: Reference,
) -> Result<Option<CallPage>> {
    let Ok(listing) = Listing::of(filter, reference, None) else { return Ok(None) };
    let Ok(query) = page_query(&listing, after, limit, scan) else { return Ok(None) };
    let mut reading = Reading::new(&listing, limit);
    match store.each_call_if(&query, stamps, |s| reading.take(s)) {
        Err(Stop::Full) => {
            let last = reading.last.take();
            Ok(Some(reading.page(last)))
        }
        Err(Stop::Store(e)) => Err(e.into()),
        Ok(_) => Ok(None),
    }
}

/// The store's query of a page: the listing's, past the cursor, at most `scan` calls examined,
/// and when every call read is listed, the page and one more, to know whether one follows.
fn page_query(listing: &Listing<'_>, after: Option<&Cursor>, limit: usize, scan: u64) -> Result<store::CallQuery> {
    let mut query = listing.query.clone();
    if let Some(cursor) = after {
        query.after = Some(cursor.key(&listing.reference.customers.sources)?);
    }
    query.scan = Some(scan);
    if listing.exact() {
        query.limit = Some(limit as u64 + 1);
    }
    Ok(query)
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

/// A page being read: the calls taken so far.
struct Reading<'l, 'f> {
    listing: &'l Listing<'f>,
    limit: usize,
    calls: Vec<CallDoc>,
    /// The key of the page's last call, once it is full.
    last: Option<CallKey>,
}

impl<'l, 'f> Reading<'l, 'f> {
    fn new(listing: &'l Listing<'f>, limit: usize) -> Reading<'l, 'f> {
        Reading { listing, limit, calls: Vec::with_capacity(limit), last: None }
    }

    /// The next call read: listed if the filters keep it, until the page is full and another
    /// follows.
    fn take(&mut self, s: StoredCall) -> std::result::Result<(), Stop> {
        if self.calls.len() == self.limit {
            return match self.listing.doc(s) {
                Some(_) => Err(Stop::Full),
                None => Ok(()),
            };
        }
        let key = (self.calls.len() + 1 == self.limit).then(|| CallKey::of(&s.call));
        if let Some(doc) = self.listing.doc(s) {
            self.calls.push(doc);
            self.last = key;
        }
        Ok(())
    }

    fn page(self, next: Option<CallKey>) -> CallPage {
        CallPage { calls: self.calls, next: next.as_ref().map(Cursor::after) }
    }
}
