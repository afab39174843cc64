//! The installation's settings (`settings set` / `settings list`): the invoice numbers' prefix,
//! the seller's details an invoice document shows, the default payment terms and the paper
//! documents are laid out on. Each value is
//! checked before it is stored; an empty value removes a setting, so that its default applies.

use crate::document::Paper;
use crate::error::{BillingError, Result};
use rating::Micros;
use serde::Serialize;
use std::path::Path;
use store::prelude::*;
use store::{Setting, Store};

/// The settings there are, in the order they are listed.
pub const NAMES: [&str; 8] =
    ["invoice_prefix", "company_name", "company_address", "tax_id", "logo_file", "payment_terms", "footer", "paper"];

/// The prefix of invoice numbers when none is set.
pub const DEFAULT_PREFIX: &str = "INV-";

/// Days from issue to due when neither the customer nor the installation says otherwise.
pub const DEFAULT_PAYMENT_TERMS: u32 = 30;

/// The most bytes a logo may have: it is stored in the database and goes into every document.
pub const MAX_LOGO_BYTES: usize = 1024 * 1024;

/// The longest prefix, in characters.
pub const MAX_PREFIX: usize = 12;

/// A setting as listed: its value (the default's when it is not set), whether it is set, and for
/// the logo what kind of image it is and its size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SettingDoc {
    pub name: String,
    pub value: Option<String>,
    pub set: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
}

/// Why a value is refused, for the setting `name`.
fn bad(name: &str, reason: impl Into<String>) -> BillingError {
    BillingError::BadSetting { name: name.to_owned(), reason: reason.into() }
}

/// Text of at most `max` characters without control characters, except line breaks where
/// `lines` allows them (an address, a footer).
fn text(name: &str, value: &str, max: usize, lines: bool) -> Result<String> {
    if value.chars().count() > max {
        return Err(bad(name, format!("at most {max} characters")));
    }
    if value.chars().any(|c| c.is_control() && !(lines && c == '\n')) {
        let allowed = if lines { " other than line breaks" } else { "" };
        return Err(bad(name, format!("control characters{allowed} are not allowed")));
    }
    Ok(value.to_owned())
}

/// Checks a prefix for invoice numbers: 1 to 12 printable characters, no spaces, and none whose
/// numbers could be read as an invoice's id (`D-` and digits) or as a number alone.
pub fn check_prefix(value: &str) -> Result<()> {
    let name = "invoice_prefix";
    if value.chars().count() > MAX_PREFIX {
        return Err(bad(name, format!("at most {MAX_PREFIX} characters")));
    }
    if value.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(bad(name, "printable characters without spaces"));
    }
    let lower = value.to_lowercase();
    let after_d = lower.strip_prefix("d-").unwrap_or(&lower);
    if after_d.chars().all(|c| c.is_ascii_digit()) {
        return Err(bad(
            name,
            format!("numbers like {value}000001 would read as an invoice's id (D-17) or a number alone"),
        ));
    }
    Ok(())
}

/// What kind of image a logo file holds, by its first bytes: PNG, JPEG or SVG.
pub fn image_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some("image/png");
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some("image/jpeg");
    }
    // SVG is XML text whose root element is `svg`, after an optional declaration, comments and
    // doctype.
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]);
    let mut rest = head.trim_start_matches('\u{feff}').trim_start();
    loop {
        if let Some(after) = rest.strip_prefix("<?") {
            rest = after.split_once("?>")?.1.trim_start();
        } else if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.split_once("-->")?.1.trim_start();
        } else if let Some(after) = rest.strip_prefix("<!") {
            rest = after.split_once('>')?.1.trim_start();
        } else {
            break;
        }
    }
    let tag = rest.strip_prefix("<svg")?;
    tag.starts_with(|c: char| c.is_whitespace() || c == '>' || c == '/').then_some("image/svg+xml")
}

/// The setting to store for `name` and `value`, checked; `None` when the value is empty (the
/// setting is removed). The logo is read from the file `value` names.
pub fn parse(name: &str, value: &str, now: Micros) -> Result<Option<Setting>> {
    if !NAMES.contains(&name) {
        return Err(BillingError::UnknownSetting(name.to_owned()));
    }
    if value.is_empty() {
        return Ok(None);
    }
    let mut data = None;
    let value = match name {
        "invoice_prefix" => {
            check_prefix(value)?;
            value.to_owned()
        }
        "company_name" => text(name, value, 200, false)?,
        "tax_id" => text(name, value, 64, false)?,
        "company_address" | "footer" => text(name, value, 1000, true)?,
        "payment_terms" => match value.parse::<u32>() {
            Ok(days) if days <= 36_500 => days.to_string(),
            _ => return Err(bad(name, format!("`{value}` is not a whole number of days from 0 to 36500"))),
        },
        "paper" => match Paper::parse(value) {
            Some(paper) => paper.as_str().to_owned(),
            None => return Err(bad(name, format!("`{value}` is neither a4 nor letter"))),
        },
        "logo_file" => {
            let bytes = read_logo(Path::new(value))?;
            data = Some(bytes);
            value.to_owned()
        }
        _ => unreachable!("every name of NAMES is matched above"),
    };
    Ok(Some(Setting { name: name.to_owned(), value, data, updated_at: now }))
}

/// A logo file's bytes: an existing PNG, JPEG or SVG file of at most [`MAX_LOGO_BYTES`].
fn read_logo(path: &Path) -> Result<Vec<u8>> {
    let file = path.display().to_string();
    let read = |reason: String| BillingError::Read { file: file.clone(), reason };
    let meta = std::fs::metadata(path).map_err(|e| read(e.to_string()))?;
    if !meta.is_file() {
        return Err(read("not a file".into()));
    }
    if meta.len() > MAX_LOGO_BYTES as u64 {
        return Err(read(format!("{} bytes: a logo may have at most {MAX_LOGO_BYTES}", meta.len())));
    }
    let bytes = std::fs::read(path).map_err(|e| read(e.to_string()))?;
    logo_problem(&bytes).map_or(Ok(bytes), |why| Err(read(why)))
}

/// What is wrong with a logo's bytes, if anything: too many, or not an image it can be.
fn logo_problem(bytes: &[u8]) -> Option<String> {
    if bytes.len() > MAX_LOGO_BYTES {
        return Some(format!("{} bytes: a logo may have at most {MAX_LOGO_BYTES}", bytes.len()));
    }
    image_type(bytes).is_none().then(|| "not a PNG, JPEG or SVG image".to_owned())
}

/// A new value of a setting: text (as `settings set` takes it; empty removes the setting), or a
/// logo's bytes with the name of the file they came from (an upload).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewValue {
    Text(String),
    Logo { file: String, bytes: Vec<u8> },
}

/// Stores several settings at once, all or none: each value is checked first, and the first bad
/// one refuses them all, naming its setting. One write transaction.
pub fn set_many<S: Store>(store: &mut S, values: &[(&str, NewValue)], now: Micros) -> Result<Vec<SettingDoc>> {
    let mut checked = Vec::with_capacity(values.len());
    for (name, value) in values {
        let setting = match value {
            NewValue::Text(text) if *name == "logo_file" && !text.is_empty() => {
                return Err(bad(name, "give the logo's image, not a file name"));
            }
            NewValue::Text(text) => parse(name, text, now)?,
            NewValue::Logo { file, bytes } => {
                if *name != "logo_file" {
                    return Err(bad(name, "an image is only taken for logo_file"));
                }
                if let Some(why) = logo_problem(bytes) {
                    return Err(bad(name, why));
                }
                let value = if file.trim().is_empty() { "logo".to_owned() } else { file.clone() };
                Some(Setting { name: (*name).to_owned(), value, data: Some(bytes.clone()), updated_at: now })
            }
        };
        checked.push((*name, setting));
    }
    let mut tx = store.write()?;
    for (name, setting) in &checked {
        match setting {
            Some(s) => tx.save_setting(s)?,
            None => tx.remove_setting(name)?,
        }
    }
    tx.commit()?;
    Ok(checked.iter().map(|(name, setting)| doc(name, setting.as_ref())).collect())
}

/// Stores a setting (an empty value removes it): one write transaction.
pub fn set<S: Store>(store: &mut S, name: &str, value: &str, now: Micros) -> Result<SettingDoc> {
    let setting = parse(name, value, now)?;
    let mut tx = store.write()?;
    match &setting {
        Some(s) => tx.save_setting(s)?,
        None => tx.remove_setting(name)?,
    }
    tx.commit()?;
    Ok(doc(name, setting.as_ref()))
}

/// Every setting, set or not, in the order of [`NAMES`].
pub fn list<S: Store>(store: &mut S) -> Result<Vec<SettingDoc>> {
    let stored = store.read()?.settings()?;
    Ok(NAMES.iter().map(|name| doc(name, stored.iter().find(|s| s.name == *name))).collect())
}

fn doc(name: &str, stored: Option<&Setting>) -> SettingDoc {
    let default = match name {
        "invoice_prefix" => Some(DEFAULT_PREFIX.to_owned()),
        "payment_terms" => Some(DEFAULT_PAYMENT_TERMS.to_string()),
        "paper" => Some(Paper::default().as_str().to_owned()),
        _ => None,
    };
    let data = stored.and_then(|s| s.data.as_deref());
    SettingDoc {
        name: name.to_owned(),
        value: stored.map(|s| s.value.clone()).or(default),
        set: stored.is_some(),
        media_type: data.and_then(image_type).map(str::to_owned),
        bytes: data.map(|d| d.len() as u64),
    }
}

/// The prefix of the next invoice number.
pub(crate) fn prefix<T: StoreTx>(tx: &mut T) -> Result<String> {
    Ok(tx.setting("invoice_prefix")?.map_or_else(|| DEFAULT_PREFIX.to_owned(), |s| s.value))
}

/// The paper of the stored setting `paper`, or A4 when it is not set.
pub(crate) fn paper_of(stored: Option<&Setting>) -> Result<Paper> {
    match stored {
        Some(s) => Paper::parse(&s.value)
            .ok_or_else(|| BillingError::Store(store::StoreError::Corrupt(format!("setting paper = {}", s.value)))),
        None => Ok(Paper::default()),
    }
}

/// The installation's default payment terms.
pub(crate) fn payment_terms<T: StoreTx>(tx: &mut T) -> Result<u32> {
    match tx.setting("payment_terms")? {
        Some(s) => s.value.parse().map_err(|_| {
            BillingError::Store(store::StoreError::Corrupt(format!("setting payment_terms = {}", s.value)))
        }),
        None => Ok(DEFAULT_PAYMENT_TERMS),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_printable_short_and_never_like_an_id() {
        for ok in ["INV-", "ACME/", "F", "2026-", "Rg-", "D-X", "DX-"] {
            assert!(check_prefix(ok).is_ok(), "{ok}");
        }
        for refused in ["", "D-", "d-", "D-1", "12", "IN V-", "TOOLONGPREFIX", "A\tB", "A\u{7}"] {
            assert!(check_prefix(refused).is_err(), "{refused:?}");
        }
    }

    #[test]
    fn logos_are_known_by_their_first_bytes() {
        assert_eq!(image_type(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(image_type(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]), Some("image/jpeg"));
        let svg = "<?xml version=\"1.0\"?>\n<!-- logo -->\n<!DOCTYPE svg>\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>";
        assert_eq!(image_type(svg.as_bytes()), Some("image/svg+xml"));
        assert_eq!(image_type(b"<svg>"), Some("image/svg+xml"));
        for not in [&b"GIF89a"[..], b"<svgx>", b"<html><svg/></html>", b"", b"\xFF\xD8"] {
            assert_eq!(image_type(not), None, "{not:?}");
        }
    }
}
