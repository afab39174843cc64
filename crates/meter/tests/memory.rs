//! Memory that does not grow with the calls a command goes through: `calls list` writes each call
//! as it is read (constant memory in every format), and an invoice keeps a few dozen bytes per
//! call it bills. Each command reports its peak resident memory with `METER_LOG=meter=debug`;
//! the same command for a customer with 2,000 calls and for one with 42,000 must peak alike.

mod common;

use common::*;

on_both_backends! {
    listings_take_the_same_memory_for_twenty_times_the_calls,
    an_invoice_keeps_a_few_bytes_per_call,
}

/// Calls of acme (2,000) and of globex (42,000), all in November 2026.
fn small_and_large(backend: Backend) -> Env {
    let env = Env::seeded_on(backend);
    let calls = |customer: &str, n: u32| -> Vec<Cdr> {
        (0..n)
            .map(|i| {
                let start = format!("2026-11-{:02}T{:02}:{:02}:{:02}Z", 2 + i % 27, i / 60 % 24, i % 60, i / 1440 % 60);
                Cdr::domestic(format!("{customer}-{i}"), customer, &start, 30 + i % 600)
            })
            .collect()
    };
    env.import_ok("cdrs", "small.csv", &cdrs_csv(&calls("acme", 2_000)));
    env.import_ok("cdrs", "large.csv", &cdrs_csv(&calls("globex", 42_000)));
    env
}

/// The peak resident memory (kB) of `meter ARGS`, which must succeed.
#[track_caller]
fn peak_kb(env: &Env, args: &[&str]) -> u64 {
    let run = env.meter_with_env(args, &[("METER_LOG", "meter=debug")]);
    run.assert_ok();
    let field = run.stderr.lines().find_map(|l| l.split("peak_kb=").nth(1));
    field
        .and_then(|f| f.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no peak memory logged\n{}", run.dump()))
}

/// How much more memory (kB) the command takes for globex than for acme.
fn growth_kb(env: &Env, args: &[&str]) -> i64 {
    let with = |customer: &str| {
        let args: Vec<&str> = args.iter().map(|a| if *a == "CUSTOMER" { customer } else { a }).collect();
        peak_kb(env, &args) as i64
    };
    let (small, large) = (with("acme"), with("globex"));
    eprintln!("meter {}: {small} kB for 2,000 calls, {large} kB for 42,000", args.join(" "));
    large - small
}

fn listings_take_the_same_memory_for_twenty_times_the_calls(backend: Backend) {
    let env = small_and_large(backend);
    for format in ["json", "csv", "text"] {
        // What grows is the database's page cache (SQLite, up to 64 MiB) and allocator noise:
        // well under a tenth of what holding the 40,000 more calls took (JSON 140 MB, CSV 34 MB,
        // text 44 MB).
        let growth = growth_kb(&env, &["calls", "list", "--customer", "CUSTOMER", "--format", format]);
        assert!(growth < 12_000, "--format {format}: {growth} kB more for 40,000 more calls");
    }
}

fn an_invoice_keeps_a_few_bytes_per_call(backend: Backend) {
    let env = small_and_large(backend);
    // Holding every call read took 26 MB more for a preview, 29 MB for a creation; writing 40,000
    // more billed calls also fills more of SQLite's page cache.
    for (what, limit_kb) in [("preview", 12_000), ("create", 20_000)] {
        let november = ["--from", "2026-11-01", "--to", "2026-11-30", "--format", "json"];
        let args = [&["invoice", what, "--customer", "CUSTOMER"][..], &november].concat();
        let growth = growth_kb(&env, &args);
        assert!(growth < limit_kb, "{what}: {growth} kB more for 40,000 more calls");
    }
}
