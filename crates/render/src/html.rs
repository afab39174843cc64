//! The document as one self-contained HTML page: styles inline, the fonts as base64
//! `@font-face`, the logo as a `data:` URI, so that the file shows and prints the same anywhere
//! and references nothing outside itself. A print stylesheet sets the paper; tables repeat their
//! header on every printed page. Every text is escaped.

use crate::fonts;
use crate::format::{grouped, minutes};
use crate::words::{
    amount_box, appendix_intro, call_cells, facts, group_count, group_title, line_cells, notes, reference, status_line,
    subtotal_label, voided,
};
use base64::Engine;
use billing::document::{Appendix, InvoiceDocument, Paper, Status};
use std::fmt::Write;
use std::sync::OnceLock;

/// Text as HTML: `&`, `<`, `>`, `"` and `'` escaped.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Text as a CSS string's content: quotes and backslashes escaped, `<` written as an escape so
/// that no `</style>` can end the style sheet, line breaks as spaces.
fn css_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\3c "),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The fonts' `@font-face` rules, encoded once.
fn font_faces() -> &'static str {
    static FACES: OnceLock<String> = OnceLock::new();
    FACES.get_or_init(|| {
        let b64 = |data: &[u8]| base64::engine::general_purpose::STANDARD.encode(data);
        format!(
            "@font-face{{font-family:\"DejaVu Sans\";font-weight:400;src:url(data:font/ttf;base64,{}) format(\"truetype\")}}\n\
             @font-face{{font-family:\"DejaVu Sans\";font-weight:700;src:url(data:font/ttf;base64,{}) format(\"truetype\")}}\n",
            b64(fonts::REGULAR),
            b64(fonts::BOLD)
        )
    })
}

const STYLE: &str = r#"
*{box-sizing:border-box}
body{margin:0;font-family:"DejaVu Sans",sans-serif;font-size:9pt;color:#1f2328;line-height:1.35}
.sheet{position:relative;margin:0 auto;padding:0}
.top{display:flex;justify-content:space-between;gap:24pt}
.seller .logo{max-width:150pt;max-height:54pt;display:block;margin-bottom:10pt}
.seller .name{font-weight:700;font-size:12pt}
.muted{color:#5f6670}
.alert{color:#b42318}
.facts{text-align:right}
.facts h1{margin:0;font-size:22pt;color:#1b3a5c;letter-spacing:.5pt}
.facts .status{font-weight:700;font-size:11pt;margin:4pt 0 6pt}
.meta{margin-left:auto;border-collapse:collapse}
.meta th{font-weight:400;color:#5f6670;text-align:left;padding:1pt 14pt 1pt 0}
.meta td{text-align:right;padding:1pt 0}
.parties{display:flex;justify-content:space-between;align-items:flex-start;border-top:.5pt solid #d0d7de;margin-top:14pt;padding-top:12pt}
.label{font-size:7pt;font-weight:700;color:#5f6670;letter-spacing:.5pt}
.customer{font-weight:700;font-size:11pt;margin-top:3pt}
.due{background:#ecf0f4;padding:8pt 12pt;min-width:200pt;text-align:right}
.due .label{text-align:left;font-weight:400;font-size:8pt;letter-spacing:0}
.due .amount{font-weight:700;font-size:16pt}
.voided{font-weight:700;color:#b42318;margin:10pt 0 0}
table.lines,table.calls{width:100%;border-collapse:collapse;margin-top:12pt}
thead{display:table-header-group}
tfoot{display:table-footer-group}
th{text-align:left}
table.lines thead th,table.calls thead th{background:#ecf0f4;color:#1b3a5c;font-size:7.5pt;padding:4pt 5pt}
table.lines td{padding:5pt;border-bottom:.5pt solid #d0d7de;vertical-align:top}
td.num,th.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
td.days{white-space:nowrap;font-size:8pt}
.note{display:block;font-size:7.5pt;color:#5f6670}
tr.total th,tr.total td{font-weight:700;font-size:10pt;border-top:1pt solid #1f2328;padding:6pt 5pt;border-bottom:0}
p.notes{color:#5f6670;font-size:8.5pt;margin:4pt 0}
section.appendix{break-before:page;page-break-before:always;margin-top:24pt}
section.appendix h2{font-size:14pt;color:#1b3a5c;margin:0 0 6pt}
section.appendix h3{font-size:9.5pt;margin:16pt 0 0;display:flex;justify-content:space-between}
section.appendix h3 span{font-weight:400;font-size:8pt;color:#5f6670}
table.calls{font-size:7.5pt;margin-top:4pt}
table.calls thead th{font-size:6.8pt;padding:3pt}
table.calls td{padding:1.5pt 3pt;white-space:nowrap}
table.calls tbody tr:nth-child(even){background:#f7f8fa}
table.calls tr.subtotal td{font-weight:700;border-top:.8pt solid #1f2328;padding-top:3pt}
footer{margin-top:24pt;border-top:.5pt solid #d0d7de;padding-top:6pt;text-align:center;font-size:7.5pt;color:#5f6670}
.stamp{position:fixed;top:42%;left:0;right:0;text-align:center;font-weight:700;font-size:120pt;transform:rotate(-35deg);pointer-events:none;z-index:10;opacity:.12}
.stamp.draft{color:#5f6670}
.stamp.void{color:#b42318}
@media screen{body{background:#e9ecef;padding:24px}.sheet{background:#fff;max-width:210mm;padding:16mm 14mm;box-shadow:0 1px 4px rgba(0,0,0,.15)}}
@media print{.sheet{max-width:none}}
"#;

/// The whole page.
pub(crate) fn page(doc: &InvoiceDocument, paper: Paper) -> String {
    let mut h = String::with_capacity(2_100_000 + doc.appendix.as_ref().map_or(0, |a| a.calls as usize * 400));
    let title = format!("{} — {}", reference(doc), doc.customer.name);
    let size = match paper {
        Paper::A4 => "A4",
        Paper::Letter => "letter",
    };
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(h, "<title>{}</title>", escape(&title));
    h.push_str("<style>\n");
    h.push_str(font_faces());
    h.push_str(STYLE);
    let _ = writeln!(
        h,
        "@page{{size:{size};margin:14mm 14mm 16mm;@bottom-left{{content:\"{}\";font:7.5pt \"DejaVu Sans\",sans-serif;color:#5f6670}}\
         @bottom-right{{content:\"Page \" counter(page) \" of \" counter(pages);font:7.5pt \"DejaVu Sans\",sans-serif;color:#5f6670}}}}",
        css_string(&reference(doc))
    );
    h.push_str("</style>\n</head>\n<body>\n");
    match doc.status {
        Status::Draft => h.push_str("<div class=\"stamp draft\" aria-hidden=\"true\">DRAFT</div>\n"),
        Status::Void => h.push_str("<div class=\"stamp void\" aria-hidden=\"true\">VOID</div>\n"),
        Status::Final => {}
    }
    h.push_str("<main class=\"sheet\">\n");
    header(&mut h, doc);
    lines(&mut h, doc);
    if let Some(a) = &doc.appendix {
        appendix(&mut h, doc, a);
    }
    footer(&mut h, doc);
    h.push_str("</main>\n</body>\n</html>\n");
    h
}

fn header(h: &mut String, doc: &InvoiceDocument) {
    h.push_str("<header class=\"top\">\n<div class=\"seller\">\n");
    if let Some(logo) = &doc.seller.logo {
        let data = base64::engine::general_purpose::STANDARD.encode(&logo.bytes);
        let alt = doc.seller.name.as_deref().unwrap_or("Logo");
        let _ =
            writeln!(h, "<img class=\"logo\" alt=\"{}\" src=\"data:{};base64,{data}\">", escape(alt), logo.media_type);
    }
    if let Some(name) = &doc.seller.name {
        let _ = writeln!(h, "<div class=\"name\">{}</div>", escape(name));
    }
    for line in &doc.seller.address {
        let _ = writeln!(h, "<div class=\"muted\">{}</div>", escape(line));
    }
    if let Some(tax) = &doc.seller.tax_id {
        let _ = writeln!(h, "<div class=\"muted\">Tax ID {}</div>", escape(tax));
    }
    h.push_str("</div>\n<div class=\"facts\">\n<h1>INVOICE</h1>\n");
    let class = if doc.status == Status::Final { "status" } else { "status alert" };
    let _ = writeln!(h, "<div class=\"{class}\">{}</div>\n<table class=\"meta\">", escape(&status_line(doc)));
    for (label, value) in facts(doc) {
        let _ = writeln!(h, "<tr><th>{label}</th><td>{}</td></tr>", escape(&value));
    }
    h.push_str("</table>\n</div>\n</header>\n<section class=\"parties\">\n<div class=\"bill-to\">\n");
    h.push_str("<div class=\"label\">BILL TO</div>\n");
    let _ = writeln!(h, "<div class=\"customer\">{}</div>", escape(&doc.customer.name));
    let _ = writeln!(h, "<div class=\"muted\">Account {}</div>", escape(&doc.customer.id));
    if let Some(email) = &doc.customer.email {
        let _ = writeln!(h, "<div class=\"muted\">{}</div>", escape(email));
    }
    let (label, total, note) = amount_box(doc);
    let _ = writeln!(
        h,
        "</div>\n<div class=\"due\">\n<div class=\"label\">{label}</div>\n<div class=\"amount\">{}</div>",
        escape(&total)
    );
    if let Some((note, warning)) = note {
        let class = if warning { "alert" } else { "muted" };
        let _ = writeln!(h, "<div class=\"{class}\">{}</div>", escape(&note));
    }
    h.push_str("</div>\n</section>\n");
    if let Some(text) = voided(doc) {
        let _ = writeln!(h, "<p class=\"voided\">{}</p>", escape(&text));
    }
}

fn lines(h: &mut String, doc: &InvoiceDocument) {
    let _ = writeln!(
        h,
        "<table class=\"lines\">\n<thead><tr><th>Description</th><th>Period</th><th class=\"num\">Calls</th>\
         <th class=\"num\">Minutes</th><th class=\"num\">Incl. min</th><th class=\"num\">Amount ({})</th></tr></thead>\n<tbody>",
        escape(&doc.currency)
    );
    for l in &doc.lines {
        let c = line_cells(doc, l);
        let _ = write!(h, "<tr class=\"{}\"><td>{}", escape(&l.kind), escape(&c.description));
        if let Some(note) = &c.note {
            let _ = write!(h, "<span class=\"note\">{}</span>", escape(note));
        }
        let _ = write!(h, "</td><td class=\"days\">{}</td>", escape(&c.days));
        for f in &c.figures {
            let _ = write!(h, "<td class=\"num\">{}</td>", escape(f.as_deref().unwrap_or("")));
        }
        let _ = writeln!(h, "<td class=\"num\">{}</td></tr>", escape(&c.amount));
    }
    let (_, total, _) = amount_box(doc);
    let _ = writeln!(
        h,
        "</tbody>\n<tfoot><tr class=\"total\"><td colspan=\"4\"></td><th class=\"num\">Total ({})</th>\
         <td class=\"num\">{}</td></tr></tfoot>\n</table>",
        escape(&doc.currency),
        escape(&total)
    );
    for note in notes(doc, None) {
        let _ = writeln!(h, "<p class=\"notes\">{}</p>", escape(&note));
    }
}

const CALL_COLUMNS: [(&str, bool); 9] = [
    ("Date &amp; time", false),
    ("From", false),
    ("To", false),
    ("Type", false),
    ("Duration", true),
    ("Billed min", true),
    ("Incl. min", true),
    ("Rate/min", true),
    ("Charge", true),
];

fn appendix(h: &mut String, doc: &InvoiceDocument, a: &Appendix) {
    h.push_str("<section class=\"appendix\">\n<h2>Call detail</h2>\n");
    let _ = writeln!(h, "<p class=\"muted\">{}</p>", escape(&appendix_intro(doc, a)));
    if a.groups.iter().all(|g| g.calls.is_empty()) {
        h.push_str("<p>This invoice bills no calls.</p>\n");
    }
    let mut head = String::from("<thead><tr>");
    for (label, numeric) in CALL_COLUMNS {
        let _ = write!(head, "<th{}>{label}</th>", if numeric { " class=\"num\"" } else { "" });
    }
    head.push_str("</tr></thead>");
    for g in a.groups.iter().filter(|g| !g.calls.is_empty()) {
        let _ = writeln!(h, "<h3>{}<span>{}</span></h3>", escape(&group_title(g)), escape(&group_count(g)));
        let _ = writeln!(h, "<table class=\"calls\">\n{head}\n<tbody>");
        for c in &g.calls {
            let cells = call_cells(c);
            h.push_str("<tr>");
            for ((_, numeric), text) in CALL_COLUMNS.iter().zip(&cells) {
                let _ = write!(h, "<td{}>{}</td>", if *numeric { " class=\"num\"" } else { "" }, escape(text));
            }
            h.push_str("</tr>\n");
        }
        let _ = writeln!(
            h,
            "</tbody>\n<tfoot><tr class=\"subtotal\"><td colspan=\"5\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td></td><td class=\"num\">{}</td></tr></tfoot>\n</table>",
            escape(&subtotal_label(g)),
            minutes(g.billable_seconds),
            minutes(g.included_seconds),
            escape(&grouped(&g.subtotal))
        );
    }
    h.push_str("</section>\n");
}

fn footer(h: &mut String, doc: &InvoiceDocument) {
    h.push_str("<footer>\n");
    for line in &doc.seller.footer {
        let _ = writeln!(h, "<div>{}</div>", escape(line));
    }
    let _ = writeln!(h, "<div>{}</div>\n</footer>", escape(&reference(doc)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_cannot_become_markup() {
        assert_eq!(escape("<b>\"A&B\"</b> 'x'"), "&lt;b&gt;&quot;A&amp;B&quot;&lt;/b&gt; &#39;x&#39;");
        assert_eq!(css_string("a\"b\\c</style>\n"), "a\\\"b\\\\c\\3c /style> ");
    }
}
