//! Where the catalog lives: the [`Source`] trait and the in-memory [`Catalog`] every source reads into.
//!
//! A source reads the whole catalog for planning, re-reads exact cells for the stale check and
//! the read-back, and writes one batch. Sources know nothing about plans, policy or auth.

pub mod csv;
mod file_text;
pub mod sheets;
mod written;

use crate::catalog::{Catalog, CellRef, ColumnNames, SourceRef, SourceSpec, WriteBatch};
use crate::error::Result;
use crate::google::token::TokenSource;
use crate::receipt::Delegation;

/// A catalog store. Implementations must make [`Source::write`] all-or-nothing and must refuse
/// (with a [`crate::error::Kind::Stale`] error, writing nothing) when a cell no longer holds its
/// `before` value or a key of an appended row already exists.
pub trait Source {
    fn describe(&self) -> SourceRef;
    /// Reads the whole catalog.
    fn read(&mut self) -> Result<Catalog>;
    /// Re-reads the given cells; a missing row or column reads as `None`.
    fn read_cells(&mut self, cells: &[CellRef]) -> Result<Vec<Option<String>>>;
    /// Writes the batch atomically after checking every `before`.
    fn write(&mut self, batch: &WriteBatch) -> Result<()>;
    /// [`Source::write`], given the catalog this source's last read returned: a source may
    /// check and write over it when the source still holds exactly what was read, instead of
    /// reading and parsing it all again. Every `before` is checked all the same.
    fn write_after_read(&mut self, batch: &WriteBatch, read: &Catalog) -> Result<()> {
        let _ = read;
        self.write(batch)
    }
    /// Called after approval and before [`Source::write`], so that write credentials exist only
    /// once a human approved. Returns the grants used so far, for the receipt. Local sources
    /// need no credential.
    fn authorize_write(&mut self) -> Result<Vec<Delegation>> {
        Ok(Vec::new())
    }
}

/// Every source is where a plan's rows can come from.
impl<S: Source + ?Sized> crate::plan::Reader for S {
    fn read_rows(&mut self) -> Result<Catalog> {
        self.read()
    }

    fn location(&self) -> SourceRef {
        self.describe()
    }
}

/// Opens the source a spec names, with the catalog's header names. A Sheets source is handed
/// the run's Google token source and asks it for tokens only when it calls Google; a CSV file
/// needs none.
pub fn open(
    spec: &SourceSpec,
    names: ColumnNames,
    tokens: Box<dyn TokenSource>,
) -> Result<Box<dyn Source>> {
    match spec {
        SourceSpec::Csv(path) => Ok(Box::new(csv::CsvSource::new(path.clone(), names))),
        SourceSpec::Sheets {
            spreadsheet_id,
            tab,
        } => Ok(Box::new(sheets::SheetsSource::new(
            spreadsheet_id.clone(),
            tab.clone(),
            names,
            tokens,
            crate::google::sheets_base()?,
            crate::google::http::Limits::from_env()?,
        ))),
    }
}
