//! Edits of one record at a time, as the web application's forms make them: a calling plan's
//! allowances, a customer's plans, a subscription. Each is written as the rows of the CSV file
//! that imports such records and imported, so that an edit and an import follow the same rules
//! and give the same errors (naming the column; the line is the form's row, the header being 1).

use crate::error::{BillingError, FileError, FileErrors, Result};
use crate::import::{import_customers_text, import_plans_text, Summary};
use crate::subscriptions::{self, SubscriptionDoc};
use store::prelude::*;
use store::Store;

/// What the errors of a form name as their file.
pub const FORM: &str = "the form";

/// One allowance of a plan, as plans.csv's cells.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowanceInput {
    /// Call types separated by `|`.
    pub call_types: String,
    pub included_minutes: String,
    pub description: String,
}

impl AllowanceInput {
    fn is_blank(&self) -> bool {
        [&self.call_types, &self.included_minutes, &self.description].iter().all(|c| c.trim().is_empty())
    }
}

/// A change of the plans a customer draws from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanChange {
    /// The whole list, in drawing order, separated by `|` (customers.csv's `plans` cell).
    Set(String),
    /// One plan more, drawn from last.
    Add(String),
    /// One plan less.
    Remove(String),
}

/// A subscription, as subscriptions.csv's cells.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubscriptionInput {
    pub id: String,
    pub customer: String,
    pub start: String,
    pub end: String,
    pub description: String,
    pub quantity: String,
    pub unit_price: String,
    /// Plan ids separated by `|`.
    pub plans: String,
}

impl From<SubscriptionDoc> for SubscriptionInput {
    fn from(s: SubscriptionDoc) -> SubscriptionInput {
        SubscriptionInput {
            id: s.id,
            customer: s.customer,
            start: s.start,
            end: s.end.unwrap_or_default(),
            description: s.description,
            quantity: s.quantity,
            unit_price: s.unit_price,
            plans: s.plans.join("|"),
        }
    }
}

/// Whether a subscription is new or replaces the stored one of its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saving {
    Add,
    Edit,
}

/// A CSV document of a header and rows.
fn csv_text(header: &[&str], rows: &[Vec<&str>]) -> Result<String> {
    let encode = |e: &dyn std::fmt::Display| BillingError::Encode { what: "the form", reason: e.to_string() };
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header).map_err(|e| encode(&e))?;
    for r in rows {
        w.write_record(r).map_err(|e| encode(&e))?;
    }
    let bytes = w.into_inner().map_err(|e| encode(&e))?;
    String::from_utf8(bytes).map_err(|e| encode(&e))
}

/// One error of a form's field.
fn refused(line: u64, column: &str, reason: String) -> BillingError {
    let error = FileError { file: FORM.into(), line, column: Some(column.into()), reason };
    BillingError::File(FileErrors { file: FORM.into(), errors: vec![error], truncated: false })
}

/// Replaces (or adds) calling plan `id` with the allowances given, in order, as importing their
/// rows of plans.csv would; blank rows are left out (an error's line is still its row's).
pub fn edit_plan<S: Store>(store: &mut S, id: &str, allowances: &[AllowanceInput]) -> Result<Summary> {
    let kept: Vec<(usize, &AllowanceInput)> = allowances.iter().enumerate().filter(|(_, a)| !a.is_blank()).collect();
    if kept.is_empty() {
        return Err(refused(2, "included_minutes", "a plan has at least one allowance".into()));
    }
    let rows: Vec<Vec<&str>> = kept
        .iter()
        .map(|(_, a)| vec![id, a.call_types.as_str(), a.included_minutes.as_str(), a.description.as_str()])
        .collect();
    let text = csv_text(crate::import::plans::COLUMNS, &rows)?;
    import_plans_text(store, FORM, text).map_err(|e| match e {
        // Line n of the text is the (n-1)th row kept: name the row of the form instead.
        BillingError::File(mut f) => {
            for err in &mut f.errors {
                let at = (err.line as usize).checked_sub(2).and_then(|i| kept.get(i));
                if let Some((row, _)) = at {
                    err.line = *row as u64 + 2;
                }
            }
            BillingError::File(f)
        }
        e => e,
    })
}

/// Changes the plans customer `id` draws from, as importing its row of customers.csv with the
/// `plans` column would.
pub fn change_plans<S: Store>(store: &mut S, id: &str, change: &PlanChange) -> Result<Summary> {
    let mut tx = store.write()?;
    let c = tx.customer(id)?.ok_or_else(|| BillingError::UnknownCustomer(id.to_owned()))?;
    let plans = match change {
        PlanChange::Set(list) => list.clone(),
        PlanChange::Add(p) => c.plans.iter().map(String::as_str).chain([p.trim()]).collect::<Vec<_>>().join("|"),
        PlanChange::Remove(p) => {
            c.plans.iter().filter(|q| q.as_str() != p.trim()).map(String::as_str).collect::<Vec<_>>().join("|")
        }
    };
    let text = csv_text(&["id", "plans"], &[vec![id, plans.as_str()]])?;
    let sum = import_customers_text(&mut tx, FORM, text)?;
    tx.commit()?;
    Ok(sum)
}

/// Adds a subscription (refused if its id exists) or replaces the stored one of its id (refused
/// if none), as importing its row of subscriptions.csv would.
pub fn save_subscription<S: Store>(store: &mut S, s: &SubscriptionInput, saving: Saving) -> Result<Summary> {
    let mut tx = store.write()?;
    let exists = tx.subscriptions(None)?.iter().any(|o| o.id == s.id.trim());
    match saving {
        Saving::Add if exists => {
            return Err(refused(2, "id", format!("subscription `{}` exists already", s.id.trim())))
        }
        Saving::Edit if !exists => return Err(refused(2, "id", format!("unknown subscription `{}`", s.id.trim()))),
        _ => {}
    }
    let row = vec![
        s.id.as_str(),
        s.customer.as_str(),
        s.start.as_str(),
        s.end.as_str(),
        s.description.as_str(),
        s.quantity.as_str(),
        s.unit_price.as_str(),
        s.plans.as_str(),
    ];
    let text = csv_text(subscriptions::COLUMNS, &[row])?;
    let sum = subscriptions::import_text(&mut tx, FORM, text)?;
    tx.commit()?;
    Ok(sum)
}

/// Ends subscription `id` on day `end` (its last active day), its other values kept.
pub fn end_subscription<S: Store>(store: &mut S, id: &str, end: &str) -> Result<Summary> {
    let stored = {
        let mut tx = store.read()?;
        tx.subscriptions(None)?.iter().find(|o| o.id == id).map(SubscriptionDoc::of)
    };
    let Some(doc) = stored else { return Err(refused(2, "id", format!("unknown subscription `{id}`"))) };
    let input = SubscriptionInput { end: end.to_owned(), ..SubscriptionInput::from(doc) };
    save_subscription(store, &input, Saving::Edit)
}
