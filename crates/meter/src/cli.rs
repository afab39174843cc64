//! The command-line surface (contract section 7).

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "meter",
    version,
    about = "Metered billing for hosted-PBX resellers: rate call records and invoice them.",
    long_about = "Metered billing for hosted-PBX resellers.\n\n\
        Import customers, calling plans, the rate deck and call records (CDRs), then preview and \
        create invoices by hand or run the billing cycle.\n\n\
        Example:\n  meter plans import plans.csv\n  meter customers import customers.csv\n  \
        meter rates import rates.csv\n  meter cdrs import cdrs.csv\n  \
        meter invoice preview --customer acme --from 2026-01-01 --to 2026-01-31"
)]
pub struct Cli {
    /// Database URL: sqlite://FILE (created on first use) or postgres://…
    // The variable's value may hold a password: help names the variable, never its value.
    #[arg(
        long,
        global = true,
        env = "METER_DATABASE_URL",
        hide_env_values = true,
        default_value = "sqlite://meter.db"
    )]
    pub db: String,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Customers: import customers.csv, list them, show one, show its allowances left.
    #[command(
        subcommand,
        after_help = "Example:\n  meter customers import customers.csv\n  meter customers list\n  meter customers show acme"
    )]
    Customers(CustomersCommand),
    /// Rates: import rates.csv, list the rates of a deck or a customer.
    #[command(
        subcommand,
        after_help = "Example:\n  meter rates import rates.csv\n  meter rates list --deck wholesale --call-type international"
    )]
    Rates(RatesCommand),
    /// Named rate decks: import decks.csv, list the decks.
    #[command(subcommand, after_help = "Example:\n  meter decks import decks.csv\n  meter decks list")]
    Decks(DecksCommand),
    /// The local calling table (NPA-NXX pairs): import localcalling.csv.
    #[command(subcommand, after_help = "Example:\n  meter localcalling import localcalling.csv")]
    Localcalling(ImportOnly),
    /// Calling plans: import plans.csv, list them.
    #[command(subcommand, after_help = "Example:\n  meter plans import plans.csv\n  meter plans list")]
    Plans(PlansCommand),
    /// Subscriptions (recurring services): import subscriptions.csv, list them.
    #[command(
        subcommand,
        after_help = "Example:\n  meter subscriptions import subscriptions.csv\n  meter subscriptions list --customer acme"
    )]
    Subscriptions(SubscriptionsCommand),
    /// Call records: import cdrs.csv, or another switch's export with a column mapping.
    #[command(
        subcommand,
        after_help = "Example:\n  meter cdrs import cdrs.csv --source file\n  \
            meter cdrs import Master.csv --preset asterisk --customer acme"
    )]
    Cdrs(CdrsCommand),
    /// Customers' phone numbers: import numbers.csv (the `file` source's), list a customer's.
    #[command(
        subcommand,
        after_help = "Example:\n  meter numbers import numbers.csv\n  meter numbers list --customer acme"
    )]
    Numbers(NumbersCommand),
    /// Invoices: preview, create, list, show and delete; a draft's manual lines; finalize and
    /// void; render the document (PDF, HTML, CSV).
    #[command(
        subcommand,
        after_help = "Example:\n  meter invoice preview --customer acme --from 2026-01-01 --to 2026-01-31\n  \
            meter invoice finalize D-12 D-13\n  meter invoice render INV-000001 --format pdf --output inv.pdf --with-calls"
    )]
    Invoice(InvoiceCommand),
    /// The installation's settings: the invoice numbers' prefix, the seller's details, the
    /// default payment terms, the documents' paper.
    #[command(
        subcommand,
        after_help = "Example:\n  meter settings set invoice_prefix ACME-\n  meter settings set logo_file logo.png\n  \
            meter settings list"
    )]
    Settings(SettingsCommand),
    /// Users of the web app: add them, list them, change their password, role or state.
    #[command(subcommand, after_help = "Example:\n  meter users add ann@example.com --role admin\n  meter users list")]
    Users(UsersCommand),
    /// API tokens for the JSON API (`Authorization: Bearer TOKEN`): create, list, revoke.
    #[command(
        subcommand,
        after_help = "Example:\n  meter tokens create --role billing --name \"invoicing robot\"\n  meter tokens list\n  \
            meter tokens revoke 3"
    )]
    Tokens(TokensCommand),
    /// Calls: list calls with their status, rate and invoice.
    #[command(
        subcommand,
        after_help = "Example:\n  meter calls list --customer acme --from 2026-01-01 --to 2026-01-31\n  \
            meter calls list --status unrated --format csv"
    )]
    Calls(CallsCommand),
    /// The database: verify its invariants, apply or list migrations.
    #[command(subcommand, after_help = "Example:\n  meter db check\n  meter db status")]
    Db(DbCommand),
    /// The billing cycle: invoice every customer whose billing day it is.
    #[command(subcommand, after_help = "Example:\n  meter cycle run --date 2026-02-01")]
    Cycle(CycleCommand),
    /// Metered sources (NetSapiens, Brightlink PBX Cloud): set them up, list them, check a customer.
    #[command(
        subcommand,
        after_help = "Example:\n  METER_SOURCE_CLIENT_SECRET=… METER_SOURCE_PASSWORD=… \\\n    meter sources set netsapiens \
            --url https://pbx.example.net --client-id reseller --username billing@example\n  \
            meter sources check --customer acme"
    )]
    Sources(SourcesCommand),
    /// Pull phone numbers and call records from the metered sources, as resumable jobs.
    #[command(after_help = "Example:\n  meter sync --customer acme --from 2026-11-01 --to 2026-11-30\n  \
        meter sync --all --from 2026-11-28 --to 2026-11-28")]
    Sync(SyncArgs),
    /// Jobs: syncs, cycle runs and the scheduler's days; list them, show one.
    #[command(subcommand, after_help = "Example:\n  meter jobs list --customer acme\n  meter jobs show 12")]
    Jobs(JobsCommand),
    /// Every day at a set local time: pull the previous days' call records of every customer
    /// with a source, then run the billing cycle for the day. Catches up missed days, oldest
    /// first; one scheduler acts at a time on a database.
    #[command(after_help = "Example:\n  meter scheduler --at 02:00 --zone America/New_York --overlap 3\n  \
        meter scheduler --once --format json")]
    Scheduler(SchedulerArgs),
    /// The web application for billing staff and the JSON API (/api/v1), with the scheduler.
    #[command(after_help = "Example:\n  meter serve --listen 0.0.0.0:8080 --at 02:00 --zone America/New_York")]
    Serve(ServeArgs),
    /// The walk-through: the example data and the PBX emulators on a throw-away database.
    #[cfg(feature = "demo")]
    Demo {
        /// Keep the demo's database and say where it is.
        #[arg(long)]
        keep: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlatformArg {
    Netsapiens,
    Brightlink,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ApiVersionArg {
    Auto,
    V1,
    V2,
}

#[derive(Debug, Subcommand)]
pub enum SourcesCommand {
    /// Save a source's settings. Secrets are read from METER_SOURCE_CLIENT_SECRET,
    /// METER_SOURCE_PASSWORD and METER_SOURCE_API_KEY, or asked for on a terminal; never from
    /// the command line. Secrets not given keep their saved value.
    Set(SetArgs),
    /// List the configured sources; of each secret, only that it is set and when it was given.
    List {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Start a new secret key when the one that sealed the saved secrets is lost: writes a new
    /// key file (never over an existing one) and lists the sources whose secrets must then be
    /// given again.
    #[command(after_help = "See docs/operations.md, \"A lost key\".")]
    NewKey,
    /// Check a customer's sources: credentials, domain, phone numbers, last sync, the platform's
    /// record count against the calls stored, and rates for the call types seen.
    Check {
        #[arg(long)]
        customer: String,
        /// First day of the range to reconcile (default: the window of the last sync).
        #[arg(long, value_parser = parse_date, requires = "to")]
        from: Option<NaiveDate>,
        #[arg(long, value_parser = parse_date, requires = "from")]
        to: Option<NaiveDate>,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

#[derive(Debug, Args)]
pub struct SetArgs {
    /// The source's name: `netsapiens` or `brightlink` (their platforms' own), or a name of your
    /// own for another instance (lowercase letters, digits, `-`, `_`; with --platform).
    pub source: String,
    /// The platform of a source new by this name (a known source keeps its own).
    #[arg(long, value_enum)]
    pub platform: Option<PlatformArg>,
    /// The platform's base URL (NetSapiens: the host, e.g. https://pbx.example.net;
    /// Brightlink: e.g. https://cpaas-aws.brightlink.com/brightlink/).
    #[arg(long)]
    pub url: String,
    /// NetSapiens: the OAuth client id. Brightlink: the account's API key.
    #[arg(long)]
    pub client_id: Option<String>,
    /// The platform user the tokens are asked for.
    #[arg(long)]
    pub username: Option<String>,
    /// NetSapiens API generation: probe (auto) or pin v1 or v2.
    #[arg(long, value_enum, default_value_t = ApiVersionArg::Auto)]
    pub api_version: ApiVersionArg,
    /// Seconds each request may take.
    #[arg(long, default_value_t = 30)]
    pub timeout: u64,
    /// Save a plain http URL to a host other than this machine, whose secrets and tokens would
    /// cross the network unencrypted (refused without this).
    #[arg(long)]
    pub allow_insecure: bool,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("who").required(true).args(["customer", "all"])))]
pub struct SyncArgs {
    /// The customer to sync.
    #[arg(long)]
    pub customer: Option<String>,
    /// Every customer with a domain on a configured source.
    #[arg(long)]
    pub all: bool,
    /// First day (in each customer's time zone).
    #[arg(long, value_parser = parse_date)]
    pub from: NaiveDate,
    /// Last day, included.
    #[arg(long, value_parser = parse_date)]
    pub to: NaiveDate,
    /// Only this source (its name).
    #[arg(long)]
    pub source: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct SchedulerArgs {
    #[command(flatten)]
    pub schedule: ScheduleArgs,
    /// Run the days due now, then exit (cron, tests); without it the scheduler runs until stopped.
    #[arg(long)]
    pub once: bool,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// When and how the scheduler works: `meter scheduler` and the scheduler inside `meter serve`.
#[derive(Debug, Args)]
pub struct ScheduleArgs {
    /// The local time (HH:MM) at which each day's work starts.
    #[arg(long, env = "METER_SCHEDULER_AT", default_value = "02:00", value_parser = parse_time)]
    pub at: chrono::NaiveTime,
    /// The time zone of --at (an IANA name).
    #[arg(long, env = "METER_SCHEDULER_ZONE", default_value = "UTC", value_parser = parse_zone)]
    pub zone: chrono_tz::Tz,
    /// Days before the day before that are pulled again, for records that arrive late.
    #[arg(long, env = "METER_SCHEDULER_OVERLAP", default_value_t = 3, value_parser = clap::value_parser!(u32).range(0..=60))]
    pub overlap: u32,
    /// Seconds the acting scheduler's lease lasts without renewal (it is renewed before each
    /// customer's sync and invoice); another scheduler takes over after it. Longer than one
    /// customer's sync and invoice take.
    #[arg(long, env = "METER_SCHEDULER_LEASE", default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..))]
    pub lease: u64,
    /// The lease of the cycle's claims, as `cycle run --lease`.
    #[arg(long, env = "METER_CYCLE_LEASE", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
    pub cycle_lease: u64,
    /// Customers the cycle invoices at once, as `cycle run --threads`.
    #[arg(long, default_value_t = billing::workers::DEFAULT_THREADS,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=64))]
    pub threads: usize,
}

impl ScheduleArgs {
    pub fn schedule(&self) -> billing::scheduler::Schedule {
        billing::scheduler::Schedule {
            at: self.at,
            zone: self.zone,
            overlap: self.overlap,
            lease: std::time::Duration::from_secs(self.lease),
            cycle_lease: std::time::Duration::from_secs(self.cycle_lease),
            threads: self.threads,
        }
    }
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The address and port the web application and the API listen on.
    #[arg(long, env = "METER_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,
    /// Do not run the scheduler in this server (another server or `meter scheduler` runs it;
    /// running it in several is safe too: one acts at a time).
    #[arg(long)]
    pub no_scheduler: bool,
    #[command(flatten)]
    pub schedule: ScheduleArgs,
}

fn parse_time(s: &str) -> Result<chrono::NaiveTime, String> {
    chrono::NaiveTime::parse_from_str(s, "%H:%M").map_err(|_| format!("`{s}` is not a time of day as HH:MM"))
}

fn parse_zone(s: &str) -> Result<chrono_tz::Tz, String> {
    s.parse().map_err(|_| format!("`{s}` is not a time zone (e.g. America/New_York)"))
}

#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// List jobs, newest first.
    List {
        #[arg(long)]
        customer: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: u64,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Show one job.
    Show {
        id: i64,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

#[derive(Debug, Subcommand)]
pub enum ImportOnly {
    /// Import a CSV file (all-or-nothing: any bad row rejects the file, every bad row is listed).
    #[command(after_help = "Example:\n  meter customers import customers.csv --format json")]
    Import(ImportArgs),
}

#[derive(Debug, Subcommand)]
pub enum CustomersCommand {
    /// Import a CSV file (all-or-nothing: any bad row rejects the file, every bad row is listed).
    #[command(after_help = "Example:\n  meter customers import customers.csv --format json")]
    Import(ImportArgs),
    /// List the customers by id: zone, billing day, currency, plans, deck and domains.
    #[command(after_help = "Example:\n  meter customers list --format csv")]
    List {
        /// Output: `text` (a table), `json` (`{"customers": [...]}`) or `csv`.
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Show a customer: zone, billing day, currency, plans, deck, domains per source, phone
    /// numbers, the last sync of each source and the open (draft) invoices.
    #[command(after_help = "Example:\n  meter customers show acme --format json")]
    Show {
        /// The customer's id.
        id: String,
        /// Output: `text` or `json` (one JSON document on stdout).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Show what is left of a customer's allowances in a billing period: each plan's included
    /// minutes, the seconds invoices drew from them and the seconds left.
    #[command(after_help = "Example:\n  meter customers allowance acme --date 2026-02-15 --format json")]
    Allowance {
        /// The customer's id.
        id: String,
        /// A day of the period (default: today in the customer's time zone).
        #[arg(long, value_parser = parse_date)]
        date: Option<NaiveDate>,
        /// Output: `text` (a table) or `json` (one JSON document on stdout).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

#[derive(Debug, Subcommand)]
pub enum PlansCommand {
    /// Import a CSV file (all-or-nothing: any bad row rejects the file, every bad row is listed).
    #[command(after_help = "Example:\n  meter plans import plans.csv --format json")]
    Import(ImportArgs),
    /// List the calling plans by id: their allowances, and the customers that draw from each.
    #[command(after_help = "Example:\n  meter plans list --format json")]
    List {
        /// Output: `text` (a table), `json` (`{"plans": [...]}`) or `csv` (one row per allowance).
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
}

#[derive(Debug, Subcommand)]
pub enum SubscriptionsCommand {
    /// Import a CSV file (all-or-nothing: any bad row rejects the file, every bad row is listed).
    #[command(after_help = "Example:\n  meter subscriptions import subscriptions.csv --format json")]
    Import(ImportArgs),
    /// List the subscriptions by id: customer, days, description, quantity, unit price, plans.
    #[command(after_help = "Example:\n  meter subscriptions list --customer acme --format json")]
    List {
        /// Only this customer's subscriptions.
        #[arg(long)]
        customer: Option<String>,
        /// Output: `text` (a table) or `json` (`{"subscriptions": [...]}`).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

#[derive(Debug, Subcommand)]
pub enum RatesCommand {
    /// Import rates (all-or-nothing; a row conflicting with another rate rejects the file).
    #[command(after_help = "Example:\n  meter rates import rates.csv --format json")]
    Import(ImportArgs),
    /// List rates: all of them, or those of one deck or one customer.
    #[command(
        after_help = "Example:\n  meter rates list --deck default --call-type domestic\n  meter rates list --customer acme\n  \
            meter rates list --prefix 44"
    )]
    List {
        /// Only the rates of this deck (`default` for the default deck).
        #[arg(long, conflicts_with = "customer")]
        deck: Option<String>,
        /// Only the rates of this customer.
        #[arg(long)]
        customer: Option<String>,
        /// Only rates of this call type.
        #[arg(long, value_parser = parse_call_type)]
        call_type: Option<String>,
        /// Only rates whose prefix starts with these digits.
        #[arg(long, value_parser = parse_prefix)]
        prefix: Option<rating::number::Prefix>,
        /// Output: `text` (a readable table) or `json` (one JSON document on stdout).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// The call types of unbilled answered calls that no rate prices: how many calls, first and
    /// last seen.
    #[command(after_help = "Example:\n  meter rates unrated --format json")]
    Unrated {
        /// Output: `text` (a readable table) or `json` (one JSON document on stdout).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

#[derive(Debug, Subcommand)]
pub enum DecksCommand {
    /// Import named decks (`deck`, `description`); an existing deck is updated.
    #[command(after_help = "Example:\n  meter decks import decks.csv")]
    Import(ImportArgs),
    /// List the decks with their number of rates and the customers assigned to each.
    #[command(after_help = "Example:\n  meter decks list --format json")]
    List {
        /// Output: `text` (a readable table) or `json` (one JSON document on stdout).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The CSV file (UTF-8, header row, columns in any order).
    pub file: PathBuf,
    /// Output: `text` (a readable table) or `json` (one JSON document on stdout).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub enum CdrsCommand {
    /// Import call records (all-or-nothing; re-importing the same ids is safe).
    #[command(after_help = "Example:\n  meter cdrs import january.csv --source netsapiens --format json\n  \
            meter cdrs import Master.csv --preset asterisk --customer acme --timezone America/New_York\n  \
            meter cdrs import calls.csv --map id=uuid,start=began,billsec=talk,to=dst --customer acme")]
    Import {
        #[command(flatten)]
        args: ImportArgs,
        /// The source (by name) the records come from; `domain` cells are looked up among the
        /// customers' domains on this source (on every source for `file`).
        #[arg(long, default_value = "file")]
        source: String,
        #[command(flatten)]
        mapping: MappingArgs,
    },
}

/// How to read a call file in another switch's layout (docs/operations.md, "Flat files from
/// other switches"). Without `--map` or `--preset` the file is meter's own cdrs.csv.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("layout").multiple(true).args(["preset", "map"])))]
pub struct MappingArgs {
    /// A built-in mapping: asterisk (Master.csv), freeswitch (mod_cdr_csv `example`), kazoo, 3cx.
    #[arg(long, value_enum, help_heading = "Other layouts")]
    pub preset: Option<PresetArg>,
    /// Columns as field=COLUMN,…: COLUMN a header name, or a position #N in a file without a
    /// header. Fields: id, start, answer, end, duration, billsec, direction, from, to, customer,
    /// domain, call_type, disposition. With --preset, replaces single fields (`field=` drops one).
    #[arg(long, value_name = "SPEC", value_parser = billing::import::spec::Spec::parse, help_heading = "Other layouts")]
    pub map: Option<billing::import::spec::Spec>,
    /// How times are written: a strftime format (%d/%m/%Y %H:%M:%S), epoch or gregorian
    /// (default: RFC 3339, else YYYY-MM-DD hh:mm:ss).
    #[arg(long, value_name = "FMT", value_parser = billing::import::timefmt::TimeFormat::parse, requires = "layout", help_heading = "Other layouts")]
    pub time_format: Option<billing::import::timefmt::TimeFormat>,
    /// The IANA zone of times without an offset (default: each row's customer's zone).
    #[arg(long, value_name = "TZ", value_parser = billing::time::parse_zone, requires = "layout", help_heading = "Other layouts")]
    pub timezone: Option<chrono_tz::Tz>,
    /// The customer of rows that name none (no customer or domain column, or an empty cell).
    #[arg(long, value_name = "ID", requires = "layout", help_heading = "Other layouts")]
    pub customer: Option<String>,
    /// When a call was answered: billsec (talk seconds > 0), disposition=VALUE, or answer (an
    /// answer time is given).
    #[arg(long, value_name = "RULE", value_parser = billing::import::rules::AnsweredRule::parse, requires = "layout", help_heading = "Other layouts")]
    pub answered: Option<billing::import::rules::AnsweredRule>,
    /// The direction: column (the mapped direction column) or numbers (from the customer's phone
    /// numbers).
    #[arg(long, value_name = "RULE", value_parser = billing::import::rules::DirectionRule::parse, requires = "layout", help_heading = "Other layouts")]
    pub direction: Option<billing::import::rules::DirectionRule>,
}

impl MappingArgs {
    /// The mapping options, when the file is in another layout.
    pub fn options(self) -> Option<billing::import::MapOptions> {
        (self.preset.is_some() || self.map.is_some()).then(|| billing::import::MapOptions {
            preset: self.preset.map(Into::into),
            map: self.map,
            time_format: self.time_format,
            timezone: self.timezone,
            customer: self.customer,
            answered: self.answered,
            direction: self.direction,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PresetArg {
    Asterisk,
    Freeswitch,
    Kazoo,
    #[value(name = "3cx")]
    ThreeCx,
}

impl From<PresetArg> for billing::import::presets::Preset {
    fn from(p: PresetArg) -> Self {
        use billing::import::presets::Preset;
        match p {
            PresetArg::Asterisk => Preset::Asterisk,
            PresetArg::Freeswitch => Preset::Freeswitch,
            PresetArg::Kazoo => Preset::Kazoo,
            PresetArg::ThreeCx => Preset::ThreeCx,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum NumbersCommand {
    /// Import numbers.csv (`customer`, `number`, `enabled`): replaces the `file`-source numbers
    /// of each customer the file names (all-or-nothing, every bad row is listed).
    #[command(after_help = "Example:\n  meter numbers import numbers.csv --format json")]
    Import(ImportArgs),
    /// List a customer's phone numbers on every source.
    #[command(after_help = "Example:\n  meter numbers list --customer acme --format json")]
    List {
        /// The customer's id.
        #[arg(long)]
        customer: String,
        /// Output: `text` (a readable table) or `json` (one JSON document on stdout).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusArg {
    Unbilled,
    Billed,
    Unrated,
    Unanswered,
}

impl From<StatusArg> for billing::doc::CallStatus {
    fn from(s: StatusArg) -> Self {
        use billing::doc::CallStatus;
        match s {
            StatusArg::Unbilled => CallStatus::Unbilled,
            StatusArg::Billed => CallStatus::Billed,
            StatusArg::Unrated => CallStatus::Unrated,
            StatusArg::Unanswered => CallStatus::Unanswered,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Text,
    Json,
    Csv,
}

#[derive(Debug, Args)]
pub struct RangeArgs {
    /// The customer's id.
    #[arg(long)]
    pub customer: String,
    /// First day, inclusive, in the customer's time zone (YYYY-MM-DD).
    #[arg(long, value_parser = parse_date)]
    pub from: NaiveDate,
    /// Last day, inclusive, in the customer's time zone (YYYY-MM-DD).
    #[arg(long, value_parser = parse_date)]
    pub to: NaiveDate,
    /// Only these call types, comma-separated (default: all).
    #[arg(long, value_delimiter = ',', value_parser = parse_call_type)]
    pub call_types: Option<Vec<String>>,
    /// Output: `text` (a readable table) or `json` (one JSON document on stdout).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub enum InvoiceCommand {
    /// Show what an invoice would bill, and why calls are missing from it; changes nothing.
    #[command(
        after_help = "Example:\n  meter invoice preview --customer acme --from 2026-01-01 --to 2026-01-31 --call-types domestic,international"
    )]
    Preview(RangeArgs),
    /// Create a draft invoice; exits 1 with the reason when there is nothing to bill, or when the
    /// calls may be incomplete: a sync of the customer is running over the range, or a source's
    /// records check is red for it (the platform counts other than meter stores) or cannot be made.
    #[command(
        after_help = "Example:\n  meter invoice create --customer acme --from 2026-01-01 --to 2026-01-31 --format json"
    )]
    Create {
        #[command(flatten)]
        range: RangeArgs,
        /// Invoice what is stored even when the calls may be incomplete (nothing is checked).
        #[arg(long)]
        force: bool,
    },
    /// Show an invoice: its lines, number, dates and what happened to it.
    #[command(after_help = "Example:\n  meter invoice show D-42\n  meter invoice show INV-000007")]
    Show {
        /// The invoice: its id (D-42, or 42) or its number (INV-000007).
        id: String,
        /// Output: `text` (a readable table) or `json` (one JSON document on stdout).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Delete a draft invoice; its calls and allowance draws are released to be billed again.
    #[command(after_help = "Example:\n  meter invoice delete D-42")]
    Delete {
        /// The invoice id (D-42, or 42).
        id: String,
    },
    /// List invoices, newest first; every filter given narrows the listing.
    #[command(
        after_help = "Example:\n  meter invoice list --customer acme --status final --from 2026-01-01 --to 2026-03-31"
    )]
    List {
        /// Only this customer's invoices.
        #[arg(long)]
        customer: Option<String>,
        /// Only invoices with this status.
        #[arg(long, value_enum)]
        status: Option<InvoiceStatusArg>,
        /// With --to: only invoices whose days overlap --from..--to.
        #[arg(long, value_parser = parse_date, requires = "to")]
        from: Option<NaiveDate>,
        #[arg(long, value_parser = parse_date, requires = "from")]
        to: Option<NaiveDate>,
        /// Output: `text` (a table) or `json` (`{"invoices": [...]}`).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Add a manual line to a draft (a negative amount is a credit); the total follows.
    #[command(after_help = "Example:\n  meter invoice add-line D-42 --description \"Outage credit\" --amount -5.00")]
    AddLine {
        /// The draft's id (D-42, or 42).
        id: String,
        /// What the line is for.
        #[arg(long)]
        description: String,
        /// The amount, with at most 2 decimals, not zero; negative for a credit.
        #[arg(long, allow_hyphen_values = true)]
        amount: String,
        /// Output: `text` (the invoice) or `json`.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Remove the N-th line (from 1, as `invoice show` lists them) of a draft: a manual line.
    #[command(after_help = "Example:\n  meter invoice remove-line D-42 3")]
    RemoveLine {
        /// The draft's id (D-42, or 42).
        id: String,
        /// The line's number, from 1.
        #[arg(value_parser = clap::value_parser!(u64).range(1..))]
        line: u64,
        /// Output: `text` (the invoice) or `json`.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Finalize drafts, in the order given, each on its own: each gets the next invoice number,
    /// an issue date (today in the customer's zone) and a due date. A final invoice never
    /// changes. Exits 1 when any failed, leaving the others final.
    #[command(after_help = "Example:\n  meter invoice finalize D-42 D-43")]
    Finalize {
        /// The drafts' ids (D-42, or 42).
        #[arg(required = true)]
        ids: Vec<String>,
        /// Output: `text` or `json` (`{"invoices": [...], "failed": [{"id", "reason"}]}`).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Write an invoice's document, as its customer is sent it: the seller (`meter settings`),
    /// the customer, number (a draft is marked DRAFT, a void invoice VOID), dates, lines and
    /// total, in the customer's currency and time zone; with --with-calls, every billed call
    /// after it, grouped by line with subtotals. CSV is the billed calls alone.
    #[command(
        after_help = "Example:\n  meter invoice render INV-000007 --format pdf --output INV-000007.pdf --with-calls\n  \
        meter invoice render D-42 --format html --output draft.html --paper letter\n  \
        meter invoice render INV-000007 --format csv --output calls.csv"
    )]
    Render {
        /// The invoice: its id (D-42, or 42) or its number (INV-000007).
        id: String,
        /// `pdf`, `html` or `csv`.
        #[arg(long, value_enum)]
        format: DocumentFormat,
        /// The file to write (replaced whole, or left as it was if rendering fails); `-` writes
        /// to standard output.
        #[arg(long)]
        output: PathBuf,
        /// Add the call detail: every billed call with its time, numbers, duration, billed
        /// minutes, rate and charge (always in CSV).
        #[arg(long)]
        with_calls: bool,
        /// The paper (default: the setting `paper`, A4 unless set).
        #[arg(long, value_enum)]
        paper: Option<PaperArg>,
    },
    /// Void a final invoice: it keeps its number, lines and document, and its calls, allowance
    /// draws and subscription days are released for a corrected invoice. A draft is deleted
    /// instead.
    #[command(after_help = "Example:\n  meter invoice void INV-000007 --reason \"wrong rate for toll-free calls\"")]
    Void {
        /// The invoice: its id (D-42) or its number (INV-000007).
        id: String,
        /// Why, kept with the invoice.
        #[arg(long)]
        reason: String,
        /// Output: `text` or `json` (the invoice).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DocumentFormat {
    /// One self-contained HTML page (fonts and logo inside), printable.
    Html,
    /// A PDF, fonts embedded.
    Pdf,
    /// The billed calls, one row each (the call detail).
    Csv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PaperArg {
    A4,
    Letter,
}

impl From<PaperArg> for billing::document::Paper {
    fn from(p: PaperArg) -> Self {
        match p {
            PaperArg::A4 => billing::document::Paper::A4,
            PaperArg::Letter => billing::document::Paper::Letter,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InvoiceStatusArg {
    Draft,
    Final,
    Void,
}

impl From<InvoiceStatusArg> for store::InvoiceStatus {
    fn from(s: InvoiceStatusArg) -> Self {
        match s {
            InvoiceStatusArg::Draft => store::InvoiceStatus::Draft,
            InvoiceStatusArg::Final => store::InvoiceStatus::Final,
            InvoiceStatusArg::Void => store::InvoiceStatus::Void,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum SettingsCommand {
    /// Set a setting; an empty VALUE removes it (its default applies). Names: invoice_prefix
    /// (1 to 12 printable characters, no spaces; `INV-` by default), company_name,
    /// company_address, tax_id, logo_file (a PNG, JPEG or SVG file of at most 1 MiB, stored in
    /// the database; PDF documents show PNG and JPEG logos), payment_terms (days from issue to
    /// due for customers without their own; 30 by default), footer, paper (`a4` or `letter`, for
    /// `invoice render`; a4 by default).
    #[command(after_help = "Example:\n  meter settings set invoice_prefix ACME-\n  \
        meter settings set company_name \"Acme Telecom LLC\"\n  meter settings set payment_terms 15")]
    Set {
        name: String,
        #[arg(allow_hyphen_values = true)]
        value: String,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// List every setting with its value (the default's when not set).
    #[command(after_help = "Example:\n  meter settings list --format json")]
    List {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

/// A user's or a token's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    /// Everything: users, settings, sources and API tokens too.
    Admin,
    /// Customers, rates, plans, subscriptions, syncs and invoices.
    Billing,
    /// Reads only.
    Viewer,
}

impl From<RoleArg> for billing::access::Role {
    fn from(r: RoleArg) -> Self {
        use billing::access::Role;
        match r {
            RoleArg::Admin => Role::Admin,
            RoleArg::Billing => Role::Billing,
            RoleArg::Viewer => Role::Viewer,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Add a user of the web app. The password (at least 8 characters) comes from
    /// METER_USER_PASSWORD, or is asked for twice on a terminal; never from the command line.
    #[command(after_help = "Example:\n  meter users add ann@example.com --role admin\n  \
        METER_USER_PASSWORD=… meter users add bob@example.com --role viewer")]
    Add {
        /// The user's email, with which the user signs in (kept in lower case).
        email: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// List the users by email: role, when added, whether disabled.
    #[command(after_help = "Example:\n  meter users list --format json")]
    List {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Change a user's password (from METER_USER_PASSWORD, or asked for twice on a terminal);
    /// the user's sessions end.
    #[command(after_help = "Example:\n  meter users set-password ann@example.com")]
    SetPassword { email: String },
    /// Change a user's role, or disable or enable a user: a disabled user cannot sign in, and
    /// the user's sessions end.
    #[command(after_help = "Example:\n  meter users set bob@example.com --role billing\n  \
        meter users set carol@example.com --disable")]
    #[command(group(clap::ArgGroup::new("change").required(true).multiple(true).args(["role", "disable", "enable"])))]
    Set {
        email: String,
        #[arg(long, value_enum)]
        role: Option<RoleArg>,
        #[arg(long, conflicts_with = "enable")]
        disable: bool,
        #[arg(long)]
        enable: bool,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokensCommand {
    /// Create an API token with a role; prints the token alone on stdout, the only time it is
    /// shown (meter keeps its SHA-256).
    #[command(after_help = "Example:\n  meter tokens create --role billing --name \"invoicing robot\" > token.txt")]
    Create {
        #[arg(long, value_enum)]
        role: RoleArg,
        /// What the token is for (up to 100 characters).
        #[arg(long)]
        name: Option<String>,
    },
    /// List the API tokens, revoked ones too (never their secrets).
    #[command(after_help = "Example:\n  meter tokens list --format json")]
    List {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Revoke an API token: from now on it lets nothing in.
    #[command(after_help = "Example:\n  meter tokens revoke 3")]
    Revoke {
        /// The token's id, as `tokens list` shows it.
        id: i64,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

#[derive(Debug, Subcommand)]
pub enum CallsCommand {
    /// List calls (a customer's, or every customer's by start time): status, billable seconds,
    /// charge, invoice and the rate applied. Every filter given narrows the listing.
    #[command(
        after_help = "Example:\n  meter calls list --customer acme --from 2026-01-01 --to 2026-01-31 --format csv > calls.csv\n  \
            meter calls list --invoice D-42\n  meter calls list --status unrated --number 1212555"
    )]
    List {
        /// Only this customer's calls (default: every customer's).
        #[arg(long)]
        customer: Option<String>,
        /// First day, inclusive, in each customer's time zone (with --to).
        #[arg(long, value_parser = parse_date, requires = "to")]
        from: Option<NaiveDate>,
        /// Last day, inclusive, in each customer's time zone (with --from).
        #[arg(long, value_parser = parse_date, requires = "from")]
        to: Option<NaiveDate>,
        /// Only the calls on this invoice: its id (D-42, or 42) or its number.
        #[arg(long)]
        invoice: Option<String>,
        /// Only calls with this status.
        #[arg(long, value_enum)]
        status: Option<StatusArg>,
        /// Only calls of this call type.
        #[arg(long, value_parser = parse_call_type)]
        call_type: Option<String>,
        /// Only calls whose caller or callee number contains this text.
        #[arg(long)]
        number: Option<String>,
        /// Only calls from the source of this name (`file`, `netsapiens`, `brightlink`, or one set up
        /// with `meter sources set NAME`).
        #[arg(long)]
        source: Option<String>,
        /// Output: `text` (a table, times in the customer's zone; in UTC across customers), `json` or
        /// `csv` (times in UTC).
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Verify the invariants money depends on (invoice totals, lines against billed calls,
    /// allowance balances against draws, storage); exits 1 and lists what is wrong. Reads only:
    /// a migration not applied is reported, not applied.
    #[command(after_help = "Example:\n  meter db check --format json")]
    Check {
        /// Output: `text` or `json` (`{"ok": bool, "problems": [...]}`).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Apply pending migrations (every command but `db status` and `db check` also applies them
    /// when it opens the database).
    #[command(after_help = "Example:\n  meter --db sqlite:///var/lib/meter/meter.db db migrate")]
    Migrate,
    /// List the migrations: applied (with when), pending, or applied by a newer meter and
    /// unknown to this one. Applies nothing.
    #[command(after_help = "Example:\n  meter db status")]
    Status,
}

#[derive(Debug, Subcommand)]
pub enum CycleCommand {
    /// Invoice, for each customer whose billing day falls on DATE, the period that ended the day
    /// before. Customers whose calls may be incomplete (a sync failed, a records check is red) are
    /// held; exits 1 when a customer was held or failed, after doing all the others.
    #[command(after_help = "Example:\n  meter cycle run --date 2026-02-01 --format json")]
    Run {
        /// The calendar date to run for (YYYY-MM-DD).
        #[arg(long, value_parser = parse_date)]
        date: NaiveDate,
        /// Run even though DATE has not begun yet in a due customer's time zone (its period has
        /// not ended).
        #[arg(long)]
        allow_future: bool,
        /// Seconds a claimed customer stays this worker's without news from it; then another
        /// worker (or a rerun) takes it over. Longer than one customer's sync and invoice.
        #[arg(long, env = "METER_CYCLE_LEASE", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
        lease: u64,
        /// Customers claimed at a time.
        #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..))]
        batch: u64,
        /// Customers this process invoices at once, each on a database connection of its own
        /// (PostgreSQL; on SQLite one at a time): while the database reads and writes one
        /// customer's calls, the process rates another's.
        #[arg(long, default_value_t = billing::workers::DEFAULT_THREADS,
              value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=64))]
        threads: usize,
        /// Output: `text` (a readable table) or `json` (one JSON document on stdout).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    billing::time::parse_date(s)
}

fn parse_prefix(s: &str) -> Result<rating::number::Prefix, String> {
    rating::number::Prefix::parse(s.trim()).map_err(|e| e.to_string())
}

fn parse_call_type(s: &str) -> Result<String, String> {
    rating::CallType::parse(s.trim()).map(|t| t.to_string()).map_err(|e| e.to_string())
}

impl From<PlatformArg> for store::Platform {
    fn from(s: PlatformArg) -> Self {
        match s {
            PlatformArg::Netsapiens => store::Platform::Netsapiens,
            PlatformArg::Brightlink => store::Platform::Brightlink,
        }
    }
}

impl From<ApiVersionArg> for sources::ApiVersion {
    fn from(v: ApiVersionArg) -> Self {
        match v {
            ApiVersionArg::Auto => sources::ApiVersion::Auto,
            ApiVersionArg::V1 => sources::ApiVersion::V1,
            ApiVersionArg::V2 => sources::ApiVersion::V2,
        }
    }
}
