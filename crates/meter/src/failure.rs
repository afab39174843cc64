//! How an error ends a command: the message on stderr, worded with the flags and commands that
//! fix it, and the exit status (2 for a usage error, 1 for any other; contract section 7).

use billing::import::MappingError;
use billing::BillingError;

/// A usage error of the command line itself (a malformed `--db` or `METER_TEST_NOW`).
#[derive(Debug)]
pub struct Usage(pub String);

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}

const USAGE: u8 = 2;
const FAILURE: u8 = 1;

/// The message (without a final line break) and exit status of an error.
pub fn report(e: &anyhow::Error) -> (String, u8) {
    // Billing's own error is worded here when nothing wraps it; wrapped, its context says more.
    let outermost = e.chain().next().and_then(|c| c.downcast_ref::<BillingError>());
    let status = match e.downcast_ref::<BillingError>() {
        Some(b) => status(b),
        None if e.downcast_ref::<Usage>().is_some() => USAGE,
        None => FAILURE,
    };
    match outermost {
        Some(BillingError::Incomplete(i)) => (crate::incomplete::refusal(i).trim_end().to_owned(), status),
        Some(b) => (format!("error: {}", message(b)), status),
        None => (format!("error: {e:#}"), status),
    }
}

/// The exit status of a billing error: bad arguments are usage errors.
fn status(e: &BillingError) -> u8 {
    match e {
        BillingError::ReversedRange { .. }
        | BillingError::DeckAndCustomer
        | BillingError::BadCursor(_)
        | BillingError::Mapping(_)
        | BillingError::NoSettings { .. }
        | BillingError::NewSource(_)
        | BillingError::PlatformChange { .. }
        | BillingError::BadSourceName { .. }
        | BillingError::UnknownSource { .. }
        | BillingError::Cleartext(_)
        | BillingError::NotEnded { .. }
        | BillingError::BadAmount { .. }
        | BillingError::BadText { .. }
        | BillingError::UnknownSetting(_)
        | BillingError::BadSetting { .. }
        | BillingError::BadEmail { .. }
        | BillingError::BadPassword { .. }
        | BillingError::UnknownRole(_)
        | BillingError::BadTokenName { .. } => USAGE,
        _ => FAILURE,
    }
}

/// A billing error in the words of the command line: what was wrong, and the flag or command
/// that fixes it.
fn message(e: &BillingError) -> String {
    match e {
        BillingError::ReversedRange { from, to } => format!("the range is reversed: --from {from} is after --to {to}"),
        BillingError::DeckAndCustomer => "give --deck or --customer, not both".into(),
        BillingError::Mapping(m) => mapping(m),
        BillingError::Cleartext(why) => format!("{why}; use https, or pass --allow-insecure to save it anyway"),
        BillingError::NotEnded { .. } => format!("{e}; pass --allow-future to invoice it anyway"),
        BillingError::BadAmount { value, reason } => {
            format!("--amount {value}: {reason} (at most 2 decimals, not zero; negative for a credit)")
        }
        BillingError::BadText { what, reason } => format!("--{what} {reason}"),
        BillingError::WrongState { status: store::InvoiceStatus::Draft, needs, .. } if needs.contains("voided") => {
            format!("{e}: delete a draft with `meter invoice delete`")
        }
        BillingError::WrongState { status: store::InvoiceStatus::Final, .. } => {
            format!("{e}: void it with `meter invoice void ID --reason TEXT` and make a corrected invoice")
        }
        BillingError::NoCallDetail { .. } => format!("{e}: render it without --with-calls (and not as csv)"),
        BillingError::NotDraft(_, status) if status == "final" => {
            format!("{e}: void it with `meter invoice void ID --reason TEXT`")
        }
        BillingError::SourceNotConfigured { name, .. } if name == "netsapiens" || name == "brightlink" => {
            format!("{e}: set it up with `meter sources set {name} --url …`")
        }
        BillingError::SourceNotConfigured { name, .. } => {
            format!("{e}: set it up with `meter sources set {name} --platform netsapiens|brightlink --url …`")
        }
        BillingError::NewSource(_) => format!("{e}: --platform netsapiens|brightlink"),
        BillingError::NoSourceConfigured => {
            format!("{e}: set one up with `meter sources set netsapiens|brightlink --url …`")
        }
        BillingError::KeyMissing => "no secret key: set METER_SECRET_KEY or METER_SECRET_KEY_FILE to the key the \
            sources were saved with; if it is lost, start a new one with `meter sources new-key` and give each \
            source's secrets again (docs/operations.md, \"A lost key\")"
            .into(),
        BillingError::Sealed { platform, .. } => format!(
            "{e}; set METER_SECRET_KEY or METER_SECRET_KEY_FILE to the key that sealed them, or, if it is lost, \
             give every secret of {platform} again with `meter sources set {platform}` (docs/operations.md, \"A \
             lost key\")"
        ),
        BillingError::BadPassword { .. } => format!("{e} (give it in METER_USER_PASSWORD, or type it when asked)"),
        BillingError::BadTokenName { .. } => format!("--name: {e}"),
        BillingError::UserExists(_) => {
            format!("{e}: change it with `meter users set` or `meter users set-password`")
        }
        BillingError::UnknownUser(_) => format!("{e}: `meter users list` lists them"),
        BillingError::UnknownToken(_) => format!("{e}: `meter tokens list` lists them"),
        BillingError::Store(store::StoreError::Pending(_)) => {
            format!("{e}: apply them with `meter db migrate`, where it can be written")
        }
        other => other.to_string(),
    }
}

/// A mapping that cannot read the file, with the option that completes it.
fn mapping(m: &MappingError) -> String {
    match m {
        MappingError::NoLayout => "give --map or --preset".into(),
        MappingError::MissingField { field } => {
            format!("the mapping has no `{0}`: add {0}=COLUMN to --map", field.name())
        }
        MappingError::NoCustomer => {
            "the mapping names no customer: map `customer` or `domain`, or give --customer ID".into()
        }
        MappingError::AnsweredUnmapped { .. } => format!("{m}: map it or change --answered"),
        MappingError::DirectionUnmapped => {
            "`--direction column` needs a mapped `direction` column (or give --direction numbers)".into()
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, d).expect("a date")
    }

    #[test]
    fn bad_arguments_are_usage_errors_worded_with_their_flags() {
        let reversed = anyhow::Error::from(BillingError::ReversedRange { from: day(31), to: day(1) });
        assert_eq!(
            report(&reversed),
            ("error: the range is reversed: --from 2026-01-31 is after --to 2026-01-01".into(), 2)
        );
        let mapping = anyhow::Error::from(BillingError::Mapping(MappingError::NoCustomer));
        let (text, status) = report(&mapping);
        assert!(text.contains("--customer ID"), "{text}");
        assert_eq!(status, 2);
        assert_eq!(report(&anyhow::Error::from(Usage("--db `x`".into()))).1, 2);
    }

    #[test]
    fn other_errors_exit_1_and_keep_their_context() {
        let unknown = anyhow::Error::from(BillingError::UnknownCustomer("zed".into())).context("listing");
        assert_eq!(report(&unknown), ("error: listing: unknown customer `zed`".into(), 1));
        let unconfigured =
            anyhow::Error::from(BillingError::SourceNotConfigured { name: "brightlink".into(), configured: "".into() });
        let (text, status) = report(&unconfigured);
        assert!(text.contains("meter sources set brightlink --url"), "{text}");
        assert_eq!(status, 1);
    }
}
