//! The document as a PDF, made in the process with krilla: the pages are laid out first
//! (layout.rs, calls.rs), then drawn with the footer's "Page N of M" and, on a draft or a void
//! invoice, a light diagonal stamp. Text is placed glyph by glyph from the built-in fonts'
//! metrics; krilla embeds the glyphs used (a subset of each font) with their Unicode text, so
//! the PDF's text can be searched and extracted.

mod calls;
mod layout;
mod sheet;

use crate::fonts::{self, Metrics};
use crate::words::reference;
use crate::RenderError;
use billing::document::{InvoiceDocument, Paper};
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect, Size, Transform};
use krilla::image::Image;
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::surface::Surface;
use krilla::text::{Font, GlyphId, KrillaGlyph};
use krilla::Document;
use layout::Layout;
use sheet::{Face, Geometry, Op, Rgb, MUTED, RULE};

/// The two faces as krilla embeds them.
struct Faces {
    regular: Font,
    bold: Font,
}

impl Faces {
    fn new() -> Result<Faces, RenderError> {
        let font = |data: &'static [u8]| {
            Font::new(data.into(), 0).ok_or_else(|| RenderError::Pdf("a built-in font does not load".into()))
        };
        Ok(Faces { regular: font(fonts::REGULAR)?, bold: font(fonts::BOLD)? })
    }

    fn get(&self, face: Face) -> (&Font, &'static Metrics) {
        match face {
            Face::Regular => (&self.regular, fonts::regular()),
            Face::Bold => (&self.bold, fonts::bold()),
        }
    }
}

fn fill(color: Rgb, opacity: f32) -> Fill {
    Fill {
        paint: rgb::Color::new(color.0, color.1, color.2).into(),
        opacity: NormalizedF32::new(opacity).unwrap_or(NormalizedF32::ONE),
        rule: Default::default(),
    }
}

/// Draws `text` from (x, baseline y), its glyphs placed by their advances.
fn draw_text(
    s: &mut Surface<'_>,
    font: &Font,
    metrics: &Metrics,
    (x, y, size): (f32, f32, f32),
    text: &str,
    outlined: bool,
) {
    let glyphs: Vec<KrillaGlyph> = text
        .char_indices()
        .map(|(i, c)| {
            let (id, advance) = metrics.glyph(c);
            KrillaGlyph {
                glyph_id: GlyphId::new(id),
                text_range: i..i + c.len_utf8(),
                x_advance: advance,
                x_offset: 0.0,
                y_offset: 0.0,
                y_advance: 0.0,
                location: None,
            }
        })
        .collect();
    s.draw_glyphs(Point::from_xy(x, y), &glyphs, font.clone(), text, size, outlined);
}

fn draw_rect(s: &mut Surface<'_>, x: f32, y: f32, w: f32, h: f32) {
    let Some(rect) = Rect::from_xywh(x, y, w, h) else { return };
    let mut pb = PathBuilder::new();
    pb.push_rect(rect);
    if let Some(path) = pb.finish() {
        s.draw_path(&path);
    }
}

/// The seller's logo, when it is an image a PDF holds (PNG or JPEG; an SVG logo shows in HTML
/// only).
fn logo(doc: &InvoiceDocument) -> Result<Option<Image>, RenderError> {
    let Some(logo) = &doc.seller.logo else { return Ok(None) };
    let data = krilla::Data::from(logo.bytes.clone());
    let image = match logo.media_type {
        "image/png" => Image::from_png(data, true),
        "image/jpeg" => Image::from_jpeg(data, true),
        _ => return Ok(None),
    };
    image.map(Some).map_err(|e| RenderError::Logo(e.to_string()))
}

/// The PDF of a document on `paper`.
pub(crate) fn pdf(doc: &InvoiceDocument, paper: Paper) -> Result<Vec<u8>, RenderError> {
    let logo = logo(doc)?;
    let footer: Vec<String> = {
        let g = Geometry::of(paper, 0);
        let m = fonts::regular();
        let mut lines: Vec<String> = doc.seller.footer.iter().flat_map(|l| m.wrap(l, 7.5, g.inner(), 2)).collect();
        lines.truncate(4);
        lines
    };
    let g = Geometry::of(paper, footer.len());
    let mut layout = Layout::new(doc, g);
    let logo_size = logo.as_ref().map(|i| {
        let (w, h) = i.size();
        (w.max(1) as f32, h.max(1) as f32)
    });
    layout.header(logo_size);
    layout.lines();
    if let Some(a) = &doc.appendix {
        layout.appendix(a);
    }
    let stamp = layout.watermark();
    let pages = std::mem::take(&mut layout.pages);

    let faces = Faces::new()?;
    let mut document = Document::new();
    let title = format!("{} — {}", reference(doc), doc.customer.name);
    let mut metadata = Metadata::new().title(title).creator("meter".into()).language("en".into());
    if let Some(seller) = &doc.seller.name {
        metadata = metadata.authors(vec![seller.clone()]);
    }
    document.set_metadata(metadata);
    let settings =
        PageSettings::from_wh(g.width, g.height).ok_or_else(|| RenderError::Pdf("an empty page size".into()))?;
    let total = pages.len();
    let label = reference(doc);
    for (n, page) in pages.iter().enumerate() {
        let mut p = document.start_page_with(settings.clone());
        let mut s = p.surface();
        let mut color = None;
        for op in &page.ops {
            match op {
                Op::Text { x, y, size, face, color: c, text } => {
                    if color != Some(*c) {
                        s.set_fill(Some(fill(*c, 1.0)));
                        color = Some(*c);
                    }
                    let (font, metrics) = faces.get(*face);
                    draw_text(&mut s, font, metrics, (*x, *y, *size), text, false);
                }
                Op::Rect { x, y, w, h, color: c } => {
                    s.set_fill(Some(fill(*c, 1.0)));
                    color = Some(*c);
                    draw_rect(&mut s, *x, *y, *w, *h);
                }
                Op::Rule { x1, x2, y, width, color: c } => {
                    s.set_fill(Some(fill(*c, 1.0)));
                    color = Some(*c);
                    draw_rect(&mut s, *x1, *y - width / 2.0, x2 - x1, *width);
                }
                Op::Logo { x, y, w, h } => {
                    if let (Some(image), Some(size)) = (&logo, Size::from_wh(*w, *h)) {
                        s.push_transform(&Transform::from_translate(*x, *y));
                        s.draw_image(image.clone(), size);
                        s.pop();
                    }
                }
            }
        }
        // The footer: its text, then the invoice and the page.
        s.set_fill(Some(fill(RULE, 1.0)));
        draw_rect(&mut s, g.left, g.bottom + 6.0, g.inner(), 0.5);
        s.set_fill(Some(fill(MUTED, 1.0)));
        let (font, metrics) = faces.get(Face::Regular);
        for (i, line) in footer.iter().enumerate() {
            let x = (g.width - metrics.width(line, 7.5)) / 2.0;
            draw_text(&mut s, font, metrics, (x, g.bottom + 18.0 + 9.5 * i as f32, 7.5), line, false);
        }
        let y = g.height - 22.0;
        draw_text(&mut s, font, metrics, (g.left, y, 7.5), &label, false);
        let page_of = format!("Page {} of {total}", n + 1);
        let x = g.right - metrics.width(&page_of, 7.5);
        draw_text(&mut s, font, metrics, (x, y, 7.5), &page_of, false);
        // The stamp, over everything and light: outlines, not text, so that the page's text
        // reads the same without it.
        if let Some((word, c)) = stamp {
            let (font, metrics) = faces.get(Face::Bold);
            let size = 120.0;
            let (cx, cy) = (g.width / 2.0, g.height / 2.0);
            s.push_transform(&Transform::from_rotate_at(-35.0, cx, cy));
            s.set_fill(Some(fill(c, 0.12)));
            let x = cx - metrics.width(word, size) / 2.0;
            draw_text(&mut s, font, metrics, (x, cy + size * 0.36, size), word, true);
            s.pop();
        }
        s.finish();
        p.finish();
    }
    document.finish().map_err(|e| RenderError::Pdf(format!("{e:?}")))
}
