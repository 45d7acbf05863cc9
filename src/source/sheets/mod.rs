//! A Google Sheets tab as the catalog, with a constant number of requests
//! per apply whatever the number of changes:
//!
//! - `read`: one `values:batchGet` of the whole tab (UNFORMATTED_VALUE, SERIAL_NUMBER), plus one
//!   metadata read to find the first visible tab when none was named. Columns are found by
//!   their header, rows by their key; typed cells become the catalog's text (numbers in their
//!   shortest form, prices with two decimals, booleans as TRUE/FALSE).
//! - `write`: one `values:batchGet` re-reading the key column and every target column over the
//!   rows of the targets, compared with every `before` (Sheets has no compare-and-swap, so this
//!   check is ours: a mismatch is a stale plan, nothing written); then ONE `values:batchUpdate`
//!   (RAW, typed values), and one `values:append` when there are new rows.
//! - `read_cells`: one `values:batchGet` of the same shape, for the read-back.
//!
//! A write whose answer is lost (timeout, dropped connection, 5xx) is never resent blindly: the
//! target cells are read back; all `after` means it landed, all `before` means it can be sent
//! again, anything else is reported. Column ranges are read (not one range per cell), so the
//! URL stays short for any number of changes.

mod codec;
mod protocol;

use std::collections::HashMap;

use serde_json::Value;

use super::Source;
use crate::catalog::stale::{self, Found};
use crate::catalog::{Catalog, CellRef, ColumnNames, Field, SourceRef, WriteBatch};
use crate::error::{Error, Result};
use crate::google::a1;
use crate::google::http::Limits;
use crate::google::token::{Agent, GoogleToken, TokenSource};
use crate::receipt::Delegation;
use codec::{cell_text, typed_cell};
use protocol::Probe;

const API: &str = "Google Sheets";

pub struct SheetsSource {
    spreadsheet_id: String,
    /// The tab named in `--source`, or the first visible one once resolved.
    tab: Option<String>,
    names: ColumnNames,
    base: String,
    limits: Limits,
    tokens: Box<dyn TokenSource>,
    reader: Option<GoogleToken>,
    writer: Option<GoogleToken>,
    layout: Option<Layout>,
    /// Typed cell values as first seen by a pre-write check, so that writing a cell back to
    /// its old text restores its old type too (a rollback of a number stays a number).
    originals: HashMap<(u32, usize), Value>,
}

/// Where things are in the tab, from the last full read.
struct Layout {
    title: String,
    headers: Vec<String>,
    fields: Vec<Option<Field>>,
    key_col: usize,
    /// Key → 1-based sheet row.
    rows: HashMap<String, u32>,
}

impl Layout {
    fn column(&self, header: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == header)
    }

    fn field(&self, col: usize) -> Option<Field> {
        self.fields.get(col).copied().flatten()
    }
}

/// One cell to write, located.
#[derive(Clone)]
struct Target {
    key: String,
    row: u32,
    col: usize,
    field: Option<Field>,
    before: String,
    after: String,
}

impl Target {
    fn reversed(&self) -> Target {
        Target {
            before: self.after.clone(),
            after: self.before.clone(),
            ..self.clone()
        }
    }
}

impl SheetsSource {
    /// A source on the Sheets API at `base` (see [`crate::google::sheets_base`]).
    pub fn new(
        spreadsheet_id: String,
        tab: Option<String>,
        names: ColumnNames,
        tokens: Box<dyn TokenSource>,
        base: String,
        limits: Limits,
    ) -> SheetsSource {
        SheetsSource {
            spreadsheet_id,
            tab,
            names,
            base,
            limits,
            tokens,
            reader: None,
            writer: None,
            layout: None,
            originals: HashMap::new(),
        }
    }

    fn layout(&mut self) -> Result<&Layout> {
        if self.layout.is_none() {
            self.read()?;
        }
        Ok(self.layout.as_ref().expect("read sets the layout"))
    }

    /// Locates every update and then every guard (`None`: its row or column is gone), in the
    /// batch's order.
    fn locate(&mut self, batch: &WriteBatch) -> Result<Vec<Option<Target>>> {
        let layout = self.layout()?;
        Ok(batch
            .updates
            .iter()
            .chain(&batch.guards)
            .map(|w| {
                let (row, col) = (*layout.rows.get(&w.key)?, layout.column(&w.field)?);
                Some(Target {
                    key: w.key.clone(),
                    row,
                    col,
                    field: layout.field(col),
                    before: w.before.clone(),
                    after: w.after.clone(),
                })
            })
            .collect())
    }

    /// What the probe found in each located cell, for the stale-write check.
    fn found(&self, located: &[Option<Target>], probe: &Probe) -> Result<Vec<Found<'static>>> {
        let key_col = self.layout.as_ref().expect("located").key_col;
        located
            .iter()
            .map(|t| {
                let Some(t) = t else { return Ok(Found::Gone) };
                let key_now = cell_text(None, probe.get(key_col, t.row))?;
                if key_now.trim() != t.key {
                    return Ok(Found::Moved {
                        row: t.row,
                        key_now: key_now.trim().to_string(),
                    });
                }
                cell_text(t.field, probe.get(t.col, t.row)).map(|now| Found::Holds(now.into()))
            })
            .collect()
    }

    fn typed(&self, t: &Target) -> Value {
        match self.originals.get(&(t.row, t.col)) {
            // An empty cell is restored by writing "": null would leave the cell as it is.
            Some(original)
                if !original.is_null()
                    && cell_text(t.field, original).is_ok_and(|o| o == t.after) =>
            {
                original.clone()
            }
            _ => typed_cell(t.field, &t.after),
        }
    }

    /// Appends the rows after the updates were written. Two requests are not atomic together:
    /// if the rows cannot be added, the updates are undone so that the batch stays
    /// all-or-nothing.
    fn append_or_undo(
        &mut self,
        targets: &[Target],
        appends: &[Vec<(String, String)>],
    ) -> Result<()> {
        let Err(e) = self.append(appends) else {
            return Ok(());
        };
        if targets.is_empty() {
            return Err(e);
        }
        let undo: Vec<Target> = targets.iter().map(Target::reversed).collect();
        match self.update(&undo) {
            Ok(()) => Err(Error::runtime(format!(
                "{}; the updates written before it were undone, so nothing was written",
                e.message
            ))),
            Err(undo_err) => Err(Error::runtime(format!(
                "{}; the updates written before it could not be undone either: {}",
                e.message, undo_err.message
            ))
            .hint("run `changeset recover` to finish or undo this apply")),
        }
    }
}

impl Source for SheetsSource {
    fn describe(&self) -> SourceRef {
        SourceRef {
            kind: "sheets".into(),
            uri: self.spreadsheet_id.clone(),
            tab: self.tab.clone(),
        }
    }

    fn read(&mut self) -> Result<Catalog> {
        let title = self.title()?;
        let mut got = self.batch_get(
            Agent::Reader,
            &[a1::quote(&title)],
            "ROWS",
            "reading the sheet",
        )?;
        let mut lines = got.pop().unwrap_or_default().into_iter();
        let headers: Vec<String> = lines
            .next()
            .unwrap_or_default()
            .iter()
            .map(|v| cell_text(None, v).map(|h| h.trim().to_string()))
            .collect::<Result<_>>()?;
        if headers.iter().all(String::is_empty) {
            return Err(Error::input(format!(
                "tab `{title}` of spreadsheet {} is empty: it has no header row",
                self.spreadsheet_id
            ))
            .hint("the first row must hold the column names (SKU, Name, Category, ...)"));
        }
        let fields: Vec<Option<Field>> = headers
            .iter()
            .map(|h| Field::ALL.into_iter().find(|f| self.names.header(*f) == h))
            .collect();
        let mut rows = Vec::new();
        let mut sheet_rows = Vec::new();
        for (i, line) in lines.enumerate() {
            let mut cells: Vec<String> = line
                .iter()
                .enumerate()
                .map(|(c, v)| cell_text(fields.get(c).copied().flatten(), v))
                .collect::<Result<_>>()?;
            // Blank rows inside the table are skipped, like blank lines in a CSV file.
            if cells.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            if cells.len() < headers.len() {
                cells.resize(headers.len(), String::new());
            }
            rows.push(cells);
            sheet_rows.push(u32::try_from(i).unwrap_or(u32::MAX).saturating_add(2));
        }
        let catalog = Catalog::new(headers.clone(), rows, &self.names)
            .map_err(|e| e.context(format!("sheet `{title}`")))?;
        let key_col = catalog.column(Field::Sku).expect("checked by Catalog::new");
        let by_key = (0..catalog.rows.len())
            .map(|r| (catalog.key(r).to_string(), sheet_rows[r]))
            .collect();
        self.layout = Some(Layout {
            title,
            headers,
            fields,
            key_col,
            rows: by_key,
        });
        Ok(catalog)
    }

    fn read_cells(&mut self, cells: &[CellRef]) -> Result<Vec<Option<String>>> {
        let layout = self.layout()?;
        let located: Vec<Option<(u32, usize)>> = cells
            .iter()
            .map(|c| Some((*layout.rows.get(&c.key)?, layout.column(&c.field)?)))
            .collect();
        let fields: Vec<Option<Field>> = located
            .iter()
            .map(|l| l.and_then(|(_, col)| layout.field(col)))
            .collect();
        let key_col = layout.key_col;
        let rows: Vec<u32> = located.iter().flatten().map(|(r, _)| *r).collect();
        let cols: Vec<usize> = located.iter().flatten().map(|(_, c)| *c).collect();
        if rows.is_empty() {
            return Ok(vec![None; cells.len()]);
        }
        let agent = self.read_agent();
        let probe = self.probe(agent, &rows, &cols, false, "reading back the written cells")?;
        cells
            .iter()
            .zip(located)
            .zip(fields)
            .map(|((cell, at), field)| {
                let Some((row, col)) = at else {
                    return Ok(None);
                };
                // A row that no longer holds its key was moved: its cell cannot be verified.
                if cell_text(None, probe.get(key_col, row))?.trim() != cell.key {
                    return Ok(None);
                }
                cell_text(field, probe.get(col, row)).map(Some)
            })
            .collect()
    }

    fn write(&mut self, batch: &WriteBatch) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        // The updates, then the guards: all read in the one pre-write probe, only the updates
        // written.
        let located = self.locate(batch)?;
        let targets: Vec<Target> = located[..batch.updates.len()]
            .iter()
            .flatten()
            .cloned()
            .collect();
        let rows: Vec<u32> = located.iter().flatten().map(|t| t.row).collect();
        let cols: Vec<usize> = located.iter().flatten().map(|t| t.col).collect();
        let probe = self.probe(
            Agent::Writer,
            &rows,
            &cols,
            !batch.appends.is_empty(),
            "checking the cells before writing",
        )?;
        let found = self.found(&located, &probe)?;
        let layout = self.layout.as_ref().expect("located");
        let existing = probe.all_keys.as_ref();
        stale::check(
            batch,
            found,
            |h| layout.column(h).and_then(|c| layout.field(c)),
            &layout.headers[layout.key_col],
            |key| existing.is_some_and(|keys| keys.contains_key(key)),
            "sheet",
        )?;
        for t in &targets {
            self.originals
                .entry((t.row, t.col))
                .or_insert_with(|| probe.get(t.col, t.row).clone());
        }

        if !targets.is_empty() {
            self.update(&targets)?;
        }
        if batch.appends.is_empty() {
            return Ok(());
        }
        self.append_or_undo(&targets, &batch.appends)
    }

    fn authorize_write(&mut self) -> Result<Vec<Delegation>> {
        let writer = self.tokens.fetch(Agent::Writer)?;
        self.writer = Some(writer);
        Ok([&self.reader, &self.writer]
            .into_iter()
            .flatten()
            .map(|t| t.grant.clone())
            .collect())
    }
}
