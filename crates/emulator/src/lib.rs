//! NetSapiens- and Brightlink-compatible API servers on loopback, serving a deterministic dataset.
//!
//! One listener serves both platforms exactly as `docs/sources.md` describes them, quirks included, with
//! injectable faults. [`dataset`] is the single source of truth the HTTP handlers serve.

mod auth;
mod brightlink;
mod config;
pub mod dataset;
mod faults;
mod flaws;
mod http;
mod netsapiens;
mod parse;
mod server;
mod state;
mod trap;

pub use config::{
    BrightlinkAuth, Config, DomainSpec, Fault, FaultKind, NetsapiensAuth, Routes, Trap, TrapReply, DEMO_BL_API_KEY,
    DEMO_BL_API_SECRET, DEMO_BL_PASSWORD, DEMO_BL_USERNAME, DEMO_NS_API_KEY, DEMO_NS_CLIENT_ID, DEMO_NS_CLIENT_SECRET,
    DEMO_NS_PASSWORD, DEMO_NS_USERNAME,
};
pub use flaws::GARBAGE_NUMBER;
pub use parse::ParseError;
pub use server::Emulator;
