//! Errors of the use cases.

use std::fmt;

/// One bad value or row of an input file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    pub file: String,
    /// 1-based line number; the header is line 1.
    pub line: u64,
    /// The column's name, when the error is about one cell or header.
    pub column: Option<String>,
    pub reason: String,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.column {
            Some(c) => write!(f, "{}:{}: column {}: {}", self.file, self.line, c, self.reason),
            None => write!(f, "{}:{}: {}", self.file, self.line, self.reason),
        }
    }
}

/// Every bad row found in a file (up to a limit); the file was not imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileErrors {
    pub file: String,
    pub errors: Vec<FileError>,
    /// Whether more errors were found than are listed.
    pub truncated: bool,
}

impl fmt::Display for FileErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut lines: Vec<u64> = self.errors.iter().map(|e| e.line).collect();
        lines.dedup();
        let n = lines.len();
        let more = if self.truncated { " or more" } else { "" };
        write!(f, "{}: {n}{more} bad row{}, nothing imported", self.file, if n == 1 { "" } else { "s" })?;
        for e in &self.errors {
            write!(f, "\n  {e}")?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BillingError {
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("{0}")]
    File(FileErrors),
    #[error("cannot read {file}: {reason}")]
    Read { file: String, reason: String },
    #[error("unknown customer `{0}`")]
    UnknownCustomer(String),
    #[error("unknown deck `{0}`")]
    UnknownDeck(String),
    #[error("unknown invoice {0}")]
    UnknownInvoice(String),
    /// A page's cursor that no page of the call listing gave.
    #[error("cursor `{0}` is not one a page of calls gave")]
    BadCursor(String),
    #[error("invoice {0} is {1}: only draft invoices can be deleted")]
    NotDraft(String, String),
    /// An invoice not in the state a change needs: `needs` says which.
    #[error("invoice {id} is {status}: {needs}")]
    WrongState { id: String, status: store::InvoiceStatus, needs: &'static str },
    /// A line number past the invoice's lines.
    #[error("invoice {id} has {lines} lines: there is no line {line}")]
    NoLine { id: String, line: usize, lines: usize },
    /// A line that is not a manual one, asked to be removed.
    #[error("line {line} of invoice {id} is a {kind} line: only manual lines can be removed")]
    NotManual { id: String, line: usize, kind: &'static str },
    /// A manual line's amount that is not one.
    #[error("amount `{value}`: {reason}")]
    BadAmount { value: String, reason: String },
    /// A text given for an invoice (a line's description, a void's reason) that cannot be kept.
    #[error("the {what} {reason}")]
    BadText { what: &'static str, reason: String },
    /// A setting this installation does not have.
    #[error("unknown setting `{0}` (known: invoice_prefix, company_name, company_address, tax_id, logo_file, payment_terms, footer, paper)")]
    UnknownSetting(String),
    /// A value a setting cannot take.
    #[error("setting {name}: {reason}")]
    BadSetting { name: String, reason: String },
    #[error("{0}")]
    NothingToBill(String),
    /// Call detail asked of a void invoice, whose calls were released when it was voided.
    #[error("invoice {id} is void: its calls were released when it was voided, so it has no call detail")]
    NoCallDetail { id: String },
    /// A range of days whose first day is after its last.
    #[error("the range is reversed: {from} is after {to}")]
    ReversedRange { from: chrono::NaiveDate, to: chrono::NaiveDate },
    /// Rates asked for by deck and by customer at once: they are listed for one owner.
    #[error("rates are listed for one deck or one customer, not both")]
    DeckAndCustomer,
    /// A column mapping that cannot read the file.
    #[error("{0}")]
    Mapping(#[from] crate::import::MappingError),
    /// A source that is configured by importing files, not by settings.
    #[error("the {name} source has no settings: import its files")]
    NoSettings { name: String },
    /// A source name that is not registered.
    #[error("unknown source `{name}` (known: {known})")]
    UnknownSource { name: String, known: String },
    /// A source asked for by name that this installation has no settings for.
    #[error("source {name} is not configured (configured: {configured})")]
    SourceNotConfigured { name: String, configured: String },
    /// A sync asked for when no metered source is configured.
    #[error("no metered source is configured")]
    NoSourceConfigured,
    /// A customer asked to be synced that has no domain on a configured source.
    #[error("customer {customer} has no domain on a configured source (set it in customers.csv: `netsapiens_domain`, `brightlink_domain`, or `domains` as `source:domain`)")]
    NoDomain { customer: String },
    #[error("unknown job {0}")]
    UnknownJob(i64),
    /// Sources are configured, and the key their secrets were sealed with is not given.
    #[error("no secret key is given to open the saved source secrets")]
    KeyMissing,
    /// A value that could not be encoded to be stored.
    #[error("cannot encode {what}: {reason}")]
    Encode { what: &'static str, reason: String },
    #[error("customer `{customer}` has time zone `{zone}`, which is not an IANA zone")]
    BadZone { customer: String, zone: String },
    /// Money that does not fit: `what` names the call and its rate, or the invoice.
    #[error("cannot bill {what}: {overflow}")]
    Overflow { what: String, overflow: rating::Overflow },
    #[error("the rate deck is inconsistent: {0}")]
    Deck(String),
    #[error(transparent)]
    Source(#[from] sources::SourceError),
    #[error("{0}")]
    Secret(String),
    /// Settings given for a source name not registered yet, without its platform.
    #[error("source {0} is new: give its platform (netsapiens or brightlink)")]
    NewSource(String),
    /// Settings of a registered source given for another platform than its own.
    #[error("source {name} is a {platform} source: its platform cannot change (name a new source for {asked})")]
    PlatformChange { name: String, platform: store::Platform, asked: store::Platform },
    /// A new source's name that breaks the naming rules.
    #[error("source name `{name}`: {reason}")]
    BadSourceName { name: String, reason: String },
    /// A source's secrets that the key here does not open.
    #[error("the secrets of {platform} cannot be decrypted with this key: {error}")]
    Sealed { platform: store::Source, error: crate::metered::secrets::SecretError },
    /// A platform URL that would send credentials unencrypted (refused unless allowed).
    #[error("{0}")]
    Cleartext(crate::metered::cleartext::Cleartext),
    #[error("{0}")]
    Sync(String),
    /// Invoicing refused: the calls may be incomplete.
    #[error("{0}")]
    Incomplete(crate::metered::guard::Incomplete),
    /// An email address that cannot be a user's.
    #[error("email `{email}`: {reason}")]
    BadEmail { email: String, reason: &'static str },
    /// A password that cannot be a user's (too short, too long).
    #[error("the password {reason}")]
    BadPassword { reason: String },
    /// A role other than `admin`, `billing` and `viewer`.
    #[error("unknown role `{0}` (known: admin, billing, viewer)")]
    UnknownRole(String),
    /// A user with this email (whatever its case) exists already.
    #[error("a user with email {0} exists already")]
    UserExists(String),
    #[error("unknown user {0}")]
    UnknownUser(String),
    /// A sign-in refused: no such user, a disabled one, or a wrong password (never which).
    #[error("wrong email or password")]
    SignInFailed,
    /// Too many failed sign-ins as this email lately: refused, even with the right password,
    /// until `retry_at`.
    #[error("too many failed sign-ins as {email}: try again after {}", crate::time::format_utc(*.retry_at))]
    SignInLimited { email: String, retry_at: rating::Micros },
    /// An API token's name that cannot be kept.
    #[error("the token's name {reason}")]
    BadTokenName { reason: &'static str },
    #[error("unknown API token {0}")]
    UnknownToken(i64),
    /// The system's random numbers or the password hash failed.
    #[error("{0}")]
    Crypto(String),
    /// A cycle date whose period has not ended in a due customer's zone.
    #[error("the period before {date} has not ended for {customer}: it is {today} in {zone}")]
    NotEnded { date: chrono::NaiveDate, customer: String, zone: String, today: chrono::NaiveDate },
}

impl From<rating::Overflow> for BillingError {
    /// An overflow no call is to blame for: the invoice's total.
    fn from(overflow: rating::Overflow) -> BillingError {
        BillingError::Overflow { what: "the invoice".into(), overflow }
    }
}

/// `from..=to`, refused when reversed.
pub fn check_range(from: chrono::NaiveDate, to: chrono::NaiveDate) -> Result<()> {
    if from > to {
        return Err(BillingError::ReversedRange { from, to });
    }
    Ok(())
}

pub type Result<T, E = BillingError> = std::result::Result<T, E>;
