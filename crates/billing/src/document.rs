//! The invoice as a document a customer is sent (issue 15): the seller, the customer, the
//! invoice's state, number and dates, its lines as its JSON has them, and on request the call
//! detail: every billed call in the customer's zone, grouped by the line that bills it, with
//! subtotals equal to the lines. Plain data; `render` lays it out as HTML, PDF or CSV and holds
//! no rule.

use crate::doc::LineDoc;
use crate::error::{BillingError, Result};
use crate::invoice::{doc_of, resolve, zone_of};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use rating::calendar::local_date;
use rating::{Amount, Charge, Price};
use serde::Serialize;
use std::collections::HashMap;
use store::prelude::*;
use store::{InvoiceStatus, Setting, Store, StoredCall};
use tracing::info_span;

/// The paper a document is laid out on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Paper {
    /// ISO A4, 210 × 297 mm.
    #[default]
    A4,
    /// US Letter, 8.5 × 11 in.
    Letter,
}

impl Paper {
    pub fn as_str(self) -> &'static str {
        match self {
            Paper::A4 => "a4",
            Paper::Letter => "letter",
        }
    }

    /// `a4` or `letter`, in any case.
    pub fn parse(text: &str) -> Option<Paper> {
        match text.to_ascii_lowercase().as_str() {
            "a4" => Some(Paper::A4),
            "letter" => Some(Paper::Letter),
            _ => None,
        }
    }
}

/// Where an invoice stands, as its document shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Not an invoice yet: no number, watermarked.
    Draft,
    Final,
    /// Cancelled: its number and lines kept, marked void.
    Void,
}

/// An invoice laid out for the customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvoiceDocument {
    /// The invoice's id (`D-42`).
    pub id: String,
    pub status: Status,
    /// The number, issue and due dates of a final or void invoice.
    pub number: Option<String>,
    pub issued: Option<String>,
    pub due: Option<String>,
    /// Why a void invoice was voided.
    pub void_reason: Option<String>,
    /// The days it bills, `YYYY-MM-DD`, in the customer's zone.
    pub from: String,
    pub to: String,
    pub currency: String,
    /// The customer's IANA zone, which every date and time of the document is in.
    pub zone: String,
    pub seller: Seller,
    pub customer: BillTo,
    /// Its lines as the invoice's JSON has them (`invoice show --format json`), in its order.
    pub lines: Vec<LineDoc>,
    pub total: String,
    /// The installation's paper (the setting `paper`), for callers that are not given one.
    pub paper: Paper,
    /// The billed calls, when asked for.
    pub appendix: Option<Appendix>,
}

/// The seller, from the installation's settings; what is not set is `None` or empty.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Seller {
    pub name: Option<String>,
    /// The address's lines.
    pub address: Vec<String>,
    pub tax_id: Option<String>,
    /// The footer's lines.
    pub footer: Vec<String>,
    pub logo: Option<Logo>,
}

/// The seller's logo: its bytes and what kind of image they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Logo {
    /// `image/png`, `image/jpeg` or `image/svg+xml`.
    pub media_type: &'static str,
    #[serde(skip)]
    pub bytes: Vec<u8>,
}

/// The customer billed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BillTo {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
}

/// Every call the invoice bills, grouped as its usage lines are.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Appendix {
    /// One group per usage line, in the lines' order (a group with no line only if the stored
    /// invoice lost one; `db check` reports that).
    pub groups: Vec<CallGroup>,
    /// The calls of every group.
    pub calls: u64,
}

/// The calls of one usage line, in start order, and their sums.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallGroup {
    /// The index in `lines` of the line the calls are on.
    pub line: Option<usize>,
    pub call_type: String,
    /// A late line's period: its first and last day.
    pub late: Option<(String, String)>,
    pub calls: Vec<CallRow>,
    pub billable_seconds: u64,
    pub included_seconds: u64,
    /// The exact sum of the calls' charges, 4 decimals.
    pub charges: String,
    /// That sum rounded as a usage line's amount is (2 decimals, half away from zero): the
    /// line's amount.
    pub subtotal: String,
}

/// A billed call, as the customer checks it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallRow {
    pub id: String,
    pub source: String,
    /// The start in the customer's zone: `YYYY-MM-DD`, `HH:MM:SS`, and the zone's offset then
    /// (`-05:00`).
    pub date: String,
    pub time: String,
    pub offset: String,
    pub from: String,
    pub to: String,
    pub call_type: String,
    /// Seconds, as recorded.
    pub duration: u32,
    /// Seconds after the rate's increments.
    pub billable_seconds: u64,
    /// Seconds of it drawn from the customer's included minutes.
    pub included_seconds: u64,
    /// The rate applied, per minute, and its connection fee (`None` if the rate is gone).
    pub rate: Option<String>,
    pub connection_fee: Option<String>,
    /// 4 decimals.
    pub charge: String,
}

impl CallRow {
    /// The start as RFC 3339 in the customer's zone (`2026-11-02T09:03:05-05:00`).
    pub fn start(&self) -> String {
        format!("{}T{}{}", self.date, self.time, self.offset)
    }
}

/// The document of invoice `id` (its id or number), with the call detail when `with_calls`:
/// one read transaction. A void invoice has no call detail: voiding released its calls.
pub fn document<S: Store>(store: &mut S, id: &str, with_calls: bool) -> Result<InvoiceDocument> {
    let _span = info_span!("invoice.document", invoice = %id, with_calls).entered();
    let mut tx = store.read()?;
    let iid = resolve(&mut tx, id)?;
    let inv = tx.invoice(iid)?.ok_or_else(|| BillingError::UnknownInvoice(id.to_owned()))?;
    if with_calls && inv.status == InvoiceStatus::Void {
        return Err(BillingError::NoCallDetail { id: inv.number.clone().unwrap_or_else(|| inv.id.to_string()) });
    }
    let customer = tx.customer(&inv.customer)?.ok_or_else(|| BillingError::UnknownCustomer(inv.customer.clone()))?;
    let tz = zone_of(&customer)?;
    let settings = tx.settings()?;
    let setting = |name: &str| settings.iter().find(|s| s.name == name);
    let text = |name: &str| setting(name).map(|s| s.value.clone()).filter(|v| !v.trim().is_empty());
    let lines_of = |name: &str| text(name).map(|v| v.lines().map(str::to_owned).collect()).unwrap_or_default();
    let seller = Seller {
        name: text("company_name"),
        address: lines_of("company_address"),
        tax_id: text("tax_id"),
        footer: lines_of("footer"),
        logo: setting("logo_file").and_then(logo_of),
    };
    let paper = crate::settings::paper_of(setting("paper"))?;
    let shown = doc_of(&inv);
    let appendix = match with_calls {
        true => {
            let rates: HashMap<i64, (Price, Price)> =
                tx.rates()?.into_iter().map(|r| (r.id, (r.price, r.connection_fee))).collect();
            let mut grouping = Grouping::new(&shown.lines, parse_day(&inv.from)?, parse_day(&inv.to)?, tz);
            let _read = tracing::debug_span!("read_calls").entered();
            tx.each_invoice_call(iid, |call| grouping.add(call, &rates))?;
            Some(grouping.finish()?)
        }
        false => None,
    };
    Ok(InvoiceDocument {
        id: inv.id.to_string(),
        status: match inv.status {
            InvoiceStatus::Draft => Status::Draft,
            InvoiceStatus::Final => Status::Final,
            InvoiceStatus::Void => Status::Void,
        },
        number: inv.number,
        issued: inv.issued,
        due: inv.due,
        void_reason: inv.void_reason,
        from: inv.from,
        to: inv.to,
        currency: inv.currency,
        zone: customer.timezone,
        seller,
        customer: BillTo { id: customer.id, name: customer.name, email: customer.email },
        lines: shown.lines,
        total: shown.total,
        paper,
        appendix,
    })
}

fn parse_day(text: &str) -> Result<NaiveDate> {
    crate::time::parse_date(text).map_err(|e| BillingError::Store(store::StoreError::Corrupt(e)))
}

/// The logo a setting holds, when its bytes are an image.
fn logo_of(s: &Setting) -> Option<Logo> {
    let bytes = s.data.clone()?;
    Some(Logo { media_type: crate::settings::image_type(&bytes)?, bytes })
}

/// A group being filled: its calls and the exact sum of their charges.
struct Open {
    group: CallGroup,
    charges: i64,
}

/// Puts each billed call in the group of the usage line that bills it: a call of the invoice's
/// own days on the line of its call type, an earlier one on the late line of its call type whose
/// period holds its day (in the customer's zone, as invoicing found them).
struct Grouping {
    groups: Vec<Open>,
    /// The group of the invoice's own days, per call type.
    own: HashMap<String, usize>,
    /// The late groups: call type, first and last day, group.
    late: Vec<(String, NaiveDate, NaiveDate, usize)>,
    days: (NaiveDate, NaiveDate),
    tz: Tz,
}

impl Grouping {
    fn new(lines: &[LineDoc], from: NaiveDate, to: NaiveDate, tz: Tz) -> Grouping {
        let mut g = Grouping { groups: Vec::new(), own: HashMap::new(), late: Vec::new(), days: (from, to), tz };
        for (i, l) in lines.iter().enumerate() {
            let Some(call_type) = l.call_type.clone().filter(|_| l.kind == "usage") else { continue };
            let late = l.from.clone().zip(l.to.clone()).filter(|_| l.late);
            let n = g.groups.len();
            match &late {
                Some((first, last)) => {
                    let (Ok(first), Ok(last)) = (crate::time::parse_date(first), crate::time::parse_date(last)) else {
                        continue;
                    };
                    g.late.push((call_type.clone(), first, last, n));
                }
                None => {
                    g.own.insert(call_type.clone(), n);
                }
            }
            g.groups.push(Open { group: CallGroup::empty(Some(i), call_type, late), charges: 0 });
        }
        g
    }

    /// The group of a call of `call_type` starting on `day`.
    fn group_of(&mut self, call_type: &str, day: NaiveDate) -> usize {
        let own_days = self.days.0 <= day && day <= self.days.1;
        let found = match (own_days, self.own.get(call_type)) {
            (true, Some(&n)) => Some(n),
            _ => self
                .late
                .iter()
                .find(|(t, first, last, _)| t == call_type && *first <= day && day <= *last)
                .map(|l| l.3),
        };
        // A call whose day no line's days hold (its customer's zone changed since): the line of
        // its call type, else a group of its own.
        let found = found
            .or_else(|| self.own.get(call_type).copied())
            .or_else(|| self.late.iter().find(|l| l.0 == call_type).map(|l| l.3));
        found.unwrap_or_else(|| {
            self.groups.push(Open { group: CallGroup::empty(None, call_type.to_owned(), None), charges: 0 });
            let n = self.groups.len() - 1;
            self.own.insert(call_type.to_owned(), n);
            n
        })
    }

    fn add(&mut self, call: StoredCall, rates: &HashMap<i64, (Price, Price)>) -> Result<()> {
        let Some(billed) = call.billed else { return Ok(()) };
        let start = call.call.start;
        let n = self.group_of(&billed.call_type, local_date(start, self.tz));
        let open = &mut self.groups[n];
        open.charges = open.charges.checked_add(billed.charge.units()).ok_or_else(|| BillingError::Overflow {
            what: format!("the {} calls of the invoice", billed.call_type),
            overflow: rating::Overflow::Line,
        })?;
        let g = &mut open.group;
        g.billable_seconds = g.billable_seconds.saturating_add(billed.billable_seconds);
        g.included_seconds = g.included_seconds.saturating_add(billed.included_seconds);
        let (date, time, offset) = local_parts(start, self.tz);
        let rate = rates.get(&billed.rate_id);
        g.calls.push(CallRow {
            id: call.call.source_call_id,
            source: call.call.source.to_string(),
            date,
            time,
            offset,
            from: call.call.from,
            to: call.call.to,
            call_type: billed.call_type,
            duration: call.call.duration,
            billable_seconds: billed.billable_seconds,
            included_seconds: billed.included_seconds,
            rate: rate.map(|r| r.0.to_string()),
            connection_fee: rate.map(|r| r.1.to_string()),
            charge: billed.charge.to_string(),
        });
        Ok(())
    }

    fn finish(self) -> Result<Appendix> {
        let mut appendix = Appendix::default();
        for Open { mut group, charges } in self.groups {
            group.charges = Charge::from_units(charges).to_string();
            group.subtotal = Amount::of_line(charges).to_string();
            appendix.calls += group.calls.len() as u64;
            appendix.groups.push(group);
        }
        Ok(appendix)
    }
}

impl CallGroup {
    fn empty(line: Option<usize>, call_type: String, late: Option<(String, String)>) -> CallGroup {
        CallGroup {
            line,
            call_type,
            late,
            calls: Vec::new(),
            billable_seconds: 0,
            included_seconds: 0,
            charges: String::new(),
            subtotal: String::new(),
        }
    }
}

/// An instant's date, time and UTC offset in a zone.
fn local_parts(t: rating::Micros, tz: Tz) -> (String, String, String) {
    match DateTime::<Utc>::from_timestamp_micros(t) {
        Some(dt) => {
            let local = dt.with_timezone(&tz);
            let offset = local.format("%:z").to_string();
            let offset = if offset == "+00:00" { "Z".to_owned() } else { offset };
            (local.format("%Y-%m-%d").to_string(), local.format("%H:%M:%S").to_string(), offset)
        }
        None => (t.to_string(), String::new(), String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(call_type: &str, late: Option<(&str, &str)>) -> LineDoc {
        LineDoc {
            kind: "usage".into(),
            call_type: Some(call_type.into()),
            late: late.is_some(),
            from: late.map(|l| l.0.into()),
            to: late.map(|l| l.1.into()),
            amount: "0.00".into(),
            ..LineDoc::default()
        }
    }

    fn day(s: &str) -> NaiveDate {
        crate::time::parse_date(s).expect("a date")
    }

    #[test]
    fn calls_go_to_the_line_of_their_type_and_days_late_ones_to_their_periods() {
        let lines = [
            usage("domestic", None),
            usage("international", None),
            usage("domestic", Some(("2026-10-01", "2026-10-31"))),
            usage("domestic", Some(("2026-11-01", "2026-11-30"))),
            LineDoc {
                kind: "manual".into(),
                description: "Credit".into(),
                amount: "-5.00".into(),
                ..LineDoc::default()
            },
        ];
        let tz: Tz = "America/New_York".parse().expect("a zone");
        let mut g = Grouping::new(&lines, day("2026-12-01"), day("2026-12-31"), tz);
        assert_eq!(g.group_of("domestic", day("2026-12-05")), 0);
        assert_eq!(g.group_of("international", day("2026-12-31")), 1);
        assert_eq!(g.group_of("domestic", day("2026-10-31")), 2);
        assert_eq!(g.group_of("domestic", day("2026-11-01")), 3);
        // A day no line holds: the line of its type; a type no line has: a group of its own.
        assert_eq!(g.group_of("domestic", day("2027-01-01")), 0);
        assert_eq!(g.group_of("international", day("2026-10-05")), 1);
        assert_eq!(g.group_of("toll_free", day("2026-12-05")), 4);
        assert_eq!(g.group_of("toll_free", day("2026-12-06")), 4);
        assert_eq!(
            g.groups.iter().map(|o| o.group.line).collect::<Vec<_>>(),
            [Some(0), Some(1), Some(2), Some(3), None]
        );
    }

    #[test]
    fn starts_are_shown_in_the_customers_zone_with_its_offset() {
        // 2026-11-02 14:03:05 UTC; New York is on EST (UTC-5) since 2026-11-01.
        let t = 1_793_628_185_000_000;
        let ny: Tz = "America/New_York".parse().expect("a zone");
        assert_eq!(local_parts(t, ny), ("2026-11-02".into(), "09:03:05".into(), "-05:00".into()));
        assert_eq!(local_parts(t, Tz::UTC), ("2026-11-02".into(), "14:03:05".into(), "Z".into()));
        assert_eq!(local_parts(t, "Asia/Kolkata".parse().expect("a zone")).2, "+05:30");
    }

    #[test]
    fn paper_is_a4_or_letter() {
        assert_eq!(Paper::parse("A4"), Some(Paper::A4));
        assert_eq!(Paper::parse("letter"), Some(Paper::Letter));
        assert_eq!(Paper::parse("legal"), None);
        assert_eq!(Paper::default(), Paper::A4);
    }
}
