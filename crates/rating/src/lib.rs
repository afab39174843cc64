//! The rating engine of `meter`: pure functions and data structures, no I/O.
//!
//! It turns one call record into a rated call (call type, rate, billable seconds, allowance
//! draw, charge: [`Pricing::rate`]) and a set of rated calls into invoice lines, following the
//! billing contract, and places days and billing periods in the customer's zone ([`calendar`]).
//! Money is fixed-point decimal throughout (see [`money`]); nothing here uses floating point.

pub mod allowance;
pub mod calendar;
pub mod calltype;
pub mod error;
pub mod increment;
pub mod index;
pub mod lines;
pub mod local;
pub mod money;
pub mod number;
pub mod pricing;
pub mod rate;

pub use allowance::{Allowance, AllowanceKey, Allowances, Balances, Draw};
pub use calendar::{Calendar, Period};
pub use calltype::{classify, CallKeys, CallType, Direction};
pub use error::{Overflow, ParseError};
pub use increment::Increments;
pub use index::{RateIndex, Tiers};
pub use lines::{LineTotals, UsageLines};
pub use local::{LocalCalling, NpaNxx};
pub use money::{Amount, Charge, Price};
pub use number::MatchKey;
pub use pricing::{Account, Call, Outcome, Priced, Pricing, Rated};
pub use rate::{Owner, Rate, Window};

/// An instant as microseconds since the Unix epoch, UTC. Call starts and rate windows use it.
pub type Micros = i64;
