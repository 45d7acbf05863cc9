//! Compact storage for the data rows of a catalog, zero-copy over the CSV text: the file as read
//! stays one buffer, and each row is the byte span of its record in it (8 bytes a row). A cell is
//! found by splitting its record on commas when asked for. Records with a quote are the exception
//! (quoting, doubled quotes, multi-line cells): their cells are decoded once, at read time.
//!
//! Records are read exactly as the `csv` crate reads them (comma, `"` quoting with doubled
//! quotes, `\n`, `\r` or `\r\n` endings, empty lines skipped); a property test checks it.

/// Data rows; rows may be shorter than the header (a missing cell reads as absent).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Rows {
    /// CSV text that holds every row's record: the catalog file as read, or records encoded by
    /// [`Rows::push`].
    text: String,
    /// Start and end (before the line ending) of each row's record in `text`.
    spans: Vec<[u32; 2]>,
    /// The cells of the rows whose record has a quote, decoded; by row index.
    decoded: Decoded,
}

/// One record found in CSV text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Where the record starts and ends (before its line ending).
    pub start: usize,
    pub end: usize,
    /// Where the next record may start (after the line ending).
    pub next: usize,
    /// The decoded cells when the record has a quote; None for a plain record, whose cells are
    /// its text split on commas.
    pub quoted: Option<Vec<String>>,
}

impl Record {
    /// How many cells the record has.
    pub fn width(&self, text: &str) -> usize {
        match &self.quoted {
            Some(cells) => cells.len(),
            None => memchr::memchr_iter(b',', &text.as_bytes()[self.start..self.end]).count() + 1,
        }
    }

    /// The record's cells.
    pub fn cells<'a>(&'a self, text: &'a str) -> Cells<'a> {
        match &self.quoted {
            Some(cells) => Cells::Decoded(DecodedIter::Owned(cells.iter())),
            None => Cells::Plain(text[self.start..self.end].split(',')),
        }
    }
}

/// Finds the next record at or after `from`, skipping empty lines; None at the end of the text.
pub fn next_record(text: &str, from: usize) -> Option<Record> {
    let bytes = text.as_bytes();
    let mut start = from;
    // Empty lines are not records.
    while start < bytes.len() && matches!(bytes[start], b'\n' | b'\r') {
        start += 1;
    }
    if start >= bytes.len() {
        return None;
    }
    match memchr::memchr3(b'\n', b'\r', b'"', &bytes[start..]) {
        None => Some(Record {
            start,
            end: bytes.len(),
            next: bytes.len(),
            quoted: None,
        }),
        Some(i) if bytes[start + i] != b'"' => Some(Record {
            start,
            end: start + i,
            next: start + i + 1,
            quoted: None,
        }),
        Some(_) => Some(quoted_record(text, start)),
    }
}

/// A record with a quote somewhere, read byte by byte with the `csv` crate's rules: a quote
/// opens a quoted cell only at the start of a cell; inside, `""` is a quote and the cell ends at
/// a lone quote; what follows a closing quote up to the next comma belongs to the same cell.
fn quoted_record(text: &str, start: usize) -> Record {
    let (cells, _, end) = walk_quoted(text, start);
    Record {
        start,
        end,
        next: (end + 1).min(text.len()),
        quoted: Some(cells),
    }
}

/// Decodes the record at `start`: its cells, their raw byte spans (quotes included) and where
/// the record ends.
fn walk_quoted(text: &str, start: usize) -> (Vec<String>, Vec<(usize, usize)>, usize) {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        CellStart,
        Unquoted,
        Quoted,
        /// Just after a quote inside a quoted cell.
        QuoteInQuoted,
    }
    let bytes = text.as_bytes();
    let mut cells = Vec::new();
    let mut spans = Vec::new();
    let mut cell: Vec<u8> = Vec::new();
    let mut cell_start = start;
    let mut state = State::CellStart;
    let mut i = start;
    while i < bytes.len() {
        let b = bytes[i];
        if matches!(b, b'\n' | b'\r') && state != State::Quoted {
            break;
        }
        state = match (state, b) {
            (State::CellStart, b'"') => State::Quoted,
            (State::Quoted, b'"') => State::QuoteInQuoted,
            (State::QuoteInQuoted, b'"') => {
                cell.push(b'"');
                State::Quoted
            }
            (State::Quoted, _) => {
                cell.push(b);
                State::Quoted
            }
            (_, b',') => {
                cells.push(std::mem::take(&mut cell));
                spans.push((cell_start, i));
                cell_start = i + 1;
                State::CellStart
            }
            (_, _) => {
                cell.push(b);
                State::Unquoted
            }
        };
        i += 1;
    }
    cells.push(cell);
    spans.push((cell_start, i));
    let cells = cells
        .into_iter()
        // Splitting valid UTF-8 at ASCII bytes keeps it valid.
        .map(|c| String::from_utf8(c).expect("cells of UTF-8 text are UTF-8"))
        .collect();
    (cells, spans, i)
}

/// The raw byte spans of the cells of the record starting at `start` (quotes included), for
/// rewriting one cell in place.
pub fn cell_spans(text: &str, start: usize) -> Vec<(usize, usize)> {
    match next_record(text, start) {
        Some(Record {
            quoted: None,
            start,
            end,
            ..
        }) => {
            let mut spans = Vec::new();
            let mut from = start;
            for comma in memchr::memchr_iter(b',', &text.as_bytes()[start..end]) {
                spans.push((from, start + comma));
                from = start + comma + 1;
            }
            spans.push((from, end));
            spans
        }
        Some(record) => walk_quoted(text, record.start).1,
        None => vec![(start, start)],
    }
}

impl Rows {
    pub fn new() -> Self {
        Self::default()
    }

    /// Rows over CSV text and the index of its records.
    pub fn indexed(text: String, index: Index) -> Self {
        Rows {
            text,
            spans: index.spans,
            decoded: index.decoded,
        }
    }

    /// The text the rows point into.
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Appends a row, encoding it as a CSV record.
    pub fn push<'a>(&mut self, cells: impl IntoIterator<Item = &'a str>) {
        let cells: Vec<&str> = cells.into_iter().collect();
        let start = self.text.len();
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                self.text.push(',');
            }
            if needs_quotes(cell) {
                self.text.push('"');
                self.text.push_str(&cell.replace('"', "\"\""));
                self.text.push('"');
            } else {
                self.text.push_str(cell);
            }
        }
        let row = self.spans.len();
        self.spans.push([offset(start), offset(self.text.len())]);
        self.text.push('\n');
        // A row without cells has no record to split; a quoted cell needs decoding.
        if cells.is_empty() || cells.iter().any(|c| needs_quotes(c)) {
            self.decoded.push(row, cells);
        }
    }

    /// The byte span of a row's record in [`Rows::text`].
    pub fn span(&self, row: usize) -> (usize, usize) {
        let [start, end] = self.spans[row];
        (start as usize, end as usize)
    }

    /// The record of a row when it is plain (no quote): its cells are its text split on commas.
    pub fn plain(&self, row: usize) -> Option<&str> {
        if self.decoded.has(row) {
            return None;
        }
        let (start, end) = self.span(row);
        Some(&self.text[start..end])
    }

    /// The cell at (row, column), if the row has that many cells. Panics if `row` is out of range.
    pub fn get(&self, row: usize, col: usize) -> Option<&str> {
        let Some(record) = self.plain(row) else {
            return self.decoded.get(row, col);
        };
        let bytes = record.as_bytes();
        let mut start = 0;
        for _ in 0..col {
            start += memchr::memchr(b',', &bytes[start..])? + 1;
        }
        let end = memchr::memchr(b',', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        Some(&record[start..end])
    }

    /// The cells of one row.
    pub fn row(&self, row: usize) -> Cells<'_> {
        match self.plain(row) {
            Some(record) => Cells::Plain(record.split(',')),
            None => Cells::Decoded(DecodedIter::Stored(self.decoded.row(row))),
        }
    }
}

/// The rows of a CSV text being indexed, the text held elsewhere: records are added in order,
/// and an index of a later part of the same text can be appended.
#[derive(Debug, Default)]
pub struct Index {
    spans: Vec<[u32; 2]>,
    decoded: Decoded,
}

impl Index {
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Adds a record found by [`next_record`] as the next row.
    pub fn add(&mut self, record: Record) {
        let row = self.spans.len();
        self.spans.push([offset(record.start), offset(record.end)]);
        if let Some(cells) = record.quoted {
            self.decoded.push(row, cells.iter().map(String::as_str));
        }
    }

    /// Appends the rows of the text that follows this index's rows.
    pub fn append(&mut self, other: Index) {
        let rows = offset(self.spans.len());
        self.spans.extend_from_slice(&other.spans);
        drop(other.spans);
        let cells = offset(self.decoded.cell_ends.len());
        let text = offset(self.decoded.text.len());
        let decoded = other.decoded;
        self.decoded
            .rows
            .extend(decoded.rows.iter().map(|r| r + rows));
        self.decoded
            .firsts
            .extend(decoded.firsts.iter().map(|f| f + cells));
        self.decoded
            .cell_ends
            .extend(decoded.cell_ends.iter().map(|e| e + text));
        self.decoded.text.push_str(&decoded.text);
    }
}

/// Whether a cell must be quoted in a CSV record.
pub fn needs_quotes(cell: &str) -> bool {
    cell.bytes()
        .any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
}

/// An offset into the text: catalogs are refused above 2 GiB, so every offset fits.
fn offset(at: usize) -> u32 {
    u32::try_from(at).expect("catalog text is below 4 GiB")
}

/// The cells of a row.
pub enum Cells<'a> {
    Plain(std::str::Split<'a, char>),
    Decoded(DecodedIter<'a>),
}

pub enum DecodedIter<'a> {
    Stored(std::vec::IntoIter<&'a str>),
    Owned(std::slice::Iter<'a, String>),
}

impl<'a> Iterator for Cells<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        match self {
            Cells::Plain(split) => split.next(),
            Cells::Decoded(DecodedIter::Stored(cells)) => cells.next(),
            Cells::Decoded(DecodedIter::Owned(cells)) => cells.next().map(String::as_str),
        }
    }
}

/// Decoded cells of some rows: one text buffer plus end offsets, rows in increasing order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Decoded {
    /// Which rows, ascending.
    rows: Vec<u32>,
    text: String,
    /// End offset in `text` of every cell, row after row.
    cell_ends: Vec<u32>,
    /// Index into `cell_ends` of each row's first cell.
    firsts: Vec<u32>,
}

impl Decoded {
    fn push<'a>(&mut self, row: usize, cells: impl IntoIterator<Item = &'a str>) {
        self.rows.push(offset(row));
        self.firsts.push(offset(self.cell_ends.len()));
        for cell in cells {
            self.text.push_str(cell);
            self.cell_ends.push(offset(self.text.len()));
        }
    }

    fn index(&self, row: usize) -> Option<usize> {
        let row = u32::try_from(row).ok()?;
        // Most catalogs have no quoted record at all.
        if self.rows.is_empty() {
            return None;
        }
        self.rows.binary_search(&row).ok()
    }

    fn has(&self, row: usize) -> bool {
        self.index(row).is_some()
    }

    /// The range of `cell_ends` of a decoded row.
    fn cells(&self, i: usize) -> std::ops::Range<usize> {
        let first = self.firsts[i] as usize;
        let end = self
            .firsts
            .get(i + 1)
            .map_or(self.cell_ends.len(), |e| *e as usize);
        first..end
    }

    fn cell(&self, c: usize) -> &str {
        let start = if c == 0 {
            0
        } else {
            self.cell_ends[c - 1] as usize
        };
        &self.text[start..self.cell_ends[c] as usize]
    }

    fn get(&self, row: usize, col: usize) -> Option<&str> {
        let cells = self.cells(self.index(row)?);
        (col < cells.len()).then(|| self.cell(cells.start + col))
    }

    fn row(&self, row: usize) -> std::vec::IntoIter<&str> {
        let cells = self.index(row).map_or(0..0, |i| self.cells(i));
        cells.map(|c| self.cell(c)).collect::<Vec<_>>().into_iter()
    }
}

impl From<Vec<Vec<String>>> for Rows {
    fn from(rows: Vec<Vec<String>>) -> Self {
        let mut out = Rows::new();
        for row in &rows {
            out.push(row.iter().map(String::as_str));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn cells_round_trip_including_empty_quoted_and_short_rows() {
        let rows = Rows::from(vec![
            vec!["A-1".to_string(), String::new(), "x".to_string()],
            vec![],
            vec!["A-3".to_string()],
            vec!["A-4".to_string(), "a \"b\", c\nd".to_string()],
        ]);
        assert_eq!(rows.len(), 4);
        assert_eq!(rows.get(0, 0), Some("A-1"));
        assert_eq!(rows.get(0, 1), Some(""));
        assert_eq!(rows.get(0, 2), Some("x"));
        assert_eq!(rows.get(0, 3), None);
        assert_eq!(rows.get(1, 0), None);
        assert_eq!(rows.row(2).collect::<Vec<_>>(), ["A-3"]);
        assert_eq!(rows.get(3, 1), Some("a \"b\", c\nd"));
        assert_eq!(rows.row(3).count(), 2);
    }

    /// Every record as the `csv` crate reads it (flexible widths).
    fn csv_crate(text: &str) -> Vec<Vec<String>> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        reader
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect()
    }

    fn ours(text: &str) -> (Vec<Vec<String>>, Rows) {
        let mut index = Index::default();
        let mut at = 0;
        let mut records = Vec::new();
        while let Some(record) = next_record(text, at) {
            at = record.next;
            records.push(record.cells(text).map(str::to_string).collect());
            index.add(record);
        }
        (records, Rows::indexed(text.to_string(), index))
    }

    proptest! {
        #[test]
        fn records_are_read_exactly_like_the_csv_crate(
            text in proptest::string::string_regex("[a\",\r\n é]{0,40}").unwrap()
        ) {
            let (records, rows) = ours(&text);
            prop_assert_eq!(&records, &csv_crate(&text));
            for (r, record) in records.iter().enumerate() {
                prop_assert_eq!(&rows.row(r).collect::<Vec<_>>(), record);
                for (c, cell) in record.iter().enumerate() {
                    prop_assert_eq!(rows.get(r, c), Some(cell.as_str()));
                }
                // The raw cell spans cover the record, one per cell.
                let (start, _) = rows.span(r);
                prop_assert_eq!(cell_spans(&text, start).len(), record.len());
            }
        }
    }
}
