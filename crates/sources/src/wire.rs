//! Tolerant pieces of JSON shared by both platforms' wire structs: numbers that may be strings,
//! strings that may be numbers, flags, `{}` for an empty list, and the messages for bad fields.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use crate::DomainInfo;

/// A string that may come as a JSON number (integers become their decimal digits); `null` is empty.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Text<'a>(pub Cow<'a, str>);

impl Text<'_> {
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Text<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or an integer")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Owned(v)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_unit<E>(self) -> Result<Text<'a>, E> {
                Ok(Text::default())
            }
            fn visit_none<E>(self) -> Result<Text<'a>, E> {
                Ok(Text::default())
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// A non-negative integer that may come as a string of digits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Num(pub u64);

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Num;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a non-negative integer or a string of digits")
            }
            fn visit_u64<E>(self, v: u64) -> Result<Num, E> {
                Ok(Num(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Num, E> {
                u64::try_from(v).map(Num).map_err(|_| E::custom(format!("`{v}` is negative")))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Num, E> {
                v.trim().parse().map(Num).map_err(|_| E::custom(format!("`{v}` is not a non-negative integer")))
            }
        }
        d.deserialize_any(V)
    }
}

/// A 0/1 flag: integers, digit strings or booleans; `null` or `""` is 0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Flag(pub bool);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Flag;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("0 or 1")
            }
            fn visit_bool<E>(self, v: bool) -> Result<Flag, E> {
                Ok(Flag(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Flag, E> {
                Ok(Flag(v != 0))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Flag, E> {
                Ok(Flag(v != 0))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Flag, E> {
                match v.trim() {
                    "" | "0" | "false" | "no" => Ok(Flag(false)),
                    "1" | "true" | "yes" => Ok(Flag(true)),
                    _ => Err(E::custom(format!("`{v}` is not 0 or 1"))),
                }
            }
            fn visit_unit<E>(self) -> Result<Flag, E> {
                Ok(Flag(false))
            }
            fn visit_none<E>(self) -> Result<Flag, E> {
                Ok(Flag(false))
            }
        }
        d.deserialize_any(V)
    }
}

/// A JSON array where an empty list may also come as `{}` or `null`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct List<T>(pub Vec<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for List<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = List<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list (or `{}` for none)")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<List<T>, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1000));
                while let Some(item) = seq.next_element()? {
                    out.push(item);
                }
                Ok(List(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<List<T>, A::Error> {
                match map.next_key::<Cow<'de, str>>()? {
                    None => Ok(List(Vec::new())),
                    Some(key) => {
                        let _: IgnoredAny = map.next_value()?;
                        Err(de::Error::custom(format!("expected a list, got an object with field `{key}`")))
                    }
                }
            }
            fn visit_unit<E>(self) -> Result<List<T>, E> {
                Ok(List(Vec::new()))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// Whether a body is (the start of) a JSON object or array rather than HTML or text.
pub(crate) fn looks_like_json(body: &[u8]) -> bool {
    matches!(body.iter().find(|b| !b.is_ascii_whitespace()), Some(b'{' | b'['))
}

/// Whether a body holds nothing but whitespace.
pub(crate) fn is_blank(body: &[u8]) -> bool {
    body.iter().all(u8::is_ascii_whitespace)
}

/// Parses a whole body as `T`, saying what was wrong when it does not.
pub(crate) fn parse<'a, T: Deserialize<'a>>(body: &'a [u8], what: &str) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|e| format!("{what}: {e}"))
}

/// "field `F` of row N: `V` is not W", with the value shortened.
pub(crate) fn bad(field: &str, row: usize, value: &str, what: &str) -> String {
    let shown: String = value.chars().take(64).collect();
    let more = if shown.len() < value.len() { "…" } else { "" };
    format!("field `{field}` of row {row}: `{shown}{more}` is not {what}")
}

/// An RFC 3339 time, in UTC.
pub(crate) fn rfc3339(field: &str, row: usize, value: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(value.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| bad(field, row, value, "an RFC 3339 time"))
}

/// An RFC 3339 time as sent in requests: UTC, `Z`, fractional seconds only when there are any.
pub(crate) fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// A record id, which must not be blank.
pub(crate) fn call_id(field: &str, row: usize, id: Text) -> Result<String, String> {
    if id.as_str().trim().is_empty() {
        return Err(bad(field, row, id.as_str(), "a record id"));
    }
    Ok(id.0.into_owned())
}

/// A domain as a platform gave it; a blank time zone is none.
pub(crate) fn domain_info(domain: String, time_zone: Option<String>) -> DomainInfo {
    DomainInfo { domain, time_zone: time_zone.filter(|z| !z.trim().is_empty()) }
}

/// Whole seconds from `answer` to `end`; negative when the end is before the answer (a flawed
/// record, which the sync rejects: it is never made to look unanswered).
pub(crate) fn talk(answer: DateTime<Utc>, end: DateTime<Utc>) -> i64 {
    (end - answer).num_seconds()
}

/// The digits of a number as the platforms write it (`+1 212…`, `12125551234`, `sip:…@host`).
pub(crate) fn digits(value: &str) -> String {
    value.chars().filter(char::is_ascii_digit).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_takes_strings_integers_and_null() {
        let v: Vec<Text> = serde_json::from_str(r#"["a\"b", "plain", 12125551234, -3, null]"#).expect("from str");
        let v: Vec<&str> = v.iter().map(Text::as_str).collect();
        assert_eq!(v, ["a\"b", "plain", "12125551234", "-3", ""]);
    }

    #[test]
    fn num_and_flag_take_strings_and_integers() {
        let n: Vec<Num> = serde_json::from_str(r#"[3, "42", " 7 "]"#).expect("from str");
        assert_eq!(n, [Num(3), Num(42), Num(7)]);
        assert!(serde_json::from_str::<Num>(r#""x""#).is_err());
        let f: Vec<Flag> = serde_json::from_str(r#"[0, 1, "0", "1", true, null, ""]"#).expect("from str");
        assert_eq!(f.iter().map(|f| f.0).collect::<Vec<_>>(), [false, true, false, true, true, false, false]);
    }

    #[test]
    fn list_takes_empty_object_and_null() {
        assert_eq!(serde_json::from_str::<List<Num>>("{}").expect("valid list"), List(vec![]));
        assert_eq!(serde_json::from_str::<List<Num>>("null").expect("valid list"), List(vec![]));
        assert_eq!(serde_json::from_str::<List<Num>>("[1,\"2\"]").expect("valid list"), List(vec![Num(1), Num(2)]));
        let e = serde_json::from_str::<List<Num>>(r#"{"code": 1}"#).expect_err("should fail").to_string();
        assert!(e.contains("got an object with field `code`"), "{e}");
    }

    #[test]
    fn bad_field_messages_name_field_row_and_value() {
        let e = rfc3339("call-start-datetime", 17, "abc").expect_err("should fail");
        assert_eq!(e, "field `call-start-datetime` of row 17: `abc` is not an RFC 3339 time");
    }
}
