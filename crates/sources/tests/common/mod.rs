//! What the integration tests share: an emulator per platform generation, client settings for it,
//! a full pull, and the records the emulator's dataset says a pull must yield.
#![allow(dead_code)]

use std::collections::HashSet;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use emulator::dataset::{self, CallKind};
use emulator::{Config, DomainSpec, Emulator, Fault, FaultKind};
use sources::{ApiVersion, Client, Cursor, Direction, Platform, Record, RetryPolicy, Settings, SourceError, Window};

pub const SEED: u64 = 42;

/// Every secret the clients of the tests know.
pub const SECRETS: [&str; 5] = [
    emulator::DEMO_NS_PASSWORD,
    emulator::DEMO_NS_CLIENT_SECRET,
    emulator::DEMO_NS_API_KEY,
    emulator::DEMO_BL_PASSWORD,
    emulator::DEMO_BL_API_SECRET,
];
pub const DOMAIN: &str = "acme.pbx.example.net";

/// One platform generation the client speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gen {
    /// NetSapiens v2, password grant.
    NsV2,
    /// NetSapiens v2, API key.
    NsKey,
    /// NetSapiens without v2 (`api_version` auto must pick v1).
    NsV1,
    Brightlink,
}

pub const ALL: [Gen; 4] = [Gen::NsV2, Gen::NsKey, Gen::NsV1, Gen::Brightlink];

pub fn config(gen: Gen, faults: Vec<Fault>) -> Config {
    let mut c = Config::demo(SEED);
    c.domains = vec![DomainSpec::new(DOMAIN, 5000, 25, "US/Central")];
    c.netsapiens.v2 = gen != Gen::NsV1;
    c.faults = faults;
    c
}

pub fn fault(kind: FaultKind, at: u64, delay_ms: u64) -> Fault {
    Fault { kind, at, delay_ms }
}

/// One UTC day.
pub fn window() -> Window {
    Window {
        start: Utc.with_ymd_and_hms(2026, 11, 3, 0, 0, 0).single().expect("valid date"),
        end: Utc.with_ymd_and_hms(2026, 11, 4, 0, 0, 0).single().expect("valid date"),
    }
}

/// Fast retries: 10 ms base, 100 ms cap.
pub fn quick_retry() -> RetryPolicy {
    RetryPolicy {
        max_retries: 5,
        base: Duration::from_millis(10),
        cap: Duration::from_millis(100),
        max_retry_after: Duration::from_secs(60),
    }
}

/// Settings with the emulator's demo credentials for `gen`.
pub fn settings(gen: Gen, emu: &Emulator) -> Settings {
    let c = Config::demo(SEED);
    let mut s = match gen {
        Gen::Brightlink => {
            let mut s = Settings::new(Platform::Brightlink, emu.brightlink_url());
            s.client_id = Some(c.brightlink.api_key.clone());
            s.client_secret = Some(c.brightlink.api_secret.clone().into());
            s.username = Some(c.brightlink.username.clone());
            s.password = Some(c.brightlink.password.clone().into());
            s
        }
        Gen::NsKey => {
            let mut s = Settings::new(Platform::Netsapiens, emu.netsapiens_url());
            s.api_key = Some(c.netsapiens.api_keys[0].clone().into());
            s
        }
        Gen::NsV2 | Gen::NsV1 => {
            let mut s = Settings::new(Platform::Netsapiens, emu.netsapiens_url());
            s.client_id = Some(c.netsapiens.client_id.clone());
            s.client_secret = Some(c.netsapiens.client_secret.clone().into());
            s.username = Some(c.netsapiens.username.clone());
            s.password = Some(c.netsapiens.password.clone().into());
            s
        }
    };
    s.api_version = ApiVersion::Auto;
    s.timeout = Duration::from_secs(5);
    s.retry = quick_retry();
    s
}

/// An emulator for `gen` on this runtime, on a free loopback port.
pub async fn start(gen: Gen, faults: Vec<Fault>) -> Emulator {
    start_with(config(gen, faults)).await
}

pub async fn start_with(config: Config) -> Emulator {
    Emulator::start(config, "127.0.0.1:0".parse().expect("an address")).await.expect("emulator starts")
}

pub fn client(gen: Gen, emu: &Emulator) -> Client {
    Client::new(settings(gen, emu)).expect("valid settings")
}

/// What a pull yielded, page counters summed.
#[derive(Debug, Default)]
pub struct Pulled {
    pub records: Vec<Record>,
    pub pages: u64,
    pub received: u64,
    pub skipped: u64,
    pub repeated: u64,
    pub retries: u64,
    pub last_next: Option<Cursor>,
}

/// Pulls from `from` until the window is done or `max_pages` pages were read.
pub async fn pull_pages(client: &Client, from: Cursor, max_pages: u64) -> Result<Pulled, SourceError> {
    pull_window(client, window(), from, max_pages).await
}

/// [`pull_pages`] of another window.
pub async fn pull_window(client: &Client, w: Window, from: Cursor, max_pages: u64) -> Result<Pulled, SourceError> {
    let mut pager = client.pager(DOMAIN, w, from);
    let mut out = Pulled::default();
    while out.pages < max_pages {
        let Some(page) = pager.next_page().await? else { break };
        assert_eq!(page.received, page.records.len() as u64 + page.skipped + page.repeated + page.outside);
        out.pages += 1;
        out.received += page.received;
        out.skipped += page.skipped;
        out.repeated += page.repeated;
        out.records.extend(page.records);
        out.last_next = page.next;
    }
    out.retries = pager.retries();
    Ok(out)
}

pub async fn pull(client: &Client) -> Result<Pulled, SourceError> {
    pull_pages(client, Cursor::default(), u64::MAX).await
}

/// The records the dataset says `gen` must yield for [`window`], sorted by id.
pub fn expected(gen: Gen) -> Vec<Record> {
    expected_in(gen, window())
}

/// The records the dataset says `gen` must yield for `w`, sorted by id.
pub fn expected_in(gen: Gen, w: Window) -> Vec<Record> {
    let spec = &config(gen, vec![]).domains[0];
    let mut out: Vec<Record> = dataset::calls(SEED, spec, w.start, w.end)
        .filter(|c| !c.hidden)
        .filter(|c| !(matches!(gen, Gen::NsV2 | Gen::NsKey) && c.kind == CallKind::Missed))
        .map(|c| Record {
            call_id: c.id.clone(),
            direction: match c.kind {
                CallKind::Outbound => Direction::Outbound,
                CallKind::Inbound | CallKind::Missed => Direction::Inbound,
                CallKind::OnNet => Direction::Internal,
            },
            talk_seconds: c.talk_seconds(),
            from: c.from,
            to: c.to,
            start: c.start,
        })
        .collect();
    out.sort_by(|a, b| a.call_id.cmp(&b.call_id));
    out
}

/// Hidden legs among what `gen` lists.
pub fn hidden(gen: Gen) -> u64 {
    hidden_in(gen, window())
}

/// Hidden legs among what `gen` lists for `w`.
pub fn hidden_in(gen: Gen, w: Window) -> u64 {
    let spec = &config(gen, vec![]).domains[0];
    match gen {
        Gen::Brightlink => 0,
        _ => dataset::calls(SEED, spec, w.start, w.end).filter(|c| c.hidden).count() as u64,
    }
}

/// The platform's count of `w` as the emulator gives it: the records `gen` yields, and with v1 the
/// hidden legs too.
pub fn platform_count(gen: Gen, w: Window) -> u64 {
    let hidden = if gen == Gen::NsV1 { hidden_in(gen, w) } else { 0 };
    expected_in(gen, w).len() as u64 + hidden
}

/// The pulled records are exactly the dataset: no duplicate, no gap, every field equal.
pub fn assert_dataset(gen: Gen, records: Vec<Record>) {
    assert_dataset_in(gen, window(), records);
}

/// [`assert_dataset`] for the window `w`.
pub fn assert_dataset_in(gen: Gen, w: Window, mut records: Vec<Record>) {
    let ids: HashSet<&str> = records.iter().map(|r| r.call_id.as_str()).collect();
    assert_eq!(ids.len(), records.len(), "{gen:?}: duplicate records");
    records.sort_by(|a, b| a.call_id.cmp(&b.call_id));
    let want = expected_in(gen, w);
    assert_eq!(records.len(), want.len(), "{gen:?}: record count");
    for (got, want) in records.iter().zip(&want) {
        assert_eq!(got, want, "{gen:?}");
    }
}

/// Runs `test` for every generation at once, each against its own emulator.
pub async fn each_gen<F, Fut>(test: F)
where
    F: Fn(Gen) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let mut set = tokio::task::JoinSet::new();
    for gen in ALL {
        set.spawn(test(gen));
    }
    while let Some(done) = set.join_next().await {
        if let Err(e) = done {
            std::panic::resume_unwind(e.into_panic());
        }
    }
}
