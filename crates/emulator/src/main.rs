//! `meter-emulator`: serves the NetSapiens and Brightlink emulators until Ctrl-C.

use std::net::SocketAddr;

use clap::Parser;
use emulator::{Config, DomainSpec, Emulator, Fault};

/// NetSapiens- and Brightlink-compatible API servers with a deterministic dataset, for meter's tests and demo.
#[derive(Debug, Parser)]
#[command(name = "meter-emulator", version)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8089")]
    listen: SocketAddr,
    /// Seed of the dataset.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// A domain both platforms serve, NAME[:CALLS_PER_DAY[:NUMBERS[:TZ]]] (repeatable; default: the demo domains).
    #[arg(long = "domain", value_name = "SPEC")]
    domains: Vec<DomainSpec>,
    /// Emulate a NetSapiens platform without API v2 (every /ns-api/v2/… answers 404).
    #[arg(long)]
    no_v2: bool,
    /// Lifetime of access tokens in seconds, both platforms (default: NetSapiens 3600, Brightlink 300).
    #[arg(long, value_name = "SECS")]
    token_ttl: Option<u64>,
    /// A fault, KIND@N[:DELAY_MS] (repeatable): fires on the N-th call-record page request. KIND: rate-limit,
    /// server-error, slow, drop, truncate, expire-token, repeat-page, release-before-answer, garbage-number.
    #[arg(long = "fault", value_name = "FAULT")]
    faults: Vec<Fault>,
}

fn config(args: Args) -> Config {
    let mut c = Config::demo(args.seed);
    if !args.domains.is_empty() {
        c.domains = args.domains;
    }
    c.netsapiens.v2 = !args.no_v2;
    if let Some(ttl) = args.token_ttl {
        c.netsapiens.token_ttl_secs = ttl;
        c.brightlink.token_ttl_secs = ttl;
    }
    c.faults = args.faults;
    c
}

fn banner(e: &Emulator, c: &Config) -> String {
    let (ns, bl) = (&c.netsapiens, &c.brightlink);
    let mut s = format!("meter-emulator listening on {}\n\n", e.addr());
    s += &format!("NetSapiens (api v{})\n", if ns.v2 { "1 and v2" } else { "1 only" });
    s += &format!("  base_url      = {}\n", e.netsapiens_url());
    s += &format!("  client_id     = {}\n  client_secret = {}\n", ns.client_id, ns.client_secret);
    s += &format!("  username      = {}\n  password      = {}\n", ns.username, ns.password);
    for k in &ns.api_keys {
        s += &format!("  api_key       = {k}\n");
    }
    s += &format!("\nBrightlink PBX Cloud\n  base_url      = {}\n", e.brightlink_url());
    s += &format!("  api_key       = {}\n  api_secret    = {}\n", bl.api_key, bl.api_secret);
    s += &format!("  username      = {}\n  password      = {}\n", bl.username, bl.password);
    s += &format!("\nDomains (seed {}, served by both platforms)\n", c.seed);
    for d in &c.domains {
        s += &format!("  {}  {} calls/day  {} numbers  {}\n", d.name, d.calls_per_day, d.numbers, d.time_zone);
    }
    for f in &c.faults {
        s += &format!("fault: {}@{} ({} ms)\n", f.kind, f.at, f.delay_ms);
    }
    s
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    let listen = args.listen;
    let config = config(args);
    let emulator = Emulator::start(config.clone(), listen).await?;
    println!("{}", banner(&emulator, &config));
    tokio::signal::ctrl_c().await?;
    tracing::info!("stopping");
    emulator.stop();
    Ok(())
}
