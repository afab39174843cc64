//! The rules of a mapped call file: talk seconds, whether a call was answered, its direction.

use rating::Direction;
use std::collections::HashSet;

/// How to tell an answered call (`--answered`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnsweredRule {
    /// Talk seconds > 0.
    Billsec,
    /// The disposition cell equals this value, ignoring case.
    Disposition(String),
    /// The answer-time cell is not empty.
    Answer,
}

impl AnsweredRule {
    /// Parses `billsec`, `answer` or `disposition=VALUE`.
    pub fn parse(s: &str) -> Result<AnsweredRule, String> {
        match s.split_once('=') {
            None if s == "billsec" => Ok(AnsweredRule::Billsec),
            None if s == "answer" => Ok(AnsweredRule::Answer),
            Some(("disposition", v)) if !v.trim().is_empty() => Ok(AnsweredRule::Disposition(v.trim().to_owned())),
            _ => Err(format!("`{s}` is not an answered rule (billsec, answer, or disposition=VALUE)")),
        }
    }
}

impl AnsweredRule {
    /// Whether a call was answered, from its talk seconds (`None`: not given), disposition and
    /// answer-time cells.
    pub fn answered(&self, talk: Option<u32>, disposition: &str, answer: &str) -> bool {
        match self {
            AnsweredRule::Billsec => talk.is_some_and(|s| s > 0),
            AnsweredRule::Disposition(v) => disposition.eq_ignore_ascii_case(v),
            AnsweredRule::Answer => !answer.is_empty(),
        }
    }
}

/// How to tell a call's direction (`--direction`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirectionRule {
    /// The mapped direction column.
    Column,
    /// From the customer's phone numbers.
    Numbers,
}

impl DirectionRule {
    /// Parses `column` or `numbers`.
    pub fn parse(s: &str) -> Result<DirectionRule, String> {
        match s {
            "column" => Ok(DirectionRule::Column),
            "numbers" => Ok(DirectionRule::Numbers),
            _ => Err(format!("`{s}` is not a direction rule (column or numbers)")),
        }
    }
}

/// Seconds written as a whole number or as `h:mm:ss` (3CX).
pub fn parse_seconds(s: &str) -> Result<u32, String> {
    let bad = || format!("`{s}` is not a number of seconds (whole seconds, or h:mm:ss)");
    let number =
        |t: &str| if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) { t.parse::<u64>().ok() } else { None };
    let total = match s.split(':').collect::<Vec<_>>()[..] {
        [secs] => number(secs),
        [h, m, sec] if m.len() == 2 && sec.len() == 2 => match (number(h), number(m), number(sec)) {
            (Some(h), Some(m), Some(sec)) if m < 60 && sec < 60 => h.checked_mul(3600).map(|h| h + m * 60 + sec),
            _ => None,
        },
        _ => None,
    };
    u32::try_from(total.ok_or_else(bad)?).map_err(|_| format!("`{s}` is too large"))
}

/// The key a phone number is compared by: its digits, without a leading NANP `1` on 11 digits
/// (`+1 (212) 555-0100` and `2125550100` are the same number). `None` for an empty cell or one
/// that holds more than digits, `+`, spaces, `-`, `.` and parentheses (a SIP URI, a name).
pub fn number_key(s: &str) -> Option<String> {
    let s = s.trim();
    if !s.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'+' | b' ' | b'-' | b'.' | b'(' | b')')) {
        return None;
    }
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    match digits.len() {
        0 => None,
        11 if digits.starts_with('1') => Some(digits[1..].to_owned()),
        _ => Some(digits),
    }
}

/// A customer's phone numbers, by key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Numbers(HashSet<String>);

impl Numbers {
    /// The numbers among `numbers` that have a key.
    pub fn new<'a>(numbers: impl IntoIterator<Item = &'a str>) -> Numbers {
        Numbers(numbers.into_iter().filter_map(number_key).collect())
    }

    pub fn contains(&self, number: &str) -> bool {
        number_key(number).is_some_and(|k| self.0.contains(&k))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The direction of a call between `from` and `to`: the caller is the customer's → outbound,
    /// the callee → inbound, both → internal; `None` when neither is.
    pub fn direction(&self, from: &str, to: &str) -> Option<Direction> {
        match (self.contains(from), self.contains(to)) {
            (true, true) => Some(Direction::Internal),
            (true, false) => Some(Direction::Outbound),
            (false, true) => Some(Direction::Inbound),
            (false, false) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_are_whole_numbers_or_h_mm_ss() {
        assert_eq!(parse_seconds("0"), Ok(0));
        assert_eq!(parse_seconds("125"), Ok(125));
        assert_eq!(parse_seconds("00:02:05"), Ok(125));
        assert_eq!(parse_seconds("1:00:00"), Ok(3600));
        assert_eq!(parse_seconds("27:01:01"), Ok(97261));
        for bad in ["", "-1", "1.5", "2:05", "00:60:00", "00:00:60", "0:0:5", "a:00:00", "1:00:00:00", "+5"] {
            assert!(parse_seconds(bad).is_err(), "{bad}");
        }
        assert!(parse_seconds("5000000000").expect_err("too large").contains("too large"));
    }

    #[test]
    fn answered_and_direction_rules_parse() {
        assert_eq!(AnsweredRule::parse("billsec"), Ok(AnsweredRule::Billsec));
        assert_eq!(AnsweredRule::parse("answer"), Ok(AnsweredRule::Answer));
        assert_eq!(AnsweredRule::parse("disposition=ANSWERED"), Ok(AnsweredRule::Disposition("ANSWERED".into())));
        assert_eq!(AnsweredRule::parse("disposition= NO ANSWER"), Ok(AnsweredRule::Disposition("NO ANSWER".into())));
        for bad in ["", "disposition", "disposition=", "talk", "answer=yes"] {
            assert!(AnsweredRule::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(DirectionRule::parse("column"), Ok(DirectionRule::Column));
        assert_eq!(DirectionRule::parse("numbers"), Ok(DirectionRule::Numbers));
        assert!(DirectionRule::parse("guess").is_err());
    }

    #[test]
    fn each_answered_rule_reads_its_own_cell() {
        let billsec = AnsweredRule::Billsec;
        assert!(billsec.answered(Some(1), "NO ANSWER", ""));
        assert!(!billsec.answered(Some(0), "ANSWERED", "2026-11-03 09:15:07"));
        assert!(!billsec.answered(None, "ANSWERED", "2026-11-03 09:15:07"));
        let disposition = AnsweredRule::Disposition("ANSWERED".into());
        assert!(disposition.answered(Some(0), "answered", ""));
        assert!(!disposition.answered(Some(30), "NO ANSWER", "2026-11-03 09:15:07"));
        assert!(!disposition.answered(Some(30), "BUSY", ""));
        let answer = AnsweredRule::Answer;
        assert!(answer.answered(None, "", "2026/11/03 09:15:07"));
        assert!(!answer.answered(Some(30), "ANSWERED", ""));
    }

    #[test]
    fn numbers_compare_by_digits_without_plus_or_nanp_1() {
        assert_eq!(number_key("+1 (212) 555-0100").as_deref(), Some("2125550100"));
        assert_eq!(number_key("12125550100").as_deref(), Some("2125550100"));
        assert_eq!(number_key("2125550100").as_deref(), Some("2125550100"));
        assert_eq!(number_key("+442079460000").as_deref(), Some("442079460000"));
        assert_eq!(number_key("1001").as_deref(), Some("1001"));
        assert_eq!(number_key(""), None);
        assert_eq!(number_key("sip:1001@pbx"), None);
        assert_eq!(number_key("Anonymous"), None);
        let n = Numbers::new(["+12125550100", "2125550101", "1001"]);
        assert!(n.contains("212-555-0100") && n.contains("12125550101") && n.contains("1001"));
        assert!(!n.contains("3055550100") && !n.contains("10011") && !n.contains(""));
    }

    #[test]
    fn the_direction_follows_which_side_is_the_customers() {
        let n = Numbers::new(["2125550100", "1001"]);
        assert_eq!(n.direction("+12125550100", "3055550199"), Some(Direction::Outbound));
        assert_eq!(n.direction("3055550199", "12125550100"), Some(Direction::Inbound));
        assert_eq!(n.direction("1001", "2125550100"), Some(Direction::Internal));
        assert_eq!(n.direction("3055550199", "4155550100"), None);
        assert!(Numbers::new(["x"]).is_empty());
    }
}
