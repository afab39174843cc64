//! The records the store reads and writes.

use rating::{CallType, Charge, Direction, Micros};
use std::fmt;
use std::str::FromStr;

/// A customer as stored. `pk` is the store's own key (0 before the first save).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    pub pk: i64,
    pub id: String,
    pub name: String,
    pub timezone: String,
    pub billing_day: u8,
    pub currency: String,
    /// Plan ids in drawing order.
    pub plans: Vec<String>,
    /// The named deck assigned to the customer, if any.
    pub deck: Option<String>,
    /// The customer's domain on each source it has one on, by source name.
    pub domains: Vec<(Source, String)>,
    pub email: Option<String>,
    /// Days from an invoice's issue to its due date; `None`: the installation's default.
    pub payment_terms: Option<u32>,
}

impl Customer {
    /// A customer with the contract's defaults (UTC, billing day 1, USD, no plans).
    pub fn new(id: &str, name: &str) -> Customer {
        Customer {
            pk: 0,
            id: id.to_owned(),
            name: name.to_owned(),
            timezone: "UTC".to_owned(),
            billing_day: 1,
            currency: "USD".to_owned(),
            plans: Vec::new(),
            deck: None,
            domains: Vec::new(),
            email: None,
            payment_terms: None,
        }
    }

    /// The customer's domain on a source, if any.
    pub fn domain(&self, source: &Source) -> Option<&str> {
        self.domains.iter().find(|(s, _)| s == source).map(|(_, d)| d.as_str())
    }

    /// Sets (or, with `None`, removes) the customer's domain on a source.
    pub fn set_domain(&mut self, source: &Source, domain: Option<String>) {
        self.domains.retain(|(s, _)| s != source);
        if let Some(d) = domain {
            self.domains.push((source.clone(), d));
            self.domains.sort_by(|a, b| a.0.cmp(&b.0));
        }
    }
}

/// A named rate deck.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deck {
    pub id: String,
    pub description: String,
}

/// A calling plan: allowances in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub id: String,
    pub allowances: Vec<PlanAllowance>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanAllowance {
    pub call_types: Vec<CallType>,
    pub included_minutes: u64,
    pub description: String,
}

/// A recurring service of one customer (subscriptions.csv): billed in advance, per billing
/// period, for the days it is active (`start..=end` in the customer's zone, `end` open when
/// `None`), and bringing its calling plans' allowances to every period it is active in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// The store's own key (0 before the first save).
    pub pk: i64,
    pub id: String,
    pub customer_pk: i64,
    /// The customer's id (filled in when read; not written).
    pub customer: String,
    pub start: chrono::NaiveDate,
    pub end: Option<chrono::NaiveDate>,
    pub description: String,
    /// The quantity in ten-thousandths (> 0).
    pub quantity_e4: i64,
    /// The price of one unit for a whole billing period, in ten-thousandths (≥ 0).
    pub unit_price_e4: i64,
    /// Plan ids in the subscription's order.
    pub plans: Vec<String>,
}

impl Subscription {
    /// Whether the subscription is active on at least one of the days `first..=last`.
    pub fn active_in(&self, first: chrono::NaiveDate, last: chrono::NaiveDate) -> bool {
        self.start <= last && self.end.is_none_or(|e| e >= first)
    }
}

/// The platform a source speaks: how its records come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Platform {
    /// Flat-file imports (`cdrs import`).
    File,
    Netsapiens,
    Brightlink,
}

impl Platform {
    pub const ALL: [Platform; 3] = [Platform::File, Platform::Netsapiens, Platform::Brightlink];

    pub fn as_str(self) -> &'static str {
        match self {
            Platform::File => "file",
            Platform::Netsapiens => "netsapiens",
            Platform::Brightlink => "brightlink",
        }
    }
}

impl FromStr for Platform {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Platform::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| format!("unknown platform `{s}` (expected file, netsapiens or brightlink)"))
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The longest source name, in bytes.
pub const MAX_SOURCE_NAME: usize = 64;

/// Where call records come from: a named instance of a platform (two NetSapiens platforms are
/// two sources). `code` is what the store keeps in each call, number, job and setting: a code
/// never changes meaning, and a new source takes a new one. Equal when the codes are; ordered
/// by name, byte-wise (the contract's tie-break between calls).
#[derive(Debug, Clone)]
pub struct Source {
    code: i64,
    name: std::sync::Arc<str>,
    platform: Platform,
}

impl Source {
    /// The flat-file imports' source, `file`, which every database has.
    pub fn file() -> Source {
        Source::default_of(Platform::File)
    }

    /// The source named after a platform (`file`, `netsapiens`, `brightlink`), which every
    /// database has: the one the shorthand columns of customers.csv name. Its code is the one
    /// the platform had before sources were named, in the names' byte order.
    pub fn default_of(platform: Platform) -> Source {
        let code = match platform {
            Platform::Brightlink => 0,
            Platform::File => 1,
            Platform::Netsapiens => 2,
        };
        Source::new(code, platform.as_str(), platform)
    }

    /// A source as the store registered it (see [`crate::Sources::sources`]).
    pub fn new(code: i64, name: &str, platform: Platform) -> Source {
        Source { code, name: name.into(), platform }
    }

    /// Whether this is its platform's own source (`netsapiens`, `brightlink`, `file`), which
    /// customers.csv and `sources set` name without more.
    pub fn is_default(&self) -> bool {
        *self == Source::default_of(self.platform)
    }

    /// The store's code of the source.
    pub fn code(&self) -> i64 {
        self.code
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn platform(&self) -> Platform {
        self.platform
    }

    /// Checks a name for a new source: 1 to [`MAX_SOURCE_NAME`] bytes of lowercase ASCII
    /// letters, digits, `-` and `_`, starting with a letter (so that it never needs quoting in
    /// `domains` cells, file names or URLs); a platform's name is its default source's.
    pub fn check_name(name: &str, platform: Platform) -> Result<(), String> {
        let rules = "a source name is 1 to 64 lowercase letters, digits, `-` or `_`, starting with a letter";
        let bytes = name.as_bytes();
        if bytes.is_empty()
            || bytes.len() > MAX_SOURCE_NAME
            || !bytes[0].is_ascii_lowercase()
            || !bytes.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-' || *b == b'_')
        {
            return Err(format!("`{name}` is not a source name: {rules}"));
        }
        match name.parse::<Platform>() {
            Ok(p) if p != platform => {
                Err(format!("`{name}` is the {p} platform's own source: name a {platform} source otherwise"))
            }
            _ => Ok(()),
        }
    }
}

impl PartialEq for Source {
    fn eq(&self, other: &Source) -> bool {
        self.code == other.code
    }
}

impl Eq for Source {}

impl std::hash::Hash for Source {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.code.hash(h)
    }
}

impl PartialOrd for Source {
    fn partial_cmp(&self, other: &Source) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Source {
    fn cmp(&self, other: &Source) -> std::cmp::Ordering {
        self.name.as_bytes().cmp(other.name.as_bytes()).then(self.code.cmp(&other.code))
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// One call record to import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCall {
    pub source: Source,
    pub source_call_id: String,
    pub customer_pk: i64,
    pub start: Micros,
    pub duration: u32,
    pub direction: Direction,
    pub from: String,
    pub to: String,
    /// The record's own call type; `None` means classify.
    pub call_type: Option<CallType>,
}

/// What importing one record did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallOutcome {
    Imported,
    Updated,
    Duplicate,
    /// The record differs from a call already billed: left unchanged.
    Conflict,
}

/// Which calls to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallQuery {
    /// Only this customer's calls; `None`: every customer's.
    pub customer_pk: Option<i64>,
    /// Start of the range, inclusive; `None` = open.
    pub from: Option<Micros>,
    /// End of the range, exclusive; `None` = open.
    pub to: Option<Micros>,
    /// Only calls with a duration above 0.
    pub answered_only: bool,
    /// Only calls not on an invoice.
    pub unbilled_only: bool,
    /// Only calls with a duration of 0.
    pub unanswered_only: bool,
    /// Only calls on an invoice.
    pub billed_only: bool,
    /// Only the calls on this invoice.
    pub invoice: Option<InvoiceId>,
    /// Only calls from this source.
    pub source: Option<Source>,
    /// Only calls whose caller or callee number holds this text.
    pub number: Option<String>,
    /// Only the calls after this one in the listing's order: a seek, not a skip.
    pub after: Option<CallKey>,
    /// At most this many calls, the first in order; `None`: all of them.
    pub limit: Option<u64>,
    /// Only among the first this many calls past `after` of the query's reach: its customer (or
    /// its invoice's) and span of starts, whatever the other filters leave out of them. A page
    /// of rare calls then costs at most that many, and [`crate::Calls::scan_end`] says where the
    /// next one starts. `None`: no bound.
    pub scan: Option<u64>,
}

impl CallQuery {
    /// Every call of one customer.
    pub fn of_customer(customer_pk: i64) -> CallQuery {
        CallQuery { customer_pk: Some(customer_pk), ..CallQuery::default() }
    }
}

/// A call's place in the listing's order: its start, then its source's name, then its source
/// call id (byte-wise). Two calls never share one (a source's call ids are unique).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallKey {
    pub start: Micros,
    pub source: Source,
    pub source_call_id: String,
}

impl CallKey {
    /// The key of a call.
    pub fn of(call: &NewCall) -> CallKey {
        CallKey { start: call.start, source: call.source.clone(), source_call_id: call.source_call_id.clone() }
    }
}

impl PartialOrd for CallKey {
    fn partial_cmp(&self, other: &CallKey) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for CallKey {
    fn cmp(&self, other: &CallKey) -> std::cmp::Ordering {
        (self.start, self.source.name().as_bytes(), self.source_call_id.as_bytes()).cmp(&(
            other.start,
            other.source.name().as_bytes(),
            other.source_call_id.as_bytes(),
        ))
    }
}

/// A stored call with its billing, if it is on an invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCall {
    pub pk: i64,
    pub call: NewCall,
    pub billed: Option<BilledCall>,
}

/// How a call was billed: the values fixed when its invoice was created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BilledCall {
    pub invoice: InvoiceId,
    pub call_type: String,
    pub rate_id: i64,
    pub billable_seconds: u64,
    pub included_seconds: u64,
    pub charge: Charge,
}

/// One allowance balance: customer (implied), plan, allowance position and period start date.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BalanceKey {
    pub plan: String,
    pub position: u32,
    /// The period's first day, `YYYY-MM-DD`, in the customer's zone.
    pub period_start: String,
}

/// An invoice's id, for its whole life: `D-42`. Opaque, and never like an invoice number of any
/// prefix (a number is the prefix and six or more digits, zero-padded; see [`InvoiceId::parse`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InvoiceId(pub i64);

impl fmt::Display for InvoiceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "D-{}", self.0)
    }
}

impl FromStr for InvoiceId {
    type Err = String;
    /// `D-42` (any case), the number alone (`42`), or the form ids had before invoice numbers
    /// existed (`INV-000042`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let digits = ["D-", "d-", "INV-", "inv-"].iter().find_map(|p| t.strip_prefix(p)).unwrap_or(t);
        match digits.parse::<i64>() {
            Ok(n) if n > 0 && digits.bytes().all(|b| b.is_ascii_digit()) => Ok(InvoiceId(n)),
            _ => Err(format!("`{s}` is not an invoice id (like D-42)")),
        }
    }
}

/// Where an invoice is in its life (contract-cycle §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InvoiceStatus {
    /// Open to changes and deletion.
    Draft,
    /// Numbered and issued: never changes again, except by being voided.
    Final,
    /// Cancelled: keeps its number, lines and document; its calls, days and draws are released.
    Void,
}

impl InvoiceStatus {
    pub const ALL: [InvoiceStatus; 3] = [InvoiceStatus::Draft, InvoiceStatus::Final, InvoiceStatus::Void];

    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceStatus::Draft => "draft",
            InvoiceStatus::Final => "final",
            InvoiceStatus::Void => "void",
        }
    }

    pub fn parse(s: &str) -> Option<InvoiceStatus> {
        InvoiceStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

impl fmt::Display for InvoiceStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happened to an invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Created,
    LineAdded,
    LineRemoved,
    Finalized,
    Voided,
}

impl EventKind {
    pub const ALL: [EventKind; 5] =
        [EventKind::Created, EventKind::LineAdded, EventKind::LineRemoved, EventKind::Finalized, EventKind::Voided];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Created => "created",
            EventKind::LineAdded => "line_added",
            EventKind::LineRemoved => "line_removed",
            EventKind::Finalized => "finalized",
            EventKind::Voided => "voided",
        }
    }

    pub fn parse(s: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// One change of an invoice's state, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceEvent {
    /// When, UTC.
    pub at: Micros,
    pub what: EventKind,
    /// Who: an operator's name, or `cycle` / `scheduler` for automatic invoices.
    pub by: String,
    /// Why it was voided, or which line was added or removed.
    pub detail: Option<String>,
}

/// What finalizing a draft gives it besides its number's sequence, which the store takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finalization {
    /// The prefix of the number (the setting `invoice_prefix`).
    pub prefix: String,
    /// The day of finalization in the customer's zone, and the day payment is due.
    pub issued: chrono::NaiveDate,
    pub due: chrono::NaiveDate,
    pub at: Micros,
}

impl Finalization {
    /// The number of the `seq`-th invoice finalized: the prefix and the sequence, 6 digits at
    /// least.
    pub fn number(&self, seq: i64) -> String {
        format!("{}{seq:06}", self.prefix)
    }
}

/// Which invoices to list (`invoice list`), newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InvoiceQuery {
    pub customer_pk: Option<i64>,
    pub status: Option<InvoiceStatus>,
    /// Only invoices whose days overlap `first..=last`.
    pub overlapping: Option<(chrono::NaiveDate, chrono::NaiveDate)>,
}

/// An invoice in a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceSummary {
    pub id: InvoiceId,
    pub number: Option<String>,
    pub customer: String,
    pub from: String,
    pub to: String,
    pub status: InvoiceStatus,
    pub currency: String,
    pub total: rating::Amount,
    pub issued: Option<String>,
    pub due: Option<String>,
}

/// An installation setting (`meter settings set`): its text, and a file's bytes for the logo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    pub name: String,
    pub value: String,
    pub data: Option<Vec<u8>>,
    pub updated_at: Micros,
}

/// The kind of an invoice line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LineKind {
    #[default]
    Usage,
    Recurring,
    Manual,
}

impl LineKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LineKind::Usage => "usage",
            LineKind::Recurring => "recurring",
            LineKind::Manual => "manual",
        }
    }
    pub fn parse(s: &str) -> Option<LineKind> {
        [LineKind::Usage, LineKind::Recurring, LineKind::Manual].into_iter().find(|k| k.as_str() == s)
    }
}

/// One invoice line as stored.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InvoiceLine {
    pub kind: LineKind,
    pub call_type: Option<String>,
    pub description: String,
    pub calls: u64,
    pub billable_seconds: u64,
    pub included_seconds: u64,
    pub charged_seconds: u64,
    pub amount: rating::Amount,
    /// A usage line of calls of an earlier billing period (late usage).
    pub late: bool,
    /// The days a late usage line's period or a recurring line bills, `YYYY-MM-DD`.
    pub days: Option<(String, String)>,
    /// A recurring line's subscription as billed.
    pub recurring: Option<RecurringLine>,
}

/// What a recurring line bills: the subscription, and its quantity and unit price at billing
/// time (in ten-thousandths).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecurringLine {
    pub subscription_pk: i64,
    /// The subscription's id (filled in when read).
    pub subscription: String,
    pub quantity_e4: i64,
    pub unit_price_e4: i64,
}

/// A day of a subscription that a new invoice bills.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct BilledDay {
    pub subscription_pk: i64,
    pub day: chrono::NaiveDate,
}

/// A call as it lands on a new invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBilledCall {
    pub call_pk: i64,
    /// The call's start, part of its key.
    pub call_start: Micros,
    /// Shared by the invoice's calls of one type: an invoice of millions of calls holds a few
    /// strings, not one per call.
    pub call_type: std::sync::Arc<str>,
    pub rate_id: i64,
    pub billable_seconds: u64,
    pub included_seconds: u64,
    pub charge: Charge,
}

/// Whether an invoice was made by hand or by the billing cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoiceKind {
    Manual,
    Cycle,
}

impl InvoiceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceKind::Manual => "manual",
            InvoiceKind::Cycle => "cycle",
        }
    }
}

/// An invoice to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInvoice {
    pub customer_pk: i64,
    pub from: String,
    pub to: String,
    pub call_types: Option<Vec<String>>,
    pub kind: InvoiceKind,
    pub currency: String,
    pub lines: Vec<InvoiceLine>,
    pub total: rating::Amount,
    /// The warnings shown when it was created, as a JSON document.
    pub warnings: String,
    pub created_at: Micros,
    pub calls: Vec<NewBilledCall>,
    pub draws: Vec<(BalanceKey, u64)>,
    /// The first day of the calls it may bill, when before `from` (late usage), `YYYY-MM-DD`.
    pub calls_from: Option<String>,
    /// The subscription days its recurring lines bill.
    pub days: Vec<BilledDay>,
}

/// A stored invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invoice {
    pub id: InvoiceId,
    pub customer: String,
    pub from: String,
    pub to: String,
    pub call_types: Option<Vec<String>>,
    pub kind: InvoiceKind,
    pub status: InvoiceStatus,
    pub currency: String,
    pub lines: Vec<InvoiceLine>,
    pub total: rating::Amount,
    pub warnings: String,
    pub created_at: Micros,
    /// A final or void invoice's number, and its issue and due dates (`YYYY-MM-DD`).
    pub number: Option<String>,
    pub issued: Option<String>,
    pub due: Option<String>,
    /// Why it was voided.
    pub void_reason: Option<String>,
    /// Every change of its state, in order.
    pub events: Vec<InvoiceEvent>,
}

/// What `delete_invoice` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteOutcome {
    Deleted {
        calls_released: u64,
    },
    NotFound,
    /// Only drafts can be deleted.
    NotDraft,
}

/// An installation's settings for one metered source (NetSapiens or Brightlink).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceSettings {
    pub source: Source,
    /// The settings that are not secret, as a JSON object (URL, client id, username, API version…).
    pub settings: String,
    /// The secrets (client secret, password, API key), encrypted by the caller; opaque here.
    pub secrets: Vec<u8>,
    pub updated_at: Micros,
}

/// A phone number (DID) of a customer on a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneNumber {
    pub number: String,
    pub enabled: bool,
}

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    Running,
    Done,
    Failed,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
        }
    }
}

impl FromStr for JobState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [JobState::Running, JobState::Done, JobState::Failed]
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| format!("unknown job state `{s}`"))
    }
}

/// What a sync job has done so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobProgress {
    pub pages: u64,
    /// Records the platform sent (hidden legs and repeats included).
    pub received: u64,
    pub imported: u64,
    pub updated: u64,
    pub duplicates: u64,
    pub conflicts: u64,
    /// Records the mapping leaves out (hidden helper legs).
    pub skipped: u64,
    /// Records a page repeated from the page before it.
    pub repeated: u64,
    /// Requests that failed and were retried, or pages that were refused and fetched again.
    pub errors: u64,
    /// Rows starting outside the window (the platform's end is inclusive), left out.
    pub outside: u64,
    /// Flawed records not stored (see [`Job::rejects`]).
    pub rejected: u64,
}

/// A record a sync did not store, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedRecord {
    /// The platform's id of the record.
    pub id: String,
    pub reason: String,
}

/// A call-record sync of one customer's domain on one source for a window of start times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// 0 before the first save.
    pub id: i64,
    pub customer_pk: i64,
    /// The customer's id (filled in when read).
    pub customer: String,
    pub source: Source,
    pub domain: String,
    pub window_start: Micros,
    pub window_end: Micros,
    pub state: JobState,
    /// Where to resume: the source's position after the last committed page (opaque JSON).
    pub position: String,
    pub progress: JobProgress,
    pub numbers: Option<u64>,
    /// The platform's own count of the window's records, and the calls stored for it.
    pub platform_count: Option<u64>,
    pub stored_count: Option<u64>,
    pub started_at: Micros,
    pub finished_at: Option<Micros>,
    pub error: Option<String>,
    /// The first few rejected records (their count is `progress.rejected`).
    pub rejects: Vec<RejectedRecord>,
    /// When the job last saved its progress (a running job's heartbeat).
    pub updated_at: Micros,
}

/// Which jobs to list, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobQuery {
    pub customer_pk: Option<i64>,
    pub source: Option<Source>,
    pub limit: Option<u64>,
}

/// What a run of many customers is: a billing cycle for a date, or a day of the scheduler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunKind {
    Cycle,
    Scheduler,
}

impl RunKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RunKind::Cycle => "cycle",
            RunKind::Scheduler => "scheduler",
        }
    }
}

impl FromStr for RunKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [RunKind::Cycle, RunKind::Scheduler]
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| format!("unknown run kind `{s}`"))
    }
}

/// A run of the billing cycle for one date (shared by the workers that join it), or one day of
/// the scheduler. Its id is taken from the sync jobs' numbering: `jobs show ID` names one thing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub id: i64,
    pub kind: RunKind,
    /// The cycle's date, or the scheduler's day, `YYYY-MM-DD`.
    pub date: String,
    pub state: JobState,
    /// Customers due (a cycle) or steps (the scheduler) in all, and how many are done.
    pub total: u64,
    pub done: u64,
    /// What became of a cycle's customers (the scheduler: of its day's cycle).
    pub invoiced: u64,
    pub skipped: u64,
    pub held: u64,
    pub failed: u64,
    pub started_at: Micros,
    /// When the run last saved its progress.
    pub updated_at: Micros,
    pub finished_at: Option<Micros>,
    pub error: Option<String>,
}

/// What became of a claimed customer in a cycle run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimOutcome {
    Invoiced,
    Skipped,
    Held,
    Failed,
}

impl ClaimOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimOutcome::Invoiced => "invoiced",
            ClaimOutcome::Skipped => "skipped",
            ClaimOutcome::Held => "held",
            ClaimOutcome::Failed => "failed",
        }
    }
}

/// The claims of a cycle run, counted by state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClaimCounts {
    pub pending: u64,
    /// Claimed by a worker whose lease has not ended.
    pub claimed: u64,
    /// Claimed by a worker whose lease has ended (claimed again by the next worker that asks).
    pub expired: u64,
    pub invoiced: u64,
    pub skipped: u64,
    pub held: u64,
    pub failed: u64,
    /// How long until the first live lease ends, in µs (none when no claim is live).
    pub next_expiry: Option<i64>,
}

impl ClaimCounts {
    /// Claims no worker has settled yet.
    pub fn open(&self) -> u64 {
        self.pending + self.claimed + self.expired
    }
}

/// A person who signs in to the web app (issue 16). `role` is `admin`, `billing` or `viewer`
/// (the database refuses any other); `email` is kept in lower case.
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    /// The store's own key (0 before it is added).
    pub id: i64,
    pub email: String,
    pub role: String,
    /// The argon2id hash as a PHC string (`$argon2id$v=19$…`).
    pub password_hash: String,
    pub created_at: Micros,
    pub disabled: bool,
}

/// The hash stays out of logs.
impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("role", &self.role)
            .field("created_at", &self.created_at)
            .field("disabled", &self.disabled)
            .finish_non_exhaustive()
    }
}

/// A signed-in browser's session as stored: found by the SHA-256 of its cookie's secret.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredSession {
    /// The SHA-256 of the cookie's secret (32 bytes).
    pub id: Vec<u8>,
    pub user_id: i64,
    /// The token every form of the session carries back (CSRF).
    pub csrf: String,
    pub created_at: Micros,
    /// When it ends unless used before (each use moves it on, up to the absolute limit).
    pub expires_at: Micros,
    pub last_seen_at: Micros,
}

/// The CSRF token stays out of logs.
impl fmt::Debug for StoredSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredSession")
            .field("user_id", &self.user_id)
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .field("last_seen_at", &self.last_seen_at)
            .finish_non_exhaustive()
    }
}

/// A key to the JSON API, found by the SHA-256 of its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    /// The store's own key (0 before it is added), by which it is listed and revoked.
    pub id: i64,
    pub name: Option<String>,
    /// `admin`, `billing` or `viewer`.
    pub role: String,
    /// The SHA-256 of the secret (32 bytes).
    pub secret_hash: Vec<u8>,
    pub created_at: Micros,
    /// Who made it (the operator, or the user of the web app).
    pub created_by: String,
    pub revoked_at: Option<Micros>,
}
