//! The invoice document (billing's [`InvoiceDocument`]) laid out for people: a self-contained
//! HTML page, a PDF made in the process (krilla, the fonts built in and embedded), and the
//! call detail as CSV. Presentation only: every figure, grouping and date comes from billing.

mod csvfile;
mod fonts;
pub mod format;
mod html;
mod pdf;
mod words;

pub use billing::document::{InvoiceDocument, Paper};
pub use csvfile::HEADER as CSV_HEADER;

/// Why a document could not be laid out.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The CSV is the call detail: a document built without its calls has none.
    #[error("the document was built without its calls")]
    NoCalls,
    /// The seller's logo is not an image the PDF can hold.
    #[error("the logo cannot be read: {0}")]
    Logo(String),
    #[error("cannot make the PDF: {0}")]
    Pdf(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Csv(#[from] csv::Error),
}

/// The document as one self-contained HTML page for `paper` (inline styles, fonts and logo,
/// no reference outside the file), printable as the invoice.
pub fn html(doc: &InvoiceDocument, paper: Paper) -> String {
    html::page(doc, paper)
}

/// The document as a PDF on `paper`.
pub fn pdf(doc: &InvoiceDocument, paper: Paper) -> Result<Vec<u8>, RenderError> {
    pdf::pdf(doc, paper)
}

/// The document's billed calls as CSV, one row per call ([`CSV_HEADER`]); the document must
/// have been built with its calls.
pub fn csv(doc: &InvoiceDocument, out: impl std::io::Write) -> Result<(), RenderError> {
    csvfile::write(doc, out)
}
