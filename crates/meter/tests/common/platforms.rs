//! A database set up against the NetSapiens and Brightlink emulators over HTTP on loopback:
//! two customers (acme on NetSapiens, globex on Brightlink, both UTC, billing day 1), a deck that
//! rates every call type the platforms' calls have, and both sources configured with the
//! emulator's credentials.

use super::{Backend, Env, Run, STANDARD_RATES};
use emulator::{Config, DomainSpec, Emulator, Fault};
use serde_json::Value;
use std::time::{Duration, Instant};

/// The seed of the emulators' datasets.
pub const SEED: u64 = 7;

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
pub fn setup(backend: Backend, emu: &Emulator, cfg: &Config) -> Option<Env> {
    let env = Env::on(backend)?;
    env.import_ok("rates", "rates.csv", &format!("{STANDARD_RATES}{MORE_RATES}"));
    env.import_ok("customers", "customers.csv", CUSTOMERS);
    set_netsapiens(&env, &emu.netsapiens_url(), cfg, &cfg.netsapiens.password).assert_ok();
    set_brightlink(&env, &emu.brightlink_url(), cfg, &cfg.brightlink.password).assert_ok();
    Some(env)
}

pub fn set_netsapiens(env: &Env, url: &str, cfg: &Config, password: &str) -> Run {
    let ns = &cfg.netsapiens;
    env.meter_with_env(
        &["sources", "set", "netsapiens", "--url", url, "--client-id", &ns.client_id, "--username", &ns.username],
        &[("METER_SOURCE_CLIENT_SECRET", &ns.client_secret), ("METER_SOURCE_PASSWORD", password)],
    )
}

pub fn set_brightlink(env: &Env, url: &str, cfg: &Config, password: &str) -> Run {
    let bl = &cfg.brightlink;
    env.meter_with_env(
        &["sources", "set", "brightlink", "--url", url, "--client-id", &bl.api_key, "--username", &bl.username],
        &[("METER_SOURCE_CLIENT_SECRET", &bl.api_secret), ("METER_SOURCE_PASSWORD", password)],
    )
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
