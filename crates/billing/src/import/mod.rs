//! Imports of the contract's files. Each import is all-or-nothing: it validates every row,
//! reports every bad one (up to a limit) with its line and column, and writes only when the
//! whole file is good, in one transaction.

mod cdrs;
mod customers;
mod decks;
mod domains;
mod mapped;
mod numbers;
mod owners;
pub(crate) mod plans;
pub mod presets;
mod rates;
pub mod rules;
mod seen;
pub mod spec;
mod stream;
pub mod timefmt;

pub use cdrs::import_cdrs;
pub use customers::import_customers;
pub(crate) use customers::import_customers_text;
pub use decks::{import_decks, import_local_calling};
pub use mapped::{import_mapped, MapOptions, MappingError};
pub use numbers::{import_numbers, list_numbers, NumberRow};
pub(crate) use owners::shared_domains;
pub use plans::import_plans;
pub(crate) use plans::import_plans_text;
pub use rates::{import_rates, import_rates_from};

use serde::Serialize;

/// What an import did, as the contract's JSON summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub imported: u64,
    pub updated: u64,
    pub duplicates: u64,
    pub conflicts: u64,
}

impl Summary {
    /// Counts what importing one call record did.
    pub fn count(&mut self, outcome: store::CallOutcome) {
        use store::CallOutcome::*;
        match outcome {
            Imported => self.imported += 1,
            Updated => self.updated += 1,
            Duplicate => self.duplicates += 1,
            Conflict => self.conflicts += 1,
        }
    }
}

/// Checks an id of a `kind` (customer, plan, deck): the contract's form `[A-Za-z0-9_.-]+`, and at
/// most [`store::MAX_ID_LEN`] bytes. The error is the reason, for the caller to place.
pub(crate) fn validate_id(kind: &str, s: &str) -> Result<(), String> {
    if s.len() > store::MAX_ID_LEN {
        return Err(too_long(&format!("{kind} id")));
    }
    let form = !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    match form {
        true => Ok(()),
        false => Err(format!("`{s}` is not a {kind} id (letters, digits, `_`, `.`, `-`)")),
    }
}

/// Why a value named `what` longer than [`store::MAX_ID_LEN`] is refused (it is not repeated:
/// it would be as long as the message).
pub(crate) fn too_long(what: &str) -> String {
    format!("the {what} is longer than {} bytes", store::MAX_ID_LEN)
}

/// Counts a record of a file against the stored one with the same id (new → imported,
/// unchanged → duplicate, changed → updated); returns whether it must be written.
pub(crate) fn tally<T: PartialEq>(sum: &mut Summary, stored: Option<&T>, new: &T) -> bool {
    match stored {
        None => sum.imported += 1,
        Some(old) if old == new => {
            sum.duplicates += 1;
            return false;
        }
        Some(_) => sum.updated += 1,
    }
    true
}
