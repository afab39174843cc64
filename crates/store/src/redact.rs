//! Database URLs as messages may show them: every password replaced by `***`.
//!
//! The text redacted is what an operator typed, often malformed (that is when it is printed), so
//! when it is unclear where a password ends, more is hidden rather than less.

const HIDDEN: &str = "***";

/// A database URL or connection string without its passwords: the one of
/// `scheme://user:password@host`, every query parameter whose name holds `password`
/// (`?password=`, `&sslpassword=`), and every such key of a key/value string
/// (`host=db password='…'`).
pub fn redact_url(url: &str) -> String {
    match scheme_len(url) {
        Some(start) => redact_uri(url, start),
        None => redact_key_values(url),
    }
}

/// The length of `scheme://`, if `url` starts with one.
fn scheme_len(url: &str) -> Option<usize> {
    let colon = url.find("://")?;
    let scheme = &url[..colon];
    let mut chars = scheme.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then_some(colon + 3)
}

fn hides(key: &str) -> bool {
    key.to_ascii_lowercase().contains("password")
}

fn redact_uri(url: &str, start: usize) -> String {
    let tail = &url[start..];
    // The user information ends at the authority's last `@`; a password with a raw `/` or `?`
    // has none before them, and then the last `@` of all is taken.
    let authority = tail.find(['/', '?']).unwrap_or(tail.len());
    let at = tail[..authority].rfind('@').or_else(|| tail.rfind('@'));
    let mut out = url[..start].to_owned();
    let rest = match at {
        Some(at) => {
            match tail[..at].find(':') {
                Some(colon) => out.push_str(&format!("{}{HIDDEN}", &tail[..=colon])),
                None => out.push_str(&tail[..at]),
            }
            &tail[at..]
        }
        None => tail,
    };
    let Some(question) = rest.find('?') else {
        out.push_str(rest);
        return out;
    };
    out.push_str(&rest[..=question]);
    let params: Vec<String> = rest[question + 1..]
        .split('&')
        .map(|param| match param.split_once('=') {
            Some((key, _)) if hides(key) => format!("{key}={HIDDEN}"),
            _ => param.to_owned(),
        })
        .collect();
    out.push_str(&params.join("&"));
    out
}

/// A libpq key/value string (`key = value` pairs apart by white space, values maybe quoted with
/// `'` and escaped with `\`), its password values hidden. A word that is not `key = value` is
/// kept, unless it is a password key: then the word after it is hidden too.
fn redact_key_values(text: &str) -> String {
    let mut out = Vec::new();
    let mut s = text.trim_start();
    while !s.is_empty() {
        let end = s.find(|c: char| c == '=' || c.is_whitespace()).unwrap_or(s.len());
        let (key, after) = (&s[..end], s[end..].trim_start());
        let (shown, rest) = match after.strip_prefix('=') {
            Some(value) => {
                let (value, rest) = split_value(value.trim_start());
                (format!("{key}={}", if hides(key) { HIDDEN } else { value }), rest)
            }
            None if hides(key) => (format!("{key} {HIDDEN}"), split_value(after).1),
            None => (key.to_owned(), after),
        };
        out.push(shown);
        s = rest.trim_start();
    }
    out.join(" ")
}

/// A value as written (quoted or not) and what follows it; an unclosed quote runs to the end.
fn split_value(s: &str) -> (&str, &str) {
    let quoted = s.starts_with('\'');
    let mut chars = s.char_indices().skip(usize::from(quoted));
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '\'' if quoted => return s.split_at(i + 1),
            c if c.is_whitespace() && !quoted => return s.split_at(i),
            _ => {}
        }
    }
    (s, "")
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn every_form_of_password_is_hidden() {
        for (url, shown) in [
            ("postgres://u:pw@db:5432/meter", "postgres://u:***@db:5432/meter"),
            ("postgresql://u:pw@db/meter?password=pw", "postgresql://u:***@db/meter?password=***"),
            (
                "postgres://db/meter?user=u&password=pw&sslmode=require",
                "postgres://db/meter?user=u&password=***&sslmode=require",
            ),
            ("postgres://db/meter?sslmode=disable&PassWord=pw", "postgres://db/meter?sslmode=disable&PassWord=***"),
            ("postgres://db/meter?sslpassword=pw", "postgres://db/meter?sslpassword=***"),
            ("postgres://u:p@w@db/meter", "postgres://u:***@db/meter"),
            ("postgres://u:p/w?x@db/meter", "postgres://u:***@db/meter"),
            ("postgres://u:pw@db/meter?application_name=a@b", "postgres://u:***@db/meter?application_name=a@b"),
            ("postgres://u:@db", "postgres://u:***@db"),
            ("mysql://u:pw@db/meter", "mysql://u:***@db/meter"),
            ("host=db port=5432 password=pw dbname=meter", "host=db port=5432 password=*** dbname=meter"),
            ("host=db password = 'p w\\'x' user=u", "host=db password=*** user=u"),
            ("host=db password='p w", "host=db password=***"),
            ("host=db password=p\\ w user=u", "host=db password=*** user=u"),
            ("host=db password pw user=u", "host=db password *** user=u"),
        ] {
            assert_eq!(redact_url(url), shown, "{url}");
            assert!(!redact_url(url).contains("pw") && !redact_url(url).contains("p w"), "{url}");
        }
    }

    #[test]
    fn urls_without_a_password_are_kept() {
        for url in [
            "postgres://postgres@127.0.0.1:5432/postgres",
            "postgres://db/meter?user=u&sslmode=require",
            "postgres://db:5432/meter",
            "sqlite://meter.db",
            "sqlite:meter.db",
            "sqlite:///var/lib/meter/meter.db?mode=ro",
            "meter.db",
            "host=db user=u dbname='my db'",
            "",
        ] {
            assert_eq!(redact_url(url), url);
        }
    }
}
