//! plans.csv

use super::{tally, validate_id, Summary};
use crate::csvfile::CsvFile;
use crate::error::Result;
use rating::{Allowance, CallType};
use std::collections::HashMap;
use std::path::Path;
use store::{Plan, PlanAllowance, Store, StoreTx};

const COLUMNS: &[&str] = &["plan", "call_types", "included_minutes", "description"];

/// Imports calling plans, one row per allowance; a plan in the file replaces the stored one.
pub fn import_plans<S: Store>(store: &mut S, path: &Path) -> Result<Summary> {
    let mut f = CsvFile::open(path, COLUMNS, &["plan", "call_types", "included_minutes"])?;
    let mut plans: Vec<Plan> = Vec::new();
    let mut at: HashMap<String, usize> = HashMap::new();
    while let Some(line) = f.next_row()? {
        let id = f.cell("plan").to_owned();
        if let Err(e) = validate_id("plan", &id) {
            f.error(line, Some("plan"), e);
        }
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
        let allowance = PlanAllowance { call_types, included_minutes, description: f.cell("description").to_owned() };
        let i = *at.entry(id.clone()).or_insert_with(|| {
            plans.push(Plan { id, allowances: Vec::new() });
            plans.len() - 1
        });
        plans[i].allowances.push(allowance);
        if f.full() {
            break;
        }
    }
    f.into_result()?;
    let mut tx = store.write()?;
    let existing: HashMap<String, Plan> = tx.plans()?.into_iter().map(|p| (p.id.clone(), p)).collect();
    let mut sum = Summary::default();
    for p in plans {
        if tally(&mut sum, existing.get(&p.id), &p) {
            tx.save_plan(&p)?;
        }
    }
    tx.commit()?;
    Ok(sum)
}
