//! A NetSapiens platform for the tests: the emulator, started in process on 127.0.0.1:0, set up as
//! the installation's source, and what a sync must store (from the emulator's own dataset, the
//! single source of truth its HTTP handlers serve).

use super::{day, Quiet, World, NOW};
use billing::calls::CallSink;
use billing::doc::CallDoc;
use billing::metered::settings::SourceConfig;
use billing::metered::sync::Outcome;
use billing::metered::SyncRequest;
use billing::BillingError;
use emulator::dataset::{self, CallKind};
use emulator::{Config, DomainSpec, Emulator, Fault};

/// The seed of the emulator's dataset.
pub const SEED: u64 = 7;

/// A running platform serving `domains` (in UTC, 12 numbers each) with `calls_per_day` records a
/// day, and these faults; with the configuration it serves.
pub fn platform(domains: &[&str], calls_per_day: u32, faults: Vec<Fault>) -> (Emulator, Config) {
    let mut cfg = Config::demo(SEED);
    cfg.domains = domains.iter().map(|d| DomainSpec::new(d, calls_per_day, 12, "UTC")).collect();
    cfg.faults = faults;
    (Emulator::spawn(cfg.clone()).expect("the emulator starts"), cfg)
}

/// The catch-all rates of every call type the platform's records have, so that all are rated.
pub fn platform_rates() -> Vec<super::RateRow> {
    ["domestic", "international", "on_net", "inbound", "toll_free", "emergency", "local"]
        .iter()
        .map(|t| super::rate(t, "0.06"))
        .collect()
}

/// A call as a test compares it: (id, start in UTC, duration, direction).
pub type Seen = (String, String, u64, String);

/// What meter must store of `domain` for the UTC days `from..=to`: every leg the platform shows
/// (NetSapiens v2 lists no missed calls), sorted by id.
pub fn expected(cfg: &Config, domain: &str, from: &str, to: &str) -> Vec<Seen> {
    let spec = cfg.domains.iter().find(|d| d.name == domain).expect("a domain of the platform");
    let start = day(from).and_hms_opt(0, 0, 0).expect("midnight").and_utc();
    let end = day(to).succ_opt().expect("a next day").and_hms_opt(0, 0, 0).expect("midnight").and_utc();
    let mut list: Vec<Seen> = dataset::calls(cfg.seed, spec, start, end)
        .filter(|c| !c.hidden && c.kind != CallKind::Missed)
        .map(|c| {
            let direction = match c.kind {
                CallKind::Outbound => "outbound",
                CallKind::Inbound | CallKind::Missed => "inbound",
                CallKind::OnNet => "internal",
            };
            let talk = c.talk_seconds().max(0) as u64;
            (c.id, c.start.format("%Y-%m-%dT%H:%M:%SZ").to_string(), talk, direction.to_owned())
        })
        .collect();
    list.sort();
    list
}

/// The calls a listing hands over, in the shape of [`expected`].
#[derive(Default)]
struct Collect(Vec<Seen>);

impl CallSink for Collect {
    type Error = BillingError;
    fn begin(&mut self, _: chrono_tz::Tz) -> Result<(), BillingError> {
        Ok(())
    }
    fn call(&mut self, c: &CallDoc) -> Result<(), BillingError> {
        self.0.push((c.id.clone(), c.start.clone(), c.duration.into(), c.direction.clone()));
        Ok(())
    }
}

impl<S: store::OpenStore> World<S> {
    /// Sets the installation's NetSapiens source to the platform, with its credentials.
    pub fn netsapiens_source(&mut self, emu: &Emulator, cfg: &Config) {
        let ns = &cfg.netsapiens;
        let settings = SourceConfig {
            url: emu.netsapiens_url(),
            client_id: Some(ns.client_id.clone()),
            username: Some(ns.username.clone()),
            client_secret: Some(ns.client_secret.clone().into()),
            password: Some(ns.password.clone().into()),
            ..SourceConfig::default()
        };
        billing::metered::settings::save(&mut self.store, &self.key, ("netsapiens", None), &settings, NOW)
            .expect("the source's settings saved");
    }

    /// Syncs the customer's sources for the days `from..=to`, as `meter sync` does.
    pub fn sync(&mut self, customer: &str, from: &str, to: &str) -> Vec<Outcome> {
        let clients = billing::metered::settings::clients(&mut self.store, Some(&self.key), None).expect("clients");
        let req = SyncRequest { customer: Some(customer.into()), source: None, from: day(from), to: day(to) };
        billing::metered::sync(&mut self.store, &clients, &req, &|| NOW, &|_| Box::new(Quiet)).expect("a sync run")
    }

    /// The customer's calls stored, in the shape of [`expected`].
    pub fn stored(&mut self, customer: &str) -> Vec<Seen> {
        let mut seen = Collect::default();
        billing::calls::list_calls(&mut self.store, customer, None, &mut seen).expect("a listing");
        seen.0.sort();
        seen.0
    }
}
