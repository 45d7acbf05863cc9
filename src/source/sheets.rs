//! A Google Sheets tab as the catalog (DESIGN section 8), with a constant number of requests
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

use std::collections::HashMap;

use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::{Grant, Source};
use crate::catalog::{Catalog, CellRef, ColumnNames, Field, SourceRef, WriteBatch, value};
use crate::error::{Error, Result};
use crate::google::a1;
use crate::google::http::{self, Effect, Failure, Limits, Request, Retry, encode};
use crate::google::token::{Agent, GoogleToken, Lease, TokenSource};

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
    header: String,
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

/// Column values read over a span of rows, by column.
struct Probe {
    first: u32,
    columns: HashMap<usize, Vec<Value>>,
    /// Every key of the tab (key → row), when the whole key column was read.
    all_keys: Option<HashMap<String, u32>>,
}

impl Probe {
    fn get(&self, col: usize, row: u32) -> &Value {
        row.checked_sub(self.first)
            .and_then(|i| self.columns.get(&col)?.get(usize::try_from(i).ok()?))
            .unwrap_or(&Value::Null)
    }
}

/// What a read-back after a lost answer found.
enum Settled {
    Landed,
    NotLanded,
    /// Neither: the error says what was found.
    Mixed(Error),
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

    fn url(&self, rest: &str) -> String {
        format!(
            "{}/v4/spreadsheets/{}{rest}",
            self.base,
            encode(&self.spreadsheet_id)
        )
    }

    /// Sends one request as an agent.
    fn call(
        &mut self,
        agent: Agent,
        req: &Request,
        retry: &mut Retry,
    ) -> std::result::Result<Value, Failure> {
        let slot = match agent {
            Agent::Writer => &mut self.writer,
            _ => &mut self.reader,
        };
        let mut lease = Lease {
            source: self.tokens.as_mut(),
            slot,
            agent,
        };
        http::call(req, &mut lease, retry)
    }

    /// The reads after approval use the writer's token (it may read what it writes); before
    /// approval only the reader's exists.
    fn read_agent(&self) -> Agent {
        if self.writer.is_some() {
            Agent::Writer
        } else {
            Agent::Reader
        }
    }

    /// The tab to use: the one named, else the first visible tab (one metadata read, once).
    fn title(&mut self) -> Result<String> {
        if let Some(tab) = &self.tab {
            return Ok(tab.clone());
        }
        let req = Request {
            method: Method::GET,
            url: self.url(&format!(
                "?fields={}",
                encode("sheets(properties(title,hidden))")
            )),
            body: None,
            effect: Effect::Read,
            what: "finding the first tab".into(),
            api: API,
        };
        let answer = self
            .call(Agent::Reader, &req, &mut Retry::new(self.limits))
            .map_err(Failure::into_error)?;
        let title = answer["sheets"]
            .as_array()
            .ok_or_else(|| http::malformed(&req, "no `sheets` list"))?
            .iter()
            .map(|s| &s["properties"])
            .find(|p| p["hidden"] != Value::Bool(true))
            .and_then(|p| p["title"].as_str())
            .ok_or_else(|| {
                Error::input(format!(
                    "spreadsheet {} has no visible tab",
                    self.spreadsheet_id
                ))
            })?
            .to_string();
        self.tab = Some(title.clone());
        Ok(title)
    }

    /// One `values:batchGet`; the values of each range, in order, checked for shape.
    fn batch_get(
        &mut self,
        agent: Agent,
        ranges: &[String],
        major: &str,
        what: &str,
    ) -> Result<Vec<Vec<Vec<Value>>>> {
        let mut query: Vec<String> = ranges
            .iter()
            .map(|r| format!("ranges={}", encode(r)))
            .collect();
        query.push(format!("majorDimension={major}"));
        query.push("valueRenderOption=UNFORMATTED_VALUE".into());
        query.push("dateTimeRenderOption=SERIAL_NUMBER".into());
        let req = Request {
            method: Method::GET,
            url: self.url(&format!("/values:batchGet?{}", query.join("&"))),
            body: None,
            effect: Effect::Read,
            what: what.into(),
            api: API,
        };
        let answer = self
            .call(agent, &req, &mut Retry::new(self.limits))
            .map_err(Failure::into_error)?;
        let ranges_got = answer["valueRanges"]
            .as_array()
            .filter(|v| v.len() == ranges.len())
            .ok_or_else(|| {
                http::malformed(&req, &format!("expected {} value ranges", ranges.len()))
            })?;
        ranges_got
            .iter()
            .map(|vr| {
                if let Some(m) = vr.get("majorDimension").and_then(Value::as_str)
                    && m != major
                {
                    return Err(http::malformed(
                        &req,
                        &format!("rows came as {m}, not {major}"),
                    ));
                }
                match vr.get("values") {
                    None | Some(Value::Null) => Ok(Vec::new()),
                    Some(Value::Array(lines)) => lines
                        .iter()
                        .map(|line| match line {
                            Value::Array(cells) if cells.iter().all(is_scalar) => Ok(cells.clone()),
                            _ => Err(http::malformed(&req, "a row is not a list of plain values")),
                        })
                        .collect(),
                    Some(_) => Err(http::malformed(&req, "`values` is not a list")),
                }
            })
            .collect()
    }

    fn layout(&mut self) -> Result<&Layout> {
        if self.layout.is_none() {
            self.read()?;
        }
        Ok(self.layout.as_ref().expect("read sets the layout"))
    }

    /// Reads the key column and the given columns over rows `first..=last` (majorDimension
    /// COLUMNS: one list per column), plus the whole key column when `all_keys`.
    fn probe(
        &mut self,
        agent: Agent,
        rows: &[u32],
        cols: &[usize],
        all_keys: bool,
        what: &str,
    ) -> Result<Probe> {
        let layout = self.layout()?;
        let (title, key_col) = (layout.title.clone(), layout.key_col);
        let first = rows.iter().copied().min().unwrap_or(2);
        let last = rows.iter().copied().max().unwrap_or(2);
        let mut columns: Vec<usize> = vec![key_col];
        for c in cols {
            if !columns.contains(c) {
                columns.push(*c);
            }
        }
        let mut ranges: Vec<String> = if rows.is_empty() {
            Vec::new()
        } else {
            columns
                .iter()
                .map(|c| a1::column_span(&title, *c, first, last))
                .collect()
        };
        if all_keys {
            ranges.push(a1::column_from(&title, key_col, 2));
        }
        if ranges.is_empty() {
            return Ok(Probe {
                first,
                columns: HashMap::new(),
                all_keys: None,
            });
        }
        let mut got = self.batch_get(agent, &ranges, "COLUMNS", what)?.into_iter();
        let span = usize::try_from(last - first + 1).unwrap_or(usize::MAX);
        let mut probe = Probe {
            first,
            columns: HashMap::new(),
            all_keys: None,
        };
        if !rows.is_empty() {
            for c in &columns {
                let column = single_column(got.next().unwrap_or_default(), what)?;
                if column.len() > span {
                    return Err(Error::runtime(format!(
                        "{API} sent more cells than asked for while {what}"
                    )));
                }
                probe.columns.insert(*c, column);
            }
        }
        if all_keys {
            let column = single_column(got.next().unwrap_or_default(), what)?;
            let mut keys = HashMap::new();
            for (i, v) in column.iter().enumerate() {
                let key = cell_text(None, v)?.trim().to_string();
                if !key.is_empty() {
                    keys.insert(key, u32::try_from(i).unwrap_or(u32::MAX).saturating_add(2));
                }
            }
            probe.all_keys = Some(keys);
        }
        Ok(probe)
    }

    /// Locates every update, or lists what cannot be found.
    fn locate(&mut self, batch: &WriteBatch) -> Result<(Vec<Target>, Vec<String>)> {
        let layout = self.layout()?;
        let mut targets = Vec::new();
        let mut missing = Vec::new();
        for w in &batch.updates {
            match (layout.rows.get(&w.key), layout.column(&w.field)) {
                (Some(row), Some(col)) => targets.push(Target {
                    key: w.key.clone(),
                    header: w.field.clone(),
                    row: *row,
                    col,
                    field: layout.field(col),
                    before: w.before.clone(),
                    after: w.after.clone(),
                }),
                _ => missing.push(format!("{} {}: the cell no longer exists", w.key, w.field)),
            }
        }
        Ok((targets, missing))
    }

    /// What does not hold what the targets expect (`before`), read in one request.
    fn conflicts(&self, targets: &[Target], probe: &Probe) -> Result<Vec<String>> {
        let key_col = self.layout.as_ref().expect("located").key_col;
        let mut conflicts = Vec::new();
        for t in targets {
            let key_now = cell_text(None, probe.get(key_col, t.row))?;
            if key_now.trim() != t.key {
                conflicts.push(format!(
                    "{} {}: row {} now holds `{}` (rows moved)",
                    t.key,
                    t.header,
                    t.row,
                    key_now.trim()
                ));
                continue;
            }
            let now = cell_text(t.field, probe.get(t.col, t.row))?;
            if !value::same(t.field, &t.before, &now) {
                conflicts.push(format!(
                    "{} {}: planned from `{}`, now `{now}`",
                    t.key, t.header, t.before
                ));
            }
        }
        Ok(conflicts)
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

    /// ONE `values:batchUpdate` for every target; a lost answer is settled by reading back.
    fn update(&mut self, targets: &[Target]) -> Result<()> {
        let title = self.layout.as_ref().expect("located").title.clone();
        let data: Vec<Value> = targets
            .iter()
            .map(|t| {
                json!({
                    "range": a1::cell(&title, t.col, t.row),
                    "majorDimension": "ROWS",
                    "values": [[self.typed(t)]],
                })
            })
            .collect();
        let req = Request {
            method: Method::POST,
            url: self.url("/values:batchUpdate"),
            body: Some(json!({
                "valueInputOption": "RAW",
                "includeValuesInResponse": false,
                "data": data,
            })),
            effect: Effect::Write,
            what: format!("writing {} cell(s)", targets.len()),
            api: API,
        };
        let mut retry = Retry::new(self.limits);
        loop {
            match self.call(Agent::Writer, &req, &mut retry) {
                Ok(answer) => {
                    let counted = answer["totalUpdatedCells"].as_u64();
                    if counted.is_some_and(|n| n != targets.len() as u64) {
                        eprintln!(
                            "note: {API} reports {} updated cells for {} sent; the read-back decides",
                            counted.unwrap_or_default(),
                            targets.len()
                        );
                    }
                    return Ok(());
                }
                Err(Failure::NoEffect(e)) => return Err(nothing_written(e)),
                Err(Failure::Unknown(e)) => {
                    eprintln!("note: {}; reading the cells back to find out", e.message);
                    let settled = self.settle(targets).map_err(|read| unknown(&e, &read))?;
                    match settled {
                        Settled::Landed => return Ok(()),
                        Settled::NotLanded if retry.wait(None) => {
                            eprintln!("note: the write did not land; sending it again");
                        }
                        Settled::NotLanded => return Err(nothing_written(e)),
                        Settled::Mixed(found) => return Err(found),
                    }
                }
            }
        }
    }

    /// After a lost answer: did the batch land (every cell holds `after`), or not at all
    /// (every cell holds `before`)? One batchUpdate is atomic, so anything else means someone
    /// else is writing too.
    fn settle(&mut self, targets: &[Target]) -> Result<Settled> {
        let rows: Vec<u32> = targets.iter().map(|t| t.row).collect();
        let cols: Vec<usize> = targets.iter().map(|t| t.col).collect();
        let probe = self.probe(
            Agent::Writer,
            &rows,
            &cols,
            false,
            "reading back a write whose answer was lost",
        )?;
        let (mut after, mut before) = (0, 0);
        for t in targets {
            let now = cell_text(t.field, probe.get(t.col, t.row))?;
            after += usize::from(value::same(t.field, &t.after, &now));
            before += usize::from(value::same(t.field, &t.before, &now));
        }
        if after == targets.len() {
            eprintln!("note: the write had landed; it is not sent again");
            Ok(Settled::Landed)
        } else if before == targets.len() {
            Ok(Settled::NotLanded)
        } else {
            Ok(Settled::Mixed(Error::runtime(format!(
                "the outcome of the write is unknown: of {} cells, {after} hold the new value and {before} the old one, so someone else is editing the sheet",
                targets.len()
            ))
            .hint("run `changeset recover` to finish or undo this apply")))
        }
    }

    /// One `values:append` of the new rows below the table; a lost answer is settled by
    /// looking for their keys.
    fn append(&mut self, rows: &[Vec<(String, String)>]) -> Result<()> {
        let layout = self.layout.as_ref().expect("located");
        let (title, width, key_col) = (layout.title.clone(), layout.headers.len(), layout.key_col);
        let mut keys = Vec::new();
        let values: Vec<Value> = rows
            .iter()
            .map(|row| {
                let text = |col: usize| {
                    row.iter()
                        .find(|(h, _)| *h == layout.headers[col])
                        .map(|(_, v)| v.as_str())
                        .unwrap_or("")
                };
                keys.push(text(key_col).trim().to_string());
                Value::Array(
                    (0..width)
                        .map(|c| typed_cell(layout.field(c), text(c)))
                        .collect(),
                )
            })
            .collect();
        let range = a1::row_span(&title, 1, width.saturating_sub(1));
        let req = Request {
            method: Method::POST,
            url: self.url(&format!(
                "/values/{}:append?valueInputOption=RAW&insertDataOption=INSERT_ROWS&includeValuesInResponse=false",
                encode(&range)
            )),
            body: Some(json!({ "range": range, "majorDimension": "ROWS", "values": values })),
            effect: Effect::Write,
            what: format!("adding {} row(s)", rows.len()),
            api: API,
        };
        let mut retry = Retry::new(self.limits);
        loop {
            match self.call(Agent::Writer, &req, &mut retry) {
                Ok(answer) => {
                    let placed = answer["updates"]["updatedRange"]
                        .as_str()
                        .and_then(a1::parse)
                        .filter(|r| r.tab == title)
                        .and_then(|r| r.start?.1);
                    match placed {
                        Some(first) => {
                            let layout = self.layout.as_mut().expect("located");
                            for (i, key) in keys.iter().enumerate() {
                                let row =
                                    first.saturating_add(u32::try_from(i).unwrap_or(u32::MAX));
                                layout.rows.insert(key.clone(), row);
                            }
                        }
                        // Landed, but where? The keys say.
                        None => match self.settle_append(&keys)? {
                            Settled::Landed => {}
                            Settled::NotLanded => {
                                return Err(http::malformed(
                                    &req,
                                    "it reports success, but the new rows are not in the sheet",
                                ));
                            }
                            Settled::Mixed(found) => return Err(found),
                        },
                    }
                    return Ok(());
                }
                Err(Failure::NoEffect(e)) => return Err(e),
                Err(Failure::Unknown(e)) => {
                    eprintln!("note: {}; looking for the new rows to find out", e.message);
                    let settled = self
                        .settle_append(&keys)
                        .map_err(|read| unknown(&e, &read))?;
                    match settled {
                        Settled::Landed => return Ok(()),
                        Settled::NotLanded if retry.wait(None) => {
                            eprintln!("note: the new rows did not land; sending them again");
                        }
                        Settled::NotLanded => return Err(e),
                        Settled::Mixed(found) => return Err(found),
                    }
                }
            }
        }
    }

    fn settle_append(&mut self, keys: &[String]) -> Result<Settled> {
        let probe = self.probe(Agent::Writer, &[], &[], true, "looking for new rows")?;
        let all = probe.all_keys.unwrap_or_default();
        let found: Vec<(&String, u32)> = keys
            .iter()
            .filter_map(|k| all.get(k).map(|r| (k, *r)))
            .collect();
        if found.len() == keys.len() {
            let layout = self.layout.as_mut().expect("located");
            for (k, row) in found {
                layout.rows.insert(k.clone(), row);
            }
            Ok(Settled::Landed)
        } else if found.is_empty() {
            Ok(Settled::NotLanded)
        } else {
            Ok(Settled::Mixed(
                Error::runtime(format!(
                    "only {} of {} new rows are in the sheet",
                    found.len(),
                    keys.len()
                ))
                .hint("run `changeset recover` to finish or undo this apply"),
            ))
        }
    }
}

/// A write whose answer was lost, and whose read-back failed too: its outcome is unknown.
fn unknown(write: &Error, read: &Error) -> Error {
    Error::runtime(format!(
        "{}, and reading it back failed: {}",
        write.message, read.message
    ))
    .hint("run `changeset recover` to finish or undo this apply")
}

fn nothing_written(e: Error) -> Error {
    if e.message.contains("nothing was written") {
        e
    } else {
        let mut e = e;
        e.message.push_str("; nothing was written");
        e
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
        let (targets, mut conflicts) = self.locate(batch)?;
        let rows: Vec<u32> = targets.iter().map(|t| t.row).collect();
        let cols: Vec<usize> = targets.iter().map(|t| t.col).collect();
        let probe = self.probe(
            Agent::Writer,
            &rows,
            &cols,
            !batch.appends.is_empty(),
            "checking the cells before writing",
        )?;
        conflicts.extend(self.conflicts(&targets, &probe)?);
        let layout = self.layout.as_ref().expect("located");
        let key_header = layout.headers[layout.key_col].clone();
        let existing = probe.all_keys.as_ref();
        for row in &batch.appends {
            if let Some((_, key)) = row.iter().find(|(h, _)| *h == key_header)
                && existing.is_some_and(|keys| keys.contains_key(key.trim()))
            {
                conflicts.push(format!("{key}: a row with this key exists now"));
            }
        }
        if !conflicts.is_empty() {
            return Err(Error::stale(format!(
                "the sheet changed since the plan was made; nothing was written:\n  {}",
                conflicts.join("\n  ")
            ))
            .hint("plan again against the current sheet"));
        }
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
        // Two requests are not atomic together: if the rows cannot be added, the updates are
        // undone so that the batch stays all-or-nothing.
        let Err(e) = self.append(&batch.appends) else {
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

    fn authorize_write(&mut self) -> Result<Vec<Grant>> {
        let writer = self.tokens.fetch(Agent::Writer)?;
        self.writer = Some(writer);
        Ok([&self.reader, &self.writer]
            .into_iter()
            .flatten()
            .map(|t| t.grant.clone())
            .collect())
    }
}

fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::Array(_) | Value::Object(_))
}

/// The single column of a COLUMNS-major range (empty when Google left it out as all blank).
fn single_column(lines: Vec<Vec<Value>>, what: &str) -> Result<Vec<Value>> {
    match lines.len() {
        0 => Ok(Vec::new()),
        1 => Ok(lines.into_iter().next().expect("one")),
        n => Err(Error::runtime(format!(
            "{API} sent {n} columns for a one-column range while {what}"
        ))),
    }
}

/// The catalog's text for a typed cell: strings as they are, booleans TRUE/FALSE, numbers in
/// their shortest form except prices, which get the two decimals the CSV form uses when they
/// have no more (so 90 reads back as `90.00` and compares exact with the plan).
fn cell_text(field: Option<Field>, v: &Value) -> Result<String> {
    Ok(match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => if *b { "TRUE" } else { "FALSE" }.into(),
        Value::Number(n) => number_text(field, n),
        _ => {
            return Err(Error::runtime(format!(
                "{API} sent a cell that is not a plain value"
            )));
        }
    })
}

fn number_text(field: Option<Field>, n: &serde_json::Number) -> String {
    let shortest = if let Some(i) = n.as_i64() {
        i.to_string()
    } else if let Some(u) = n.as_u64() {
        u.to_string()
    } else {
        let f = n.as_f64().unwrap_or_default();
        if f.fract() == 0.0 && f.abs() < 1e15 {
            format!("{f:.0}")
        } else {
            f.to_string()
        }
    };
    if field.is_some_and(Field::is_price)
        && let Ok(d) = shortest.parse::<Decimal>()
        && d.scale() <= 2
    {
        return value::money_text(d);
    }
    shortest
}

/// The typed value to write (RAW): prices as JSON numbers, Promo Active as a boolean, the
/// rest as strings. RAW stores strings as typed, so `00123` stays text and nothing is parsed
/// under the sheet's locale.
fn typed_cell(field: Option<Field>, text: &str) -> Value {
    match field {
        Some(f) if f.is_price() && !text.trim().is_empty() => match value::parse_money(text) {
            Some(d) => value::money_json(d),
            None => Value::String(text.to_string()),
        },
        Some(Field::PromoActive) if text.trim().eq_ignore_ascii_case("true") => Value::Bool(true),
        Some(Field::PromoActive) if text.trim().eq_ignore_ascii_case("false") => Value::Bool(false),
        _ => Value::String(text.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_cells_become_catalog_text() {
        let price = Some(Field::BasePrice);
        assert_eq!(cell_text(price, &json!(90)).unwrap(), "90.00");
        assert_eq!(cell_text(price, &json!(103.99)).unwrap(), "103.99");
        assert_eq!(cell_text(price, &json!(47.405)).unwrap(), "47.405");
        assert_eq!(cell_text(None, &json!(90.0)).unwrap(), "90");
        assert_eq!(cell_text(None, &json!(0.1)).unwrap(), "0.1");
        assert_eq!(cell_text(None, &json!(45900.5)).unwrap(), "45900.5");
        assert_eq!(
            cell_text(Some(Field::PromoActive), &json!(true)).unwrap(),
            "TRUE"
        );
        assert_eq!(cell_text(None, &Value::Null).unwrap(), "");
        assert_eq!(cell_text(None, &json!("00123")).unwrap(), "00123");
        assert!(cell_text(None, &json!({"a": 1})).is_err());
    }

    #[test]
    fn writes_are_typed_for_their_column() {
        assert_eq!(typed_cell(Some(Field::PromoPrice), "103.99"), json!(103.99));
        assert_eq!(typed_cell(Some(Field::PromoPrice), ""), json!(""));
        assert_eq!(typed_cell(Some(Field::PromoActive), "TRUE"), json!(true));
        assert_eq!(typed_cell(Some(Field::PromoActive), "false"), json!(false));
        assert_eq!(typed_cell(Some(Field::Sku), "00123"), json!("00123"));
        assert_eq!(
            typed_cell(Some(Field::Inventory), "in_stock"),
            json!("in_stock")
        );
    }
}
