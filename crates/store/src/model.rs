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
    pub netsapiens_domain: Option<String>,
    pub brightlink_domain: Option<String>,
    pub email: Option<String>,
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
            netsapiens_domain: None,
            brightlink_domain: None,
            email: None,
        }
    }

    /// The customer's domain on a source, if any.
    pub fn domain(&self, source: Source) -> Option<&str> {
        match source {
            Source::File => None,
            Source::Netsapiens => self.netsapiens_domain.as_deref(),
            Source::Brightlink => self.brightlink_domain.as_deref(),
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

/// Where call records come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Source {
    File,
    Netsapiens,
    Brightlink,
}

impl Source {
    pub const ALL: [Source; 3] = [Source::File, Source::Netsapiens, Source::Brightlink];

    pub fn as_str(self) -> &'static str {
        match self {
            Source::File => "file",
            Source::Netsapiens => "netsapiens",
            Source::Brightlink => "brightlink",
        }
    }
    /// A small stable code for compact storage, in the names' byte order so that ordering by
    /// code orders by name (the contract's tie-break between calls).
    pub fn code(self) -> i64 {
        match self {
            Source::Brightlink => 0,
            Source::File => 1,
            Source::Netsapiens => 2,
        }
    }
    pub fn from_code(code: i64) -> Option<Source> {
        Source::ALL.into_iter().find(|s| s.code() == code)
    }
}

impl FromStr for Source {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Source::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| format!("unknown source `{s}` (expected file, netsapiens or brightlink)"))
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
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
}

impl CallQuery {
    /// Every call of one customer.
    pub fn of_customer(customer_pk: i64) -> CallQuery {
        CallQuery { customer_pk: Some(customer_pk), ..CallQuery::default() }
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

/// An invoice id. Shown as `INV-000042`; the number alone is also accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InvoiceId(pub i64);

impl fmt::Display for InvoiceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "INV-{:06}", self.0)
    }
}

impl FromStr for InvoiceId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let digits = t.strip_prefix("INV-").or_else(|| t.strip_prefix("inv-")).unwrap_or(t);
        match digits.parse::<i64>() {
            Ok(n) if n > 0 => Ok(InvoiceId(n)),
            _ => Err(format!("`{s}` is not an invoice id (like INV-000042)")),
        }
    }
}

/// The kind of an invoice line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceLine {
    pub kind: LineKind,
    pub call_type: Option<String>,
    pub description: String,
    pub calls: u64,
    pub billable_seconds: u64,
    pub included_seconds: u64,
    pub charged_seconds: u64,
    pub amount: rating::Amount,
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
    pub status: String,
    pub currency: String,
    pub lines: Vec<InvoiceLine>,
    pub total: rating::Amount,
    pub warnings: String,
    pub created_at: Micros,
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
