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
    #[error("invoice {0} is {1}: only draft invoices can be deleted")]
    NotDraft(String, String),
    #[error("{0}")]
    NothingToBill(String),
    /// Bad arguments: the command line reports these as usage errors.
    #[error("{0}")]
    Usage(String),
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
    /// A source's secrets that the key here does not open.
    #[error("the secrets of {platform} cannot be decrypted with this key: {error}")]
    Sealed { platform: store::Source, error: crate::metered::secrets::SecretError },
    /// A platform URL that would send credentials unencrypted (refused unless allowed).
    #[error("{0}")]
    Cleartext(String),
    #[error("{0}")]
    Sync(String),
    /// Invoicing refused: the calls may be incomplete.
    #[error("{0}")]
    Incomplete(crate::metered::guard::Incomplete),
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

impl BillingError {
    /// Whether the command line should exit with the usage status (2).
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            BillingError::Usage(_)
                | BillingError::Cleartext(_)
                | BillingError::NotEnded { .. }
                | BillingError::NewSource(_)
        )
    }
}

pub type Result<T, E = BillingError> = std::result::Result<T, E>;
