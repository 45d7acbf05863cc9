//! What a CSV write left where, so that its read-back re-reads only the rows it wrote: the new
//! file is read once, and only the records at the recorded offsets are split and checked. When
//! anything does not line up (the file's length, a record boundary, the row's key), the caller
//! falls back to reading the whole catalog.

use std::collections::HashMap;

use crate::catalog::{CellRef, rows};

/// The rows one write changed or appended, and where their records start in the file it wrote.
pub struct Written {
    /// The file's length as written.
    pub len: usize,
    pub headers: Vec<String>,
    pub key_col: usize,
    /// Where each written row's record starts.
    pub starts: Vec<usize>,
}

impl Written {
    /// The cells as `text` (the file now) holds them, or None when `text` is not laid out as
    /// this write left it and the whole catalog must be read instead.
    pub fn cells(&self, text: &str, cells: &[CellRef]) -> Option<Vec<Option<String>>> {
        if text.len() != self.len {
            return None;
        }
        // The written rows by the key each holds now.
        let mut starts = HashMap::with_capacity(self.starts.len());
        for &start in &self.starts {
            let record = record_at(text, start)?;
            let key = record.cells(text).nth(self.key_col)?.trim().to_string();
            starts.insert(key, start);
        }
        cells
            .iter()
            .map(|c| self.cell(text, &starts, c).map(Some))
            .collect()
    }

    fn cell(&self, text: &str, starts: &HashMap<String, usize>, c: &CellRef) -> Option<String> {
        let start = *starts.get(&c.key)?;
        let col = self.headers.iter().position(|h| *h == c.field)?;
        let record = record_at(text, start)?;
        let (mut key, mut cell) = (None, "");
        for (i, text) in record
            .cells(text)
            .enumerate()
            .take(col.max(self.key_col) + 1)
        {
            if i == self.key_col {
                key = Some(text);
            }
            if i == col {
                cell = text;
            }
        }
        (key?.trim() == c.key).then(|| cell.to_string())
    }
}

/// The record that starts at `start`, which must follow a line ending (the header is always
/// before a written row).
fn record_at(text: &str, start: usize) -> Option<rows::Record> {
    if !matches!(
        text.as_bytes().get(start.checked_sub(1)?),
        Some(b'\n' | b'\r')
    ) {
        return None;
    }
    rows::next_record(text, start).filter(|r| r.start == start)
}
