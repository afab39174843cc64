//! `invoice render`: billing builds the invoice's document, `render` lays it out, and the file is
//! written whole or not at all.

use crate::cli::{DocumentFormat, PaperArg};
use crate::stdout::{note, outln};
use anyhow::{Context, Result};
use billing::document::Paper;
use std::io::Write;
use std::path::Path;

/// What to render.
pub struct Request {
    pub id: String,
    pub format: DocumentFormat,
    pub output: std::path::PathBuf,
    pub with_calls: bool,
    pub paper: Option<PaperArg>,
}

/// A rendered document: its bytes, the file name it is offered under, and what it holds.
pub struct Rendered {
    pub bytes: Vec<u8>,
    /// The invoice's number (or draft id) with the format's extension.
    pub file_name: String,
    /// The invoice's number (or draft id).
    pub name: String,
    /// What was rendered, in words (`PDF, a4, with 12 calls`).
    pub what: String,
}

/// Renders invoice `id` as `format`, on `paper` or the settings' paper; the CSV is always the
/// call detail. The command line writes it to a file, the web application sends it.
pub fn rendered<S: store::Store>(
    store: &mut S,
    id: &str,
    format: DocumentFormat,
    with_calls: bool,
    paper: Option<Paper>,
) -> Result<Rendered> {
    let with_calls = with_calls || format == DocumentFormat::Csv;
    let doc = billing::document::document(store, id, with_calls)?;
    let paper = paper.unwrap_or(doc.paper);
    let bytes = match format {
        DocumentFormat::Html => render::html(&doc, paper).into_bytes(),
        DocumentFormat::Pdf => render::pdf(&doc, paper).context("rendering the PDF")?,
        DocumentFormat::Csv => {
            let mut out = Vec::new();
            render::csv(&doc, &mut out).context("writing the CSV")?;
            out
        }
    };
    let name = doc.number.clone().unwrap_or_else(|| doc.id.clone());
    let what = match (format, &doc.appendix) {
        (DocumentFormat::Csv, Some(a)) => format!("CSV, {} calls", a.calls),
        (format, Some(a)) => format!("{}, {}, with {} calls", kind(format), paper.as_str(), a.calls),
        (format, None) => format!("{}, {}", kind(format), paper.as_str()),
    };
    let file_name = format!("{name}.{}", extension(format));
    Ok(Rendered { bytes, file_name, name, what })
}

pub fn render<S: store::Store>(store: &mut S, r: Request) -> Result<()> {
    let done = rendered(store, &r.id, r.format, r.with_calls, r.paper.map(Into::into))?;
    let (name, what) = (&done.name, &done.what);
    if r.output.as_os_str() == "-" {
        let mut out = std::io::stdout().lock();
        out.write_all(&done.bytes).and_then(|()| out.flush()).context("writing to standard output")?;
        note!("rendered invoice {name} ({what})");
        return Ok(());
    }
    write_whole(&r.output, &done.bytes)?;
    outln!("rendered invoice {name} to {} ({what})", r.output.display())?;
    Ok(())
}

/// The paper a request names, if any (`a4` or `letter`), or why it is not one.
pub fn paper(name: Option<&str>) -> Result<Option<Paper>, String> {
    name.map(|n| Paper::parse(n).ok_or_else(|| format!("paper `{n}`: one of a4, letter"))).transpose()
}

/// The file name's extension and the media type of a format.
pub fn extension(format: DocumentFormat) -> &'static str {
    match format {
        DocumentFormat::Html => "html",
        DocumentFormat::Pdf => "pdf",
        DocumentFormat::Csv => "csv",
    }
}

pub fn media_type(format: DocumentFormat) -> &'static str {
    match format {
        DocumentFormat::Html => "text/html; charset=utf-8",
        DocumentFormat::Pdf => "application/pdf",
        DocumentFormat::Csv => "text/csv; charset=utf-8",
    }
}

fn kind(format: DocumentFormat) -> &'static str {
    match format {
        DocumentFormat::Html => "HTML",
        DocumentFormat::Pdf => "PDF",
        DocumentFormat::Csv => "CSV",
    }
}

/// Writes `bytes` to `path` through a file beside it, renamed over it once complete: a reader
/// never sees half a document, and a failure leaves what was there.
fn write_whole(path: &Path, bytes: &[u8]) -> Result<()> {
    let file = path.file_name().with_context(|| format!("--output {}: not a file name", path.display()))?;
    let mut partial = file.to_os_string();
    partial.push(format!(".partial-{}", std::process::id()));
    let partial = path.with_file_name(partial);
    let written = std::fs::File::create(&partial).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_all()
    });
    let result = written.and_then(|()| std::fs::rename(&partial, path));
    if let Err(e) = result {
        let _ = std::fs::remove_file(&partial);
        return Err(e).with_context(|| format!("writing {}", path.display()));
    }
    Ok(())
}
