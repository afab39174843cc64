//! The commands of the metered sources: `sources set|list|check`, `sync`, `jobs list|show`.

use crate::cli::{Format, JobsCommand, PlatformArg, SourcesCommand, SyncArgs};
use crate::escape::printable;
use crate::output;
use crate::progress::Bar;
use crate::secret_key;
use crate::stdout::{note, out, outln};
use anyhow::{Context, Result};
use billing::metered::check::SourceCheck;
use billing::metered::settings::{Shown, SourceConfig};
use billing::metered::sync::Outcome;
use billing::metered::{JobDoc, SyncRequest};
use billing::Progress;
use secrecy::SecretString;
use std::io::IsTerminal;
use std::process::ExitCode;
use store::{AnyStore, Job, Source, Store, StoreTx};

fn now() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

pub fn sources(store: &mut AnyStore, cmd: SourcesCommand) -> Result<ExitCode> {
    match cmd {
        SourcesCommand::Set { source, url, client_id, username, api_version, timeout, format } => {
            let key = secret_key::load_or_create()?;
            let cfg = SourceConfig {
                url,
                client_id,
                username,
                api_version: Some(api_version.into()),
                timeout_secs: Some(timeout),
                client_secret: secret("METER_SOURCE_CLIENT_SECRET", client_secret_label(source))?,
                password: secret("METER_SOURCE_PASSWORD", "password")?,
                api_key: match source {
                    PlatformArg::Netsapiens => secret_from_env("METER_SOURCE_API_KEY"),
                    PlatformArg::Brightlink => None,
                },
            };
            let shown = billing::metered::settings::save(store, &key, source.into(), &cfg, now())?;
            match format {
                Format::Json => output::json(&shown)?,
                Format::Text => out!("saved {}\n{}", shown.source, describe(&shown))?,
            }
        }
        SourcesCommand::List { format } => {
            let list = billing::metered::settings::list(store)?;
            match format {
                Format::Json => output::json(&serde_json::json!({ "sources": list }))?,
                Format::Text if list.is_empty() => {
                    outln!("no metered source is configured (meter sources set netsapiens|brightlink --url …)")?
                }
                Format::Text => {
                    for s in &list {
                        out!("{}\n{}", s.source, describe(s))?;
                    }
                }
            }
        }
        SourcesCommand::Check { customer, from, to, format } => {
            let key = secret_key::load()?;
            let checks = billing::metered::check::check_customer(store, key.as_ref(), &customer, from.zip(to), true)?;
            match format {
                Format::Json => output::json(&serde_json::json!({ "customer": customer, "sources": checks }))?,
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

fn client_secret_label(source: PlatformArg) -> &'static str {
    match source {
        PlatformArg::Netsapiens => "client secret",
        PlatformArg::Brightlink => "API secret",
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

fn describe(s: &Shown) -> String {
    let mut o = String::new();
    let mut row = |k: &str, v: Option<&str>| o.push_str(&format!("  {k:<14}{}\n", printable(v.unwrap_or("-"))));
    row("url", Some(&s.url));
    row("client id", s.client_id.as_deref());
    row("username", s.username.as_deref());
    row("api version", Some(&s.api_version));
    row("timeout", Some(&format!("{} s", s.timeout_secs)));
    row("client secret", s.client_secret.as_deref());
    row("password", s.password.as_deref());
    row("api key", s.api_key.as_deref());
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
                o.push_str(&format!("  {:<5} {:<12} fix: {}\n", "", "", printable(fix)));
            }
        }
    }
    o
}

/// A sync job's progress bar (records), on a terminal unless `quiet`.
fn job_bar(job: &Job, quiet: bool) -> Box<dyn Progress> {
    Box::new(Bar::records(&format!("sync {} {} (job {})", job.customer, job.source, job.id), quiet))
}

pub fn sync(store: &mut AnyStore, a: SyncArgs) -> Result<ExitCode> {
    let key = secret_key::required()?;
    let clients = billing::metered::settings::clients(store, &key, None)?;
    let req = SyncRequest { customer: a.customer, source: a.source.map(Source::from), from: a.from, to: a.to };
    let quiet = a.format == Format::Json;
    let outcomes = billing::metered::sync(store, &clients, &req, &now, &|job| job_bar(job, quiet))?;
    let mut failed = false;
    let mut docs = Vec::new();
    for o in &outcomes {
        match o {
            Outcome::Done(job) => docs.push(JobDoc::of(job)),
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

pub fn jobs(store: &mut AnyStore, cmd: JobsCommand) -> Result<ExitCode> {
    match cmd {
        JobsCommand::List { customer, limit, format } => {
            let list: Vec<JobDoc> =
                billing::metered::jobs(store, customer.as_deref(), Some(limit))?.iter().map(JobDoc::of).collect();
            match format {
                Format::Text if list.is_empty() => outln!("no jobs")?,
                _ => output::jobs(&list, format)?,
            }
        }
        JobsCommand::Show { id, format } => {
            let d = JobDoc::of(&billing::metered::job(store, id)?);
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

/// Whether any metered source is configured (without decoding the settings).
fn any_source(store: &mut AnyStore) -> Result<bool> {
    Ok(!store.read()?.source_settings()?.is_empty())
}

/// The source checks shown with an invoice preview: the customer's configured sources only.
pub fn preview_checks(
    store: &mut AnyStore,
    customer: &str,
    range: (chrono::NaiveDate, chrono::NaiveDate),
) -> Result<Vec<SourceCheck>> {
    if !any_source(store)? {
        return Ok(Vec::new());
    }
    let key = secret_key::load()?;
    Ok(billing::metered::check::check_customer(store, key.as_ref(), customer, Some(range), false)?)
}

/// An invoice preview, with its source checks when the customer has any (JSON gains `sources`).
pub fn preview(p: &billing::invoice::Preview, checks: &[SourceCheck], format: Format) -> Result<()> {
    if format == Format::Json && !checks.is_empty() {
        let mut doc = serde_json::to_value(&p.doc)?;
        if let serde_json::Value::Object(map) = &mut doc {
            map.insert("sources".into(), serde_json::to_value(checks)?);
        }
        return output::json(&doc);
    }
    output::invoice(&p.doc, p.reason.as_deref(), &p.unrated_notes, format)?;
    if !checks.is_empty() {
        out!("\nMetered sources\n{}", summary_text(checks))?;
    }
    Ok(())
}

/// Before a cycle run: syncs the sources of every customer due on `date` for the period being
/// invoiced. Customers whose sync failed are returned with the reason: they are not invoiced
/// by this run (a rerun after the source is fixed invoices them).
pub fn sync_due(store: &mut AnyStore, date: chrono::NaiveDate) -> Result<Vec<(String, String)>> {
    if !any_source(store)? {
        return Ok(Vec::new());
    }
    let key = secret_key::required()?;
    let clients = billing::metered::settings::clients(store, &key, None)?;
    let mut held = Vec::new();
    for (customer, from, to) in billing::cycle::due(store, date)? {
        if !clients.used_by(&customer) {
            continue;
        }
        let req = SyncRequest { customer: Some(customer.id.clone()), source: None, from, to };
        for o in billing::metered::sync(store, &clients, &req, &now, &|job| job_bar(job, false))? {
            if let Outcome::Failed(job) = o {
                let reason = format!(
                    "not invoiced: sync job {} of {} failed ({}); rerun the cycle once the source works",
                    job.id,
                    job.source,
                    job.error.as_deref().unwrap_or("")
                );
                held.push((customer.id.clone(), reason));
            }
        }
    }
    Ok(held)
}
