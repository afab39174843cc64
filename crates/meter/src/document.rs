//! `invoice render`: billing builds the invoice's document, `render` lays it out, and the file is
//! written whole or not at all.

use crate::cli::{DocumentFormat, PaperArg};
use crate::stdout::{note, outln};
use anyhow::{Context, Result};
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

pub fn render<S: store::Store>(store: &mut S, r: Request) -> Result<()> {
    // The CSV is the call detail.
    let with_calls = r.with_calls || r.format == DocumentFormat::Csv;
    let doc = billing::document::document(store, &r.id, with_calls)?;
    let paper = r.paper.map(Into::into).unwrap_or(doc.paper);
    let bytes = match r.format {
        DocumentFormat::Html => render::html(&doc, paper).into_bytes(),
        DocumentFormat::Pdf => render::pdf(&doc, paper).context("rendering the PDF")?,
        DocumentFormat::Csv => {
            let mut out = Vec::new();
            render::csv(&doc, &mut out).context("writing the CSV")?;
            out
        }
    };
    let name = doc.number.as_deref().unwrap_or(&doc.id);
    let what = match (r.format, &doc.appendix) {
        (DocumentFormat::Csv, Some(a)) => format!("CSV, {} calls", a.calls),
        (format, Some(a)) => format!("{}, {}, with {} calls", kind(format), paper.as_str(), a.calls),
        (format, None) => format!("{}, {}", kind(format), paper.as_str()),
    };
    if r.output.as_os_str() == "-" {
        let mut out = std::io::stdout().lock();
        out.write_all(&bytes).and_then(|()| out.flush()).context("writing to standard output")?;
        note!("rendered invoice {name} ({what})");
        return Ok(());
    }
    write_whole(&r.output, &bytes)?;
    outln!("rendered invoice {name} to {} ({what})", r.output.display())?;
    Ok(())
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
