//! A local CSV file as the catalog: read, atomic batch write (temp file, fsync, rename), read back.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::Source;
use crate::catalog::records::{self, Malformed};
use crate::catalog::stale::{self, Found};
use crate::catalog::{self, Catalog, CellRef, ColumnNames, Field, SourceRef, WriteBatch, rows};
use crate::error::{Error, IoContext, Result};

/// Catalogs larger than this are refused rather than read into memory.
const MAX_BYTES: u64 = 2 * 1024 * 1024 * 1024;

pub struct CsvSource {
    path: PathBuf,
    names: ColumnNames,
}

impl CsvSource {
    pub fn new(path: PathBuf, names: ColumnNames) -> Self {
        CsvSource { path, names }
    }

    fn read_text(&self) -> Result<String> {
        let meta = fs::metadata(&self.path).io_context("reading the catalog", &self.path).map_err(|e| {
            e.hint("pass the catalog with --source PATH (or CHANGESET_SOURCE); examples/catalog.csv is a sample")
        })?;
        if meta.len() > MAX_BYTES {
            return Err(Error::input(format!(
                "`{}` is larger than 2 GiB",
                self.path.display()
            )));
        }
        let bytes = fs::read(&self.path).io_context("reading the catalog", &self.path)?;
        String::from_utf8(bytes).map_err(|e| {
            Error::input(format!(
                "`{}` is not UTF-8 text (byte {})",
                self.path.display(),
                e.utf8_error().valid_up_to()
            ))
            .hint("save the file as UTF-8 CSV")
        })
    }

    /// Indexes the text in place (see [`Rows`]): the file's bytes are kept as read, a leading
    /// byte-order mark included, so that a write can copy every untouched byte.
    fn parse(&self, text: String) -> Result<Catalog> {
        let body = if text.starts_with('\u{feff}') { 3 } else { 0 };
        let Some(header) = rows::next_record(&text, body) else {
            return Err(Error::input(format!(
                "`{}` is empty: it has no header row",
                self.path.display()
            )));
        };
        let headers: Vec<String> = header.cells(&text).map(|h| h.trim().to_string()).collect();
        let key = catalog::key_column(&headers, &self.names);
        let (rows, keys) = match records::index(text, header.next, headers.len(), key) {
            Ok(indexed) => indexed,
            Err((text, Malformed)) => return Err(self.reference_error(&text)),
        };
        Catalog::indexed(headers, rows, key.map(|_| keys), &self.names)
            .map_err(|e| e.context(format!("`{}`", self.path.display())))
    }

    /// The error the `csv` crate reports for text the fast reader found a malformed record in,
    /// so that the message (with its line number) is the crate's own.
    fn reference_error(&self, text: &str) -> Error {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(false)
            .from_reader(text.as_bytes());
        let mut record = csv::StringRecord::new();
        loop {
            match reader.read_record(&mut record) {
                Ok(true) => {}
                Ok(false) => {
                    return Error::input(format!(
                        "`{}` is not valid CSV: a row has a different number of fields than the header",
                        self.path.display()
                    ));
                }
                Err(e) => return self.csv_error(e),
            }
        }
    }

    fn csv_error(&self, e: csv::Error) -> Error {
        let line = e
            .position()
            .map(|p| format!(" at line {}", p.line()))
            .unwrap_or_default();
        let detail = match e.kind() {
            csv::ErrorKind::UnequalLengths {
                expected_len, len, ..
            } => {
                format!("a row has {len} fields where the header has {expected_len}")
            }
            _ => e.to_string(),
        };
        Error::input(format!(
            "`{}` is not valid CSV{line}: {detail}",
            self.path.display()
        ))
        .hint("every row needs as many fields as the header; quote fields that contain commas")
    }

    /// Writes the catalog with cell overrides and new rows: every byte of the file as read,
    /// except the changed cells (quoted when they need it) and the new rows at the end, in the
    /// line-ending style of the file.
    fn render(
        out: &mut impl Write,
        catalog: &Catalog,
        overrides: &BTreeMap<usize, Vec<(usize, &str)>>,
        appends: &[Vec<String>],
    ) -> std::io::Result<()> {
        let text = catalog.rows.text();
        let mut at = 0;
        for (&row, cells) in overrides {
            let (start, _) = catalog.rows.span(row);
            let spans = rows::cell_spans(text, start);
            let mut cells = cells.clone();
            cells.sort_unstable_by_key(|(col, _)| *col);
            for (col, after) in cells {
                // CSV rows always have the header's width (checked when read).
                let (from, to) = spans[col];
                out.write_all(&text.as_bytes()[at..from])?;
                write_cell(out, after)?;
                at = to;
            }
        }
        out.write_all(&text.as_bytes()[at..])?;
        if appends.is_empty() {
            return Ok(());
        }
        let crlf = text.contains("\r\n");
        let terminator: &[u8] = if crlf { b"\r\n" } else { b"\n" };
        if !text.is_empty() && !text.ends_with(['\n', '\r']) {
            out.write_all(terminator)?;
        }
        for row in appends {
            for (i, cell) in row.iter().enumerate() {
                if i > 0 {
                    out.write_all(b",")?;
                }
                write_cell(out, cell)?;
            }
            out.write_all(terminator)?;
        }
        Ok(())
    }

    /// Takes an exclusive lock on a sidecar file so that two applies never interleave their
    /// check-then-write (the catalog itself is replaced by rename, so it cannot carry the lock).
    fn lock(&self) -> Result<File> {
        let lock_path = sidecar(&self.path, "lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .io_context("creating the lock file", &lock_path)?;
        file.lock().io_context("locking", &lock_path)?;
        Ok(file)
    }
}

/// `dir/.name.suffix`, beside the catalog so rename stays on one file system.
fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{suffix}"))
}

impl Source for CsvSource {
    fn describe(&self) -> SourceRef {
        let uri = fs::canonicalize(&self.path).unwrap_or_else(|_| self.path.clone());
        SourceRef {
            kind: "csv".into(),
            uri: uri.display().to_string(),
            tab: None,
        }
    }

    fn read(&mut self) -> Result<Catalog> {
        let text = self.read_text()?;
        self.parse(text)
    }

    fn read_cells(&mut self, cells: &[CellRef]) -> Result<Vec<Option<String>>> {
        let catalog = self.read()?;
        Ok(cells
            .iter()
            .map(|c| catalog.lookup(&c.key, &c.field).map(str::to_string))
            .collect())
    }

    fn write(&mut self, batch: &WriteBatch) -> Result<()> {
        let _lock = self.lock()?;
        let catalog = self.read()?;

        let found = batch.updates.iter().chain(&batch.guards).map(|w| {
            match (catalog.row_of(&w.key), catalog.column_by_header(&w.field)) {
                (Some(row), Some(col)) => {
                    Found::Holds(catalog.rows.get(row, col).unwrap_or_default().to_string())
                }
                _ => Found::Gone,
            }
        });
        let key_header = catalog.header(Field::Sku).expect("key column checked");
        stale::check(
            batch,
            found,
            |h| catalog.field_of(h),
            key_header,
            |key| catalog.row_of(key).is_some(),
            "catalog",
        )?;

        // The new value of each updated cell, by row.
        let mut overrides: BTreeMap<usize, Vec<(usize, &str)>> = BTreeMap::new();
        for w in &batch.updates {
            let row = catalog.row_of(&w.key).expect("checked above");
            let col = catalog.column_by_header(&w.field).expect("checked above");
            overrides
                .entry(row)
                .or_default()
                .push((col, w.after.as_str()));
        }
        let appends: Vec<Vec<String>> = batch
            .appends
            .iter()
            .map(|new_row| {
                let cell =
                    |h: &String| new_row.iter().find(|(k, _)| k == h).map(|(_, v)| v.clone());
                catalog
                    .headers
                    .iter()
                    .map(|h| cell(h).unwrap_or_default())
                    .collect()
            })
            .collect();
        write_atomically(&self.path, |out| {
            Self::render(out, &catalog, &overrides, &appends)
        })
    }
}

/// Writes a temp file in the same directory, fsyncs it, renames it over the target and fsyncs
/// the directory, so a crash leaves either the old file or the new one, never a mix.
fn write_atomically(
    path: &Path,
    contents: impl FnOnce(&mut BufWriter<&File>) -> std::io::Result<()>,
) -> Result<()> {
    let tmp = crate::private_files::temp_name(path, "tmp");
    let result = (|| {
        // A fresh file: never through a symlink or over a file planted at the name.
        let file = crate::private_files::create_new(&tmp).io_context("creating", &tmp)?;
        if let Ok(meta) = fs::metadata(path) {
            let _ = file.set_permissions(meta.permissions());
        }
        let mut out = BufWriter::with_capacity(1 << 20, &file);
        contents(&mut out)
            .and_then(|()| out.flush())
            .io_context("writing", &tmp)?;
        drop(out);
        file.sync_all().io_context("syncing", &tmp)?;
        fs::rename(&tmp, path).io_context("replacing", path)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            // Not every platform can open a directory for fsync; the rename itself is done.
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// A cell as written into a record: quoted (quotes doubled) when it needs it.
fn write_cell(out: &mut impl Write, cell: &str) -> std::io::Result<()> {
    if rows::needs_quotes(cell) {
        write!(out, "\"{}\"", cell.replace('"', "\"\""))
    } else {
        out.write_all(cell.as_bytes())
    }
}
