//! What the handlers of both platforms share: the configuration, the domains, tokens and faults.

use std::collections::HashMap;
use std::sync::Arc;

use axum::http::{HeaderMap, StatusCode};

use crate::auth::{Check, Platform, Tokens};
use crate::dataset::Domain;
use crate::faults::Faults;
use crate::http::{bearer, error, Reply};
use crate::Config;

/// The message of a 401 for an expired token.
pub(crate) const EXPIRED: &str = "Access token expired";

/// Shared state of a running emulator.
#[derive(Debug)]
pub(crate) struct AppState {
    pub config: Config,
    /// The domains in configuration order.
    pub domains: Vec<Arc<Domain>>,
    by_name: HashMap<String, usize>,
    pub tokens: Tokens,
    pub faults: Faults,
}

impl AppState {
    pub(crate) fn new(config: Config) -> AppState {
        let domains: Vec<Arc<Domain>> = config.domains.iter().map(|d| Arc::new(Domain::new(config.seed, d))).collect();
        let by_name = domains.iter().enumerate().map(|(i, d)| (d.name.clone(), i)).collect();
        let faults = Faults::new(&config.faults);
        AppState { config, domains, by_name, tokens: Tokens::new(), faults }
    }

    pub(crate) fn domain(&self, name: &str) -> Option<&Arc<Domain>> {
        self.by_name.get(name).map(|i| &self.domains[*i])
    }

    /// The domains asked for: the one named (none if unknown), or all without a name.
    pub(crate) fn selected(&self, name: Option<&str>) -> Vec<&Arc<Domain>> {
        match name {
            Some(n) => self.domain(n).into_iter().collect(),
            None => self.domains.iter().collect(),
        }
    }

    /// The bearer token of a data request if the platform accepts it, else the 401 to answer.
    pub(crate) fn authorize(&self, platform: Platform, headers: &HeaderMap) -> Result<String, Reply> {
        let unauthorized = |m: &str| Err(error(platform, StatusCode::UNAUTHORIZED, m));
        let Some(token) = bearer(headers) else {
            return unauthorized("Missing bearer token");
        };
        if platform == Platform::NetSapiens && self.config.netsapiens.api_keys.iter().any(|k| k == token) {
            return Ok(token.to_string());
        }
        match self.tokens.check(platform, token) {
            Check::Valid => Ok(token.to_string()),
            Check::Expired => unauthorized(EXPIRED),
            Check::Unknown => unauthorized("Invalid access token"),
        }
    }
}
