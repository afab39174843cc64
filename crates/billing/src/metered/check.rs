//! The connectivity and reconciliation summary of a customer's sources: each check green or red,
//! with the reason and what to fix (typed: the caller words it).

use super::secrets::SecretKey;
use super::{customer_window, domain_of, runtime, settings, utc, Reconciliation};
use crate::error::{BillingError, Result};
use crate::invoice::zone_of;
use crate::time::format_utc;
use chrono::NaiveDate;
use rating::calendar::local_date;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;
use store::prelude::*;
use store::{Customer, JobQuery, JobState, Source, Store};
use tokio::runtime::Runtime;

/// How long a check waits for a platform before it calls it down.
pub(crate) const CHECK_TIMEOUT: Duration = Duration::from_secs(10);

/// One check of one source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub check: &'static str,
    pub ok: bool,
    pub detail: String,
    /// What to do about a failed check: the caller words it (and adds it to what it shows).
    #[serde(skip)]
    pub fix: Option<Fix>,
}

/// What to do about a failed check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fix {
    /// Configure the source for this installation.
    SetUp { source: Source },
    /// Give the key the settings were saved with.
    SecretKey,
    /// Give the source's settings again.
    Settings { source: Source },
    /// Correct the customer's domain on the source (in customers.csv).
    Domain { source: Source, customer: String },
    /// Assign the customer's phone numbers on the platform.
    AssignNumbers,
    /// Sync the customer from the source, for these days when they are known.
    Sync { customer: String, source: Source, days: Option<(NaiveDate, NaiveDate)> },
    /// Run the customer's failed sync again: it resumes.
    Rerun { customer: String, source: Source },
    /// Add rates for the unrated call types to the customer's deck.
    Rates,
    /// What the platform's failure asks of the operator, about this source and customer.
    Platform { source: Source, customer: String, advice: Advice },
}

/// What a platform's failure asks of the operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Advice {
    /// Settings that cannot work: complete or correct them.
    Settings,
    /// Credentials the platform refused.
    Credentials,
    /// No answer: the URL, or the network between.
    Reach,
    /// The account lacks the permission the requests need.
    Permission,
    /// Not found: the customer's domain, or the URL.
    NotFound,
    /// The platform is rate limiting: sync later.
    RateLimited,
    /// The platform is failing: sync later.
    Failing,
    /// Another refusal: the settings, and what docs/sources.md says of the platform.
    Refused,
    /// An answer meter does not understand: report it.
    Unknown,
    /// The platform has no such domain.
    Domain,
    /// A redirect to another origin: the URL, if the platform moved.
    Moved,
}

impl Advice {
    /// The advice for a platform's error.
    pub fn of(e: &sources::SourceError) -> Advice {
        use sources::SourceError as E;
        match e {
            E::Config { .. } => Advice::Settings,
            E::Auth { .. } => Advice::Credentials,
            E::Unreachable { .. } => Advice::Reach,
            E::Http { status: 403, .. } => Advice::Permission,
            E::Http { status: 404, .. } => Advice::NotFound,
            E::Http { status: 429, .. } => Advice::RateLimited,
            E::Http { status: 500..=599, .. } => Advice::Failing,
            E::Http { .. } => Advice::Refused,
            E::Malformed { .. } => Advice::Unknown,
            E::UnknownDomain { .. } => Advice::Domain,
            E::Redirected { .. } => Advice::Moved,
        }
    }
}

/// The checks of one source for a customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceCheck {
    pub source: String,
    pub domain: Option<String>,
    pub ok: bool,
    pub checks: Vec<Check>,
}

fn green(check: &'static str, detail: String) -> Check {
    Check { check, ok: true, detail, fix: None }
}

fn red(check: &'static str, detail: String, fix: Fix) -> Check {
    Check { check, ok: false, detail, fix: Some(fix) }
}

/// Checks every source the customer has a domain on; one that is not configured is red with
/// `all_sources`, and left out without (the invoice preview). `range` (whole days in the
/// customer's zone) is what the reconciliation compares.
pub fn check_customer<S: Store>(
    store: &mut S,
    key: Option<&SecretKey>,
    customer: &str,
    range: Option<(NaiveDate, NaiveDate)>,
    all_sources: bool,
) -> Result<Vec<SourceCheck>> {
    let (customer, configured) = {
        let mut tx = store.read()?;
        let c = tx.customer(customer)?.ok_or_else(|| BillingError::UnknownCustomer(customer.to_owned()))?;
        (c, tx.source_settings()?)
    };
    // One network runtime for every source checked, started when the first one needs it.
    let mut rt: Option<Runtime> = None;
    let mut out = Vec::new();
    for (source, _) in &customer.domains {
        let settings = configured.iter().find(|s| s.source == *source);
        // A customer is checked on the sources it has a domain on; not every customer uses every
        // configured source.
        let Some(domain) = domain_of(&customer, source) else { continue };
        let checks = match settings {
            None if !all_sources => continue,
            None => vec![red(
                "settings",
                format!("{source} is not configured for this installation"),
                Fix::SetUp { source: source.clone() },
            )],
            Some(s) => match key {
                None => vec![red(
                    "settings",
                    "the secret key the settings were saved with is not here".into(),
                    Fix::SecretKey,
                )],
                Some(k) => match settings::client_of(s, k, Some(CHECK_TIMEOUT)) {
                    Ok(client) => {
                        let rt = match rt {
                            Some(ref rt) => rt,
                            None => rt.insert(runtime()?),
                        };
                        check_source(store, (rt, &client), &customer, source, &domain, range)?
                    }
                    Err(e) => vec![red("settings", e.to_string(), Fix::Settings { source: source.clone() })],
                },
            },
        };
        out.push(SourceCheck {
            source: source.name().to_owned(),
            domain: Some(domain),
            ok: checks.iter().all(|c| c.ok),
            checks,
        });
    }
    Ok(out)
}

fn platform_fix(source: &Source, customer: &Customer, e: &sources::SourceError) -> Fix {
    Fix::Platform { source: source.clone(), customer: customer.id.clone(), advice: Advice::of(e) }
}

fn check_source<S: Store>(
    store: &mut S,
    (rt, client): (&Runtime, &sources::Client),
    customer: &Customer,
    source: &Source,
    domain: &str,
    range: Option<(NaiveDate, NaiveDate)>,
) -> Result<Vec<Check>> {
    let mut checks = Vec::new();
    let reachable = match rt.block_on(client.authenticate()) {
        Ok(()) => {
            let version = rt.block_on(client.api_version()).map(|v| format!(" (API {v})")).unwrap_or_default();
            checks.push(green("credentials", format!("accepted{version}")));
            true
        }
        Err(e) => {
            checks.push(red("credentials", e.to_string(), platform_fix(source, customer, &e)));
            false
        }
    };
    let last = last_sync(store, customer, source)?;
    if reachable {
        checks.push(match rt.block_on(client.domain(domain)) {
            Ok(Some(info)) => green(
                "domain",
                match info.time_zone {
                    Some(tz) => format!("{domain} exists (time zone {tz})"),
                    None => format!("{domain} exists"),
                },
            ),
            Ok(None) => red(
                "domain",
                format!("{source} has no domain {domain}"),
                Fix::Domain { source: source.clone(), customer: customer.id.clone() },
            ),
            Err(e) => red("domain", e.to_string(), platform_fix(source, customer, &e)),
        });
        checks.push(match rt.block_on(client.phone_numbers(domain)) {
            Ok(n) if n.is_empty() => red("numbers", format!("{domain} has no phone numbers"), Fix::AssignNumbers),
            Ok(n) => {
                let enabled = n.iter().filter(|x| x.enabled).count();
                green("numbers", format!("{} phone numbers ({enabled} enabled)", n.len()))
            }
            Err(e) => red("numbers", e.to_string(), platform_fix(source, customer, &e)),
        });
    }
    checks.push(last.0);
    // The days reconciled and whose rates are checked: the range, else the last sync's window.
    let days = match (range, last.1) {
        (Some(days), _) => Some(days),
        (None, Some((start, end))) => {
            let tz = zone_of(customer)?;
            Some((local_date(start, tz), local_date(end - 1, tz)))
        }
        (None, None) => None,
    };
    if let (true, Some((from, to))) = (reachable, days) {
        let label = format!("{from} to {to}");
        checks.push(match records(store, (rt, client), customer, source, domain, (from, to))? {
            Ok(r) => {
                let counts = format!("{label}: {source} counts {}, meter stores {}", r.platform, r.stored);
                match r.reconciliation() {
                    Reconciliation::Exact => green("records", format!("{counts} (an exact match)")),
                    Reconciliation::WithHiddenLegs => green(
                        "records",
                        format!("{counts} + {} hidden legs the last sync listed (a match with hidden legs)", r.hidden),
                    ),
                    Reconciliation::Mismatch => red(
                        "records",
                        format!("{counts} ({})", r.difference()),
                        Fix::Sync { customer: customer.id.clone(), source: source.clone(), days: Some((from, to)) },
                    ),
                }
            }
            Err(e) => red("records", e.to_string(), platform_fix(source, customer, &e)),
        });
    }
    checks.push(rates(store, customer, source, days)?);
    Ok(checks)
}

/// The records check of one source: the platform's own count of a customer's records for some
/// days, and the calls meter stores for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Records {
    pub platform: u64,
    pub stored: u64,
    /// The hidden legs the newest finished sync of exactly these days listed (0 when none did).
    pub hidden: u64,
}

impl Records {
    /// How the platform's count matches the calls stored (docs/sources.md, "Reconciliation").
    pub fn reconciliation(&self) -> Reconciliation {
        Reconciliation::of(self.platform, self.stored, self.hidden)
    }

    /// Whether meter stores what the platform counts, with or without the hidden legs (the
    /// check is green).
    pub fn matches(&self) -> bool {
        self.reconciliation() != Reconciliation::Mismatch
    }

    /// `platform − stored`: records missing (positive) or extra (negative).
    pub fn missing(&self) -> i64 {
        let signed = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        signed(self.platform) - signed(self.stored)
    }

    /// The difference in words: "3 missing", "2 more than the platform".
    pub fn difference(&self) -> String {
        if self.platform > self.stored {
            format!("{} missing", self.platform - self.stored)
        } else {
            format!("{} more than the platform", self.stored - self.platform)
        }
    }
}

/// Counts the customer's records of the days `from..=to` (in its zone) on the platform and in
/// the store; `Ok(Err(_))` when the platform could not be asked.
pub(crate) fn records<S: Store>(
    store: &mut S,
    (rt, client): (&Runtime, &sources::Client),
    customer: &Customer,
    source: &Source,
    domain: &str,
    days: (NaiveDate, NaiveDate),
) -> Result<Result<Records, sources::SourceError>> {
    let (start, end) = customer_window(customer, days)?;
    let stored = store.read()?.count_calls(customer.pk, source, start, end)?;
    let hidden = hidden_legs(store, customer, source, (start, end))?;
    let w = sources::Window { start: utc(start)?, end: utc(end)? };
    Ok(rt.block_on(client.count(domain, &w)).map(|platform| Records { platform, stored, hidden }))
}

/// The hidden legs the newest finished sync of exactly this window listed; 0 when none did.
fn hidden_legs<S: Store>(store: &mut S, c: &Customer, source: &Source, (start, end): (i64, i64)) -> Result<u64> {
    let q = JobQuery { customer_pk: Some(c.pk), source: Some(source.clone()), limit: Some(20) };
    let jobs = store.read()?.jobs(&q)?;
    let done = jobs.iter().find(|j| j.state == JobState::Done && (j.window_start, j.window_end) == (start, end));
    Ok(done.map_or(0, |j| j.progress.skipped))
}

/// The last sync of the customer on the source, and the window it covered.
fn last_sync<S: Store>(store: &mut S, c: &Customer, source: &Source) -> Result<(Check, Option<(i64, i64)>)> {
    let q = JobQuery { customer_pk: Some(c.pk), source: Some(source.clone()), limit: Some(1) };
    let job = store.read()?.jobs(&q)?.into_iter().next();
    let resync = Fix::Sync { customer: c.id.clone(), source: source.clone(), days: None };
    Ok(match job {
        None => (red("last sync", "never synced".into(), resync), None),
        Some(j) => {
            let when = format_utc(j.finished_at.unwrap_or(j.started_at));
            let window = format!("{} to {}", format_utc(j.window_start), format_utc(j.window_end));
            let check = match j.state {
                JobState::Done => green("last sync", format!("job {} at {when}, records from {window}", j.id)),
                JobState::Running => {
                    red("last sync", format!("job {} started {when} has not finished", j.id), resync.clone())
                }
                JobState::Failed => red(
                    "last sync",
                    format!("job {} failed at {when}: {}", j.id, j.error.as_deref().unwrap_or("")),
                    Fix::Rerun { customer: c.id.clone(), source: source.clone() },
                ),
            };
            (check, Some((j.window_start, j.window_end)))
        }
    })
}

/// Whether the deck rates every call type seen in the customer's answered calls from the source.
fn rates<S: Store>(
    store: &mut S,
    c: &Customer,
    source: &Source,
    range: Option<(NaiveDate, NaiveDate)>,
) -> Result<Check> {
    let mut tally = Unrated { source: source.name(), seen: 0, unrated: BTreeMap::new() };
    crate::calls::list_calls(store, &c.id, range, &mut tally)?;
    if tally.unrated.is_empty() {
        return Ok(green("rates", format!("every call type of the {} calls has a rate", tally.seen)));
    }
    let list: Vec<String> = tally.unrated.iter().map(|(t, n)| format!("{t} ({n} calls)")).collect();
    Ok(red("rates", format!("no rate for {}", list.join(", ")), Fix::Rates))
}

/// The calls of one source counted as they are listed, and the unrated ones by call type.
struct Unrated<'a> {
    source: &'a str,
    seen: u64,
    unrated: BTreeMap<String, u64>,
}

impl crate::calls::CallSink for Unrated<'_> {
    type Error = crate::error::BillingError;
    fn begin(&mut self, _: chrono_tz::Tz) -> Result<()> {
        Ok(())
    }
    fn call(&mut self, call: &crate::doc::CallDoc) -> Result<()> {
        if call.source == self.source {
            self.seen += 1;
            if call.status == crate::doc::CallStatus::Unrated {
                match self.unrated.get_mut(&call.call_type) {
                    Some(n) => *n += 1,
                    None => drop(self.unrated.insert(call.call_type.clone(), 1)),
                }
            }
        }
        Ok(())
    }
}
