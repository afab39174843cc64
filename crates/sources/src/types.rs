//! The values the clients hand out: platforms, windows, cursors, records, numbers and pages.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A metered source platform.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    /// NetSapiens (SNAPsolution), API v1 or v2.
    Netsapiens,
    /// Brightlink PBX Cloud.
    Brightlink,
}

impl Platform {
    /// The lowercase name used in settings and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Netsapiens => "netsapiens",
            Platform::Brightlink => "brightlink",
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Platform {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "netsapiens" => Ok(Platform::Netsapiens),
            "brightlink" => Ok(Platform::Brightlink),
            _ => Err(format!("unknown platform `{s}` (expected netsapiens or brightlink)")),
        }
    }
}

/// The NetSapiens API generation to speak: probed once (`Auto`) or pinned.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApiVersion {
    /// Probe `GET /ns-api/v2/version` once: v2 when it answers, v1 on 404.
    #[default]
    Auto,
    /// `POST /ns-api/?object=…&action=…`, form-encoded.
    V1,
    /// `GET /ns-api/v2/…`, JSON.
    V2,
}

impl ApiVersion {
    /// `"auto"`, `"v1"` or `"v2"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ApiVersion::Auto => "auto",
            ApiVersion::V1 => "v1",
            ApiVersion::V2 => "v2",
        }
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ApiVersion {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(ApiVersion::Auto),
            "v1" => Ok(ApiVersion::V1),
            "v2" => Ok(ApiVersion::V2),
            _ => Err(format!("unknown API version `{s}` (expected auto, v1 or v2)")),
        }
    }
}

/// A half-open interval `[start, end)` of call start times.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Window {
    /// First instant included.
    pub start: DateTime<Utc>,
    /// First instant excluded.
    pub end: DateTime<Utc>,
}

/// Where a pager stands in a window; stored by the sync to resume.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Cursor {
    /// NetSapiens v2: index into the call types asked in turn (`Outbound`, `Inbound`, `On-net`);
    /// 0 otherwise.
    pub segment: u32,
    /// Rows of the segment already read (hidden legs included: it is the platform's offset).
    pub offset: u64,
}

/// Which way a call went, seen from the customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// From outside to the customer.
    Inbound,
    /// From the customer to outside.
    Outbound,
    /// Between two parties of the customer (on-net).
    Internal,
}

/// One call as the platform reported it, mapped to meter's terms.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Record {
    /// The platform's id of the record (unique per source).
    pub call_id: String,
    /// Which way the call went.
    pub direction: Direction,
    /// The caller (digits as the platform gives them).
    pub from: String,
    /// The dialed party.
    pub to: String,
    /// When the call started, UTC.
    pub start: DateTime<Utc>,
    /// Seconds between answer and hang-up as the platform's times or `billsec` give them; 0 when
    /// unanswered. Negative when the platform says the call ended before it was answered: such a
    /// record is flawed, and a sync rejects it.
    pub talk_seconds: i64,
}

/// A phone number (DID) of a domain.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PhoneNumber {
    /// Digits only, e.g. `12125551234`.
    pub number: String,
    /// Whether the platform routes it.
    pub enabled: bool,
}

/// What the platform knows of a domain (a customer).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DomainInfo {
    /// The domain's name as the platform spells it.
    pub domain: String,
    /// The domain's IANA time zone, when the platform gives one.
    pub time_zone: Option<String>,
}

/// One page of call records.
///
/// `received = records.len() + skipped + repeated + outside`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Page {
    /// The records of the page, in the platform's order.
    pub records: Vec<Record>,
    /// Rows on the wire.
    pub received: u64,
    /// Hidden legs left out.
    pub skipped: u64,
    /// Rows already seen on the previous page, dropped.
    pub repeated: u64,
    /// Rows starting outside the window (at its end: the platforms' ends are inclusive), dropped.
    pub outside: u64,
    /// Where the next page starts; `None` when the window is done.
    pub next: Option<Cursor>,
}
