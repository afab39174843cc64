//! What to do about a failed source check (billing's typed [`Fix`]), in the command line's words.

use billing::metered::check::{Advice, Fix, SourceCheck};
use store::{Platform, Source};

/// The fix as a command to run or a thing to do.
pub fn fix(f: &Fix) -> String {
    match f {
        Fix::SetUp { source } if source.is_default() => {
            format!("meter sources set {source} --url … (see docs/operations.md)")
        }
        Fix::SetUp { source } => {
            format!("meter sources set {source} --platform {} --url … (see docs/operations.md)", source.platform())
        }
        Fix::SecretKey => "set METER_SECRET_KEY or METER_SECRET_KEY_FILE (docs/operations.md)".into(),
        Fix::Settings { source } => format!("meter sources set {source} …"),
        Fix::Domain { source, customer } if source.is_default() => {
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
        Fix::Platform { source, customer, advice } => platform(source, customer, *advice),
    }
}

/// What a platform's failure asks of the operator, in the command line's words.
fn platform(source: &Source, customer: &str, advice: Advice) -> String {
    let set = format!("meter sources set {source}");
    match advice {
        Advice::Settings => format!("complete or correct the source settings with `{set}`"),
        Advice::Credentials => match source.platform() {
            Platform::Brightlink => format!("check the API key, API secret, username and password with `{set}`"),
            _ => format!("check the client id, client secret, username and password (or the API key) with `{set}`"),
        },
        Advice::Reach => {
            format!("check the source URL with `{set}` and that this host can reach it (DNS, firewall, proxy)")
        }
        Advice::Permission => {
            "the account lacks permission: use an Office Manager, Reseller or Super User account".into()
        }
        Advice::NotFound => format!("check the domain of {customer} on {source} and the source URL with `{set}`"),
        Advice::RateLimited => "the platform is rate limiting: sync again later".into(),
        Advice::Failing => "the platform is failing: sync again later".into(),
        Advice::Refused => format!("check the source settings with `{set}`; see docs/sources.md"),
        Advice::Unknown => {
            "the platform answered in a form meter does not know: report the error with docs/sources.md".into()
        }
        Advice::Domain => format!(
            "{} (or the source URL with `{set}`)",
            fix(&Fix::Domain { source: source.clone(), customer: customer.into() })
        ),
        Advice::Moved => {
            format!("check the source URL with `{set}`: if the platform really moved, set its new address")
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_platform_failure_is_worded_for_the_source_it_came_from() {
        let east = Source::new(3, "ns-east", Platform::Netsapiens);
        let domain = Fix::Platform { source: east.clone(), customer: "acme".into(), advice: Advice::Domain };
        assert_eq!(
            fix(&domain),
            "correct the ns-east:DOMAIN entry of acme's `domains` in customers.csv (or the source URL with \
             `meter sources set ns-east`)"
        );
        let ns = Source::default_of(Platform::Netsapiens);
        let domain = Fix::Platform { source: ns, customer: "acme".into(), advice: Advice::Domain };
        assert!(fix(&domain).starts_with("correct netsapiens_domain of acme in customers.csv"), "{}", fix(&domain));
        let bl = Source::default_of(Platform::Brightlink);
        let creds = Fix::Platform { source: bl, customer: "acme".into(), advice: Advice::Credentials };
        assert_eq!(
            fix(&creds),
            "check the API key, API secret, username and password with `meter sources set brightlink`"
        );
    }
}
