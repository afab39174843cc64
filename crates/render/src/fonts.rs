//! The two faces documents are set in, DejaVu Sans and DejaVu Sans Bold (fonts/, their license in
//! fonts/LICENSE), built into the program: each character's glyph and advance, read from the
//! font with skrifa, so that text is measured exactly as it is drawn (right-aligned columns,
//! truncation with an ellipsis).

use skrifa::charmap::Charmap;
use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::GlyphMetrics;
use skrifa::{FontRef, MetadataProvider};
use std::sync::OnceLock;

pub(crate) const REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
pub(crate) const BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

/// Characters below this are looked up once, in a table; others each time.
const TABLE: usize = 0x250;

/// A face's glyphs and advances (in em).
pub(crate) struct Metrics {
    charmap: Charmap<'static>,
    advances: GlyphMetrics<'static>,
    table: Vec<(u32, f32)>,
    per_em: f32,
}

impl Metrics {
    fn new(data: &'static [u8]) -> Metrics {
        // The fonts are built in and known to parse (the tests draw with both).
        #[allow(clippy::expect_used)]
        let font = FontRef::new(data).expect("a built-in font parses");
        let per_em = f32::from(font.metrics(Size::unscaled(), LocationRef::default()).units_per_em.max(1));
        let (charmap, advances) = (font.charmap(), font.glyph_metrics(Size::unscaled(), LocationRef::default()));
        let mut m = Metrics { charmap, advances, table: Vec::new(), per_em };
        m.table = (0..TABLE as u32).map(|c| char::from_u32(c).map_or((0, 0.0), |c| m.lookup(c))).collect();
        m
    }

    fn lookup(&self, c: char) -> (u32, f32) {
        let gid = self.charmap.map(c).unwrap_or_default();
        (gid.to_u32(), self.advances.advance_width(gid).unwrap_or(0.0) / self.per_em)
    }

    /// A character's glyph id and advance in em (the font's missing glyph, 0, when it has none).
    pub(crate) fn glyph(&self, c: char) -> (u32, f32) {
        match self.table.get(c as usize) {
            Some(&g) => g,
            None => self.lookup(c),
        }
    }

    /// The width of `text` at `size` points.
    pub(crate) fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.glyph(c).1).sum::<f32>() * size
    }

    /// `text` cut to fit `width` at `size`, ending with an ellipsis when it is cut.
    pub(crate) fn fit<'a>(&self, text: &'a str, size: f32, width: f32) -> std::borrow::Cow<'a, str> {
        if self.width(text, size) <= width {
            return text.into();
        }
        let room = width - self.glyph('…').1 * size;
        let mut used = 0.0;
        let mut end = 0;
        for (i, c) in text.char_indices() {
            used += self.glyph(c).1 * size;
            if used > room {
                break;
            }
            end = i + c.len_utf8();
        }
        format!("{}…", text[..end].trim_end()).into()
    }

    /// `text` broken into lines of at most `width` at `size`, at spaces where it can be (a word
    /// wider than a line is cut), at most `max` lines: the last one cut with an ellipsis when
    /// more was left.
    pub(crate) fn wrap(&self, text: &str, size: f32, width: f32, max: usize) -> Vec<String> {
        let mut lines: Vec<String> = Vec::new();
        let mut line = String::new();
        for word in text.split_whitespace() {
            let candidate = if line.is_empty() { word.to_owned() } else { format!("{line} {word}") };
            if self.width(&candidate, size) <= width {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            line = word.to_owned();
            // A word too long for a line alone: cut it where the line ends.
            while self.width(&line, size) > width {
                let cut = self.fit_prefix(&line, size, width);
                if cut == 0 {
                    break;
                }
                lines.push(line[..cut].to_owned());
                line = line[cut..].to_owned();
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
        if lines.len() > max {
            let rest = lines[max - 1..].join(" ");
            lines.truncate(max - 1);
            lines.push(self.fit(&format!("{rest} …"), size, width).into_owned());
            // A final ellipsis marks what was left out, even when the rest happened to fit.
            if let Some(last) = lines.last_mut() {
                if !last.ends_with('…') {
                    last.push('…');
                }
            }
        }
        lines
    }

    /// The byte length of the longest prefix of `text` within `width`.
    fn fit_prefix(&self, text: &str, size: f32, width: f32) -> usize {
        let mut used = 0.0;
        let mut end = 0;
        for (i, c) in text.char_indices() {
            used += self.glyph(c).1 * size;
            if used > width {
                break;
            }
            end = i + c.len_utf8();
        }
        end
    }
}

/// The regular face's metrics, read once.
pub(crate) fn regular() -> &'static Metrics {
    static M: OnceLock<Metrics> = OnceLock::new();
    M.get_or_init(|| Metrics::new(REGULAR))
}

/// The bold face's metrics, read once.
pub(crate) fn bold() -> &'static Metrics {
    static M: OnceLock<Metrics> = OnceLock::new();
    M.get_or_init(|| Metrics::new(BOLD))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_measured_from_the_font() {
        let r = regular();
        // DejaVu Sans: digits are 1303 units of 2048 wide.
        assert!((r.width("0", 10.0) - 1303.0 / 2048.0 * 10.0).abs() < 1e-4);
        assert!(r.width("1,234.50", 9.0) > r.width("234.50", 9.0));
        assert!(bold().width("Total", 10.0) > r.width("Total", 10.0), "bold is wider");
        assert_ne!(r.glyph('€').0, 0, "the euro sign is in the font");
    }

    #[test]
    fn long_text_is_cut_with_an_ellipsis_or_wrapped() {
        let r = regular();
        assert_eq!(r.fit("short", 9.0, 100.0), "short");
        let cut = r.fit("a very long description that does not fit", 9.0, 60.0);
        assert!(cut.ends_with('…') && r.width(&cut, 9.0) <= 60.0, "{cut}");
        let lines = r.wrap("one two three four five six seven eight nine ten", 9.0, 50.0, 3);
        assert_eq!(lines.len(), 3);
        assert!(lines.iter().all(|l| r.width(l, 9.0) <= 50.0), "{lines:?}");
        assert!(lines[2].ends_with('…'), "{lines:?}");
        assert_eq!(r.wrap("fits", 9.0, 50.0, 3), ["fits"]);
        let word = r.wrap("Supercalifragilisticexpialidocious", 9.0, 40.0, 5);
        assert!(word.len() > 1 && word.iter().all(|l| r.width(l, 9.0) <= 40.0), "{word:?}");
    }
}
