//! One row of a mapped call file, read by the mapping's rules into a call record.

use crate::csvfile::CsvFile;
use crate::import::owners::Customers;
use crate::import::rules::{parse_seconds, AnsweredRule, DirectionRule, Numbers};
use crate::import::spec::Field;
use crate::import::stream::{check_repeated, parse_call_type, RowParser, SeenIds};
use crate::import::timefmt::TimeFormat;
use crate::record::{check_call, CallFields};
use chrono_tz::Tz;
use rating::{Direction, Micros};
use std::collections::HashMap;
use store::{NewCall, Source};

/// The columns (0-based) of one field, and how errors name them (`src`, `#3`, `#6+#10`).
pub(super) struct Cell {
    pub(super) positions: Vec<usize>,
    pub(super) label: String,
}

/// Each field's columns, indexed by `field as usize`; `None` when the field is unmapped.
pub(super) type Cells = [Option<Cell>; Field::ALL.len()];

/// The rows of a file in another layout.
pub(super) struct MappedRows {
    pub(super) source: Source,
    pub(super) cells: Cells,
    pub(super) time_format: TimeFormat,
    /// `--timezone`; else each row's customer's zone.
    pub(super) zone: Option<Tz>,
    pub(super) answered: AnsweredRule,
    pub(super) direction: DirectionRule,
    pub(super) customers: Customers,
    /// The pk of `--customer`.
    pub(super) fixed: Option<i64>,
    /// The phone numbers of the customers rows may name, for `--direction numbers`.
    pub(super) numbers: HashMap<i64, Numbers>,
}

/// A value of a cell: `Ok(None)` when empty or unmapped, `Err` when bad (already reported).
type Read<T> = Result<Option<T>, ()>;

impl RowParser for MappedRows {
    fn parse(&self, f: &CsvFile, line: u64, seen: &mut SeenIds) -> Option<NewCall> {
        let r = Row { f, line, m: self };
        let before = f.error_count();
        let id = r.id();
        check_repeated(&id, line, seen, |reason| r.error(Field::Id, reason));
        let customer = r.customer();
        let zone = self.zone.or(customer.map(|pk| self.customers.zone(pk))).unwrap_or(Tz::UTC);
        let start = match r.time(Field::Start, zone) {
            Ok(Some(t)) => Some(t),
            Ok(None) => {
                r.error(Field::Start, "the start time is empty".into());
                None
            }
            Err(()) => None,
        };
        for bad in check_call(&CallFields { id: &id, start, from: r.cell(Field::From), to: r.cell(Field::To) }) {
            r.error(bad.field, bad.reason);
        }
        let duration = r.duration(zone);
        let direction = r.direction(customer);
        let call_type = parse_call_type(r.cell(Field::CallType), |reason| r.error(Field::CallType, reason));
        if f.error_count() != before || f.full() {
            return None;
        }
        Some(NewCall {
            source: self.source.clone(),
            source_call_id: id,
            customer_pk: customer?,
            start: start?,
            duration: duration?,
            direction: direction?,
            from: r.cell(Field::From).to_owned(),
            to: r.cell(Field::To).to_owned(),
            call_type: call_type?,
        })
    }
}

struct Row<'a> {
    f: &'a CsvFile,
    line: u64,
    m: &'a MappedRows,
}

impl Row<'_> {
    fn get(&self, field: Field) -> Option<&Cell> {
        self.m.cells[field as usize].as_ref()
    }

    fn mapped(&self, field: Field) -> bool {
        self.get(field).is_some()
    }

    /// The cell of a one-column field; `""` when unmapped.
    fn cell(&self, field: Field) -> &str {
        self.get(field).and_then(|c| c.positions.first()).map_or("", |p| self.f.cell_at(*p))
    }

    fn error(&self, field: Field, reason: String) {
        let label = self.get(field).map_or(field.name(), |c| c.label.as_str());
        self.f.error(self.line, Some(label), reason);
    }

    /// The id: its cells joined by `|`; empty when they all are.
    fn id(&self) -> String {
        let positions = self.get(Field::Id).map_or(&[][..], |c| &c.positions);
        let mut id = String::new();
        let mut blank = true;
        for (i, p) in positions.iter().enumerate() {
            let part = self.f.cell_at(*p);
            blank &= part.is_empty();
            if i > 0 {
                id.push('|');
            }
            id.push_str(part);
        }
        if blank {
            id.clear();
        }
        id
    }

    /// The row's customer: its `customer` cell, else its `domain` cell, else the one given for
    /// rows that name none.
    fn customer(&self) -> Option<i64> {
        let (customer, domain) = (self.cell(Field::Customer), self.cell(Field::Domain));
        if customer.is_empty() && domain.is_empty() {
            if self.m.fixed.is_some() {
                return self.m.fixed;
            }
            let field = if self.mapped(Field::Customer) { Field::Customer } else { Field::Domain };
            self.error(field, "the row names no customer, and no customer is given for rows that name none".into());
            return None;
        }
        match self.m.customers.resolve(customer, domain) {
            Ok(pk) => Some(pk),
            Err((column, reason)) => {
                self.error(if column == "domain" { Field::Domain } else { Field::Customer }, reason);
                None
            }
        }
    }

    fn time(&self, field: Field, zone: Tz) -> Read<Micros> {
        match self.cell(field) {
            "" => Ok(None),
            s => self.m.time_format.instant(s, zone).map(Some).map_err(|e| self.error(field, e)),
        }
    }

    fn seconds(&self, field: Field) -> Read<u32> {
        match self.cell(field) {
            "" => Ok(None),
            s => parse_seconds(s).map(Some).map_err(|e| self.error(field, e)),
        }
    }

    /// The duration to store: the talk seconds of an answered call, 0 for an unanswered one.
    /// Talk seconds are `billsec`, else `duration`, else `end − answer` (a started second counts).
    fn duration(&self, zone: Tz) -> Option<u32> {
        let (answer, end) = (self.time(Field::Answer, zone), self.time(Field::End, zone));
        let (billsec, duration) = (self.seconds(Field::Billsec), self.seconds(Field::Duration));
        let (talk, source) = if self.mapped(Field::Billsec) {
            (billsec, Field::Billsec)
        } else if self.mapped(Field::Duration) {
            (duration, Field::Duration)
        } else {
            let empty = if self.cell(Field::Answer).is_empty() { Field::Answer } else { Field::End };
            match (answer, end) {
                (Ok(Some(a)), Ok(Some(e))) if e < a => {
                    self.error(Field::End, "the end time is before the answer time".into());
                    (Err(()), Field::End)
                }
                (Ok(Some(a)), Ok(Some(e))) => match u32::try_from((e - a + 999_999) / 1_000_000) {
                    Ok(s) => (Ok(Some(s)), Field::End),
                    Err(_) => {
                        self.error(Field::End, "the call lasts too long".into());
                        (Err(()), Field::End)
                    }
                },
                (Err(()), _) | (_, Err(())) => (Err(()), empty),
                _ => (Ok(None), empty),
            }
        };
        let known = talk.unwrap_or(None);
        let answered = self.m.answered.answered(known, self.cell(Field::Disposition), self.cell(Field::Answer));
        match talk {
            _ if !answered => Some(0),
            Ok(Some(s)) => Some(s),
            Ok(None) => {
                self.error(source, "the cell is empty, but an answered call needs its talk seconds".into());
                None
            }
            Err(()) => None,
        }
    }

    fn direction(&self, customer: Option<i64>) -> Option<Direction> {
        if self.m.direction == DirectionRule::Column {
            let d = self.cell(Field::Direction);
            let why = || format!("`{d}` is not a direction (inbound, outbound or internal)");
            return d
                .to_ascii_lowercase()
                .parse()
                .map_err(|_: rating::ParseError| self.error(Field::Direction, why()))
                .ok();
        }
        let pk = customer?;
        let (from, to) = (self.cell(Field::From), self.cell(Field::To));
        let reason = match self.m.numbers.get(&pk) {
            Some(numbers) if !numbers.is_empty() => match numbers.direction(from, to) {
                Some(d) => return Some(d),
                None => format!(
                    "cannot tell the direction: neither the caller `{from}` nor the callee `{to}` is a phone number of customer `{}`",
                    self.m.customers.id(pk)
                ),
            },
            _ => format!(
                "cannot tell the direction: customer `{}` has no phone numbers (import them from numbers.csv)",
                self.m.customers.id(pk)
            ),
        };
        self.f.error(self.line, None, reason);
        None
    }
}
