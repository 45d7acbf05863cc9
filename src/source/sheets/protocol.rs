//! The Sheets values API as this source uses it: one request per step, under the retry policy
//! of `google::http`, and the one send-then-settle loop for writes whose answer may be lost.

use std::collections::HashMap;

use reqwest::Method;
use serde_json::{Value, json};

use super::codec::{cell_text, is_scalar, single_column, typed_cell};
use super::{API, Layout, SheetsSource, Target};
use crate::catalog::value;
use crate::error::{Error, Result};
use crate::google::a1;
use crate::google::http::{self, Effect, Failure, Request, Retry, encode};
use crate::google::token::{Agent, Lease};
use crate::report::note;

/// Column values read over a span of rows, by column.
pub(super) struct Probe {
    pub(super) first: u32,
    pub(super) columns: HashMap<usize, Vec<Value>>,
    /// Every key of the tab (key → row), when the whole key column was read.
    pub(super) all_keys: Option<HashMap<String, u32>>,
}

impl Probe {
    pub(super) fn get(&self, col: usize, row: u32) -> &Value {
        row.checked_sub(self.first)
            .and_then(|i| self.columns.get(&col)?.get(usize::try_from(i).ok()?))
            .unwrap_or(&Value::Null)
    }
}

/// What a read-back after a lost answer found.
pub(super) enum Settled {
    Landed,
    NotLanded,
    /// Neither: the error says what was found.
    Mixed(Error),
}
impl SheetsSource {
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
    pub(super) fn read_agent(&self) -> Agent {
        if self.writer.is_some() {
            Agent::Writer
        } else {
            Agent::Reader
        }
    }

    /// The tab to use: the one named, else the first visible tab (one metadata read, once).
    pub(super) fn title(&mut self) -> Result<String> {
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
    pub(super) fn batch_get(
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

    /// Reads the key column and the given columns over rows `first..=last` (majorDimension
    /// COLUMNS: one list per column), plus the whole key column when `all_keys`.
    pub(super) fn probe(
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
            probe.all_keys = Some(keys_by_row(&column)?);
        }
        Ok(probe)
    }

    /// ONE `values:batchUpdate` for every target; a lost answer is settled by reading back.
    pub(super) fn update(&mut self, targets: &[Target]) -> Result<()> {
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
        let sent = targets.len();
        self.send_settled(
            &req,
            (
                "reading the cells back to find out",
                "the write did not land; sending it again",
            ),
            nothing_written,
            |_, answer| {
                let counted = answer["totalUpdatedCells"].as_u64();
                if counted.is_some_and(|n| n != sent as u64) {
                    note(&format!(
                        "{API} reports {} updated cells for {sent} sent; the read-back decides",
                        counted.unwrap_or_default()
                    ));
                }
                Ok(())
            },
            |this| this.settle(targets),
        )
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
            note("the write had landed; it is not sent again");
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
    pub(super) fn append(&mut self, rows: &[Vec<(String, String)>]) -> Result<()> {
        let layout = self.layout.as_ref().expect("located");
        let (title, width) = (layout.title.clone(), layout.headers.len());
        let (values, keys) = new_rows(layout, rows);
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
        self.send_settled(
            &req,
            (
                "looking for the new rows to find out",
                "the new rows did not land; sending them again",
            ),
            // The caller says what became of the updates sent before the rows.
            |e| e,
            |this, answer| {
                let placed = answer["updates"]["updatedRange"]
                    .as_str()
                    .and_then(a1::parse)
                    .filter(|r| r.tab == title)
                    .and_then(|r| r.start?.1);
                let Some(first) = placed else {
                    // Landed, but where? The keys say.
                    return match this.settle_append(&keys)? {
                        Settled::Landed => Ok(()),
                        Settled::NotLanded => Err(http::malformed(
                            &req,
                            "it reports success, but the new rows are not in the sheet",
                        )),
                        Settled::Mixed(found) => Err(found),
                    };
                };
                let layout = this.layout.as_mut().expect("located");
                for (i, key) in keys.iter().enumerate() {
                    let row = first.saturating_add(u32::try_from(i).unwrap_or(u32::MAX));
                    layout.rows.insert(key.clone(), row);
                }
                Ok(())
            },
            |this| this.settle_append(&keys),
        )
    }

    /// Sends one write; a lost answer (timeout, dropped connection, 5xx) is settled by reading
    /// back, and the write is sent again only when nothing of it landed. `notes` say what is
    /// done after a lost answer and before a resend; `nothing_landed` words the error when the
    /// write surely did not land.
    fn send_settled(
        &mut self,
        req: &Request,
        notes: (&str, &str),
        nothing_landed: fn(Error) -> Error,
        accept: impl FnOnce(&mut Self, Value) -> Result<()>,
        mut settle: impl FnMut(&mut Self) -> Result<Settled>,
    ) -> Result<()> {
        let mut retry = Retry::new(self.limits);
        loop {
            match self.call(Agent::Writer, req, &mut retry) {
                Ok(answer) => return accept(self, answer),
                Err(Failure::NoEffect(e)) => return Err(nothing_landed(e)),
                Err(Failure::Unknown(e)) => {
                    note(&format!("{}; {}", e.message, notes.0));
                    match settle(self).map_err(|read| unknown(&e, &read))? {
                        Settled::Landed => return Ok(()),
                        Settled::NotLanded if retry.wait(None) => note(notes.1),
                        Settled::NotLanded => return Err(nothing_landed(e)),
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

/// The typed rows to append, in the tab's column order, and their keys.
fn new_rows(layout: &Layout, rows: &[Vec<(String, String)>]) -> (Vec<Value>, Vec<String>) {
    let mut keys = Vec::new();
    let values = rows
        .iter()
        .map(|row| {
            let text = |col: usize| {
                row.iter()
                    .find(|(h, _)| *h == layout.headers[col])
                    .map(|(_, v)| v.as_str())
                    .unwrap_or("")
            };
            keys.push(text(layout.key_col).trim().to_string());
            Value::Array(
                (0..layout.headers.len())
                    .map(|c| typed_cell(layout.field(c), text(c)))
                    .collect(),
            )
        })
        .collect();
    (values, keys)
}

/// Every non-empty key of a key column read from row 2 down, with its sheet row.
fn keys_by_row(column: &[Value]) -> Result<HashMap<String, u32>> {
    let mut keys = HashMap::new();
    for (i, v) in column.iter().enumerate() {
        let key = cell_text(None, v)?.trim().to_string();
        if !key.is_empty() {
            keys.insert(key, u32::try_from(i).unwrap_or(u32::MAX).saturating_add(2));
        }
    }
    Ok(keys)
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
