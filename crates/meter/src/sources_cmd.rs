//! The commands of the metered sources: `sources set|list|new-key|check`, `sync`, `jobs list|show`.

use crate::cli::{Format, JobsCommand, SetArgs, SourcesCommand, SyncArgs};
use crate::escape::printable;
use crate::hints;
use crate::output;
use crate::progress::Bar;
use crate::secret_key;
use crate::stdout::{note, out, outln};
use anyhow::{Context, Result};
use billing::metered::check::SourceCheck;
use billing::metered::guard::HoldDoc;
use billing::metered::review::Review;
use billing::metered::secrets::SecretKey;
use billing::metered::settings::{Shown, SourceConfig};
use billing::metered::sync::Outcome;
use billing::metered::{JobDoc, SyncRequest};
use billing::Progress;
use chrono::NaiveDate;
use secrecy::SecretString;
use std::io::IsTerminal;
use std::process::ExitCode;
use store::{Job, Platform, Store};

fn now() -> i64 {
    crate::clock::now()
}

pub fn sources<S: Store>(store: &mut S, cmd: SourcesCommand) -> Result<ExitCode> {
    match cmd {
        SourcesCommand::Set(args) => set(store, args)?,
        SourcesCommand::List { format } => {
            let list = billing::metered::settings::list(store, secret_key::load()?.as_ref())?;
            match format {
                Format::Json => output::json(&serde_json::json!({ "sources": list }))?,
                Format::Text if list.is_empty() => {
                    outln!("no metered source is configured (meter sources set netsapiens|brightlink --url …)")?
                }
                Format::Text => {
                    for s in &list {
                        out!("{}\n{}", s.settings.source, describe(s))?;
                    }
                }
            }
        }
        SourcesCommand::NewKey => {
            let (key, path) = secret_key::start_new()?;
            let list = billing::metered::settings::list(store, Some(&key))?;
            let left: Vec<&str> =
                list.iter().filter(|s| s.key_is_current == Some(false)).map(|s| s.settings.source.as_str()).collect();
            outln!("new secret key {} in {}", key.id(), path.display())?;
            if left.is_empty() {
                outln!("no saved source is sealed with another key")?;
            } else {
                outln!("give every secret of these sources again (meter sources set): {}", left.join(", "))?;
            }
        }
        SourcesCommand::Check { customer, from, to, format } => {
            let key = secret_key::load()?;
            let checks = billing::metered::check::check_customer(store, key.as_ref(), &customer, from.zip(to), true)?;
            match format {
                Format::Json => {
                    output::json(&serde_json::json!({ "customer": customer, "sources": hints::checks_json(&checks)? }))?
                }
                Format::Text if checks.is_empty() => {
                    outln!("customer {customer} has no metered source, and none is configured")?
                }
                Format::Text => out!("{}", summary_text(&checks))?,
            }
            if checks.iter().any(|c| !c.ok) {
                return Ok(ExitCode::from(1));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `sources set`. What needs no secret is checked first: nothing is asked for, and no key made,
/// for settings refused anyway.
fn set<S: Store>(store: &mut S, a: SetArgs) -> Result<()> {
    let mut cfg = SourceConfig {
        url: a.url,
        client_id: a.client_id,
        username: a.username,
        api_version: Some(a.api_version.into()),
        timeout_secs: Some(a.timeout),
        allow_cleartext: a.allow_insecure,
        ..SourceConfig::default()
    };
    let asked = a.platform.map(Platform::from);
    let (platform, cleartext) = billing::metered::settings::check(store, &a.source, asked, &cfg)?;
    cfg.client_secret = secret("METER_SOURCE_CLIENT_SECRET", client_secret_label(platform))?;
    cfg.password = secret("METER_SOURCE_PASSWORD", "password")?;
    if platform == Platform::Netsapiens {
        cfg.api_key = secret_from_env("METER_SOURCE_API_KEY");
    }
    let key = secret_key::for_saving(store)?;
    let shown = billing::metered::settings::save(store, &key, (&a.source, Some(platform)), &cfg, now())?;
    if let Some(why) = cleartext {
        note!("warning: {why}");
    }
    match a.format {
        Format::Json => output::json(&shown),
        Format::Text => {
            out!("saved {}\n{}", shown.settings.source, describe(&shown))?;
            Ok(())
        }
    }
}

fn client_secret_label(platform: Platform) -> &'static str {
    match platform {
        Platform::Brightlink => "API secret",
        _ => "client secret",
    }
}

fn secret_from_env(var: &str) -> Option<SecretString> {
    std::env::var(var).ok().filter(|v| !v.is_empty()).map(SecretString::from)
}

/// A secret from its environment variable, else asked for on a terminal (empty keeps the saved one).
fn secret(var: &str, label: &str) -> Result<Option<SecretString>> {
    if let Some(s) = secret_from_env(var) {
        return Ok(Some(s));
    }
    if !std::io::stdin().is_terminal() || std::env::var_os("METER_SOURCE_API_KEY").is_some() {
        return Ok(None);
    }
    let typed = rpassword::prompt_password(format!("{label} (empty: keep the saved one; or set {var}): "))
        .with_context(|| format!("reading the {label}"))?;
    Ok(Some(typed).filter(|t| !t.is_empty()).map(SecretString::from))
}

fn describe(shown: &Shown) -> String {
    let s = &shown.settings;
    let mut o = String::new();
    let mut row = |k: &str, v: Option<&str>| o.push_str(&format!("  {k:<14}{}\n", printable(v.unwrap_or("-"))));
    row("platform", Some(shown.platform));
    row("url", Some(&s.url));
    row("client id", s.client_id.as_deref());
    row("username", s.username.as_deref());
    row("api version", Some(&s.api_version));
    row("timeout", Some(&format!("{} s", s.timeout_secs)));
    // A secret shows only that it is set, and when it was last given.
    let secret = |set: &Option<String>, at: &Option<String>| match (set, at) {
        (Some(set), Some(at)) => Some(format!("{set}, changed {at}")),
        (set, _) => set.clone(),
    };
    row("client secret", secret(&s.client_secret, &s.client_secret_changed_at).as_deref());
    row("password", secret(&s.password, &s.password_changed_at).as_deref());
    row("api key", secret(&s.api_key, &s.api_key_changed_at).as_deref());
    let which = match shown.key_is_current {
        Some(true) => " (this key)",
        Some(false) => " (not this key)",
        None => "",
    };
    row("sealed with", Some(&format!("key {}{which}", shown.key_id.as_deref().unwrap_or("not recorded"))));
    row("updated", Some(&s.updated_at));
    o
}

/// The connectivity summary as text: one line per check, with what to fix under a failed one.
pub fn summary_text(checks: &[SourceCheck]) -> String {
    let color = std::io::stdout().is_terminal();
    let mark = |ok: bool| match (ok, color) {
        (true, true) => "\x1b[32m  ok \x1b[0m",
        (false, true) => "\x1b[31mFAIL \x1b[0m",
        (true, false) => "  ok ",
        (false, false) => "FAIL ",
    };
    let mut o = String::new();
    for s in checks {
        let domain = s.domain.as_deref().map(|d| format!(" (domain {})", printable(d))).unwrap_or_default();
        o.push_str(&format!("{} {}{domain}\n", mark(s.ok).trim_end(), s.source));
        for c in &s.checks {
            o.push_str(&format!("  {} {:<12} {}\n", mark(c.ok), c.check, printable(&c.detail)));
            if let Some(fix) = &c.fix {
                o.push_str(&format!("  {:<5} {:<12} fix: {}\n", "", "", printable(&hints::fix(fix))));
            }
        }
    }
    o
}

/// A sync job's progress bar (records), on a terminal unless `quiet`.
fn job_bar(job: &Job, quiet: bool) -> Box<dyn Progress> {
    Box::new(Bar::records(&format!("sync {} {} (job {})", job.customer, job.source, job.id), quiet))
}

pub fn sync<S: Store>(store: &mut S, a: SyncArgs) -> Result<ExitCode> {
    let key = source_key(store)?;
    let clients = billing::metered::settings::clients(store, key.as_ref(), None)?;
    let req = SyncRequest { customer: a.customer, source: a.source, from: a.from, to: a.to };
    let quiet = a.format == Format::Json;
    let outcomes = billing::metered::sync(store, &clients, &req, &now, &|job| job_bar(job, quiet))?;
    let mut failed = false;
    let mut docs = Vec::new();
    for o in &outcomes {
        match o {
            Outcome::Done(job) => {
                warn_rejected(job);
                docs.push(JobDoc::of(job));
            }
            Outcome::Failed(job) => {
                failed = true;
                note!("error: sync job {} failed: {}", job.id, job.error.as_deref().unwrap_or(""));
                docs.push(JobDoc::of(job));
            }
            Outcome::Skipped { customer, source, reason } => note!("skipped {customer} on {source}: {reason}"),
        }
    }
    output::jobs(&docs, a.format)?;
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// Says on stderr that a job left flawed records out (the job keeps the first few and why).
fn warn_rejected(job: &Job) {
    if job.progress.rejected > 0 {
        let first: Vec<String> = job.rejects.iter().map(|r| format!("{} ({})", r.id, r.reason)).collect();
        note!(
            "warning: sync job {} rejected {} record(s), not stored: {}; see `meter jobs show {}`",
            job.id,
            job.progress.rejected,
            first.join(", "),
            job.id
        );
    }
}

pub fn jobs<S: Store>(store: &mut S, cmd: JobsCommand) -> Result<ExitCode> {
    match cmd {
        JobsCommand::List { customer, limit, format } => {
            let list = billing::runs::list(store, customer.as_deref(), Some(limit))?;
            match format {
                Format::Text if list.is_empty() => outln!("no jobs")?,
                _ => output::any_jobs(&list, format)?,
            }
        }
        JobsCommand::Show { id, format } => {
            let d = billing::runs::show(store, id)?;
            match format {
                Format::Json => output::json(&d)?,
                Format::Text => {
                    let value = serde_json::to_value(&d)?;
                    if let serde_json::Value::Object(map) = value {
                        for (k, v) in map {
                            let v = match v {
                                serde_json::Value::String(s) => s,
                                serde_json::Value::Null => "-".into(),
                                other => other.to_string(),
                            };
                            outln!("{k:<15}{}", printable(&v))?;
                        }
                    }
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The key of the saved source secrets, when a source is configured and the key is here.
pub fn source_key<S: Store>(store: &mut S) -> Result<Option<SecretKey>> {
    if !billing::metered::configured(store)? {
        return Ok(None);
    }
    secret_key::load()
}

/// An invoice preview, with its source checks when the customer has any, and the holds that
/// would refuse its creation (JSON gains `sources` and `incomplete`).
pub fn preview(r: &Review, days: (NaiveDate, NaiveDate), format: Format) -> Result<()> {
    let (p, checks, holds) = (&r.preview, &r.checks, &r.holds);
    if format == Format::Json {
        return output::json(&preview_json(r)?);
    }
    output::invoice(&p.doc, p.reason.as_deref(), &p.unrated_notes, format)?;
    if !holds.is_empty() {
        out!("{}", crate::incomplete::warning(&p.doc.customer, days, holds))?;
    }
    if !checks.is_empty() {
        out!("\nMetered sources\n{}", summary_text(checks))?;
    }
    Ok(())
}

/// A preview's JSON document: the invoice as it would be, with `sources` and `incomplete` when the
/// customer has source checks or holds (the command line and the API answer this same document).
pub fn preview_json(r: &Review) -> serde_json::Result<serde_json::Value> {
    let mut doc = serde_json::to_value(&r.preview.doc)?;
    if !(r.checks.is_empty() && r.holds.is_empty()) {
        if let serde_json::Value::Object(map) = &mut doc {
            map.insert("sources".into(), hints::checks_json(&r.checks)?);
            let holds: Vec<HoldDoc> = r.holds.iter().map(HoldDoc::of).collect();
            map.insert("incomplete".into(), serde_json::to_value(holds)?);
        }
    }
    Ok(doc)
}

/// The name this process gives itself in a cycle run's claims: `METER_WORKER_NAME`, else
/// `HOST:PID`.
fn worker_name() -> String {
    std::env::var("METER_WORKER_NAME")
        .ok()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(billing::workers::worker_name)
}

/// A cycle run's worker on this process: it syncs each due customer it claims (each job with
/// its bar, and a warning for jobs that rejected records), then invoices it; `threads` customers
/// at a time where the backend allows, each on a connection of its own from `connect`.
pub fn cycle<S: Store>(
    store: &mut S,
    date: NaiveDate,
    (lease, batch, threads): (std::time::Duration, u64, usize),
    connect: billing::workers::Connect<'_, S>,
    quiet: bool,
) -> Result<billing::cycle::CycleReport> {
    let key = source_key(store)?;
    let bar = Bar::counting("cycle", "customers", quiet);
    let sync =
        billing::workers::Syncing { key: key.as_ref(), actor: "cycle", now: &now, job_bar: &|job| job_bar(job, quiet) };
    let part = billing::workers::Part {
        name: worker_name(),
        lease,
        batch,
        progress: &bar as &dyn Progress,
        threads,
        connect: Some(connect),
    };
    Ok(billing::workers::run_syncing(store, date, sync, part, &|_| Ok(()), &warn_rejected)?)
}
