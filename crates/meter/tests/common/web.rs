//! Reading the web pages in tests: a page's text and its tables' cells (tags left out, entities
//! read), and a server stopped even when a test fails half-way.

use super::server::{Page, Server};

/// A `meter serve` stopped (SIGTERM) when dropped, so that a failed test leaves no server behind.
pub struct Serving(Option<Server>);

impl Serving {
    pub fn new(server: Server) -> Serving {
        Serving(Some(server))
    }
}

impl std::ops::Deref for Serving {
    type Target = Server;
    fn deref(&self) -> &Server {
        self.0.as_ref().expect("a running server")
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        if let Some(server) = self.0.take() {
            server.stop();
        }
    }
}

/// What a test reads of a page.
pub trait Shown {
    /// Whether the body holds `text` as the page shows it (HTML-escaped).
    fn has(&self, text: &str) -> bool;
    /// The rows of the page's tables' bodies, each cell's text.
    fn rows(&self) -> Vec<Vec<String>>;
}

impl Shown for Page {
    fn has(&self, text: &str) -> bool {
        self.body.contains(&escape(text))
    }

    fn rows(&self) -> Vec<Vec<String>> {
        rows(&self.body)
    }
}

/// Text as maud escapes it.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&")
}

/// The text of some HTML: tags left out, runs of white space made one space, entities read.
pub fn text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    unescape(&out.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// The rows of every table body of a page (a cell: a `<td>` or `<th>`), as text.
pub fn rows(html: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for body in html.split("<tbody>").skip(1) {
        let body = &body[..body.find("</tbody>").unwrap_or(body.len())];
        for row in body.split("<tr").skip(1) {
            let mut cells = Vec::new();
            let mut rest = row;
            while let Some(start) = [rest.find("<td"), rest.find("<th")].into_iter().flatten().min() {
                let after = &rest[start + 3..];
                let open = after.find('>').map_or(after.len(), |i| i + 1);
                let close =
                    [after.find("</td>"), after.find("</th>")].into_iter().flatten().min().unwrap_or(after.len());
                cells.push(text(&after[open.min(close)..close]));
                rest = &after[close..];
            }
            rows.push(cells);
        }
    }
    rows
}

/// The part of a page from its `<h2>` whose text is `heading` to the next `<h2>` (or the end).
pub fn section(html: &str, heading: &str) -> String {
    let mut parts = html.split("<h2");
    parts.next();
    for part in parts {
        let close = part.find("</h2>").unwrap_or(part.len());
        if text(&format!("<h2{}", &part[..close])) == heading {
            return part.to_owned();
        }
    }
    panic!("no section `{heading}` in the page")
}
