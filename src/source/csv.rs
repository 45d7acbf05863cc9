//! A local CSV file as the catalog: read, atomic batch write (temp file, fsync, rename), read back.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::Source;
use crate::catalog::stale::{self, Found};
use crate::catalog::{Catalog, CellRef, ColumnNames, Field, Rows, SourceRef, WriteBatch};
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

    fn parse(&self, text: &str) -> Result<Catalog> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(false)
            .from_reader(text.as_bytes());
        let mut record = csv::StringRecord::new();
        if !reader
            .read_record(&mut record)
            .map_err(|e| self.csv_error(e))?
        {
            return Err(Error::input(format!(
                "`{}` is empty: it has no header row",
                self.path.display()
            )));
        }
        let headers: Vec<String> = record.iter().map(|h| h.trim().to_string()).collect();
        // One reused record and one shared buffer: no allocation per cell.
        let mut rows = Rows::new();
        while reader
            .read_record(&mut record)
            .map_err(|e| self.csv_error(e))?
        {
            if record.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            rows.push(record.iter());
        }
        Catalog::new(headers, rows, &self.names)
            .map_err(|e| e.context(format!("`{}`", self.path.display())))
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

    /// Serialises the catalog with cell overrides and new rows, in the line-ending style of the
    /// original text. Untouched cells are written as they were read.
    fn render(
        catalog: &Catalog,
        overrides: &HashMap<usize, Vec<(usize, &str)>>,
        appends: &[Vec<String>],
        crlf: bool,
    ) -> Result<Vec<u8>> {
        let terminator = if crlf {
            csv::Terminator::CRLF
        } else {
            csv::Terminator::Any(b'\n')
        };
        let mut writer = csv::WriterBuilder::new()
            .terminator(terminator)
            .from_writer(Vec::new());
        let failed = |e: csv::Error| Error::runtime(format!("rendering the catalog: {e}"));
        writer.write_record(&catalog.headers).map_err(failed)?;
        let mut cells: Vec<&str> = Vec::new();
        for r in 0..catalog.rows.len() {
            cells.clear();
            cells.extend(catalog.rows.row(r));
            for &(col, after) in overrides.get(&r).into_iter().flatten() {
                if cells.len() <= col {
                    cells.resize(col + 1, "");
                }
                cells[col] = after;
            }
            writer.write_record(&cells).map_err(failed)?;
        }
        for row in appends {
            writer.write_record(row).map_err(failed)?;
        }
        writer
            .into_inner()
            .map_err(|e| Error::runtime(format!("rendering the catalog: {e}")))
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
        self.parse(&text)
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
        let text = self.read_text()?;
        let catalog = self.parse(&text)?;

        let found = batch.updates.iter().map(|w| {
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
        let mut overrides: HashMap<usize, Vec<(usize, &str)>> = HashMap::new();
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
        let bytes = Self::render(&catalog, &overrides, &appends, text.contains("\r\n"))?;
        write_atomically(&self.path, &bytes)
    }
}

/// Writes a temp file in the same directory, fsyncs it, renames it over the target and fsyncs
/// the directory, so a crash leaves either the old file or the new one, never a mix.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = sidecar(path, &format!("tmp-{}", std::process::id()));
    let result = (|| {
        let mut file = File::create(&tmp).io_context("creating", &tmp)?;
        if let Ok(meta) = fs::metadata(path) {
            let _ = file.set_permissions(meta.permissions());
        }
        file.write_all(bytes).io_context("writing", &tmp)?;
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
