//! `meter`: metered billing for hosted-PBX resellers, on the command line.

mod access_cmd;
mod actor;
mod catalog;
mod cli;
mod clock;
#[cfg(feature = "demo")]
mod demo;
mod document;
mod escape;
mod failure;
mod hints;
mod incomplete;
mod listing;
mod output;
mod progress;
mod run;
mod scheduler;
mod secret_key;
mod sources_cmd;
mod stdout;
mod web;

use clap::Parser;
use std::io::IsTerminal;

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
        // Colours only for a person at a terminal: not in a log file or a pipe.
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("METER_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let result = run::run(cli);
    log_peak_memory();
    match result {
        Ok(code) => code,
        // Whatever failed after the reader of stdout went away is its consequence: end quietly.
        Err(_) if stdout::reader_gone() => ExitCode::from(stdout::READER_GONE_STATUS),
        Err(e) => {
            let (message, status) = failure::report(&e);
            stdout::note!("{message}");
            ExitCode::from(status)
        }
    }
}

/// With `METER_LOG=meter=debug` (or `debug`), logs the most memory the process held (Linux: the
/// peak resident set size of /proc/self/status), to size a machine or see what a command took.
fn log_peak_memory() {
    if !tracing::enabled!(tracing::Level::DEBUG) {
        return;
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let line = status.lines().find_map(|l| l.strip_prefix("VmHWM:"));
    if let Some(peak_kb) = line.and_then(|l| l.trim().trim_end_matches("kB").trim().parse::<u64>().ok()) {
        tracing::debug!(peak_kb, "peak resident memory");
    }
}
