//! Paging through a window's call records, with the repeated-page check of docs/sources.md, and
//! only the records that start in the window.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use crate::{Client, Cursor, Page, Record, SourceError, Window};

/// One row of a page as it came on the wire.
#[derive(Debug)]
pub(crate) enum Row {
    Kept(Record),
    /// A hidden helper leg.
    Hidden {
        id: String,
        start: DateTime<Utc>,
    },
}

impl Row {
    fn id(&self) -> &str {
        match self {
            Row::Kept(r) => &r.call_id,
            Row::Hidden { id, .. } => id,
        }
    }

    fn start(&self) -> DateTime<Utc> {
        match self {
            Row::Kept(r) => r.start,
            Row::Hidden { start, .. } => *start,
        }
    }
}

/// The rows of one request and where the next one starts.
pub(crate) struct Fetched {
    pub rows: Vec<Row>,
    pub next: Option<Cursor>,
}

/// Reads a window's call records page by page. Each page is one request (plus retries).
pub struct Pager {
    client: Client,
    domain: String,
    window: Window,
    cursor: Cursor,
    previous: HashSet<String>,
    done: bool,
    retries: u64,
}

impl Pager {
    pub(crate) fn new(client: Client, domain: &str, window: Window, from: Cursor) -> Pager {
        let done = window.start >= window.end;
        Pager { client, domain: domain.to_owned(), window, cursor: from, previous: HashSet::new(), done, retries: 0 }
    }

    /// The next page, or `None` once a page has said the window is done.
    ///
    /// A page that repeats a record of the page before it is asked again (as often as the retry
    /// policy allows); if it still repeats, its new rows are kept and the others are `repeated`.
    /// Rows starting outside the window (the platforms' ends are inclusive) are `outside`.
    pub async fn next_page(&mut self) -> Result<Option<Page>, SourceError> {
        if self.done {
            return Ok(None);
        }
        let max = self.client.http().policy().max_retries;
        let mut again = 0;
        let (fetched, repeats) = loop {
            let fetched = self.client.fetch(&self.domain, &self.window, &self.cursor, &mut self.retries).await?;
            let repeats = fetched.rows.iter().filter(|r| self.previous.contains(r.id())).count();
            if repeats == 0 || again >= max {
                break (fetched, repeats);
            }
            let wait = self.client.http().backoff(again);
            tracing::debug!(platform = %self.client.platform(), domain = self.domain, cursor = ?self.cursor, repeats,
                "page repeats the previous one; asking again");
            again += 1;
            self.retries += 1;
            tokio::time::sleep(wait).await;
        };
        let mut page = Page { received: fetched.rows.len() as u64, next: fetched.next, ..Page::default() };
        page.records.reserve(fetched.rows.len());
        let mut ids = HashSet::with_capacity(fetched.rows.len());
        for row in fetched.rows {
            if repeats > 0 && self.previous.contains(row.id()) {
                page.repeated += 1;
                ids.insert(row.id().to_owned());
                continue;
            }
            if !(self.window.start..self.window.end).contains(&row.start()) {
                page.outside += 1;
                ids.insert(row.id().to_owned());
                continue;
            }
            match row {
                Row::Hidden { id, .. } => {
                    page.skipped += 1;
                    ids.insert(id);
                }
                Row::Kept(record) => {
                    ids.insert(record.call_id.clone());
                    page.records.push(record);
                }
            }
        }
        self.previous = ids;
        match &page.next {
            Some(next) => self.cursor = next.clone(),
            None => self.done = true,
        }
        Ok(Some(page))
    }

    /// Where the next page starts (after the last page: where the last page started).
    pub fn cursor(&self) -> &Cursor {
        &self.cursor
    }

    /// Requests retried and pages asked again so far (for the sync job's error count).
    pub fn retries(&self) -> u64 {
        self.retries
    }
}
