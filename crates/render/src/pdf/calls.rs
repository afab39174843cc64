//! The call detail: from a new page, one table per usage line, its heading and column header
//! repeated at the top of every page it runs onto, its rows in start order and a subtotal row
//! that equals the line.

use super::layout::Layout;
use super::sheet::{Face, Style, ACCENT, BAND, INK, MUTED, STRIPE};
use crate::format::{grouped, minutes};
use crate::words::{appendix_intro, call_cells, group_count, group_title, subtotal_label};
use billing::document::{Appendix, CallGroup, CallRow};

const SIZE: f32 = 7.5;
const ROW: f32 = 11.0;
const HEAD: f32 = 14.0;

/// A column: its label, width (of the A4 text width; wider paper widens the numbers' columns)
/// and whether its figures are right-aligned.
struct Column {
    label: &'static str,
    width: f32,
    numeric: bool,
}

const COLUMNS: [Column; 9] = [
    Column { label: "Date & time", width: 87.0, numeric: false },
    Column { label: "From", width: 74.0, numeric: false },
    Column { label: "To", width: 74.0, numeric: false },
    Column { label: "Type", width: 54.0, numeric: false },
    Column { label: "Duration", width: 38.0, numeric: true },
    Column { label: "Billed min", width: 46.0, numeric: true },
    Column { label: "Incl. min", width: 40.0, numeric: true },
    Column { label: "Rate/min", width: 50.0, numeric: true },
    Column { label: "Charge", width: 48.0, numeric: true },
];

/// The left edge and width of each column on this paper.
fn edges(left: f32, inner: f32) -> [(f32, f32); 9] {
    let total: f32 = COLUMNS.iter().map(|c| c.width).sum();
    // From and To take what a wider paper adds: long numbers are what gets cut.
    let extra = ((inner - total) / 2.0).max(0.0);
    let mut x = left;
    let mut out = [(0.0, 0.0); 9];
    for (i, c) in COLUMNS.iter().enumerate() {
        let w = if i == 1 || i == 2 { c.width + extra } else { c.width };
        out[i] = (x, w);
        x += w;
    }
    out
}

impl Layout<'_> {
    /// The call detail, from a new page.
    pub(crate) fn appendix(&mut self, a: &Appendix) {
        let (g, doc) = (self.g, self.doc);
        self.new_page();
        let y = self.y;
        self.page().text(g.left, y + 14.0, Style(14.0, Face::Bold, ACCENT), "Call detail");
        self.y += 24.0;
        let intro = appendix_intro(doc, a);
        for line in Face::Regular.metrics().wrap(&intro, 8.0, g.inner(), 6) {
            let y = self.y;
            self.page().text(g.left, y + 8.0, Style(8.0, Face::Regular, MUTED), line);
            self.y += 10.5;
        }
        self.y += 8.0;
        if a.groups.iter().all(|g| g.calls.is_empty()) {
            let y = self.y;
            self.page().text(g.left, y + 9.0, Style(9.0, Face::Regular, INK), "This invoice bills no calls.");
            return;
        }
        for group in a.groups.iter().filter(|g| !g.calls.is_empty()) {
            self.group(group);
        }
    }

    fn group(&mut self, group: &CallGroup) {
        // The heading, the column header and one row at least stay together.
        if !self.fits(18.0 + HEAD + ROW) {
            self.new_page();
        }
        self.group_head(group, false);
        for (i, call) in group.calls.iter().enumerate() {
            if !self.fits(ROW) {
                self.new_page();
                self.group_head(group, true);
            }
            self.call(call, i % 2 == 1);
        }
        if !self.fits(ROW + 8.0) {
            self.new_page();
            self.group_head(group, true);
        }
        self.subtotal(group);
    }

    fn group_head(&mut self, group: &CallGroup, continued: bool) {
        let g = self.g;
        let y = self.y;
        let mut name = group_title(group);
        if continued {
            name.push_str(" (continued)");
        }
        let note = group_count(group);
        let page = self.page();
        page.fitted(g.left, y + 10.0, g.inner() - 90.0, Style(9.5, Face::Bold, INK), &name);
        page.right(g.right, y + 10.0, Style(8.0, Face::Regular, MUTED), note);
        self.y += 16.0;
        let y = self.y;
        let cols = edges(g.left, g.inner());
        let page = self.page();
        page.rect(g.left, y, g.inner(), HEAD, BAND);
        for (c, (x, w)) in COLUMNS.iter().zip(cols) {
            if c.numeric {
                page.right(x + w - 3.0, y + 9.5, Style(6.8, Face::Bold, ACCENT), c.label);
            } else {
                page.text(x + 3.0, y + 9.5, Style(6.8, Face::Bold, ACCENT), c.label);
            }
        }
        self.y += HEAD;
    }

    fn call(&mut self, call: &CallRow, striped: bool) {
        let g = self.g;
        let y = self.y;
        let cols = edges(g.left, g.inner());
        let cells = call_cells(call);
        let page = self.page();
        if striped {
            page.rect(g.left, y, g.inner(), ROW, STRIPE);
        }
        let base = y + 8.0;
        for ((c, (x, w)), text) in COLUMNS.iter().zip(cols).zip(&cells) {
            if c.numeric {
                page.right_fitted(x + w - 3.0, base, w - 5.0, Style(SIZE, Face::Regular, INK), text);
            } else {
                page.fitted(x + 3.0, base, w - 5.0, Style(SIZE, Face::Regular, INK), text);
            }
        }
        self.y += ROW;
    }

    fn subtotal(&mut self, group: &CallGroup) {
        let g = self.g;
        let y = self.y;
        let cols = edges(g.left, g.inner());
        let label = subtotal_label(group);
        let page = self.page();
        page.rule(g.left, g.right, y, 0.8, INK);
        let base = y + 9.5;
        let label_width = cols[5].0 - g.left - 6.0;
        page.fitted(g.left + 3.0, base, label_width, Style(SIZE, Face::Bold, INK), &label);
        let figures =
            [(5, minutes(group.billable_seconds)), (6, minutes(group.included_seconds)), (8, grouped(&group.subtotal))];
        for (i, text) in figures {
            let (x, w) = cols[i];
            page.right_fitted(x + w - 3.0, base, w - 5.0, Style(SIZE, Face::Bold, INK), &text);
        }
        self.y += ROW + 14.0;
    }
}
