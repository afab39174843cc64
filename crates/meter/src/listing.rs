//! `calls list`, written as the calls are read: JSON, CSV or a text table, in the same memory
//! whether the listing has ten calls or millions.

use crate::cli::ListFormat;
use crate::escape::{printable, spreadsheet_cell};
use crate::stdout::Out;
use anyhow::Result;
use billing::calls::{CallFilter, CallSink};
use billing::doc::CallDoc;
use chrono_tz::Tz;
use std::io::Write;
use store::Store;

/// Lists the calls of `filter` on stdout in `format`.
pub fn calls<S: Store>(store: &mut S, filter: &CallFilter, format: ListFormat) -> Result<()> {
    let out = Out::new();
    match format {
        ListFormat::Json => {
            let mut sink = Json { out, calls: 0, buffer: Vec::new() };
            billing::calls::list_filtered(store, filter, &mut sink)?;
            sink.end()
        }
        ListFormat::Csv => {
            let mut sink = Csv(csv::Writer::from_writer(out));
            billing::calls::list_filtered(store, filter, &mut sink)?;
            Ok(sink.0.into_inner().map_err(|e| e.into_error())?.finish()?)
        }
        ListFormat::Text => {
            let mut sink = Table { out, timezone: Tz::UTC, sample: Vec::new(), widths: None, calls: 0 };
            billing::calls::list_filtered(store, filter, &mut sink)?;
            sink.end()
        }
    }
}

/// `{"calls": [...]}`, as `serde_json` pretty-prints it, one call at a time.
struct Json {
    out: Out,
    calls: u64,
    /// The current call as JSON, reused from call to call.
    buffer: Vec<u8>,
}

impl CallSink for Json {
    type Error = anyhow::Error;
    fn begin(&mut self, _: Tz) -> Result<()> {
        Ok(())
    }
    fn call(&mut self, call: &CallDoc) -> Result<()> {
        self.buffer.clear();
        serde_json::to_writer_pretty(&mut self.buffer, call)?;
        self.out.write_all(if self.calls == 0 { b"{\n  \"calls\": [\n" } else { b",\n" })?;
        // Nested two levels down: every line of the call indented by four spaces (a JSON string
        // holds no raw line break, so every line break is the printer's).
        for (i, line) in self.buffer.split(|b| *b == b'\n').enumerate() {
            self.out.write_all(if i == 0 { b"    " } else { b"\n    " })?;
            self.out.write_all(line)?;
        }
        self.calls += 1;
        Ok(())
    }
}

impl Json {
    fn end(mut self) -> Result<()> {
        self.out.write_all(if self.calls == 0 { b"{\n  \"calls\": []\n}\n" } else { b"\n  ]\n}\n" })?;
        Ok(self.out.finish()?)
    }
}

const CSV_HEADER: [&str; 17] = [
    "id",
    "source",
    "customer",
    "start",
    "duration",
    "direction",
    "from",
    "to",
    "call_type",
    "status",
    "billable_seconds",
    "charge",
    "invoice",
    "rate_owner",
    "rate_prefix",
    "rate_local_prefix",
    "rate",
];

/// The CSV listing, into any writer (stdout; a download of the web app): every cell made safe
/// for spreadsheets ([`spreadsheet_cell`]).
pub struct Csv<W: Write>(pub csv::Writer<W>);

impl<W: Write> CallSink for Csv<W> {
    type Error = anyhow::Error;
    fn begin(&mut self, _: Tz) -> Result<()> {
        Ok(self.0.write_record(CSV_HEADER)?)
    }
    fn call(&mut self, c: &CallDoc) -> Result<()> {
        let rate = c.rate.as_ref();
        let cells = [
            c.id.as_str(),
            &c.source,
            &c.customer,
            &c.start,
            &c.duration.to_string(),
            &c.direction,
            &c.from,
            &c.to,
            &c.call_type,
            c.status.as_str(),
            &c.billable_seconds.map(|b| b.to_string()).unwrap_or_default(),
            c.charge.as_deref().unwrap_or_default(),
            c.invoice.as_deref().unwrap_or_default(),
            rate.map_or("", |r| &r.owner),
            rate.map_or("", |r| &r.prefix),
            rate.map_or("", |r| &r.local_prefix),
            rate.map_or("", |r| &r.rate),
        ];
        Ok(self.0.write_record(cells.map(spreadsheet_cell).iter().map(|c| c.as_bytes()))?)
    }
}

/// Calls read before the table's column widths are set: as wide as the widest of them (a wider
/// cell later shifts the rest of its line).
const SAMPLE: usize = 1_000;

const TABLE_HEADER: [&str; 12] =
    ["Start", "Source/id", "Dir", "From", "To", "Type", "Dur", "Bill s", "Status", "Charge", "Invoice", "Rate"];

/// The narrowest each column is: room for every value of the columns whose values are known
/// (`outbound`, `unanswered`, invoice ids up to `D-99999999`), whether or not the sample holds them.
const MIN_WIDTHS: [usize; 12] = [0, 0, 8, 0, 0, 0, 0, 0, 10, 0, 10, 0];

/// The text table, times in the customer's zone.
struct Table {
    out: Out,
    timezone: Tz,
    /// The first calls, until the widths are set.
    sample: Vec<[String; 12]>,
    widths: Option<[usize; 12]>,
    calls: u64,
}

impl CallSink for Table {
    type Error = anyhow::Error;
    fn begin(&mut self, timezone: Tz) -> Result<()> {
        self.timezone = timezone;
        Ok(())
    }
    fn call(&mut self, c: &CallDoc) -> Result<()> {
        let cells = self.cells(c);
        self.calls += 1;
        match self.widths {
            Some(widths) => self.row(&widths, &cells),
            None => {
                self.sample.push(cells);
                if self.sample.len() == SAMPLE {
                    self.set_widths()?;
                }
                Ok(())
            }
        }
    }
}

impl Table {
    fn cells(&self, c: &CallDoc) -> [String; 12] {
        let start = billing::time::parse_timestamp(&c.start)
            .map(|t| billing::time::format_local(t, self.timezone))
            .unwrap_or_else(|_| c.start.clone());
        let rate = c.rate.as_ref().map_or(String::new(), |r| {
            let mut prefix = if r.prefix.is_empty() { "*".to_owned() } else { r.prefix.clone() };
            if !r.local_prefix.is_empty() {
                prefix = format!("{prefix} from {}", r.local_prefix);
            }
            format!("{} {} {}/min {}/{}", r.owner, prefix, r.rate, r.initial_increment, r.subsequent_increment)
        });
        [
            start,
            format!("{}/{}", c.source, printable(&c.id)),
            c.direction.clone(),
            printable(&c.from).into_owned(),
            printable(&c.to).into_owned(),
            printable(&c.call_type).into_owned(),
            c.duration.to_string(),
            c.billable_seconds.map(|b| b.to_string()).unwrap_or_default(),
            c.status.as_str().to_owned(),
            c.charge.clone().unwrap_or_default(),
            c.invoice.clone().unwrap_or_default(),
            printable(&rate).into_owned(),
        ]
    }

    /// Sets the widths from the header and the sample, and writes them.
    fn set_widths(&mut self) -> Result<()> {
        let mut widths = MIN_WIDTHS;
        for (w, h) in widths.iter_mut().zip(TABLE_HEADER) {
            *w = (*w).max(h.len());
        }
        for r in &self.sample {
            for (w, c) in widths.iter_mut().zip(r) {
                *w = (*w).max(c.chars().count());
            }
        }
        self.widths = Some(widths);
        self.row(&widths, &TABLE_HEADER)?;
        for r in std::mem::take(&mut self.sample) {
            self.row(&widths, &r)?;
        }
        Ok(())
    }

    fn row(&mut self, widths: &[usize; 12], cells: &[impl AsRef<str>; 12]) -> Result<()> {
        let s: Vec<String> = cells.iter().zip(widths).map(|(c, w)| format!("{:<w$}", c.as_ref())).collect();
        Ok(writeln!(self.out, "{}", s.join("  ").trim_end())?)
    }

    fn end(mut self) -> Result<()> {
        if self.widths.is_none() {
            self.set_widths()?;
        }
        writeln!(self.out, "{} calls; times in {}", self.calls, self.timezone)?;
        Ok(self.out.finish()?)
    }
}
