//! What to do about a failed source check (billing's typed [`Fix`]), in the command line's words.

use billing::metered::check::{Fix, SourceCheck};
use store::Source;

/// Whether the source is its platform's own (`netsapiens`, `brightlink`), which customers.csv and
/// `sources set` name without more.
fn is_default(source: &Source) -> bool {
    *source == Source::default_of(source.platform())
}

/// The fix as a command to run or a thing to do.
pub fn fix(f: &Fix) -> String {
    match f {
        Fix::SetUp { source } if is_default(source) => {
            format!("meter sources set {source} --url … (see docs/operations.md)")
        }
        Fix::SetUp { source } => {
            format!("meter sources set {source} --platform {} --url … (see docs/operations.md)", source.platform())
        }
        Fix::SecretKey => "set METER_SECRET_KEY or METER_SECRET_KEY_FILE (docs/operations.md)".into(),
        Fix::Settings { source } => format!("meter sources set {source} …"),
        Fix::Domain { source, customer } if is_default(source) => {
            format!("correct {source}_domain of {customer} in customers.csv")
        }
        Fix::Domain { source, customer } => {
            format!("correct the {source}:DOMAIN entry of {customer}'s `domains` in customers.csv")
        }
        Fix::AssignNumbers => "assign the customer's DIDs on the platform".into(),
        Fix::Sync { customer, source, days: Some((from, to)) } => {
            format!("meter sync --customer {customer} --source {source} --from {from} --to {to}")
        }
        Fix::Sync { customer, source, days: None } => {
            format!("meter sync --customer {customer} --source {source} --from … --to …")
        }
        Fix::Rerun { customer, source } => {
            format!("run it again (it resumes): meter sync --customer {customer} --source {source} --from … --to …")
        }
        Fix::Rates => "add rates for these call types to the customer's deck (meter rates import)".into(),
        Fix::Platform(hint) => (*hint).to_owned(),
    }
}

/// The checks as JSON: each failed check with its `fix` worded.
pub fn checks_json(checks: &[SourceCheck]) -> serde_json::Result<serde_json::Value> {
    let mut doc = serde_json::to_value(checks)?;
    let sources = doc.as_array_mut().into_iter().flatten().zip(checks);
    for (source, s) in sources {
        let listed = source.get_mut("checks").and_then(|c| c.as_array_mut()).into_iter().flatten();
        for (check, c) in listed.zip(&s.checks) {
            if let (Some(map), Some(f)) = (check.as_object_mut(), &c.fix) {
                map.insert("fix".into(), fix(f).into());
            }
        }
    }
    Ok(doc)
}
