//! The JSON documents of the contract (section 7). Fields may be added, never renamed.

use serde::Serialize;

/// An invoice, previewed or created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct InvoiceDoc {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    pub customer: String,
    pub from: String,
    pub to: String,
    pub currency: String,
    /// The call-type filter it was made with (`null` = all types).
    pub call_types: Option<Vec<String>>,
    pub lines: Vec<LineDoc>,
    pub total: String,
    pub unrated: Vec<TypeCount>,
    pub already_billed: u64,
    /// A stored invoice's number, issue and due dates: `null` for a draft, absent on a preview.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due: Option<Option<String>>,
    /// Every change of its state, in order (`invoice show`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<EventDoc>>,
}

/// A change of an invoice's state: when (UTC), what, by whom, and why a void was made or which
/// line was added or removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct EventDoc {
    pub at: String,
    pub what: String,
    pub by: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<String>,
}

/// An invoice in `invoice list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct InvoiceRow {
    pub id: String,
    pub number: Option<String>,
    pub customer: String,
    pub from: String,
    pub to: String,
    pub status: String,
    pub currency: String,
    pub total: String,
    pub issued: Option<String>,
    pub due: Option<String>,
}

/// One invoice line. A usage line has a call type and its calls and seconds (a late one, calls
/// of an earlier period, also `"late": true` and that period's `from` and `to`); a recurring
/// line has its subscription, quantity, unit price and the days it bills.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LineDoc {
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscription: Option<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub late: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calls: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billable_seconds: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub included_seconds: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub charged_seconds: Option<u64>,
    pub amount: String,
}

/// A number of calls of one call type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct TypeCount {
    pub call_type: String,
    pub calls: u64,
}

/// The warnings an invoice keeps from its creation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Warnings {
    pub unrated: Vec<TypeCount>,
    pub already_billed: u64,
}

/// One call in `calls list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CallDoc {
    pub id: String,
    pub source: String,
    pub customer: String,
    pub start: String,
    pub duration: u32,
    pub direction: String,
    pub from: String,
    pub to: String,
    pub call_type: String,
    pub status: CallStatus,
    pub billable_seconds: Option<u64>,
    pub charge: Option<String>,
    pub invoice: Option<String>,
    /// The rate that priced the call, for operators (null when unrated or unanswered). Shared
    /// by the calls of one rate.
    #[schema(value_type = Option<RateDoc>)]
    pub rate: Option<std::sync::Arc<RateDoc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CallStatus {
    Unanswered,
    Unrated,
    Unbilled,
    Billed,
}

impl CallStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CallStatus::Unanswered => "unanswered",
            CallStatus::Unrated => "unrated",
            CallStatus::Unbilled => "unbilled",
            CallStatus::Billed => "billed",
        }
    }
}

/// A rate as shown with a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RateDoc {
    pub id: i64,
    pub owner: String,
    pub prefix: String,
    pub local_prefix: String,
    pub rate: String,
    pub connection_fee: String,
    pub initial_increment: u32,
    pub subsequent_increment: u32,
}

impl RateDoc {
    pub fn of(r: &rating::Rate) -> RateDoc {
        RateDoc {
            id: r.id,
            owner: r.owner.to_string(),
            prefix: r.prefix.to_string(),
            local_prefix: r.local_prefix.to_string(),
            rate: r.price.to_string(),
            connection_fee: r.connection_fee.to_string(),
            initial_increment: r.increments.initial(),
            subsequent_increment: r.increments.subsequent(),
        }
    }
}
