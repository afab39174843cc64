//! The deterministic dataset every emulated platform serves: calls and numbers of each domain.
//!
//! Record `i` of UTC day `d` starts at an inverse-CDF of an hourly curve applied to `(i + u_i) / n`, so starts
//! are non-decreasing in `i`; its kind comes from a repeating 100-slot pattern rotated per day, so counts and
//! the position of the k-th record of a kind are arithmetic. Everything else is a hash of (seed, domain, d, i).

mod domain;
mod gen;
mod hash;
mod pattern;
mod window;

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::DomainSpec;
pub(crate) use domain::Domain;
pub(crate) use gen::Leg;
pub(crate) use pattern::Filter;
pub(crate) use window::Window;

/// What kind of call a record is; unanswered outbound legs stay `Outbound` with no answer time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CallKind {
    /// From one of the domain's numbers to the outside (domestic, international or toll-free).
    Outbound,
    /// From the outside to one of the domain's numbers, answered.
    Inbound,
    /// Between two extensions of the domain.
    OnNet,
    /// From the outside to one of the domain's numbers, never answered.
    Missed,
}

/// One call record (one leg), as both platforms serve it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    /// Unique per domain and stable; v1 `cdr_id`, v2 `id` and Brightlink `callId`.
    pub id: String,
    /// Kind of call.
    pub kind: CallKind,
    /// Caller: digits (an 11-digit number, or an extension for on-net calls).
    pub from: String,
    /// Number or extension dialled.
    pub to: String,
    /// Start time, whole seconds.
    pub start: DateTime<Utc>,
    /// Answer time; `None` when unanswered.
    pub answer: Option<DateTime<Utc>>,
    /// Disconnect time.
    pub end: DateTime<Utc>,
    /// A helper leg the platforms flag (`hide-from-results`) and Brightlink never shows.
    pub hidden: bool,
}

/// A phone number (DID) of a domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Number {
    /// 11 digits, e.g. `"13125550142"`.
    pub number: String,
    /// Whether the number is enabled.
    pub enabled: bool,
}

impl Call {
    /// Talk seconds: end − answer, 0 when unanswered.
    pub fn talk_seconds(&self) -> i64 {
        self.answer.map_or(0, |a| (self.end - a).num_seconds())
    }
}

fn window(seed: u64, domain: &DomainSpec, from: DateTime<Utc>, to: DateTime<Utc>, filter: Filter) -> Window {
    Window::new(Arc::new(Domain::new(seed, domain)), from, to, filter)
}

/// The calls of a domain whose start is in `[from, to)`, hidden legs included, in the order the platforms list
/// them (start time, then id). Lazy: never holds them all.
pub fn calls(seed: u64, domain: &DomainSpec, from: DateTime<Utc>, to: DateTime<Utc>) -> impl Iterator<Item = Call> {
    window(seed, domain, from, to, Filter::ALL).legs(0).map(|l| l.call)
}

/// How many of [`calls`] there are (hidden legs included), of one kind or all: O(days), not O(calls).
pub fn count(seed: u64, domain: &DomainSpec, from: DateTime<Utc>, to: DateTime<Utc>, kind: Option<CallKind>) -> u64 {
    window(seed, domain, from, to, Filter { kind, visible_only: false }).count()
}

/// How many of [`calls`] are not hidden, of one kind or all: the count NetSapiens v2 `cdrs/count`
/// (per type) and Brightlink `cdrTotalCount` report; NetSapiens v1 `cdr2 count` is [`count`].
pub fn count_visible(
    seed: u64,
    domain: &DomainSpec,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    kind: Option<CallKind>,
) -> u64 {
    window(seed, domain, from, to, Filter { kind, visible_only: true }).count()
}

/// The domain's phone numbers: `domain.numbers` DIDs in one area code, a few disabled.
pub fn numbers(seed: u64, domain: &DomainSpec) -> Vec<Number> {
    let dom = Domain::new(seed, domain);
    (0..domain.numbers).map(|j| Number { number: dom.did(j), enabled: dom.did_enabled(j) }).collect()
}
