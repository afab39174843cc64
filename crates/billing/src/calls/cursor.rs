//! The cursor of the call listing's pages: the listing's order key (start, source, source call
//! id) of the call a page follows, opaque to callers.

use crate::error::{BillingError, Result};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rating::Micros;
use store::{CallKey, Source};

/// Where a page of calls starts: after the call of this key. Written as base64url (no padding)
/// of `START.SOURCE.ID` (start in UTC microseconds; a source's name holds no dot), so that it
/// goes in a URL as it is; a page's `next` is one, and only the listing reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    start: Micros,
    source: String,
    id: String,
}

impl Cursor {
    /// The cursor after a call of the listing.
    pub fn after(key: &CallKey) -> Cursor {
        Cursor { start: key.start, source: key.source.name().to_owned(), id: key.source_call_id.clone() }
    }

    /// Reads a cursor a page gave; anything else is [`BillingError::BadCursor`].
    pub fn parse(text: &str) -> Result<Cursor> {
        let bad = || BillingError::BadCursor(text.to_owned());
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| bad())?;
        let plain = String::from_utf8(bytes).map_err(|_| bad())?;
        let mut parts = plain.splitn(3, '.');
        let (Some(start), Some(source), Some(id)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad());
        };
        let start: Micros = start.parse().map_err(|_| bad())?;
        if source.is_empty() || id.is_empty() {
            return Err(bad());
        }
        Ok(Cursor { start, source: source.to_owned(), id: id.to_owned() })
    }

    /// The key of the call it follows, its source among `sources`; a source no longer known is a
    /// cursor this listing did not give.
    pub(crate) fn key(&self, sources: &[Source]) -> Result<CallKey> {
        let source = sources.iter().find(|s| s.name() == self.source).cloned();
        let source = source.ok_or_else(|| BillingError::BadCursor(self.to_string()))?;
        Ok(CallKey { start: self.start, source, source_call_id: self.id.clone() })
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&URL_SAFE_NO_PAD.encode(format!("{}.{}.{}", self.start, self.source, self.id)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_whatever_its_id_holds() {
        for id in ["c1", "a.b.c", "with space/and+plus", "ünï", "-"] {
            let c = Cursor { start: -1_700_000_000_000_001, source: "ns-east".into(), id: id.into() };
            let text = c.to_string();
            assert!(text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{text}");
            assert_eq!(Cursor::parse(&text).expect("a cursor"), c);
        }
    }

    #[test]
    fn anything_but_a_cursor_is_refused() {
        let encode = |s: &str| URL_SAFE_NO_PAD.encode(s);
        for text in [
            "netsapiens/none".to_owned(),
            String::new(),
            "!!".into(),
            encode("12.file"),
            encode("x.file.c1"),
            encode("12..c1"),
            encode("12.file."),
            URL_SAFE_NO_PAD.encode([0xff, 0xfe]),
        ] {
            match Cursor::parse(&text) {
                Err(BillingError::BadCursor(t)) => assert_eq!(t, text),
                other => panic!("{text:?}: {other:?}"),
            }
        }
    }
}
