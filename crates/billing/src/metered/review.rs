//! An invoice preview with what its metered sources say: their checks, and the holds that would
//! refuse creating the invoice.

use super::check::{check_customer, SourceCheck};
use super::guard::{holds, Hold};
use super::secrets::SecretKey;
use crate::error::Result;
use crate::invoice::{preview, InvoiceRequest, Preview};
use rating::Micros;
use store::Store;

/// A preview and, when the customer's calls come from metered sources, what they say.
#[derive(Debug, Clone)]
pub struct Review {
    pub preview: Preview,
    /// The checks of the customer's configured sources (none when no source is configured).
    pub checks: Vec<SourceCheck>,
    /// What would hold `invoice create` for the same range.
    pub holds: Vec<Hold>,
}

/// Previews the invoice of `req`, with the checks of the customer's configured sources and the
/// holds at `now`. `key` opens the saved source secrets; without it, the sources cannot be
/// counted, which their checks and holds say.
pub fn review<S: Store>(store: &mut S, req: &InvoiceRequest, key: Option<&SecretKey>, now: Micros) -> Result<Review> {
    let preview = preview(store, req)?;
    let days = (req.from, req.to);
    let checks = match super::configured(store)? {
        true => check_customer(store, key, &req.customer, Some(days), false)?,
        false => Vec::new(),
    };
    let holds = holds(store, key, &req.customer, days, now)?;
    Ok(Review { preview, checks, holds })
}
