//! Which customer a call record belongs to: by customer id, or by a domain on the source.

use crate::error::Result;
use crate::time::parse_zone;
use chrono_tz::Tz;
use std::collections::{BTreeMap, HashMap};
use store::{Customer, Platform, Source, StoreTx};

/// The customers a call file may name, loaded once per import.
pub(super) struct Customers {
    by_id: HashMap<String, i64>,
    /// Lower-cased domain → customer pks that have it on the sources searched.
    by_domain: HashMap<String, Vec<(i64, String)>>,
    /// Each customer's zone (UTC when the stored one is not an IANA zone) and id, by pk.
    by_pk: HashMap<i64, (Tz, String)>,
}

impl Customers {
    /// Every customer, with the domains of `source` (of every source for `file`).
    pub(super) fn load<T: StoreTx>(tx: &mut T, source: &Source) -> Result<Customers> {
        let mut by_id = HashMap::new();
        let mut by_domain: HashMap<String, Vec<(i64, String)>> = Default::default();
        let mut by_pk = HashMap::new();
        for c in tx.customers()? {
            for (_, d) in domain_keys(&c).filter(|(s, _)| source.platform() == Platform::File || s == source) {
                let list = by_domain.entry(d).or_default();
                if !list.iter().any(|(pk, _)| *pk == c.pk) {
                    list.push((c.pk, c.id.clone()));
                }
            }
            by_pk.insert(c.pk, (parse_zone(&c.timezone).unwrap_or(Tz::UTC), c.id.clone()));
            by_id.insert(c.id, c.pk);
        }
        Ok(Customers { by_id, by_domain, by_pk })
    }

    /// The pk of the customer with this id.
    pub(super) fn pk(&self, id: &str) -> Option<i64> {
        self.by_id.get(id).copied()
    }

    /// Every customer's pk.
    pub(super) fn pks(&self) -> impl Iterator<Item = i64> + '_ {
        self.by_id.values().copied()
    }

    /// The customer's time zone.
    pub(super) fn zone(&self, pk: i64) -> Tz {
        self.by_pk.get(&pk).map_or(Tz::UTC, |(tz, _)| *tz)
    }

    /// The customer's id.
    pub(super) fn id(&self, pk: i64) -> &str {
        self.by_pk.get(&pk).map_or("", |(_, id)| id.as_str())
    }

    /// The customer a row names: `customer` wins over `domain`. On failure, the column to blame
    /// (`customer` or `domain`) and why.
    pub(super) fn resolve(&self, customer: &str, domain: &str) -> std::result::Result<i64, (&'static str, String)> {
        if !customer.is_empty() {
            return self.pk(customer).ok_or(("customer", format!("unknown customer `{customer}`")));
        }
        if domain.is_empty() {
            return Err(("customer", "neither customer nor domain is given".into()));
        }
        match self.by_domain.get(&domain_key(domain)).map(Vec::as_slice) {
            Some([(pk, _)]) => Ok(*pk),
            Some(many) if many.len() > 1 => {
                let ids: Vec<&str> = many.iter().map(|(_, id)| id.as_str()).collect();
                Err(("domain", format!("domain `{domain}` belongs to several customers: {}", ids.join(", "))))
            }
            _ => Err(("domain", format!("no customer has domain `{domain}`"))),
        }
    }
}

/// A domain as domains are compared: ignoring case.
pub(crate) fn domain_key(domain: &str) -> String {
    domain.to_lowercase()
}

/// A customer's domains as they are compared, by source.
pub(crate) fn domain_keys(c: &Customer) -> impl Iterator<Item = (Source, String)> + '_ {
    c.domains.iter().map(|(s, d)| (s.clone(), domain_key(d)))
}

/// Each domain that several customers have on one source, in words: syncs of that domain move
/// calls from one of them to another. `customers` in id order.
pub(crate) fn shared_domains(customers: &[Customer]) -> Vec<String> {
    let mut owners: BTreeMap<(Source, String), Vec<&str>> = BTreeMap::new();
    for c in customers {
        for key in domain_keys(c) {
            owners.entry(key).or_default().push(&c.id);
        }
    }
    owners
        .into_iter()
        .filter(|(_, ids)| ids.len() > 1)
        .map(|((source, domain), ids)| {
            format!(
                "{source} domain `{domain}` belongs to several customers: {} (each sync of it moves calls to the customer synced; give each customer its own)",
                ids.join(", ")
            )
        })
        .collect()
}
