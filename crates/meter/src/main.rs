//! `meter`: metered billing for hosted-PBX resellers, on the command line.

mod cli;
mod clock;
mod demo;
mod incomplete;
mod output;
mod progress;
mod run;
mod secret_key;
mod sources_cmd;

use clap::Parser;

// Imports allocate a few small strings per call on one thread and free them on another;
// mimalloc does that far faster than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    tracing_subscriber::fmt()
        // With METER_LOG set, each use case and store call logs its duration when it ends.
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("METER_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    match run::run(cli) {
        Ok(code) => code,
        Err(e) => {
            let usage = e.downcast_ref::<billing::BillingError>().is_some_and(|b| b.is_usage());
            eprintln!("error: {e:#}");
            ExitCode::from(if usage { 2 } else { 1 })
        }
    }
}
