//! What the tests of metered sources share: two customers on the two platforms of one emulator,
//! both sources configured against it, and what a sync must store (from the emulator's own
//! dataset, the single source of truth its HTTP handlers serve).

use super::{Backend, Env, Run, STANDARD_RATES};
use emulator::dataset::{self, CallKind};
use emulator::{Config, DomainSpec, Emulator, Fault};
use serde_json::Value;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// The seed of the emulators' datasets.
pub const SEED: u64 = 7;
pub const FROM: &str = "2026-11-01";
pub const TO: &str = "2026-11-02";

/// Customers on both platforms: acme on NetSapiens, globex on Brightlink.
pub const CUSTOMERS: &str = "id,name,timezone,billing_day,currency,plans,netsapiens_domain,brightlink_domain
acme,Acme Corp,UTC,1,USD,,acme.pbx.example,
globex,Globex Inc,UTC,1,USD,,,globex.pbx.example
";

/// Rates for the other call types the platforms' calls have, so that every call is rated.
pub const MORE_RATES: &str = "inbound,0,,,1,1,,,,Inbound
toll_free,0.03,,,1,1,,,,Toll-free
emergency,0,,,1,1,,,,Emergency
local,0.01,,,1,1,,,,Local
";

pub fn domain(name: &str, calls_per_day: u32) -> DomainSpec {
    DomainSpec::new(name, calls_per_day, 12, "US/Central")
}

/// The emulators' configuration: both customers' domains with `calls_per_day` calls, and faults.
pub fn config(calls_per_day: u32, faults: Vec<Fault>) -> Config {
    let mut c = Config::demo(SEED);
    c.domains = vec![domain("acme.pbx.example", calls_per_day), domain("globex.pbx.example", calls_per_day)];
    c.faults = faults;
    c
}

/// A database with the standard deck, the two customers, and both sources configured against
/// the emulator with its credentials.
pub fn setup(backend: Backend, emu: &Emulator, cfg: &Config) -> Env {
    let env = Env::on(backend);
    env.import_ok("rates", "rates.csv", &format!("{STANDARD_RATES}{MORE_RATES}"));
    env.import_ok("customers", "customers.csv", CUSTOMERS);
    set_netsapiens(&env, &emu.netsapiens_url(), cfg, &cfg.netsapiens.password).assert_ok();
    set_brightlink(&env, &emu.brightlink_url(), cfg, &cfg.brightlink.password).assert_ok();
    env
}

pub fn set_netsapiens(env: &Env, url: &str, cfg: &Config, password: &str) -> Run {
    set_netsapiens_with(env, url, cfg, password, &[])
}

/// [`set_netsapiens`] with more arguments (`--api-version v1`).
pub fn set_netsapiens_with(env: &Env, url: &str, cfg: &Config, password: &str, more: &[&str]) -> Run {
    let ns = &cfg.netsapiens;
    let mut args = vec!["sources", "set", "netsapiens", "--url", url, "--client-id", &ns.client_id];
    args.extend(["--username", &ns.username]);
    args.extend(more);
    env.meter_with_env(&args, &[("METER_SOURCE_CLIENT_SECRET", &ns.client_secret), ("METER_SOURCE_PASSWORD", password)])
}

pub fn set_brightlink(env: &Env, url: &str, cfg: &Config, password: &str) -> Run {
    let bl = &cfg.brightlink;
    env.meter_with_env(
        &["sources", "set", "brightlink", "--url", url, "--client-id", &bl.api_key, "--username", &bl.username],
        &[("METER_SOURCE_CLIENT_SECRET", &bl.api_secret), ("METER_SOURCE_PASSWORD", password)],
    )
}

pub fn utc(day: &str) -> chrono::DateTime<chrono::Utc> {
    format!("{day}T00:00:00Z").parse().expect("a date")
}

/// What meter must store for a domain's days `from..=to` (UTC customers): (id, start, duration,
/// direction), sorted by id.
pub fn expected(
    cfg: &Config,
    name: &str,
    from: &str,
    to: &str,
    netsapiens_v2: bool,
) -> Vec<(String, String, u64, String)> {
    let spec = cfg.domains.iter().find(|d| d.name == name).expect("a domain of the config");
    let end = utc(to) + chrono::Duration::days(1);
    let mut list: Vec<_> = dataset::calls(cfg.seed, spec, utc(from), end)
        .filter(|c| !(c.hidden || netsapiens_v2 && c.kind == CallKind::Missed))
        .map(|c| {
            let talk = c.talk_seconds().max(0) as u64;
            let direction = match c.kind {
                CallKind::Outbound => "outbound",
                CallKind::Inbound | CallKind::Missed => "inbound",
                CallKind::OnNet => "internal",
            };
            (c.id, c.start.format("%Y-%m-%dT%H:%M:%SZ").to_string(), talk, direction.to_owned())
        })
        .collect();
    list.sort();
    list
}

/// The calls meter stores for a customer from a source, in the shape of [`expected`].
pub fn stored(env: &Env, customer: &str, source: &str) -> Vec<(String, String, u64, String)> {
    let mut list: Vec<_> = env
        .calls(customer)
        .iter()
        .filter(|c| c["source"] == source)
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap_or_default().to_owned();
            (s("id"), s("start"), c["duration"].as_u64().unwrap_or(u64::MAX), s("direction"))
        })
        .collect();
    list.sort();
    list
}

/// `meter sync --format json ARGS`.
pub fn sync(env: &Env, args: &[&str]) -> Run {
    let mut all = vec!["sync", "--format", "json"];
    all.extend_from_slice(args);
    env.meter(&all)
}

/// The jobs of a sync's (or `jobs list`'s) JSON output.
pub fn jobs(run: &Run) -> Vec<Value> {
    run.json()["jobs"].as_array().expect("jobs").clone()
}

pub fn no_duplicate_ids(list: &[(String, String, u64, String)]) {
    let ids: BTreeSet<&str> = list.iter().map(|c| c.0.as_str()).collect();
    assert_eq!(ids.len(), list.len(), "an id is stored twice");
}

/// The checks of `sources check --format json` for one source, by name → ok.
pub fn checks(run: &Run, source: &str) -> Vec<(String, bool)> {
    let doc = run.json();
    let s = doc["sources"].as_array().expect("sources").iter().find(|s| s["source"] == source).cloned();
    let s = s.unwrap_or_else(|| panic!("no {source} in {}", run.dump()));
    s["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|c| (c["check"].as_str().unwrap_or_default().to_owned(), c["ok"].as_bool().unwrap_or(false)))
        .collect()
}

pub fn failed(run: &Run, source: &str) -> Vec<String> {
    checks(run, source).into_iter().filter(|(_, ok)| !ok).map(|(name, _)| name).collect()
}

/// Starts `meter sync ARGS`, waits until its job has committed `pages` pages and the emulator has
/// had `requests` page requests (the sync then waits on a slow page), and kills it, as a crash
/// would. Returns the job as `jobs list` showed it then.
pub fn kill_sync_mid_way(env: &Env, emu: &Emulator, args: &[&str], pages: u64, requests: u64) -> Value {
    let mut all = vec!["sync", "--format", "json"];
    all.extend_from_slice(args);
    let child = env.spawn(&all);
    let deadline = Instant::now() + Duration::from_secs(60);
    let job = loop {
        assert!(Instant::now() < deadline, "the sync never committed {pages} pages");
        std::thread::sleep(Duration::from_millis(50));
        let list = env.meter(&["jobs", "list", "--format", "json"]);
        let job = jobs(&list).first().cloned();
        if let Some(job) = job.filter(|j| j["pages"].as_u64().unwrap_or(0) >= pages && emu.page_requests() >= requests)
        {
            break job;
        }
    };
    child.kill();
    env.settle(Duration::from_secs(10));
    job
}
