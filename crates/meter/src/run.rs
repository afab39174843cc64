//! Runs one command against the database named by `--db`.

use crate::cli::{
    CallsCommand, CdrsCommand, Cli, Command, CustomersCommand, CycleCommand, DbCommand, DecksCommand, Format,
    ImportOnly, InvoiceCommand, PlansCommand, RatesCommand, SettingsCommand, SubscriptionsCommand,
};
use crate::escape::printable;
use crate::failure::Usage;
use crate::output;
use crate::progress::Bar;
use crate::stdout::{note, outln};
use anyhow::Result;
use billing::calls::CallFilter;
use billing::invoice::InvoiceRequest;
use billing::life::{By, ListFilter};
use billing::listing::RateFilter;
use billing::metered::guard::Guard;
use std::process::ExitCode;
use store::{redact_url, AnyStore};

/// How a command opens the database.
#[derive(Clone, Copy)]
enum Opening {
    /// Reads only and applies no migration (`db status`, `db check`).
    Inspect,
    /// Reads only; applies pending migrations when it can write the database.
    Read,
    /// Writes, without applying migrations (`db migrate` applies them itself).
    Migrate,
    /// Writes, after applying pending migrations.
    Write,
}

/// How a command other than `db status`, `db migrate` and `demo` opens the database: listings
/// and checks only read, and must work on a database this process cannot write.
fn opening(command: &Command) -> Opening {
    use crate::cli::{JobsCommand, NumbersCommand, SourcesCommand, TokensCommand, UsersCommand};
    match command {
        Command::Db(DbCommand::Check { .. }) => Opening::Inspect,
        Command::Rates(RatesCommand::List { .. } | RatesCommand::Unrated { .. })
        | Command::Decks(DecksCommand::List { .. })
        | Command::Numbers(NumbersCommand::List { .. })
        | Command::Invoice(
            InvoiceCommand::Preview(_)
            | InvoiceCommand::Show { .. }
            | InvoiceCommand::List { .. }
            | InvoiceCommand::Render { .. },
        )
        | Command::Settings(SettingsCommand::List { .. })
        | Command::Calls(CallsCommand::List { .. })
        | Command::Customers(
            CustomersCommand::List { .. } | CustomersCommand::Show { .. } | CustomersCommand::Allowance { .. },
        )
        | Command::Plans(PlansCommand::List { .. })
        | Command::Subscriptions(SubscriptionsCommand::List { .. })
        | Command::Sources(SourcesCommand::List { .. } | SourcesCommand::Check { .. })
        | Command::Jobs(JobsCommand::List { .. } | JobsCommand::Show { .. })
        | Command::Users(UsersCommand::List { .. })
        | Command::Tokens(TokensCommand::List { .. }) => Opening::Read,
        _ => Opening::Write,
    }
}

/// Opens the store named by the URL as `how` says.
fn open(url: &str, how: Opening) -> Result<AnyStore> {
    let opened = match how {
        Opening::Inspect => AnyStore::connect_url_to_read(url),
        Opening::Read => AnyStore::connect_url_to_read(url).and_then(|mut s| s.migrate().map(|_| s)),
        Opening::Migrate => AnyStore::connect_url(url),
        Opening::Write => AnyStore::open_url(url),
    };
    opened.map_err(|e| match e {
        // A mistyped URL is a usage error (exit 2).
        store::StoreError::UnknownBackend { url } => {
            Usage(format!("--db `{url}`: expected sqlite://FILE or postgres://…")).into()
        }
        store::StoreError::Pending(_) => {
            anyhow::anyhow!("{e}: apply them with `meter db migrate`, where it can be written")
                .context(format!("opening {}", redact_url(url)))
        }
        other => anyhow::Error::from(other).context(format!("opening {}", redact_url(url))),
    })
}

/// What a command does, as the processes waiting for its writes are told (SQLite).
fn activity(command: &Command) -> &'static str {
    match command {
        Command::Cdrs(_) => "an import of call records (meter cdrs import)",
        Command::Customers(_)
        | Command::Plans(_)
        | Command::Subscriptions(_)
        | Command::Rates(_)
        | Command::Decks(_)
        | Command::Localcalling(_)
        | Command::Numbers(_) => "an import (meter … import)",
        Command::Invoice(InvoiceCommand::Create { .. }) => "an invoice creation (meter invoice create)",
        Command::Invoice(InvoiceCommand::Delete { .. }) => "an invoice deletion (meter invoice delete)",
        Command::Invoice(InvoiceCommand::Finalize { .. }) => "a finalization of invoices (meter invoice finalize)",
        Command::Invoice(InvoiceCommand::Void { .. }) => "an invoice's voiding (meter invoice void)",
        Command::Invoice(InvoiceCommand::AddLine { .. } | InvoiceCommand::RemoveLine { .. }) => {
            "a change of a draft invoice's lines (meter invoice add-line / remove-line)"
        }
        Command::Settings(_) => "a change of settings (meter settings set)",
        Command::Cycle(_) => "a billing cycle (meter cycle run)",
        Command::Sync(_) => "a sync of call records (meter sync)",
        Command::Sources(_) => "a change of source settings (meter sources)",
        Command::Users(_) | Command::Tokens(_) => "a change of users or API tokens (meter users / tokens)",
        _ => "a meter command",
    }
}

pub fn run(cli: Cli) -> Result<ExitCode> {
    crate::clock::check()?;
    // Migrations are listed and applied on an unmigrated connection; `db check` reads one as
    // it is; every other command opens the database with its migrations applied, if it can.
    match cli.command {
        Command::Db(DbCommand::Status) => {
            let mut store = open(&cli.db, Opening::Inspect)?;
            for m in store.migration_status()? {
                match (m.applied_at, m.known) {
                    (Some(at), true) => outln!("{}  applied {at}", m.name)?,
                    (Some(at), false) => outln!("{}  applied {at}, unknown to this meter", m.name)?,
                    (None, _) => outln!("{}  pending", m.name)?,
                }
            }
            return Ok(ExitCode::SUCCESS);
        }
        Command::Db(DbCommand::Migrate) => {
            let mut store = open(&cli.db, Opening::Migrate)?;
            let applied = store.migrate()?;
            if applied.is_empty() {
                outln!("the database is up to date")?;
            }
            for name in applied {
                outln!("applied {name}")?;
            }
            return Ok(ExitCode::SUCCESS);
        }
        // The scheduler keeps a pool of connections.
        Command::Scheduler(args) => return crate::scheduler::scheduler(&cli.db, args),
        Command::Serve(args) => return crate::web::serve(&cli.db, args),
        // The demo opens its own database.
        #[cfg(feature = "demo")]
        Command::Demo { keep } => return crate::demo::demo(keep),
        _ => {}
    }
    let mut store = open(&cli.db, opening(&cli.command))?;
    if let Command::Db(DbCommand::Check { format }) = cli.command {
        // Reads the schema's migrations first: a database, not one backend's store.
        return check(&mut store, format);
    }
    store.set_activity(activity(&cli.command));
    store::with_backend!(&mut store, |s| execute(s, &cli.db, cli.command))
}

/// `db check`: exit 1 when a problem is found.
fn check(store: &mut AnyStore, format: Format) -> Result<ExitCode> {
    let problems = billing::admin::check_database(store)?;
    match format {
        Format::Json => output::json(&serde_json::json!({ "ok": problems.is_empty(), "problems": problems }))?,
        Format::Text if problems.is_empty() => outln!("ok: no problems found")?,
        Format::Text => {
            outln!("{} problem{} found:", problems.len(), if problems.len() == 1 { "" } else { "s" })?;
            for p in &problems {
                outln!("  - {}", printable(p))?;
            }
        }
    }
    Ok(if problems.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// Runs a command on the backend's own store, opened from the URL `db`.
fn execute<S: store::OpenStore>(store: &mut S, db: &str, command: Command) -> Result<ExitCode> {
    let now = crate::clock::now();
    match command {
        Command::Customers(CustomersCommand::Import(a)) => {
            let sum = billing::import::import_customers(store, &a.file)?;
            output::summary("customers", &sum, a.format)?;
        }
        Command::Plans(PlansCommand::Import(a)) => {
            let sum = billing::import::import_plans(store, &a.file)?;
            output::summary("plans", &sum, a.format)?;
        }
        Command::Subscriptions(SubscriptionsCommand::Import(a)) => {
            let sum = billing::subscriptions::import(store, &a.file)?;
            output::summary("subscriptions", &sum, a.format)?;
        }
        Command::Subscriptions(SubscriptionsCommand::List { customer, format }) => {
            crate::catalog::subscriptions(&billing::subscriptions::list(store, customer.as_deref())?, format)?;
        }
        Command::Rates(RatesCommand::Import(a)) => {
            let sum = billing::import::import_rates(store, &a.file)?;
            output::summary("rates", &sum, a.format)?;
        }
        Command::Rates(RatesCommand::List { deck, customer, call_type, prefix, format }) => {
            let rates = billing::listing::list_rates(store, &RateFilter { deck, customer, call_type, prefix })?;
            output::rates(&rates, format)?;
        }
        Command::Rates(RatesCommand::Unrated { format }) => {
            output::unrated(&billing::listing::unrated_call_types(store)?, format)?;
        }
        Command::Decks(DecksCommand::Import(a)) => {
            let sum = billing::import::import_decks(store, &a.file)?;
            output::summary("decks", &sum, a.format)?;
        }
        Command::Decks(DecksCommand::List { format }) => {
            let decks = billing::listing::list_decks(store)?;
            output::decks(&decks, format)?;
        }
        Command::Localcalling(ImportOnly::Import(a)) => {
            let sum = billing::import::import_local_calling(store, &a.file)?;
            output::summary("local calling pairs", &sum, a.format)?;
        }
        Command::Cdrs(CdrsCommand::Import { args, source, mapping }) => {
            let source = billing::metered::source_named(store, &source)?;
            let bar = Bar::new("importing call records", args.format == Format::Json);
            let sum = match mapping.options() {
                None => billing::import::import_cdrs(store, &args.file, source, &bar)?,
                Some(o) => billing::import::import_mapped(store, &args.file, source, &o, &bar)?,
            };
            output::summary("call records", &sum, args.format)?;
        }
        Command::Numbers(crate::cli::NumbersCommand::Import(a)) => {
            let sum = billing::import::import_numbers(store, &a.file)?;
            output::summary("phone numbers", &sum, a.format)?;
        }
        Command::Numbers(crate::cli::NumbersCommand::List { customer, format }) => {
            let numbers = billing::import::list_numbers(store, &customer)?;
            output::numbers(&numbers, format)?;
        }
        Command::Invoice(InvoiceCommand::Preview(a)) => {
            let req = InvoiceRequest { customer: a.customer, from: a.from, to: a.to, call_types: a.call_types };
            let key = crate::sources_cmd::source_key(store)?;
            let review = billing::metered::review::review(store, &req, key.as_ref(), now)?;
            crate::sources_cmd::preview(&review, (req.from, req.to), a.format)?;
        }
        Command::Invoice(InvoiceCommand::Create { range: a, force }) => {
            let req = InvoiceRequest { customer: a.customer, from: a.from, to: a.to, call_types: a.call_types };
            let key = if force { None } else { crate::sources_cmd::source_key(store)? };
            let guard = if force { Guard::Off } else { Guard::On(key.as_ref()) };
            let doc = billing::invoice::create(store, &req, now, &crate::actor::actor(), guard)?;
            output::invoice(&doc, None, &[], a.format)?;
        }
        Command::Invoice(InvoiceCommand::List { customer, status, from, to, format }) => {
            let filter = ListFilter { customer, status: status.map(Into::into), days: from.zip(to) };
            output::invoice_list(&billing::life::list(store, &filter)?, format)?;
        }
        Command::Invoice(InvoiceCommand::AddLine { id, description, amount, format }) => {
            let who = crate::actor::actor();
            let doc = billing::life::add_line(store, &id, &description, &amount, By { who: &who, at: now })?;
            output::invoice(&doc, None, &[], format)?;
        }
        Command::Invoice(InvoiceCommand::RemoveLine { id, line, format }) => {
            let who = crate::actor::actor();
            let line = usize::try_from(line).unwrap_or(usize::MAX);
            let doc = billing::life::remove_line(store, &id, line, By { who: &who, at: now })?;
            output::invoice(&doc, None, &[], format)?;
        }
        Command::Invoice(InvoiceCommand::Finalize { ids, format }) => {
            let who = crate::actor::actor();
            let mut done = Vec::new();
            let mut failed = Vec::new();
            // Each on its own, in the order given: one that fails leaves the others final.
            for id in ids {
                match billing::life::finalize(store, &id, By { who: &who, at: now }) {
                    Ok(doc) => done.push(doc),
                    Err(e) => {
                        let (reason, _) = crate::failure::report(&anyhow::Error::from(e));
                        let reason = reason.trim_start_matches("error: ").to_owned();
                        note!("error: cannot finalize {id}: {reason}");
                        failed.push((id, reason));
                    }
                }
            }
            output::finalized(&done, &failed, format)?;
            if !failed.is_empty() {
                return Ok(ExitCode::from(1));
            }
        }
        Command::Invoice(InvoiceCommand::Void { id, reason, format }) => {
            let who = crate::actor::actor();
            let (doc, released) = billing::life::void(store, &id, &reason, By { who: &who, at: now })?;
            match format {
                Format::Json => output::invoice(&doc, None, &[], format)?,
                Format::Text => outln!(
                    "voided invoice {} ({}): {released} calls, its allowance draws and subscription days released \
                     to be billed again",
                    doc.id.as_deref().unwrap_or(&id),
                    doc.number.clone().flatten().unwrap_or_default()
                )?,
            }
        }
        Command::Settings(SettingsCommand::Set { name, value, format }) => {
            let doc = billing::settings::set(store, &name, &value, now)?;
            output::settings(std::slice::from_ref(&doc), format)?;
        }
        Command::Settings(SettingsCommand::List { format }) => {
            output::settings(&billing::settings::list(store)?, format)?;
        }
        Command::Invoice(InvoiceCommand::Show { id, format }) => {
            let doc = billing::invoice::show(store, &id)?;
            output::invoice(&doc, None, &[], format)?;
        }
        Command::Invoice(InvoiceCommand::Render { id, format, output, with_calls, paper }) => {
            crate::document::render(store, crate::document::Request { id, format, output, with_calls, paper })?;
        }
        Command::Invoice(InvoiceCommand::Delete { id }) => {
            let released = billing::invoice::delete(store, &id)?;
            outln!("deleted invoice {id}: {released} calls released to be billed again")?;
        }
        Command::Calls(CallsCommand::List {
            customer,
            from,
            to,
            invoice,
            status,
            call_type,
            number,
            source,
            format,
        }) => {
            let filter = CallFilter {
                customer,
                days: from.zip(to),
                invoice,
                status: status.map(Into::into),
                call_type,
                number,
                source,
            };
            crate::listing::calls(store, &filter, format)?;
        }
        Command::Customers(CustomersCommand::List { format }) => {
            crate::catalog::customers(&billing::customers::list_customers(store)?, format)?;
        }
        Command::Customers(CustomersCommand::Show { id, format }) => {
            crate::catalog::customer(&billing::customers::show_customer(store, &id)?, format)?;
        }
        Command::Customers(CustomersCommand::Allowance { id, date, format }) => {
            crate::catalog::allowance(&billing::allowance::remaining(store, &id, date, now)?, format)?;
        }
        Command::Plans(PlansCommand::List { format }) => {
            crate::catalog::plans(&billing::customers::list_plans(store)?, format)?;
        }
        Command::Db(_) | Command::Scheduler(_) | Command::Serve(_) => unreachable!("handled before opening"),
        #[cfg(feature = "demo")]
        Command::Demo { .. } => unreachable!("handled before opening"),
        Command::Users(cmd) => crate::access_cmd::users(store, cmd)?,
        Command::Tokens(cmd) => crate::access_cmd::tokens(store, cmd)?,
        Command::Sources(cmd) => return crate::sources_cmd::sources(store, cmd),
        Command::Sync(args) => return crate::sources_cmd::sync(store, args),
        Command::Jobs(cmd) => return crate::sources_cmd::jobs(store, cmd),
        Command::Cycle(CycleCommand::Run { date, allow_future, lease, batch, threads, format }) => {
            if !allow_future {
                billing::cycle::ensure_ended(store, date, now)?;
            }
            let lease = std::time::Duration::from_secs(lease);
            let (url, _) = store::pool::split_url(db, store::PoolSettings::default())?;
            let connect = || S::connect_url(&url);
            let part = (lease, batch, threads);
            let report = crate::sources_cmd::cycle(store, date, part, &connect, format == Format::Json)?;
            for (what, list) in output::not_invoiced(&report) {
                for n in list {
                    note!("{what} {}: {}", n.customer, n.reason);
                }
            }
            output::cycle(&report, format)?;
            if !report.complete() {
                return Ok(ExitCode::from(1));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
