//! The use cases of `meter`, generic over the store: imports, invoice preview / create / show /
//! delete, the invoice's life and its document, the call listing, the billing cycle, and who may
//! use the web app and the API (`access`). The command line and the web app call only this
//! crate; async callers run a use case through [`Billing::run`].

pub mod access;
pub mod admin;
pub mod allowance;
pub mod calls;
pub mod csvfile;
pub mod customers;
pub mod cycle;
pub mod doc;
pub mod document;
pub mod edit;
pub mod error;
pub mod import;
pub mod invoice;
pub mod life;
pub mod listing;
pub mod metered;
pub mod pricing;
pub mod record;
mod recurring;
pub mod runs;
pub mod scheduler;
pub mod service;
pub mod settings;
pub mod subscriptions;
pub mod time;
pub mod workers;

pub use error::{BillingError, FileError, FileErrors};
pub use service::Billing;
/// The store, for [`run!`]'s expansion in crates that do not name it.
#[doc(hidden)]
pub use store as __store;

/// Receives progress of long work (bytes of a file read, calls processed).
pub trait Progress: Sync {
    /// The amount of work in all, when known.
    fn start(&self, total: u64);
    /// Work done so far.
    fn at(&self, done: u64);
    fn finish(&self);
}

/// Progress nobody watches.
pub struct Quiet;

impl Progress for Quiet {
    fn start(&self, _: u64) {}
    fn at(&self, _: u64) {}
    fn finish(&self) {}
}
