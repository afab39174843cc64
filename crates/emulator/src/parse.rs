//! Command-line forms of domains and faults: `NAME[:CALLS_PER_DAY[:NUMBERS[:TZ]]]` and `KIND@N[:DELAY_MS]`.

use std::fmt;
use std::str::FromStr;

use crate::{DomainSpec, Fault, FaultKind};

/// A command-line value that could not be parsed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(String);

impl FromStr for DomainSpec {
    type Err = ParseError;

    /// `NAME[:CALLS_PER_DAY[:NUMBERS[:TZ]]]`, defaults 200 calls a day, 10 numbers, `US/Central`.
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let mut parts = s.splitn(4, ':');
        let name = parts.next().unwrap_or_default().trim();
        if name.is_empty() {
            return Err(ParseError(format!("domain {s:?}: empty name")));
        }
        let num = |p: Option<&str>, default: u32, what: &str| match p {
            None | Some("") => Ok(default),
            Some(v) => v.parse().map_err(|_| ParseError(format!("domain {s:?}: bad {what} {v:?}"))),
        };
        let calls = num(parts.next(), 200, "calls per day")?;
        let numbers = num(parts.next(), 10, "number count")?;
        let tz = parts.next().filter(|t| !t.is_empty()).unwrap_or("US/Central");
        Ok(DomainSpec::new(name, calls, numbers, tz))
    }
}

impl FaultKind {
    /// The command-line name (`rate-limit`, `server-error`, `slow`, `drop`, `truncate`, `expire-token`, `repeat-page`,
    /// `release-before-answer`, `garbage-number`).
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::RateLimit => "rate-limit",
            FaultKind::ServerError => "server-error",
            FaultKind::Slow => "slow",
            FaultKind::DropConnection => "drop",
            FaultKind::TruncatedJson => "truncate",
            FaultKind::ExpiredToken => "expire-token",
            FaultKind::RepeatPage => "repeat-page",
            FaultKind::ReleaseBeforeAnswer => "release-before-answer",
            FaultKind::GarbageNumber => "garbage-number",
        }
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for FaultKind {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, ParseError> {
        use FaultKind::*;
        [
            RateLimit,
            ServerError,
            Slow,
            DropConnection,
            TruncatedJson,
            ExpiredToken,
            RepeatPage,
            ReleaseBeforeAnswer,
            GarbageNumber,
        ]
        .into_iter()
        .find(|k| k.name() == s)
        .ok_or_else(|| ParseError(format!("unknown fault kind {s:?}")))
    }
}

impl FromStr for Fault {
    type Err = ParseError;

    /// `KIND@N[:DELAY_MS]`; the delay defaults to 1000 ms.
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let (kind, rest) =
            s.split_once('@').ok_or_else(|| ParseError(format!("fault {s:?}: want KIND@N[:DELAY_MS]")))?;
        let (at, delay) = match rest.split_once(':') {
            Some((at, delay)) => (at, Some(delay)),
            None => (rest, None),
        };
        let at: u64 = at.parse().map_err(|_| ParseError(format!("fault {s:?}: bad request number {at:?}")))?;
        if at == 0 {
            return Err(ParseError(format!("fault {s:?}: request numbers start at 1")));
        }
        let delay_ms = match delay {
            None => 1000,
            Some(d) => d.parse().map_err(|_| ParseError(format!("fault {s:?}: bad delay {d:?}")))?,
        };
        Ok(Fault { kind: kind.parse()?, at, delay_ms })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_values_parse() {
        let d: DomainSpec = "pbx.example.net:5000:40:US/Eastern".parse().expect("domain");
        assert_eq!(d, DomainSpec::new("pbx.example.net", 5000, 40, "US/Eastern"));
        assert_eq!(
            "a.example".parse::<DomainSpec>().expect("defaults"),
            DomainSpec::new("a.example", 200, 10, "US/Central")
        );
        assert!("a:x".parse::<DomainSpec>().is_err());
        let f: Fault = "rate-limit@3:2500".parse().expect("fault");
        assert_eq!(f, Fault { kind: FaultKind::RateLimit, at: 3, delay_ms: 2500 });
        assert_eq!("drop@7".parse::<Fault>().expect("fault").kind, FaultKind::DropConnection);
        let flaw = "release-before-answer@1".parse::<Fault>().expect("fault").kind;
        assert_eq!(flaw, FaultKind::ReleaseBeforeAnswer);
        for bad in ["drop", "drop@0", "nap@1", "slow@1:x"] {
            assert!(bad.parse::<Fault>().is_err(), "{bad}");
        }
    }
}
