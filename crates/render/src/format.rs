//! How figures read on a document: amounts with thousands separators and the currency's sign,
//! minutes, durations, call types and periods. The figures themselves (amounts, charges, rates)
//! come from billing as decimal text and are only regrouped here, never recomputed. And what
//! every CSV meter writes does to a cell a spreadsheet would run as a formula.

use std::borrow::Cow;

/// A decimal as billing writes it (`-1234.5`, `0.0600`) with thousands separators in its whole
/// part (`-1,234.5`).
pub fn grouped(decimal: &str) -> String {
    let (sign, digits) = match decimal.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", decimal),
    };
    let (whole, fraction) = match digits.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (digits, None),
    };
    let mut out = String::with_capacity(decimal.len() + whole.len() / 3);
    out.push_str(sign);
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = fraction {
        out.push('.');
        out.push_str(f);
    }
    out
}

/// The sign a currency's amounts are written with, when it has one the document uses.
fn symbol(currency: &str) -> Option<&'static str> {
    match currency {
        "USD" | "CAD" | "AUD" => Some("$"),
        "EUR" => Some("€"),
        "GBP" => Some("£"),
        _ => None,
    }
}

/// An amount in its currency: `$1,234.50`, `-€5.00`, `£0.99`; a currency without a sign here
/// is written by its code, `CHF 1,234.50`.
pub fn money(amount: &str, currency: &str) -> String {
    let g = grouped(amount);
    match (symbol(currency), g.strip_prefix('-')) {
        (Some(s), Some(rest)) => format!("-{s}{rest}"),
        (Some(s), None) => format!("{s}{g}"),
        (None, _) => format!("{currency} {g}"),
    }
}

/// Seconds as minutes with 2 decimals, rounded half up (`90` → `1.50`, `100` → `1.67`),
/// grouped: a quantity shown to people; the exact seconds are in the CSV.
pub fn minutes(seconds: u64) -> String {
    let hundredths = (u128::from(seconds) * 100 + 30) / 60;
    grouped(&format!("{}.{:02}", hundredths / 100, hundredths % 100))
}

/// A call's duration as `m:ss`, or `h:mm:ss` from an hour.
pub fn duration(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// A count with thousands separators.
pub fn count(n: u64) -> String {
    grouped(&n.to_string())
}

/// A call type as a line's description: `domestic` → `Domestic calls`, `toll_free` → `Toll free
/// calls`.
pub fn calls_of_type(call_type: &str) -> String {
    let words = call_type.replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => format!("{}{} calls", first.to_uppercase(), chars.as_str()),
        None => "Calls".to_owned(),
    }
}

/// A CSV cell a spreadsheet takes as text, as OWASP advises against CSV injection: a cell that
/// starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`. So does one
/// that starts with `'` already, so that a reader can always drop exactly one leading `'`.
/// Whatever the column: `+12125550100` comes out as `'+12125550100` (the amounts, rates and
/// durations meter writes are never negative, so they are never prefixed).
pub fn spreadsheet_cell(s: &str) -> Cow<'_, str> {
    match s.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r' | b'\'') => Cow::Owned(format!("'{s}")),
        _ => Cow::Borrowed(s),
    }
}

/// Days `from` to `to`, both included.
pub fn period(from: &str, to: &str) -> String {
    format!("{from} – {to}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_grouped_and_signed_by_currency() {
        assert_eq!(grouped("1234567.50"), "1,234,567.50");
        assert_eq!(grouped("-1234.5"), "-1,234.5");
        assert_eq!(grouped("999.99"), "999.99");
        assert_eq!(grouped("0.0600"), "0.0600");
        assert_eq!(grouped("100000"), "100,000");
        assert_eq!(money("1234.50", "USD"), "$1,234.50");
        assert_eq!(money("-5.00", "EUR"), "-€5.00");
        assert_eq!(money("0.99", "GBP"), "£0.99");
        assert_eq!(money("1234.50", "CHF"), "CHF 1,234.50");
        assert_eq!(money("-1234.50", "JPY"), "JPY -1,234.50");
    }

    #[test]
    fn quantities_read_as_people_count_them() {
        assert_eq!(minutes(90), "1.50");
        assert_eq!(minutes(100), "1.67");
        assert_eq!(minutes(0), "0.00");
        assert_eq!(minutes(6_000_000), "100,000.00");
        assert_eq!(duration(65), "1:05");
        assert_eq!(duration(3_725), "1:02:05");
        assert_eq!(count(12_345), "12,345");
        assert_eq!(calls_of_type("toll_free"), "Toll free calls");
        assert_eq!(calls_of_type("domestic"), "Domestic calls");
    }

    #[test]
    fn cells_that_start_a_formula_are_prefixed() {
        for (cell, shown) in [
            ("=1+1", "'=1+1"),
            ("+12125550100", "'+12125550100"),
            ("-5.00", "'-5.00"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("'quoted", "''quoted"),
            ("12125550100", "12125550100"),
            ("a=b", "a=b"),
            ("", ""),
        ] {
            assert_eq!(spreadsheet_cell(cell), shown, "{cell:?}");
        }
    }
}
