//! plans.csv

use super::{tally, validate_id, Summary};
use crate::csvfile::CsvFile;
use crate::error::Result;
use rating::{Allowance, CallType};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use store::prelude::*;
use store::{Plan, PlanAllowance, Store, StoreTx};

pub(crate) const COLUMNS: &[&str] = &["plan", "call_types", "included_minutes", "description"];

/// Imports calling plans, one row per allowance; a plan in the file replaces the stored one.
/// An allowance may not include fewer seconds than invoices already drew from it in a period.
pub fn import_plans<S: Store>(store: &mut S, path: &Path) -> Result<Summary> {
    import_plans_from(store, CsvFile::open(path, COLUMNS, REQUIRED)?)
}

const REQUIRED: &[&str] = &["plan", "call_types", "included_minutes"];

/// plans.csv's rows as text (a page's edit of one plan): checked and saved as an import of them.
pub(crate) fn import_plans_text<S: Store>(store: &mut S, name: &str, text: String) -> Result<Summary> {
    import_plans_from(store, CsvFile::from_text(name, text, COLUMNS, REQUIRED)?)
}

fn import_plans_from<S: Store>(store: &mut S, mut f: CsvFile) -> Result<Summary> {
    let mut plans: Vec<Plan> = Vec::new();
    // The line of each allowance, by plan as in `plans`.
    let mut lines: Vec<Vec<u64>> = Vec::new();
    let mut at: HashMap<String, usize> = HashMap::new();
    while let Some(line) = f.next_row()? {
        let id = f.cell("plan").to_owned();
        if let Err(e) = validate_id("plan", &id) {
            f.error(line, Some("plan"), e);
        }
        let allowance = parse_allowance(&f, line);
        let i = *at.entry(id.clone()).or_insert_with(|| {
            plans.push(Plan { id, allowances: Vec::new() });
            lines.push(Vec::new());
            plans.len() - 1
        });
        plans[i].allowances.push(allowance);
        lines[i].push(line);
        if f.full() {
            break;
        }
    }
    if !f.ok() {
        return f.into_result().map(|()| Summary::default());
    }
    let mut tx = store.write()?;
    let existing: HashMap<String, Plan> = tx.plans()?.into_iter().map(|p| (p.id.clone(), p)).collect();
    let changed: Vec<(&Plan, &[u64])> = plans
        .iter()
        .zip(&lines)
        .filter(|(p, _)| existing.get(&p.id) != Some(p))
        .map(|(p, l)| (p, l.as_slice()))
        .collect();
    check_drawn(&mut tx, &changed, &f)?;
    f.into_result()?;
    let mut sum = Summary::default();
    for p in plans {
        if tally(&mut sum, existing.get(&p.id), &p) {
            tx.save_plan(&p)?;
        }
    }
    tx.commit()?;
    Ok(sum)
}

/// The allowance of the current row; its bad values are recorded in `f`.
fn parse_allowance(f: &CsvFile, line: u64) -> PlanAllowance {
    let mut call_types = Vec::new();
    for t in f.cell("call_types").split('|').map(str::trim) {
        match CallType::parse(t) {
            Ok(ct) if !call_types.contains(&ct) => call_types.push(ct),
            Ok(_) => f.error(line, Some("call_types"), format!("call type `{t}` is listed twice")),
            Err(e) => f.error(line, Some("call_types"), e.to_string()),
        }
    }
    let minutes = f.cell("included_minutes");
    let included_minutes = match minutes.parse::<u64>() {
        Ok(m) if m <= Allowance::MAX_MINUTES => m,
        Ok(_) => {
            let max = Allowance::MAX_MINUTES;
            f.error(line, Some("included_minutes"), format!("`{minutes}` is too large: at most {max} minutes"));
            0
        }
        Err(_) => {
            let why = format!("`{minutes}` is not a whole number of minutes ≥ 0");
            f.error(line, Some("included_minutes"), why);
            0
        }
    };
    PlanAllowance { call_types, included_minutes, description: f.cell("description").to_owned() }
}

/// Records an error on each allowance of the `changed` plans that would include fewer seconds
/// than invoices already drew from it in some period (of any customer, on the plan today or
/// not), naming the customers and periods: `db check` would find those balances overdrawn.
fn check_drawn<T: StoreTx>(tx: &mut T, changed: &[(&Plan, &[u64])], f: &CsvFile) -> Result<()> {
    if changed.is_empty() {
        return Ok(());
    }
    // The line of each allowance drawn over → its minutes, and who drew what, in words.
    let mut over: BTreeMap<u64, (u64, Vec<String>)> = BTreeMap::new();
    for c in tx.customers()? {
        for (key, used) in tx.allowance_used(c.pk)? {
            let Some((plan, lines)) = changed.iter().find(|(p, _)| p.id == key.plan) else { continue };
            let position = key.position as usize;
            let (Some(a), Some(&line)) = (plan.allowances.get(position), lines.get(position)) else { continue };
            if used > a.included_minutes * 60 {
                let entry = over.entry(line).or_insert_with(|| (a.included_minutes, Vec::new()));
                entry.1.push(format!("{} from {} ({used} s)", c.id, key.period_start));
            }
        }
    }
    for (line, (minutes, mut drawn)) in over {
        drawn.sort();
        let reason = format!(
            "{minutes} minutes ({} s) is less than invoices already drew: {} (delete those invoices, or import the smaller allowance as a new plan)",
            minutes * 60,
            drawn.join(", ")
        );
        f.error(line, Some("included_minutes"), reason);
    }
    Ok(())
}
