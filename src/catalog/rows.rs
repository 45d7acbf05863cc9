//! Compact storage for the data rows of a catalog: every cell's text in one buffer plus end
//! offsets. A million-row catalog costs about its file size plus 8 bytes a cell, instead of a
//! heap allocation per cell.

/// Data rows; rows may be shorter than the header (a missing cell reads as absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rows {
    text: String,
    /// End offset in `text` of every cell, row after row.
    cell_ends: Vec<usize>,
    /// Index into `cell_ends` of each row's first cell, plus one final entry.
    row_starts: Vec<usize>,
}

impl Default for Rows {
    fn default() -> Self {
        Rows {
            text: String::new(),
            cell_ends: Vec::new(),
            row_starts: vec![0],
        }
    }
}

impl Rows {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.row_starts.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends a row.
    pub fn push<'a>(&mut self, cells: impl IntoIterator<Item = &'a str>) {
        for cell in cells {
            self.text.push_str(cell);
            self.cell_ends.push(self.text.len());
        }
        self.row_starts.push(self.cell_ends.len());
    }

    /// The cell at (row, column), if the row has that many cells. Panics if `row` is out of range.
    pub fn get(&self, row: usize, col: usize) -> Option<&str> {
        let (first, end) = (self.row_starts[row], self.row_starts[row + 1]);
        let i = first + col;
        (i < end).then(|| {
            let start = if i == 0 { 0 } else { self.cell_ends[i - 1] };
            &self.text[start..self.cell_ends[i]]
        })
    }

    /// The cells of one row.
    pub fn row(&self, row: usize) -> impl ExactSizeIterator<Item = &str> + '_ {
        let (first, end) = (self.row_starts[row], self.row_starts[row + 1]);
        (first..end).map(move |i| {
            let start = if i == 0 { 0 } else { self.cell_ends[i - 1] };
            &self.text[start..self.cell_ends[i]]
        })
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
    use super::Rows;

    #[test]
    fn cells_round_trip_including_empty_and_short_rows() {
        let rows = Rows::from(vec![
            vec!["A-1".to_string(), String::new(), "x".to_string()],
            vec![],
            vec!["A-3".to_string()],
        ]);
        assert_eq!(rows.len(), 3);
        assert_eq!(rows.get(0, 0), Some("A-1"));
        assert_eq!(rows.get(0, 1), Some(""));
        assert_eq!(rows.get(0, 2), Some("x"));
        assert_eq!(rows.get(0, 3), None);
        assert_eq!(rows.get(1, 0), None);
        assert_eq!(rows.row(2).collect::<Vec<_>>(), ["A-3"]);
    }
}
