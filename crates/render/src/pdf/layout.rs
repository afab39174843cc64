//! The document's pages laid out: the first page's header, the bill-to block and the lines
//! table with its total, then the call detail (calls.rs). Every page after the first repeats a
//! short header naming the invoice.

use super::sheet::{Face, Geometry, Page, Rgb, Style, ACCENT, ALERT, BAND, INK, MUTED, RULE};
use crate::words::{amount_box, facts, line_cells, notes, reference, status_line, voided};
use billing::doc::LineDoc;
use billing::document::{InvoiceDocument, Status};

/// Body text, the lines table's.
const BODY: f32 = 9.0;
const SMALL: f32 = 7.5;

/// Pages being laid out, and where the next content goes on the last one.
pub(crate) struct Layout<'a> {
    pub doc: &'a InvoiceDocument,
    pub g: Geometry,
    pub pages: Vec<Page>,
    pub y: f32,
}

impl<'a> Layout<'a> {
    pub(crate) fn new(doc: &'a InvoiceDocument, g: Geometry) -> Layout<'a> {
        Layout { doc, g, pages: vec![Page::default()], y: g.top }
    }

    pub(crate) fn page(&mut self) -> &mut Page {
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// Whether `height` more fits on the page.
    pub(crate) fn fits(&self, height: f32) -> bool {
        self.y + height <= self.g.bottom
    }

    /// A new page, under the header every page after the first has.
    pub(crate) fn new_page(&mut self) {
        self.pages.push(Page::default());
        let (g, doc) = (self.g, self.doc);
        let y = g.top + 10.0;
        let seller = doc.seller.name.clone().unwrap_or_default();
        let mut right = format!("{} · {}", reference(doc), doc.customer.name);
        if doc.status == Status::Draft {
            right.push_str(" · DRAFT");
        }
        let page = self.page();
        page.fitted(g.left, y, g.inner() * 0.45, Style(8.5, Face::Bold, INK), &seller);
        page.right_fitted(g.right, y, g.inner() * 0.53, Style(8.0, Face::Regular, MUTED), &right);
        page.rule(g.left, g.right, y + 6.0, 0.5, RULE);
        self.y = y + 20.0;
    }

    /// The first page's header: logo and seller at the left, the title, number and dates at the
    /// right; then who is billed and what is due.
    pub(crate) fn header(&mut self, logo: Option<(f32, f32)>) {
        let (g, doc) = (self.g, self.doc);
        let top = g.top;
        // The seller.
        let mut left = top;
        let seller_width = g.inner() * 0.5;
        if let Some((w, h)) = logo {
            let scale = (150.0 / w).min(54.0 / h).min(1.0);
            let (w, h) = (w * scale, h * scale);
            self.page().ops.push(super::sheet::Op::Logo { x: g.left, y: top, w, h });
            left += h + 12.0;
        }
        let page = self.page();
        if let Some(name) = &doc.seller.name {
            for line in Face::Bold.metrics().wrap(name, 12.0, seller_width, 2) {
                page.text(g.left, left + 11.0, Style(12.0, Face::Bold, INK), line);
                left += 15.0;
            }
            left += 2.0;
        }
        for line in &doc.seller.address {
            page.fitted(g.left, left + 8.5, seller_width, Style(8.5, Face::Regular, MUTED), line);
            left += 11.0;
        }
        if let Some(tax) = &doc.seller.tax_id {
            page.fitted(g.left, left + 8.5, seller_width, Style(8.5, Face::Regular, MUTED), &format!("Tax ID {tax}"));
            left += 11.0;
        }
        // The title and the invoice's facts.
        page.right(g.right, top + 20.0, Style(22.0, Face::Bold, ACCENT), "INVOICE");
        let mut right = top + 40.0;
        let color = if doc.status == Status::Final { INK } else { ALERT };
        page.right(g.right, right, Style(11.0, Face::Bold, color), status_line(doc));
        right += 8.0;
        let label_x = g.right - 215.0;
        for (label, value) in facts(doc) {
            right += 12.0;
            page.text(label_x, right, Style(8.5, Face::Regular, MUTED), label);
            page.right_fitted(g.right, right, 140.0, Style(8.5, Face::Regular, INK), &value);
        }
        self.y = left.max(right) + 16.0;
        self.bill_to();
    }

    /// Who is billed, and the amount due beside it.
    fn bill_to(&mut self) {
        let (g, doc) = (self.g, self.doc);
        let y = self.y;
        let page = self.page();
        page.rule(g.left, g.right, y, 0.5, RULE);
        let y = y + 16.0;
        let width = g.inner() - 220.0;
        page.text(g.left, y, Style(7.0, Face::Bold, MUTED), "BILL TO");
        page.fitted(g.left, y + 15.0, width, Style(11.0, Face::Bold, INK), &doc.customer.name);
        page.fitted(g.left, y + 28.0, width, Style(8.5, Face::Regular, MUTED), &format!("Account {}", doc.customer.id));
        if let Some(email) = &doc.customer.email {
            page.fitted(g.left, y + 40.0, width, Style(8.5, Face::Regular, MUTED), email);
        }
        let (bx, bw) = (g.right - 200.0, 200.0);
        page.rect(bx, y - 10.0, bw, 58.0, BAND);
        let (label, total, note) = amount_box(doc);
        page.text(bx + 12.0, y + 3.0, Style(8.0, Face::Regular, MUTED), label);
        page.right_fitted(bx + bw - 12.0, y + 25.0, bw - 24.0, Style(16.0, Face::Bold, INK), &total);
        if let Some((note, warning)) = note {
            let color = if warning { ALERT } else { MUTED };
            page.right(bx + bw - 12.0, y + 39.0, Style(8.0, Face::Regular, color), note);
        }
        self.y = y + 64.0;
        if let Some(text) = voided(doc) {
            for line in Face::Bold.metrics().wrap(&text, 9.0, g.inner(), 3) {
                let y = self.y;
                self.page().text(g.left, y + 9.0, Style(9.0, Face::Bold, ALERT), line);
                self.y += 12.0;
            }
            self.y += 8.0;
        }
    }

    /// The columns of the lines table: (right edge, width) of period, calls, minutes,
    /// included and amount; the description takes the rest.
    fn columns(&self) -> [(f32, f32); 5] {
        let r = self.g.right;
        let widths = [116.0, 46.0, 60.0, 56.0, 76.0];
        let mut right = r;
        let mut out = [(0.0, 0.0); 5];
        for i in (0..5).rev() {
            out[i] = (right, widths[i]);
            right -= widths[i];
        }
        out
    }

    fn lines_head(&mut self) {
        let g = self.g;
        let cols = self.columns();
        let y = self.y;
        let currency = format!("Amount ({})", self.doc.currency);
        let page = self.page();
        page.rect(g.left, y, g.inner(), 18.0, BAND);
        page.text(g.left + 6.0, y + 12.0, Style(7.5, Face::Bold, ACCENT), "Description");
        page.text(cols[0].0 - cols[0].1 + 4.0, y + 12.0, Style(7.5, Face::Bold, ACCENT), "Period");
        for (i, label) in [(1, "Calls"), (2, "Minutes"), (3, "Incl. min"), (4, currency.as_str())] {
            page.right(cols[i].0 - 6.0, y + 12.0, Style(7.5, Face::Bold, ACCENT), label);
        }
        self.y += 18.0;
    }

    /// The lines, their total, and what the reader should know about the document.
    pub(crate) fn lines(&mut self) {
        let doc = self.doc;
        self.y += 6.0;
        self.lines_head();
        for line in &doc.lines {
            self.line(line);
        }
        self.total();
    }

    fn line(&mut self, l: &LineDoc) {
        let (g, doc) = (self.g, self.doc);
        let cols = self.columns();
        let cells = line_cells(doc, l);
        let (sub, days, figures) = (cells.note, cells.days, cells.figures);
        // A line with no period or figures (a manual one) gives its description their room.
        let spans = days.is_empty() && figures.iter().all(Option::is_none);
        let desc_right = if spans { cols[4].0 - cols[4].1 } else { cols[0].0 - cols[0].1 };
        let desc_width = desc_right - g.left - 12.0;
        let wrapped = Face::Regular.metrics().wrap(&cells.description, BODY, desc_width, 3);
        let height = 10.0 + 11.5 * wrapped.len().max(1) as f32 + if sub.is_some() { 10.0 } else { 0.0 };
        if !self.fits(height) {
            self.new_page();
            self.lines_head();
        }
        let y = self.y;
        let page = self.page();
        let base = y + 5.0 + BODY;
        for (i, text) in wrapped.iter().enumerate() {
            page.text(g.left + 6.0, base + 11.5 * i as f32, Style(BODY, Face::Regular, INK), text.as_str());
        }
        if let Some(sub) = sub {
            let sy = base + 11.5 * wrapped.len() as f32 - 1.5;
            page.fitted(g.left + 6.0, sy, desc_width, Style(SMALL, Face::Regular, MUTED), &sub);
        }
        page.fitted(cols[0].0 - cols[0].1 + 4.0, base, cols[0].1 - 6.0, Style(8.0, Face::Regular, INK), &days);
        for (i, f) in figures.iter().enumerate() {
            if let Some(f) = f {
                page.right_fitted(cols[i + 1].0 - 6.0, base, cols[i + 1].1 - 8.0, Style(BODY, Face::Regular, INK), f);
            }
        }
        page.right_fitted(cols[4].0 - 6.0, base, cols[4].1 - 8.0, Style(BODY, Face::Regular, INK), &cells.amount);
        page.rule(g.left, g.right, y + height, 0.5, RULE);
        self.y += height;
    }

    fn total(&mut self) {
        let (g, doc) = (self.g, self.doc);
        if !self.fits(70.0) {
            self.new_page();
        }
        let y = self.y + 4.0;
        let cols = self.columns();
        let page = self.page();
        page.rule(cols[2].0 - cols[2].1, g.right, y, 1.0, INK);
        page.right(cols[3].0 - 6.0, y + 16.0, Style(10.0, Face::Bold, INK), format!("Total ({})", doc.currency));
        let (_, total, _) = amount_box(doc);
        page.right_fitted(g.right - 6.0, y + 16.0, cols[4].1 + cols[3].1 / 2.0, Style(10.0, Face::Bold, INK), &total);
        self.y = y + 34.0;
        let notes = notes(doc, Some(self.pages.len() + 1));
        for note in &notes {
            for line in Face::Regular.metrics().wrap(note, 8.5, g.inner(), 3) {
                if !self.fits(12.0) {
                    self.new_page();
                }
                let y = self.y;
                self.page().text(g.left, y + 8.5, Style(8.5, Face::Regular, MUTED), line);
                self.y += 12.0;
            }
        }
    }

    /// The colour of the status stamp drawn across every page, if any.
    pub(crate) fn watermark(&self) -> Option<(&'static str, Rgb)> {
        match self.doc.status {
            Status::Draft => Some(("DRAFT", MUTED)),
            Status::Void => Some(("VOID", ALERT)),
            Status::Final => None,
        }
    }
}
