//! Reading the contract's CSV files: header checks, trimmed cells, and errors that name the
//! file, line and column, collected up to a limit.

use crate::error::{BillingError, FileError, FileErrors};
use crate::Progress;
use std::cell::{Cell, RefCell};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

/// How many bad rows are listed before the import stops looking.
pub const ERROR_LIMIT: usize = 100;

/// A CSV file with a validated header.
pub struct CsvFile {
    pub name: String,
    reader: csv::Reader<Box<dyn Read + Send>>,
    /// Position of each known column in the file, by the index in the `known` list.
    columns: Vec<Option<usize>>,
    known: &'static [&'static str],
    record: csv::StringRecord,
    /// The header row, or the first row of a file without one (empty for an empty file).
    header: csv::StringRecord,
    // Interior mutability lets a row's cells be borrowed while its errors are recorded.
    errors: RefCell<Vec<FileError>>,
    truncated: Cell<bool>,
    size: u64,
}

impl CsvFile {
    /// Opens `path` and checks its header: every `required` column present, none unknown, none
    /// twice. `known` lists every accepted column, required ones included.
    pub fn open(path: &Path, known: &'static [&'static str], required: &[&str]) -> Result<CsvFile, BillingError> {
        CsvFile::checked(CsvFile::open_any(path, true)?, known, required)
    }

    /// A file held in memory, named `name` in its errors: what a page's form writes, so that
    /// an edit of one record is checked as an import of the same row is.
    pub fn from_text(
        name: &str,
        text: String,
        known: &'static [&'static str],
        required: &[&str],
    ) -> Result<CsvFile, BillingError> {
        let size = text.len() as u64;
        CsvFile::from_reader(name, Box::new(std::io::Cursor::new(text.into_bytes())), size, known, required)
    }

    /// [`CsvFile::open`] of a file already being read (an upload): `name` is how errors name it,
    /// `size` its length in bytes if known.
    pub fn from_reader(
        name: &str,
        reader: Box<dyn Read + Send>,
        size: u64,
        known: &'static [&'static str],
        required: &[&str],
    ) -> Result<CsvFile, BillingError> {
        CsvFile::checked(CsvFile::reading(name.to_owned(), reader, size, true)?, known, required)
    }

    /// Checks the header of `f` against the `known` and `required` columns.
    fn checked(mut f: CsvFile, known: &'static [&'static str], required: &[&str]) -> Result<CsvFile, BillingError> {
        f.known = known;
        f.columns = vec![None; known.len()];
        let header = f.header.clone();
        for (pos, col) in header.iter().enumerate() {
            let col = col.trim_start_matches('\u{feff}');
            match known.iter().position(|k| *k == col) {
                Some(k) if f.columns[k].is_some() => f.header_error(col, "the column appears twice"),
                Some(k) => f.columns[k] = Some(pos),
                None if col.is_empty() => f.header_error(&format!("#{}", pos + 1), "a column has no name"),
                None => f.header_error(col, &format!("unknown column (expected: {})", known.join(", "))),
            }
        }
        for r in required {
            if !f.has(r) {
                f.header_error(r, "required column is missing");
            }
        }
        Ok(f)
    }

    /// Opens `path` with columns chosen by the caller, read by position with [`CsvFile::cell_at`]:
    /// with `header_row`, the first row names the columns (any names are accepted); without, every
    /// row is data.
    pub fn open_any(path: &Path, header_row: bool) -> Result<CsvFile, BillingError> {
        let name = path.display().to_string();
        let read_err = |e: &dyn std::fmt::Display| BillingError::Read { file: name.clone(), reason: e.to_string() };
        let file = File::open(path).map_err(|e| read_err(&e))?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        CsvFile::reading(name, Box::new(BufReader::with_capacity(1 << 20, file)), size, header_row)
    }

    /// A CSV reader of `reader`, its first row read (see [`CsvFile::open_any`]).
    fn reading(
        name: String,
        reader: Box<dyn Read + Send>,
        size: u64,
        header_row: bool,
    ) -> Result<CsvFile, BillingError> {
        let read_err = |e: &dyn std::fmt::Display| BillingError::Read { file: name.clone(), reason: e.to_string() };
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .flexible(true)
            .has_headers(header_row)
            .buffer_capacity(1 << 20)
            .from_reader(reader);
        // Without a header this peeks at the first row (it is still read as data): it sets the
        // number of cells every row must have.
        let header = match reader.headers() {
            Ok(header) => header.clone(),
            Err(e) => return Err(first_row_error(&name, header_row, &e).unwrap_or_else(|| read_err(&e))),
        };
        Ok(CsvFile {
            name,
            reader,
            columns: Vec::new(),
            known: &[],
            record: csv::StringRecord::new(),
            header,
            errors: RefCell::new(Vec::new()),
            truncated: Cell::new(false),
            size,
        })
    }

    /// The positions (0-based) of the header's columns named `name`, a byte-order mark ignored.
    pub fn positions_of(&self, name: &str) -> Vec<usize> {
        let names = self.header.iter().map(|c| c.trim_start_matches('\u{feff}'));
        names.enumerate().filter(|(_, c)| *c == name).map(|(i, _)| i).collect()
    }

    /// Cells per row: the header's, or the first row's in a file without a header.
    pub fn width(&self) -> usize {
        self.header.len()
    }

    /// The trimmed cell at `position` (0-based) of the current row; `""` past its end.
    pub fn cell_at(&self, position: usize) -> &str {
        self.record.get(position).unwrap_or("")
    }

    /// How errors name the column at `position` (0-based): its name in the header, or `#N`.
    fn column_name(&self, position: usize) -> String {
        match self.header.get(position) {
            Some(name) if self.reader.has_headers() => name.trim_start_matches('\u{feff}').to_owned(),
            _ => format!("#{}", position + 1),
        }
    }

    fn header_error(&self, column: &str, reason: &str) {
        self.error(1, Some(column), reason.to_owned());
    }

    /// Whether the file has the column.
    pub fn has(&self, column: &str) -> bool {
        self.index(column).is_some()
    }

    fn index(&self, column: &str) -> Option<usize> {
        let k = self.known.iter().position(|c| *c == column)?;
        self.columns[k]
    }

    /// Reads the next row; `None` at the end. Rows with a wrong number of cells are reported
    /// and skipped. Returns the row's line number.
    pub fn next_row(&mut self) -> Result<Option<u64>, BillingError> {
        loop {
            match self.reader.read_record(&mut self.record) {
                Ok(false) => return Ok(None),
                Ok(true) => {
                    let line = self.record.position().map_or(0, |p| p.line());
                    if self.record.len() == 1 && self.record.get(0) == Some("") {
                        continue; // a blank line
                    }
                    let want = self.header.len();
                    if self.record.len() != want {
                        let got = self.record.len();
                        let first = if self.reader.has_headers() { "the header" } else { "the first row" };
                        self.error(line, None, format!("the row has {got} cells, {first} {want}"));
                        continue;
                    }
                    // SQLite would store a NUL byte and PostgreSQL refuse the whole import: no
                    // backend gets one, whatever the column (`contains` on bytes is a memchr).
                    if self.record.as_slice().as_bytes().contains(&0) {
                        for (i, _) in self.record.iter().enumerate().filter(|(_, c)| c.contains('\0')) {
                            self.error(line, Some(&self.column_name(i)), "the cell holds a NUL byte".into());
                        }
                        continue;
                    }
                    return Ok(Some(line));
                }
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line());
                    if let csv::ErrorKind::Utf8 { .. } = e.kind() {
                        self.error(line, None, "the row is not valid UTF-8".into());
                        continue;
                    }
                    return Err(BillingError::Read { file: self.name.clone(), reason: e.to_string() });
                }
            }
        }
    }

    /// The trimmed cell of `column` in the current row; `""` when the file lacks the column.
    pub fn cell(&self, column: &str) -> &str {
        self.index(column).and_then(|i| self.record.get(i)).unwrap_or("")
    }

    /// Records a bad value; past [`ERROR_LIMIT`] only notes that there were more.
    pub fn error(&self, line: u64, column: Option<&str>, reason: String) {
        let mut errors = self.errors.borrow_mut();
        if errors.len() >= ERROR_LIMIT {
            self.truncated.set(true);
            return;
        }
        errors.push(FileError { file: self.name.clone(), line, column: column.map(str::to_owned), reason });
    }

    /// How many errors have been recorded so far.
    pub fn error_count(&self) -> usize {
        self.errors.borrow().len()
    }

    /// Whether enough errors were found to stop reading.
    pub fn full(&self) -> bool {
        self.truncated.get()
    }

    pub fn ok(&self) -> bool {
        self.errors.borrow().is_empty()
    }

    /// Bytes read so far and the file's size, for progress.
    pub fn report(&self, progress: &dyn Progress) {
        progress.at(self.reader.position().byte().min(self.size));
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// The collected errors as the import's failure, or `Ok` if there were none.
    pub fn into_result(self) -> Result<(), BillingError> {
        let errors = self.errors.into_inner();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(BillingError::File(FileErrors { file: self.name, errors, truncated: self.truncated.get() }))
        }
    }
}

/// A first row that is not UTF-8, as the bad row it is: `FILE:1: column #N: …` for a header
/// (whose cell cannot be named), `FILE:1: the row is not valid UTF-8` for a first data row.
/// `None` for any other failure to read it.
fn first_row_error(file: &str, header_row: bool, e: &csv::Error) -> Option<BillingError> {
    let csv::ErrorKind::Utf8 { pos, err } = e.kind() else { return None };
    let (column, reason) = if header_row {
        (Some(format!("#{}", err.field() + 1)), "the header is not valid UTF-8: save the file as UTF-8")
    } else {
        (None, "the row is not valid UTF-8")
    };
    let error =
        FileError { file: file.to_owned(), line: pos.as_ref().map_or(1, |p| p.line()), column, reason: reason.into() };
    Some(BillingError::File(FileErrors { file: file.to_owned(), errors: vec![error], truncated: false }))
}
