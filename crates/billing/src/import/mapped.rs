//! Call files in other switches' layouts: a column mapping (`--map`, `--preset`) and its rules.

mod row;

use super::owners::Customers;
use super::presets::Preset;
use super::rules::{AnsweredRule, DirectionRule, Numbers};
use super::spec::{Column, Field, Spec};
use super::stream::{expecting_new, import_rows};
use super::timefmt::TimeFormat;
use super::Summary;
use crate::csvfile::CsvFile;
use crate::error::{BillingError, Result};
use crate::Progress;
use chrono_tz::Tz;
use row::{Cell, Cells, MappedRows};
use std::collections::HashMap;
use std::path::Path;
use store::prelude::*;
use store::{Source, Store};

/// The options of `cdrs import` for a file in another layout.
#[derive(Debug, Clone, Default)]
pub struct MapOptions {
    pub preset: Option<Preset>,
    /// `--map`: the preset's fields it replaces, or the whole mapping.
    pub map: Option<Spec>,
    pub time_format: Option<TimeFormat>,
    /// The zone of times without an offset (default: each row's customer's).
    pub timezone: Option<Tz>,
    /// The customer of rows that name none.
    pub customer: Option<String>,
    pub answered: Option<AnsweredRule>,
    pub direction: Option<DirectionRule>,
}

/// Why a mapping cannot read a file, found before any row is read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    /// Neither a preset nor a column mapping.
    #[error("no layout is given: neither a preset nor a column mapping")]
    NoLayout,
    /// Header names and positions mixed, or another fault of the columns.
    #[error("{0}")]
    Columns(String),
    #[error("the mapping maps no field")]
    Empty,
    /// A field every call needs is not mapped.
    #[error("the mapping has no `{}`", .field.name())]
    MissingField { field: Field },
    /// No customer or domain column, and no customer given for rows that name none.
    #[error("the mapping names no customer: map `customer` or `domain`, or give the customer of rows that name none")]
    NoCustomer,
    #[error("the mapping has no talk seconds: map `billsec`, `duration`, or `answer` and `end`")]
    NoTalkTime,
    /// The answered rule reads a field that is not mapped.
    #[error("the answered rule reads `{}`, which is not mapped", .field.name())]
    AnsweredUnmapped { field: Field },
    /// The direction is to be read from a `direction` column that is not mapped.
    #[error("the direction rule `column` needs a mapped `direction` column")]
    DirectionUnmapped,
}

/// The mapping and its rules, settled and checked.
#[derive(Debug, Clone)]
struct Plan {
    spec: Spec,
    header: bool,
    time_format: TimeFormat,
    answered: AnsweredRule,
    direction: DirectionRule,
}

impl MapOptions {
    /// The mapping for a file whose rows have `width` cells; refused when it cannot work.
    fn plan(&self, width: usize) -> std::result::Result<Plan, MappingError> {
        let layout = self.preset.map(|p| p.layout(width));
        let spec = match (&layout, &self.map) {
            (Some(l), Some(m)) => l.spec.merged(m),
            (Some(l), None) => l.spec.clone(),
            (None, Some(m)) => m.clone(),
            (None, None) => return Err(MappingError::NoLayout),
        };
        let header = spec.has_header().map_err(MappingError::Columns)?.ok_or(MappingError::Empty)?;
        let has = |f: Field| spec.get(f).is_some();
        for f in [Field::Id, Field::Start, Field::To] {
            if !has(f) {
                return Err(MappingError::MissingField { field: f });
            }
        }
        if !has(Field::Customer) && !has(Field::Domain) && self.customer.is_none() {
            return Err(MappingError::NoCustomer);
        }
        let seconds = has(Field::Billsec) || has(Field::Duration);
        let times = has(Field::Answer) && has(Field::End);
        if !seconds && !times {
            return Err(MappingError::NoTalkTime);
        }
        let answered = self.answered.clone().or(layout.as_ref().map(|l| l.answered.clone()));
        let answered = answered.unwrap_or(if seconds { AnsweredRule::Billsec } else { AnsweredRule::Answer });
        match answered {
            AnsweredRule::Disposition(_) if !has(Field::Disposition) => {
                return Err(MappingError::AnsweredUnmapped { field: Field::Disposition })
            }
            AnsweredRule::Answer if !has(Field::Answer) => {
                return Err(MappingError::AnsweredUnmapped { field: Field::Answer })
            }
            _ => {}
        }
        let direction = self.direction.or(layout.as_ref().map(|l| l.direction));
        let direction =
            direction.unwrap_or(if has(Field::Direction) { DirectionRule::Column } else { DirectionRule::Numbers });
        if direction == DirectionRule::Column && !has(Field::Direction) {
            return Err(MappingError::DirectionUnmapped);
        }
        let time_format = self.time_format.clone().or(layout.map(|l| l.time_format)).unwrap_or_default();
        Ok(Plan { spec, header, time_format, answered, direction })
    }
}

/// Imports a call file in another layout into `source`: columns found by the mapping, rows read
/// by its rules. All-or-nothing, like cdrs.csv; the same batching and outcomes.
pub fn import_mapped<S: Store>(
    store: &mut S,
    path: &Path,
    source: Source,
    options: &MapOptions,
    progress: &dyn Progress,
) -> Result<Summary> {
    let _span = tracing::info_span!("cdrs.import_mapped", file = %path.display(), %source).entered();
    // Whether there is a header does not depend on the file's width.
    let header = options.plan(0)?.header;
    expecting_new(|writes| {
        let f = CsvFile::open_any(path, header)?;
        let plan = options.plan(f.width())?;
        let cells = resolve(&f, &plan.spec, plan.header);
        if !f.ok() {
            // Every row would repeat the header's errors.
            return f.into_result().map(|()| Summary::default());
        }
        let mut tx = store.write_usage()?;
        let customers = Customers::load(&mut tx, &source)?;
        let fixed = match &options.customer {
            Some(id) => Some(customers.pk(id).ok_or_else(|| BillingError::UnknownCustomer(id.clone()))?),
            None => None,
        };
        let mut numbers = HashMap::new();
        if plan.direction == DirectionRule::Numbers {
            let named = plan.spec.get(Field::Customer).is_some() || plan.spec.get(Field::Domain).is_some();
            let pks: Vec<i64> = if named { customers.pks().collect() } else { fixed.into_iter().collect() };
            for pk in pks {
                let list = tx.phone_numbers(pk)?;
                numbers.insert(pk, Numbers::new(list.iter().map(|(_, n)| n.number.as_str())));
            }
        }
        let rows = MappedRows {
            source: source.clone(),
            cells,
            time_format: plan.time_format,
            zone: options.timezone,
            answered: plan.answered,
            direction: plan.direction,
            customers,
            fixed,
            numbers,
        };
        import_rows(tx, f, &rows, progress, writes)
    })
}

/// Finds each mapped field's columns in the file; a column it lacks is an error on line 1.
fn resolve(f: &CsvFile, spec: &Spec, header: bool) -> Cells {
    let mut cells = Cells::default();
    // An empty file without a header has no rows to read.
    let empty = f.width() == 0 && !header;
    for field in Field::ALL {
        let Some(columns) = spec.get(field) else { continue };
        let mut positions = Vec::with_capacity(columns.len());
        for c in columns {
            let why = match c {
                Column::Position(p) if *p <= f.width() || empty => {
                    positions.push(p - 1);
                    continue;
                }
                Column::Position(_) => format!("the file has only {} columns", f.width()),
                Column::Name(n) => match f.positions_of(n)[..] {
                    [p] => {
                        positions.push(p);
                        continue;
                    }
                    [] => "no such column in the header".to_owned(),
                    _ => "the column appears twice in the header".to_owned(),
                },
            };
            f.error(1, Some(&c.to_string()), format!("{why} (mapped to `{}`)", field.name()));
        }
        let label = columns.iter().map(Column::to_string).collect::<Vec<_>>().join("+");
        cells[field as usize] = Some(Cell { positions, label });
    }
    cells
}

#[cfg(test)]
mod tests;
