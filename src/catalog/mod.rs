//! The catalog as the planner sees it: its fields and column names, rows and typed values, where
//! it lives, and the cells a plan reads and writes. Pure data: the sources in `source/` fill it.

mod fingerprint;
pub mod records;
pub mod rows;
pub mod stale;
pub mod value;

use std::cmp::Ordering;
use std::collections::HashMap;
use std::path::PathBuf;

pub use rows::Rows;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The logical fields of the default Products schema. Column *names* are configurable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Sku,
    Name,
    Category,
    BasePrice,
    PromoPrice,
    PromoActive,
    Inventory,
    ImageUrl,
}

impl Field {
    pub const ALL: [Field; 8] = [
        Field::Sku,
        Field::Name,
        Field::Category,
        Field::BasePrice,
        Field::PromoPrice,
        Field::PromoActive,
        Field::Inventory,
        Field::ImageUrl,
    ];

    /// The header of the default schema (the original app's Products tab).
    pub fn default_header(self) -> &'static str {
        match self {
            Field::Sku => "SKU",
            Field::Name => "Name",
            Field::Category => "Category",
            Field::BasePrice => "Base Price",
            Field::PromoPrice => "Promo Price",
            Field::PromoActive => "Promo Active",
            Field::Inventory => "Inventory",
            Field::ImageUrl => "Image URL",
        }
    }

    /// The key in the `[columns]` table of the config file.
    pub fn config_key(self) -> &'static str {
        match self {
            Field::Sku => "sku",
            Field::Name => "name",
            Field::Category => "category",
            Field::BasePrice => "base_price",
            Field::PromoPrice => "promo_price",
            Field::PromoActive => "promo_active",
            Field::Inventory => "inventory",
            Field::ImageUrl => "image_url",
        }
    }

    pub fn is_price(self) -> bool {
        matches!(self, Field::BasePrice | Field::PromoPrice)
    }

    /// Image URL may be absent from a sheet; every other column must be there.
    fn required(self) -> bool {
        self != Field::ImageUrl
    }
}

/// Header names for each logical field, from the config's `[columns]` (defaults otherwise).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnNames(HashMap<Field, String>);

impl Default for ColumnNames {
    fn default() -> Self {
        ColumnNames(
            Field::ALL
                .iter()
                .map(|f| (*f, f.default_header().to_string()))
                .collect(),
        )
    }
}

impl ColumnNames {
    pub fn set(&mut self, field: Field, header: String) {
        self.0.insert(field, header);
    }

    pub fn header(&self, field: Field) -> &str {
        &self.0[&field]
    }
}

/// Which source a plan was made from, as recorded in plans and receipts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceRef {
    /// `csv` or `sheets`
    pub kind: String,
    /// The CSV path (absolute) or the spreadsheet id.
    pub uri: String,
    /// The tab of a spreadsheet; absent for CSV.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tab: Option<String>,
}

/// Where to read from, parsed from `--source`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceSpec {
    Csv(PathBuf),
    Sheets {
        spreadsheet_id: String,
        tab: Option<String>,
    },
}

impl SourceSpec {
    pub fn parse(text: &str) -> Result<SourceSpec> {
        if let Some(rest) = text.strip_prefix("sheets:") {
            let (id, tab) = match rest.split_once('/') {
                Some((id, tab)) if !tab.is_empty() => (id, Some(tab.to_string())),
                Some((id, _)) => (id, None),
                None => (rest, None),
            };
            let valid = !id.is_empty()
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !valid {
                return Err(
                    Error::input(format!("`{text}` is not a valid Sheets source"))
                        .hint("use sheets:<spreadsheet-id> or sheets:<spreadsheet-id>/<tab>"),
                );
            }
            return Ok(SourceSpec::Sheets {
                spreadsheet_id: id.to_string(),
                tab,
            });
        }
        if text.is_empty() {
            return Err(Error::input("the source is empty")
                .hint("pass --source PATH or --source sheets:<id>"));
        }
        Ok(SourceSpec::Csv(PathBuf::from(text)))
    }
}

/// The catalog as read: header row plus data rows, every cell as text.
///
/// Cells stay text so that a CSV rewrite leaves untouched cells exactly as they were; typed
/// views (numbers for prices) are made by [`value`] when a plan needs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    pub headers: Vec<String>,
    pub rows: Rows,
    /// The column of each field, by `Field as usize`: looked up for every cell read, so an
    /// array rather than a hashed map.
    columns: [Option<usize>; Field::ALL.len()],
    /// Row indices sorted by key, for binary search: 4 bytes a row instead of a map of
    /// owned keys. None when the rows are in key order already.
    by_key: Option<Vec<u32>>,
    /// Where [`Catalog::row_of`] last found a key, in search order.
    last_found: SearchHint,
}

/// A starting point for the next key search: a plan looks its changes' keys up in catalog
/// order, so the next key is usually a step or two on. Not part of the catalog's value.
#[derive(Debug, Default)]
struct SearchHint(std::sync::atomic::AtomicUsize);

impl SearchHint {
    fn get(&self) -> usize {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn set(&self, at: usize) {
        self.0.store(at, std::sync::atomic::Ordering::Relaxed);
    }
}

impl Clone for SearchHint {
    fn clone(&self) -> Self {
        SearchHint(self.get().into())
    }
}

impl PartialEq for SearchHint {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for SearchHint {}

/// Where each field's column is among the headers; an error naming the required ones missing.
fn columns_of(
    headers: &[String],
    names: &ColumnNames,
) -> Result<[Option<usize>; Field::ALL.len()]> {
    let mut columns = [None; Field::ALL.len()];
    let mut missing = Vec::new();
    for field in Field::ALL {
        let name = names.header(field);
        match headers.iter().position(|h| h.trim() == name) {
            Some(i) => {
                columns[field as usize] = Some(i);
            }
            None if field.required() => missing.push(name.to_string()),
            None => {}
        }
    }
    if !missing.is_empty() {
        return Err(Error::input(format!(
            "the catalog has no column {}; its header row is: {}",
            missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", "),
            headers.join(", ")
        ))
        .hint("map your column names in the config file's [columns] table, e.g. base_price = \"Price\""));
    }
    Ok(columns)
}

/// The column of the key field, if the headers have it.
pub fn key_column(headers: &[String], names: &ColumnNames) -> Option<usize> {
    columns_of(headers, names).ok()?[Field::Sku as usize]
}

impl Catalog {
    /// Builds a catalog, checking that the mapped columns exist and that keys are unique.
    pub fn new(
        headers: Vec<String>,
        rows: impl Into<Rows>,
        names: &ColumnNames,
    ) -> Result<Catalog> {
        let rows = rows.into();
        let keys = key_column(&headers, names).map(|col| {
            let key = |r: usize| rows.get(r, col).unwrap_or_default().trim();
            records::Keys {
                empty: (0..rows.len()).find(|&r| key(r).is_empty()),
                sorted: (1..rows.len()).all(|r| key(r - 1) < key(r)),
            }
        });
        Self::indexed(headers, rows, keys, names)
    }

    /// [`Catalog::new`] for rows whose keys were looked at while they were indexed (`keys`,
    /// when the key column exists).
    pub fn indexed(
        headers: Vec<String>,
        rows: Rows,
        keys: Option<records::Keys>,
        names: &ColumnNames,
    ) -> Result<Catalog> {
        let columns = columns_of(&headers, names)?;
        let key_col = columns[Field::Sku as usize].expect("the key column is required");
        let keys = keys.expect("the key column exists");
        let key = |r: usize| rows.get(r, key_col).unwrap_or_default().trim();
        if let Some(r) = keys.empty {
            return Err(Error::input(format!(
                "row {} has an empty {} cell",
                r + 2,
                names.header(Field::Sku)
            )));
        }
        // Catalogs are often kept sorted by key: then the rows themselves are the index.
        let by_key = if keys.sorted {
            None
        } else {
            let mut by_key: Vec<u32> = (0..rows.len()).map(row_index).collect();
            by_key.sort_by(|&a, &b| key(a as usize).cmp(key(b as usize)).then(a.cmp(&b)));
            if let Some(pair) = by_key
                .windows(2)
                .find(|p| key(p[0] as usize) == key(p[1] as usize))
            {
                return Err(Error::input(format!(
                    "{} `{}` appears twice (rows {} and {})",
                    names.header(Field::Sku),
                    key(pair[0] as usize),
                    pair[0] + 2,
                    pair[1] + 2
                ))
                .hint("keys must be unique; fix the duplicate row and plan again"));
            }
            Some(by_key)
        };
        Ok(Catalog {
            headers,
            rows,
            columns,
            by_key,
            last_found: SearchHint::default(),
        })
    }

    /// The column index of a logical field, if the catalog has it.
    pub fn column(&self, field: Field) -> Option<usize> {
        self.columns[field as usize]
    }

    /// The header name of a logical field, if the catalog has it.
    pub fn header(&self, field: Field) -> Option<&str> {
        self.column(field).map(|c| self.headers[c].as_str())
    }

    /// The logical field a header names, if any.
    pub fn field_of(&self, header: &str) -> Option<Field> {
        Field::ALL
            .into_iter()
            .find(|f| self.header(*f) == Some(header))
    }

    pub fn column_by_header(&self, header: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == header)
    }

    /// The row index of a key: a search in key order that starts where the last one ended.
    pub fn row_of(&self, key: &str) -> Option<usize> {
        let key_col = self.column(Field::Sku)?;
        let cell = |r: usize| self.rows.get(r, key_col).unwrap_or_default().trim();
        // Positions in key order: the rows themselves, or the sorted index.
        let row = |at: usize| match &self.by_key {
            Some(by_key) => by_key[at] as usize,
            None => at,
        };
        let at = search_from(self.rows.len(), self.last_found.get(), |at| {
            cell(row(at)).cmp(key)
        })?;
        self.last_found.set(at);
        Some(row(at))
    }

    /// The text of one cell ("" when the row is short).
    pub fn cell(&self, row: usize, field: Field) -> &str {
        self.column(field)
            .and_then(|c| self.rows.get(row, c))
            .unwrap_or("")
    }

    /// Several cells of one row ("" where absent), read in one pass over its record rather
    /// than one search per cell.
    pub fn cells<const N: usize>(&self, row: usize, fields: [Field; N]) -> [&str; N] {
        let columns = fields.map(|f| self.column(f));
        let mut out = [""; N];
        let Some(last) = columns.iter().flatten().max().copied() else {
            return out;
        };
        for (c, cell) in self.rows.row(row).enumerate().take(last + 1) {
            for (i, column) in columns.iter().enumerate() {
                if *column == Some(c) {
                    out[i] = cell;
                }
            }
        }
        out
    }

    pub fn key(&self, row: usize) -> &str {
        self.cell(row, Field::Sku).trim()
    }

    /// The cell at (key, header), if both exist.
    pub fn lookup(&self, key: &str, header: &str) -> Option<&str> {
        let row = self.row_of(key)?;
        let col = self.column_by_header(header)?;
        Some(self.rows.get(row, col).unwrap_or(""))
    }

    /// SHA-256 over the RFC 8785 canonical JSON of everything read,
    /// `{"headers":[...],"rows":[[...],...]}`, so any edit anywhere in the catalog changes it.
    /// Streamed into the hasher: a million-row catalog is never copied to compute it.
    pub fn fingerprint(&self) -> String {
        let mut out = fingerprint::Hasher::new();
        out.put(br#"{"headers":"#);
        out.strings(self.headers.iter().map(String::as_str));
        out.put(br#","rows":["#);
        for r in 0..self.rows.len() {
            if r > 0 {
                out.put(b",");
            }
            match self.rows.plain(r) {
                Some(record) => out.record(record),
                None => out.strings(self.rows.row(r)),
            }
        }
        out.put(b"]}");
        out.finish()
    }
}

/// A search of sorted positions `0..len` (`cmp` orders a position against the wanted one)
/// that starts at `hint` and gallops (1, 2, 4, ... steps) towards the wanted position before a
/// binary search: a few comparisons when it is near the hint, at most twice a binary search's.
pub fn search_from(len: usize, hint: usize, cmp: impl Fn(usize) -> Ordering) -> Option<usize> {
    if len == 0 {
        return None;
    }
    let hint = hint.min(len - 1);
    let (mut low, mut high) = match cmp(hint) {
        Ordering::Equal => return Some(hint),
        // The wanted position is after the hint.
        Ordering::Less => {
            let (mut low, mut step) = (hint + 1, 1);
            loop {
                let probe = hint + step;
                if probe >= len {
                    break (low, len);
                }
                match cmp(probe) {
                    Ordering::Less => low = probe + 1,
                    Ordering::Equal => return Some(probe),
                    Ordering::Greater => break (low, probe),
                }
                step *= 2;
            }
        }
        Ordering::Greater => {
            let (mut high, mut step) = (hint, 1);
            loop {
                let Some(probe) = hint.checked_sub(step) else {
                    break (0, high);
                };
                match cmp(probe) {
                    Ordering::Greater => high = probe,
                    Ordering::Equal => return Some(probe),
                    Ordering::Less => break (probe + 1, high),
                }
                step *= 2;
            }
        }
    };
    while low < high {
        let mid = low + (high - low) / 2;
        match cmp(mid) {
            Ordering::Less => low = mid + 1,
            Ordering::Greater => high = mid,
            Ordering::Equal => return Some(mid),
        }
    }
    None
}

fn row_index(r: usize) -> u32 {
    u32::try_from(r).expect("catalog text is below 4 GiB, so are its rows")
}

/// One cell to re-read or verify: the row key and the column header.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CellRef {
    pub key: String,
    pub field: String,
}

/// One cell to write, with the value the plan saw (for the compare-before-write check).
#[derive(Debug, Clone, PartialEq)]
pub struct CellWrite {
    pub key: String,
    pub field: String,
    pub before: String,
    pub after: String,
}

/// A whole apply: cell updates of existing rows and new rows (header name → text).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WriteBatch {
    pub updates: Vec<CellWrite>,
    pub appends: Vec<Vec<(String, String)>>,
    /// Cells not written that the plan's facts were derived from (the Base Price of a promo
    /// target, the end state the forbid rules judged): checked like `updates` (`before`) in the
    /// same pre-write read, never written.
    pub guards: Vec<CellWrite>,
}

impl WriteBatch {
    pub fn is_empty(&self) -> bool {
        self.updates.is_empty() && self.appends.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_from_any_hint_finds_what_a_binary_search_finds() {
        for len in 0..12 {
            // Even numbers: every odd number is absent, below, between and above them.
            let sorted: Vec<usize> = (0..len).map(|i| 2 * i).collect();
            for hint in 0..len + 2 {
                for wanted in 0..2 * len + 2 {
                    let found = search_from(len, hint, |at| sorted[at].cmp(&wanted));
                    assert_eq!(
                        found,
                        sorted.binary_search(&wanted).ok(),
                        "{len} {hint} {wanted}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_streamed_fingerprint_is_the_jcs_hash() {
        let headers: Vec<String> = Field::ALL
            .iter()
            .map(|f| f.default_header().to_string())
            .collect();
        let row = |sku: &str, name: &str| -> Vec<String> {
            vec![
                sku.into(),
                name.into(),
                "Running".into(),
                "1.00".into(),
                "".into(),
                "FALSE".into(),
                "in_stock".into(),
                "".into(),
            ]
        };
        let rows = vec![
            row("A-1", "Quote \" and \\ back\u{1}slash é"),
            row("A-2", "x"),
        ];
        let catalog = Catalog::new(headers.clone(), rows.clone(), &ColumnNames::default()).unwrap();
        let canon = serde_json::json!({ "rows": rows, "headers": headers });
        let expected = crate::digest::sha256_prefixed(&serde_jcs::to_vec(&canon).unwrap());
        assert_eq!(catalog.fingerprint(), expected);
    }

    /// Many rows, so that records fill and cross the hasher's buffer; empty and long cells,
    /// escapes and rows too long for the buffer among them.
    #[test]
    fn the_fingerprint_of_many_rows_is_the_jcs_hash() {
        let headers = || Field::ALL.iter().map(|f| f.default_header().to_string());
        let headers: Vec<String> = headers().collect();
        let rows: Vec<Vec<String>> = (0..20_000)
            .map(|i| {
                let name = match i % 7 {
                    0 => String::new(),
                    1 => "a,b \"q\" é".to_string(),
                    2 => "x".repeat(i % 300),
                    3 if i % 5000 == 3 => "long ".repeat(30_000),
                    _ => format!("Row {i}\t"),
                };
                let cells = [
                    format!("K{i:06}"),
                    name,
                    ",".repeat(i % 3),
                    format!("{i}.99"),
                ];
                cells
                    .into_iter()
                    .chain(["".into(), "FALSE".into(), "x".into(), "".into()])
                    .collect()
            })
            .collect();
        let catalog = Catalog::new(headers.clone(), rows.clone(), &ColumnNames::default()).unwrap();
        let canon = serde_json::json!({ "rows": rows, "headers": headers });
        let expected = crate::digest::sha256_prefixed(&serde_jcs::to_vec(&canon).unwrap());
        assert_eq!(catalog.fingerprint(), expected);
    }

    #[test]
    fn cells_read_in_one_pass_are_the_cells_read_one_by_one() {
        // Image URL missing from the header, a quoted row and a short row.
        let headers: Vec<String> = Field::ALL[..7]
            .iter()
            .map(|f| f.default_header().to_string())
            .collect();
        let row = |cells: &[&str]| cells.iter().map(|c| c.to_string()).collect::<Vec<_>>();
        let rows: Rows = vec![
            row(&["A-1", "x, \"y\"", "Running", "1.00", "", "TRUE", "in_stock"]),
            row(&["A-2", "z", "Trail", "2.00", "1.50", "FALSE", "low_stock"]),
            row(&["A-3", "short"]),
        ]
        .into();
        let catalog = Catalog::new(headers, rows, &ColumnNames::default()).unwrap();
        let fields = [
            Field::Inventory,
            Field::Name,
            Field::ImageUrl,
            Field::BasePrice,
            Field::Sku,
        ];
        for row in 0..catalog.rows.len() {
            assert_eq!(
                catalog.cells(row, fields),
                fields.map(|f| catalog.cell(row, f))
            );
        }
        assert_eq!(catalog.cells(0, [Field::Name])[0], "x, \"y\"");
    }
}
