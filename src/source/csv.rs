//! A local CSV file as the catalog: read, atomic batch write (temp file, fsync, rename), read back.

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use super::Source;
use super::file_text::{self, Text};
use super::written::Written;
use crate::catalog::records::{self, Malformed};
use crate::catalog::stale::{self, Found};
use crate::catalog::{self, Catalog, CellRef, ColumnNames, Field, SourceRef, WriteBatch, rows};
use crate::error::{Error, IoContext, Result};

/// Catalogs larger than this are refused rather than read into memory.
const MAX_BYTES: u64 = 2 * 1024 * 1024 * 1024;

pub struct CsvSource {
    path: PathBuf,
    names: ColumnNames,
    /// Where the last write put the rows it wrote, for their read-back.
    written: Option<Written>,
}

/// A cell's new text, by (row, column) of the catalog written over.
type Overrides<'a> = Vec<(usize, usize, &'a str)>;

impl CsvSource {
    pub fn new(path: PathBuf, names: ColumnNames) -> Self {
        CsvSource {
            path,
            names,
            written: None,
        }
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
        let text = file_text::read(&self.path, meta.len() as usize)
            .io_context("reading the catalog", &self.path)?;
        match text {
            Text::Utf8(text) => Ok(text),
            Text::NotUtf8 { valid_up_to } => Err(Error::input(format!(
                "`{}` is not UTF-8 text (byte {valid_up_to})",
                self.path.display()
            ))
            .hint("save the file as UTF-8 CSV")),
        }
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

    /// Writes the catalog with cell overrides (sorted by row and column) and new rows: every
    /// byte of the file as read, except the changed cells (quoted when they need it) and the new
    /// rows at the end, in the line-ending style of the file. Returns where each written row's
    /// record starts in what it wrote.
    fn render(
        out: &mut impl Write,
        catalog: &Catalog,
        overrides: &Overrides<'_>,
        appends: &[Vec<String>],
    ) -> std::io::Result<Written> {
        let text = catalog.rows.text();
        let key_col = catalog.column(Field::Sku).expect("key column checked");
        let mut starts = Vec::with_capacity(overrides.len() + appends.len());
        // Bytes written so far minus bytes of the text consumed so far.
        let mut grown: isize = 0;
        let mut at = 0;
        for cells in overrides.chunk_by(|a, b| a.0 == b.0) {
            let (start, _) = catalog.rows.span(cells[0].0);
            starts.push(shifted(start, grown));
            let spans = rows::cell_spans(text, start);
            for &(_, col, after) in cells {
                // CSV rows always have the header's width (checked when read).
                let (from, to) = spans[col];
                out.write_all(&text.as_bytes()[at..from])?;
                let len = write_cell(out, after)?;
                grown += len.cast_signed() - (to - from).cast_signed();
                at = to;
            }
        }
        out.write_all(&text.as_bytes()[at..])?;
        let mut len = shifted(text.len(), grown);
        if !appends.is_empty() {
            len += Self::append(out, text, appends, len, &mut starts)?;
        }
        Ok(Written {
            len,
            headers: catalog.headers.clone(),
            key_col,
            starts,
        })
    }

    /// Writes the new rows after `len` bytes, noting where each starts; returns the bytes
    /// written.
    fn append(
        out: &mut impl Write,
        text: &str,
        appends: &[Vec<String>],
        len: usize,
        starts: &mut Vec<usize>,
    ) -> std::io::Result<usize> {
        let crlf = text.contains("\r\n");
        let terminator: &[u8] = if crlf { b"\r\n" } else { b"\n" };
        let mut written = 0;
        if !text.is_empty() && !text.ends_with(['\n', '\r']) {
            out.write_all(terminator)?;
            written += terminator.len();
        }
        for row in appends {
            starts.push(len + written);
            for (i, cell) in row.iter().enumerate() {
                if i > 0 {
                    out.write_all(b",")?;
                    written += 1;
                }
                written += write_cell(out, cell)?;
            }
            out.write_all(terminator)?;
            written += terminator.len();
        }
        Ok(written)
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

/// An offset of the text as read, in the text as written.
fn shifted(at: usize, grown: isize) -> usize {
    at.checked_add_signed(grown)
        .expect("an offset stays within what was written")
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

    /// After a write, the file is read once and only the written rows' records are split (see
    /// [`Written`]); otherwise the whole catalog is read.
    fn read_cells(&mut self, cells: &[CellRef]) -> Result<Vec<Option<String>>> {
        if let Some(written) = &self.written {
            let text = self.read_text()?;
            if let Some(found) = written.cells(&text, cells) {
                return Ok(found);
            }
        }
        let catalog = self.read()?;
        Ok(cells
            .iter()
            .map(|c| catalog.lookup(&c.key, &c.field).map(str::to_string))
            .collect())
    }

    fn write(&mut self, batch: &WriteBatch) -> Result<()> {
        self.write_over(batch, None)
    }

    fn write_after_read(&mut self, batch: &WriteBatch, read: &Catalog) -> Result<()> {
        self.write_over(batch, Some(read))
    }
}

impl CsvSource {
    /// Under the lock: every `before` checked against the catalog as the file holds it now,
    /// then the write. Given the catalog last read, the check runs on a second thread beside
    /// comparing the file with it and writing the temp file; the temp file replaces the catalog
    /// only if the file still holds exactly the bytes read and every check passed. Otherwise
    /// the file is read and parsed again.
    fn write_over(&mut self, batch: &WriteBatch, read: Option<&Catalog>) -> Result<()> {
        self.written = None;
        let _lock = self.lock()?;
        if let Some(read) = read {
            let (checked, staged) = std::thread::scope(|s| {
                let checked = s.spawn(|| check_stale(read, batch));
                let staged = self.stage_over(batch, read);
                let checked = checked
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p));
                (checked, staged)
            });
            if let Some(staged) = staged? {
                checked?;
                self.written = Some(staged.commit()?);
                return Ok(());
            }
        }
        let catalog = self.read()?;
        check_stale(&catalog, batch)?;
        self.written = Some(self.stage(batch, &catalog)?.commit()?);
        Ok(())
    }

    /// The new catalog staged over `read`, or None when the file no longer holds exactly its
    /// bytes.
    fn stage_over(&self, batch: &WriteBatch, read: &Catalog) -> Result<Option<Staged>> {
        if !self.holds_exactly(read.rows.text().as_bytes())? {
            return Ok(None);
        }
        self.stage(batch, read).map(Some)
    }

    /// The catalog with the batch's updates and new rows, written to a temp file and fsynced.
    /// The updates' cells must exist (checked before the rename, see [`check_stale`]); any that
    /// does not is left out here.
    fn stage(&self, batch: &WriteBatch, catalog: &Catalog) -> Result<Staged> {
        let mut overrides: Overrides<'_> = batch
            .updates
            .iter()
            .filter_map(|w| {
                let row = catalog.row_of(&w.key)?;
                let col = catalog.column_by_header(&w.field)?;
                Some((row, col, w.after.as_str()))
            })
            .collect();
        overrides.sort_unstable_by_key(|&(row, col, _)| (row, col));
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
        Staged::write(&self.path, |out| {
            Self::render(out, catalog, &overrides, &appends)
        })
    }

    /// Whether the catalog file holds exactly these bytes, compared a chunk at a time (no
    /// second copy of the file in memory).
    fn holds_exactly(&self, bytes: &[u8]) -> Result<bool> {
        let compare = || -> std::io::Result<bool> {
            let mut file = File::open(&self.path)?;
            if file.metadata()?.len() != bytes.len() as u64 {
                return Ok(false);
            }
            let mut chunk = vec![0; 1 << 20];
            let mut at = 0;
            loop {
                let n = file.read(&mut chunk)?;
                if n == 0 {
                    return Ok(at == bytes.len());
                }
                if bytes.get(at..at + n) != Some(&chunk[..n]) {
                    return Ok(false);
                }
                at += n;
            }
        };
        compare().io_context("reading the catalog", &self.path)
    }
}

/// Every updated and guarded cell must still hold its `before`, and no appended key may exist.
/// A bulk batch names the same row and the same column many times in a row (a row's guards
/// follow each other; updates come in key order), so the last row and column found are kept.
fn check_stale(catalog: &Catalog, batch: &WriteBatch) -> Result<()> {
    let mut last_row: Option<(&str, Option<usize>)> = None;
    let mut last_col: Option<(&str, Option<usize>)> = None;
    let found = batch.updates.iter().chain(&batch.guards).map(|w| {
        let row = match last_row {
            Some((key, row)) if key == w.key => row,
            _ => last_row.insert((&w.key, catalog.row_of(&w.key))).1,
        };
        let col = match last_col {
            Some((field, col)) if field == w.field => col,
            _ => {
                last_col
                    .insert((&w.field, catalog.column_by_header(&w.field)))
                    .1
            }
        };
        match (row, col) {
            (Some(row), Some(col)) => {
                Found::Holds(catalog.rows.get(row, col).unwrap_or_default().into())
            }
            _ => Found::Gone,
        }
    });
    let key_header = catalog.header(Field::Sku).expect("key column checked");
    let mut last_field: Option<(&str, Option<Field>)> = None;
    let field_of = |h| match last_field {
        Some((header, field)) if header == h => field,
        _ => last_field.insert((h, catalog.field_of(h))).1,
    };
    stale::check(
        batch,
        found,
        field_of,
        key_header,
        |key| catalog.row_of(key).is_some(),
        "catalog",
    )
}

/// A new catalog in a temp file in the same directory, written and fsynced. [`Staged::commit`]
/// renames it over the catalog and fsyncs the directory, so a crash leaves either the old file or
/// the new one, never a mix; dropped uncommitted, it is removed.
struct Staged {
    tmp: PathBuf,
    path: PathBuf,
    /// What was written; taken by the commit.
    written: Option<Written>,
    renamed: bool,
}

impl Staged {
    fn write(
        path: &Path,
        contents: impl FnOnce(&mut BufWriter<&File>) -> std::io::Result<Written>,
    ) -> Result<Staged> {
        let mut staged = Staged {
            tmp: crate::private_files::temp_name(path, "tmp"),
            path: path.to_path_buf(),
            written: None,
            renamed: false,
        };
        let tmp = &staged.tmp;
        // A fresh file: never through a symlink or over a file planted at the name.
        let file = crate::private_files::create_new(tmp).io_context("creating", tmp)?;
        if let Ok(meta) = fs::metadata(path) {
            let _ = file.set_permissions(meta.permissions());
        }
        let mut out = BufWriter::with_capacity(1 << 20, &file);
        let written = contents(&mut out).and_then(|written| out.flush().map(|()| written));
        drop(out);
        staged.written = Some(written.io_context("writing", tmp)?);
        file.sync_all().io_context("syncing", tmp)?;
        Ok(staged)
    }

    fn commit(mut self) -> Result<Written> {
        fs::rename(&self.tmp, &self.path).io_context("replacing", &self.path)?;
        self.renamed = true;
        let written = self.written.take().expect("set when staged");
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            // Not every platform can open a directory for fsync; the rename itself is done.
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(written)
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.renamed {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// A cell as written into a record: quoted (quotes doubled) when it needs it.
/// Returns the bytes written.
fn write_cell(out: &mut impl Write, cell: &str) -> std::io::Result<usize> {
    if rows::needs_quotes(cell) {
        let quoted = format!("\"{}\"", cell.replace('"', "\"\""));
        out.write_all(quoted.as_bytes())?;
        Ok(quoted.len())
    } else {
        out.write_all(cell.as_bytes())?;
        Ok(cell.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::CellWrite;
    use crate::error::Kind;

    const CATALOG: &str = "\u{feff}SKU,Name,Category,Base Price,Promo Price,Promo Active,Inventory\r\n\
        RUN-001,\"Trail, \"\"Pro\"\"\",Running,65.10,,FALSE,in_stock\r\n\
        RUN-002,Café,Running,100,,FALSE,in_stock\r\n\
        HAT-001,\"Multi\nline\",Hats,0010.00,,false,low_stock\r\n";

    fn source(dir: &tempfile::TempDir, text: &str) -> CsvSource {
        let path = dir.path().join("catalog.csv");
        fs::write(&path, text).unwrap();
        CsvSource::new(path, ColumnNames::default())
    }

    fn update(key: &str, field: &str, before: &str, after: &str) -> CellWrite {
        CellWrite {
            key: key.into(),
            field: field.into(),
            before: before.into(),
            after: after.into(),
        }
    }

    fn batch() -> WriteBatch {
        WriteBatch {
            updates: vec![
                update("RUN-002", "Base Price", "100", "90.00"),
                update("RUN-001", "Base Price", "65.10", "58.59"),
                update("RUN-001", "Name", "Trail, \"Pro\"", "Trail \"Pro\" 2"),
            ],
            appends: vec![vec![
                ("SKU".into(), "NEW-001".into()),
                ("Name".into(), "Neu, ü".into()),
                ("Base Price".into(), "5".into()),
            ]],
            guards: vec![update("HAT-001", "Promo Active", "FALSE", "FALSE")],
        }
    }

    fn cells() -> Vec<CellRef> {
        [
            ("RUN-001", "Name"),
            ("RUN-002", "Base Price"),
            ("RUN-001", "Base Price"),
            ("NEW-001", "Name"),
        ]
        .map(|(key, field)| CellRef {
            key: key.into(),
            field: field.into(),
        })
        .to_vec()
    }

    fn expected() -> Vec<Option<String>> {
        ["Trail \"Pro\" 2", "90.00", "58.59", "Neu, ü"]
            .map(|c| Some(c.to_string()))
            .to_vec()
    }

    #[test]
    fn a_write_over_the_read_catalog_changes_only_the_written_bytes_and_reads_them_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = source(&dir, CATALOG);
        let read = s.read().unwrap();
        // The file is as read: it is not parsed again.
        assert!(s.holds_exactly(read.rows.text().as_bytes()).unwrap());
        s.write_after_read(&batch(), &read).unwrap();
        let now = fs::read_to_string(&s.path).unwrap();
        let want = CATALOG
            .replace(
                "\"Trail, \"\"Pro\"\"\",Running,65.10",
                "\"Trail \"\"Pro\"\" 2\",Running,58.59",
            )
            .replace("Café,Running,100", "Café,Running,90.00")
            + "NEW-001,\"Neu, ü\",,5,,,\r\n";
        assert_eq!(now, want);
        // Read back from the written rows' records alone.
        let written = s.written.as_ref().unwrap();
        assert_eq!(written.cells(&now, &cells()), Some(expected()));
        assert_eq!(s.read_cells(&cells()).unwrap(), expected());
        // The same bytes written by the path that parses the file again.
        let again = tempfile::tempdir().unwrap();
        let mut other = source(&again, CATALOG);
        other.write(&batch()).unwrap();
        assert_eq!(fs::read_to_string(&other.path).unwrap(), want);
    }

    #[test]
    fn a_file_changed_since_the_read_is_checked_as_it_is_now() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = source(&dir, CATALOG);
        let read = s.read().unwrap();
        // A guarded cell changed, the file's length kept.
        fs::write(&s.path, CATALOG.replace("false,low", "FALSE,low")).unwrap();
        s.write_after_read(&batch(), &read).unwrap();
        fs::write(&s.path, CATALOG.replace("false,low", "TRUE ,low")).unwrap();
        let e = s.write_after_read(&batch(), &read).unwrap_err();
        assert_eq!(e.kind, Kind::Stale, "{}", e.message);
        assert!(e.message.contains("HAT-001 Promo Active"), "{}", e.message);
        assert!(s.written.is_none());
        assert_eq!(
            fs::read_to_string(&s.path).unwrap(),
            CATALOG.replace("false,low", "TRUE ,low")
        );
    }

    #[test]
    fn a_before_that_does_not_hold_leaves_the_file_and_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = source(&dir, CATALOG);
        let read = s.read().unwrap();
        let mut stale = batch();
        stale.updates[1].before = "65.00".into();
        let e = s.write_after_read(&stale, &read).unwrap_err();
        assert_eq!(e.kind, Kind::Stale, "{}", e.message);
        assert!(e.message.contains("RUN-001 Base Price"), "{}", e.message);
        assert_eq!(fs::read_to_string(&s.path).unwrap(), CATALOG);
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| !n.ends_with(".lock"))
            .collect();
        assert_eq!(names, ["catalog.csv"]);
    }

    #[test]
    fn the_read_back_sees_edits_made_after_the_write() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = source(&dir, CATALOG);
        let read = s.read().unwrap();
        s.write_after_read(&batch(), &read).unwrap();
        let written = fs::read_to_string(&s.path).unwrap();
        let mut want = expected();
        // The same length: one written cell edited in place.
        fs::write(&s.path, written.replace("90.00", "91.00")).unwrap();
        want[1] = Some("91.00".into());
        assert_eq!(s.read_cells(&cells()).unwrap(), want);
        // Another length: the whole catalog is read.
        fs::write(&s.path, written.replace("90.00", "9")).unwrap();
        want[1] = Some("9".into());
        assert_eq!(s.read_cells(&cells()).unwrap(), want);
        // Rows swapped, the length kept: each row is found by its key.
        let swapped = written.replace("RUN-002,Café", "RUN-00X,Café");
        let swapped = swapped
            .replace("RUN-001,", "RUN-002,")
            .replacen("RUN-00X,", "RUN-001,", 1);
        fs::write(&s.path, &swapped).unwrap();
        let path = s.path.clone();
        let full = || {
            let mut fresh = CsvSource::new(path.clone(), ColumnNames::default());
            fresh.read_cells(&cells()).unwrap()
        };
        let moved = s.read_cells(&cells()).unwrap();
        assert_eq!(moved, full());
        assert_eq!(
            s.written.as_ref().unwrap().cells(&swapped, &cells()),
            Some(moved.clone())
        );
        assert_eq!(moved[0], Some("Café".into()));
        assert_eq!(moved[1], Some("58.59".into()));
        assert_eq!(moved[2], Some("90.00".into()));
        // A row gone: the whole catalog is read.
        let gone = written.replace("RUN-002,", "RUN-003,");
        fs::write(&s.path, &gone).unwrap();
        assert_eq!(s.written.as_ref().unwrap().cells(&gone, &cells()), None);
        assert_eq!(s.read_cells(&cells()).unwrap(), full());
        assert_eq!(s.read_cells(&cells()).unwrap()[1], None);
    }
}
