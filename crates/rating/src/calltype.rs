//! Call types, directions and the default classification (contract 3.2).

use crate::error::ParseError;
use crate::local::LocalCalling;
use crate::number::MatchKey;
use std::fmt;
use std::str::FromStr;

/// A call type code: `[a-z0-9_]+`. The set is open.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallType(Box<str>);

impl CallType {
    pub fn parse(s: &str) -> Result<CallType, ParseError> {
        if is_code(s) {
            Ok(CallType(s.into()))
        } else {
            Err(ParseError::CallType(s.to_owned()))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether `s` is a valid call type code.
pub fn is_code(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl FromStr for CallType {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CallType::parse(s)
    }
}

impl fmt::Display for CallType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for CallType {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// The direction of a call as seen from the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Direction {
    Inbound,
    Outbound,
    Internal,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
            Direction::Internal => "internal",
        }
    }
    /// A small stable code for compact storage.
    pub fn code(self) -> i64 {
        match self {
            Direction::Inbound => 0,
            Direction::Outbound => 1,
            Direction::Internal => 2,
        }
    }
    pub fn from_code(code: i64) -> Option<Direction> {
        match code {
            0 => Some(Direction::Inbound),
            1 => Some(Direction::Outbound),
            2 => Some(Direction::Internal),
            _ => None,
        }
    }

    /// The number whose match key prices the call (contract 2): the remote party.
    pub fn remote<'a>(self, from: &'a str, to: &'a str) -> &'a str {
        match self {
            Direction::Inbound => from,
            Direction::Outbound | Direction::Internal => to,
        }
    }

    /// The customer's own side of the call, whose key is the local key.
    pub fn local<'a>(self, from: &'a str, to: &'a str) -> &'a str {
        match self {
            Direction::Inbound => to,
            Direction::Outbound | Direction::Internal => from,
        }
    }
}

impl FromStr for Direction {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "inbound" => Ok(Direction::Inbound),
            "outbound" => Ok(Direction::Outbound),
            "internal" => Ok(Direction::Internal),
            _ => Err(ParseError::Direction(s.to_owned())),
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// NANP toll-free area codes, with the leading country code `1`.
const TOLL_FREE: [&[u8]; 7] = [b"1800", b"1833", b"1844", b"1855", b"1866", b"1877", b"1888"];

/// The normalised numbers of a call: its match key (the remote party) and its local key (the
/// customer's own side).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallKeys {
    pub remote: MatchKey,
    pub local: MatchKey,
}

impl CallKeys {
    /// Normalises a call's numbers. The local key of an outbound or internal call is normalised
    /// only `with_local` (when a local calling table is loaded or a rate has a local prefix);
    /// otherwise it is left empty. An inbound call's local key is its `to`, always needed for
    /// the toll-free rule.
    pub fn new(direction: Direction, from: &str, to: &str, with_local: bool) -> CallKeys {
        let remote = MatchKey::normalise(direction.remote(from, to));
        let local = if with_local || direction == Direction::Inbound {
            MatchKey::normalise(direction.local(from, to))
        } else {
            MatchKey::EMPTY
        };
        CallKeys { remote, local }
    }
}

/// The default classification of a call without a call type (contract 3.2), with the `local`
/// step of the local-calling amendment when a table is loaded.
// Not `#[inline]`: compiled in another crate (with `Pricing::rate`) it called `MatchKey`'s
// helpers and `memcmp` instead of comparing the toll-free prefixes in place: 10% more
// instructions in the rating benchmark than calling it.
pub fn classify(direction: Direction, keys: &CallKeys, local_calling: &LocalCalling) -> &'static str {
    let remote = &keys.remote;
    match direction {
        Direction::Internal => "on_net",
        Direction::Inbound => {
            // An inbound call's local key is its `to` number.
            if TOLL_FREE.iter().any(|p| keys.local.starts_with(p)) {
                "toll_free"
            } else {
                "inbound"
            }
        }
        Direction::Outbound => {
            let d = remote.digits();
            if remote.len() <= 3 && (d == b"911" || d == b"933") {
                "emergency"
            } else if remote.len() <= 6 {
                "on_net"
            } else if local_calling.is_local(&keys.local, remote) {
                "local"
            } else if remote.len() == 11 && d[0] == b'1' {
                "domestic"
            } else {
                "international"
            }
        }
    }
}
