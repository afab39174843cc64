//! Secrets taken out of what platforms say. A platform may echo a request (its body, its headers)
//! in an error answer; every text built from an answer passes here before it becomes an error
//! message, a log line or a stored job error, and comes out short.

use secrecy::{ExposeSecret, SecretString};

use crate::http::form_value;

/// What a secret becomes.
const REDACTED: &str = "[redacted]";
/// The most characters kept of one text.
const MAX_CHARS: usize = 300;
/// Authorization schemes whose parameter is a credential.
const SCHEMES: [&str; 2] = ["bearer", "basic"];
/// Names whose value is a credential, in a JSON object, a form, a query or a header.
const FIELDS: [&str; 8] =
    ["access_token", "refresh_token", "id_token", "client_secret", "password", "api_key", "apikey", "token"];

/// The secrets a client knows, to take out of texts.
pub(crate) struct Redactor {
    secrets: Vec<SecretString>,
}

impl Redactor {
    pub(crate) fn new<'a>(secrets: impl IntoIterator<Item = &'a SecretString>) -> Redactor {
        Redactor { secrets: secrets.into_iter().cloned().collect() }
    }

    /// `text` without the known secrets nor `extra` ones (the request's own token), in clear,
    /// form-encoded or JSON-escaped; without any credential after an authorization scheme or a
    /// credential's name; at most 300 characters.
    pub(crate) fn clean(&self, text: &str, extra: &[&SecretString]) -> String {
        let mut forms: Vec<String> = Vec::new();
        for secret in self.secrets.iter().chain(extra.iter().copied()) {
            let s = secret.expose_secret();
            if s.is_empty() {
                continue;
            }
            let json = serde_json::to_string(s).unwrap_or_default();
            let json = json.trim_matches('"').to_owned();
            forms.extend([s.to_owned(), form_value(s), form_value(s).replace('+', "%20"), json]);
        }
        // Longest first, so that a secret holding another one goes whole.
        forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
        let mut out = text.to_owned();
        for form in forms.iter().filter(|f| !f.is_empty()) {
            out = out.replace(form.as_str(), REDACTED);
        }
        let out = mask_after(&out, &SCHEMES, scheme_value);
        shorten(&mask_after(&out, &FIELDS, field_value))
    }
}

/// At most [`MAX_CHARS`] characters, `…` marking a cut.
fn shorten(text: &str) -> String {
    match text.char_indices().nth(MAX_CHARS) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// Whether a byte ends a credential written without quotes.
fn ends_value(b: u8) -> bool {
    b.is_ascii_whitespace() || b"\"'\\&,;)]}<>".contains(&b)
}

/// Where a credential's value is, in bytes after a marker ending at the index given: `[start, end)`.
type ValueAt = fn(&[u8], usize) -> Option<(usize, usize)>;

/// Replaces with [`REDACTED`] the value `value_at` finds after each of `markers` (ASCII, matched
/// without case, not inside a word).
fn mask_after(text: &str, markers: &[&str], value_at: ValueAt) -> String {
    let lower = text.to_ascii_lowercase();
    let (bytes, low) = (text.as_bytes(), lower.as_bytes());
    let mut out = String::with_capacity(text.len());
    let (mut copied, mut i) = (0, 0);
    while i < bytes.len() {
        let in_word = i > 0 && bytes[i - 1].is_ascii_alphanumeric();
        let found = markers.iter().find(|m| !in_word && low[i..].starts_with(m.as_bytes()));
        let value = found.and_then(|m| value_at(bytes, i + m.len()));
        match value {
            Some((start, end)) if !text[start..].starts_with(REDACTED) => {
                out.push_str(&text[copied..start]);
                out.push_str(REDACTED);
                (copied, i) = (end, end);
            }
            _ => i += 1,
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// After a scheme: spaces (or `+`, `%20`), then the credential up to a delimiter.
fn scheme_value(b: &[u8], mut i: usize) -> Option<(usize, usize)> {
    let start = i;
    while i < b.len() {
        if b[i] == b' ' || b[i] == b'+' {
            i += 1;
        } else if b[i..].starts_with(b"%20") {
            i += 3;
        } else {
            break;
        }
    }
    let value = i;
    while i < b.len() && !ends_value(b[i]) {
        i += 1;
    }
    (value > start && i > value).then_some((value, i))
}

/// After a name: quotes, `=` or `:`, spaces, then the value: up to its closing quote when quoted,
/// else up to a delimiter.
fn field_value(b: &[u8], mut i: usize) -> Option<(usize, usize)> {
    while i < b.len() && b"\"'\\ ".contains(&b[i]) {
        i += 1;
    }
    if i >= b.len() || !(b[i] == b'=' || b[i] == b':') {
        return None;
    }
    i += 1;
    while i < b.len() && b[i] == b' ' {
        i += 1;
    }
    let escaped = b[i..].starts_with(b"\\");
    let quote = b.get(i + usize::from(escaped)).copied().filter(|q| *q == b'"' || *q == b'\'');
    let value = match quote {
        Some(_) => i + usize::from(escaped) + 1,
        None => i,
    };
    let mut end = value;
    while end < b.len() {
        let closes = match quote {
            Some(q) => b[end] == q || (escaped && b[end] == b'\\'),
            None => ends_value(b[end]),
        };
        if closes {
            break;
        }
        end += 1;
    }
    (end > value).then_some((value, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(text: &str) -> String {
        let secrets: Vec<SecretString> = ["s3cret&pass word", "client-secret-1"].map(SecretString::from).into();
        Redactor::new(&secrets).clean(text, &[&"tok-held".into()])
    }

    #[test]
    fn known_secrets_go_in_clear_form_encoded_and_json_escaped() {
        assert_eq!(clean("bad: s3cret&pass word!"), "bad: [redacted]!");
        assert_eq!(clean("body: a=s3cret%26pass+word&b=1"), "body: a=[redacted]&b=1");
        assert_eq!(clean("q=s3cret%26pass%20word"), "q=[redacted]");
        let secrets = [SecretString::from("a\"b")];
        assert_eq!(Redactor::new(&secrets).clean(r#"{"x":"a\"b"}"#, &[]), r#"{"x":"[redacted]"}"#);
        assert_eq!(clean("held tok-held here"), "held [redacted] here");
    }

    #[test]
    fn any_bearer_or_basic_credential_goes() {
        assert_eq!(
            clean("authorization: Bearer abc.DEF-123, accept: */*"),
            "authorization: Bearer [redacted], accept: */*"
        );
        assert_eq!(clean("Authorization: basic dXNlcjpwYXNz=="), "Authorization: basic [redacted]");
        assert_eq!(clean("h=Bearer+abc&x=1"), "h=Bearer+[redacted]&x=1");
        assert_eq!(clean("a basically fine text"), "a basically fine text");
    }

    #[test]
    fn credential_fields_go_in_json_forms_and_escaped_json() {
        assert_eq!(
            clean(r#"{"access_token":"a1","refresh_token": "r 2","scope":"x"}"#),
            r#"{"access_token":"[redacted]","refresh_token": "[redacted]","scope":"x"}"#
        );
        assert_eq!(
            clean("grant_type=password&password=hunter2&username=u"),
            "grant_type=password&password=[redacted]&username=u"
        );
        assert_eq!(clean(r#"{\"client_secret\":\"zz\"}"#), r#"{\"client_secret\":\"[redacted]\"}"#);
        assert_eq!(clean("token: abc"), "token: [redacted]");
        assert_eq!(clean("Invalid username and password combination"), "Invalid username and password combination");
        assert_eq!(clean("POST /ns-api/v2/tokens: HTTP 400"), "POST /ns-api/v2/tokens: HTTP 400");
    }

    #[test]
    fn texts_are_cut_after_the_secrets_are_gone() {
        let out = clean(&format!("{}client-secret-1{}", "x".repeat(295), "y".repeat(500)));
        assert_eq!(out, format!("{}[reda…", "x".repeat(295)));
        assert_eq!(shorten(&"é".repeat(MAX_CHARS)), "é".repeat(MAX_CHARS));
    }
}
