//! Pages as lists of what to draw (text runs, rectangles, rules, the logo), laid out first and
//! drawn once every page is known, so that each footer can say "Page N of M".

use crate::fonts::{self, Metrics};
use billing::document::Paper;

/// A colour, 8 bits per channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rgb(pub u8, pub u8, pub u8);

pub(crate) const INK: Rgb = Rgb(0x1F, 0x23, 0x28);
pub(crate) const MUTED: Rgb = Rgb(0x5F, 0x66, 0x70);
pub(crate) const ACCENT: Rgb = Rgb(0x1B, 0x3A, 0x5C);
pub(crate) const RULE: Rgb = Rgb(0xD0, 0xD7, 0xDE);
pub(crate) const BAND: Rgb = Rgb(0xEC, 0xF0, 0xF4);
pub(crate) const STRIPE: Rgb = Rgb(0xF7, 0xF8, 0xFA);
pub(crate) const ALERT: Rgb = Rgb(0xB4, 0x23, 0x18);

/// The two faces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Face {
    Regular,
    Bold,
}

impl Face {
    pub(crate) fn metrics(self) -> &'static Metrics {
        match self {
            Face::Regular => fonts::regular(),
            Face::Bold => fonts::bold(),
        }
    }
}

/// One thing drawn on a page; `y` grows downwards from the page's top, a text's `y` is its
/// baseline.
#[derive(Debug, Clone)]
pub(crate) enum Op {
    Text { x: f32, y: f32, size: f32, face: Face, color: Rgb, text: String },
    Rect { x: f32, y: f32, w: f32, h: f32, color: Rgb },
    Rule { x1: f32, x2: f32, y: f32, width: f32, color: Rgb },
    Logo { x: f32, y: f32, w: f32, h: f32 },
}

/// A page's drawing.
#[derive(Debug, Default)]
pub(crate) struct Page {
    pub ops: Vec<Op>,
}

/// How a text is set: its size in points, face and colour.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Style(pub f32, pub Face, pub Rgb);

impl Page {
    pub(crate) fn text(&mut self, x: f32, y: f32, style: Style, text: impl Into<String>) {
        let text = text.into();
        let Style(size, face, color) = style;
        if !text.is_empty() {
            self.ops.push(Op::Text { x, y, size, face, color, text });
        }
    }

    /// Text ending at `right`.
    pub(crate) fn right(&mut self, right: f32, y: f32, style: Style, text: impl Into<String>) {
        let text = text.into();
        let x = right - style.1.metrics().width(&text, style.0);
        self.text(x, y, style, text);
    }

    /// Text cut to `width` from `x` (with an ellipsis when cut).
    pub(crate) fn fitted(&mut self, x: f32, y: f32, width: f32, style: Style, text: &str) {
        let fitted = style.1.metrics().fit(text, style.0, width).into_owned();
        self.text(x, y, style, fitted);
    }

    /// Text ending at `right`, cut to `width`.
    pub(crate) fn right_fitted(&mut self, right: f32, y: f32, width: f32, style: Style, text: &str) {
        let fitted = style.1.metrics().fit(text, style.0, width).into_owned();
        self.right(right, y, style, fitted);
    }

    pub(crate) fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, color: Rgb) {
        self.ops.push(Op::Rect { x, y, w, h, color });
    }

    pub(crate) fn rule(&mut self, x1: f32, x2: f32, y: f32, width: f32, color: Rgb) {
        self.ops.push(Op::Rule { x1, x2, y, width, color });
    }
}

/// A paper's size and the margins of the text on it, in points.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Geometry {
    pub width: f32,
    pub height: f32,
    pub left: f32,
    pub right: f32,
    pub top: f32,
    /// Where content ends: the footer is below.
    pub bottom: f32,
}

impl Geometry {
    /// The paper's geometry, with `footer_lines` lines of footer text above the page numbers.
    pub(crate) fn of(paper: Paper, footer_lines: usize) -> Geometry {
        let (width, height) = match paper {
            Paper::A4 => (595.28, 841.89),
            Paper::Letter => (612.0, 792.0),
        };
        let margin = 42.0;
        let footer = 40.0 + 9.5 * footer_lines as f32;
        Geometry { width, height, left: margin, right: width - margin, top: 40.0, bottom: height - footer }
    }

    pub(crate) fn inner(&self) -> f32 {
        self.right - self.left
    }
}
