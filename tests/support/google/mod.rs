//! A stateful fake of the Google Sheets values API and Gmail send, on loopback, for tests.
//!
//! It speaks just enough HTTP/1.1 (one request per connection, `Connection: close`) and keeps
//! typed cells like Sheets does (numbers, booleans, strings). It implements the calls
//! `changeset` makes — spreadsheet metadata, `values:batchGet`, `values:batchUpdate`,
//! `values:{range}:append`, `gmail/v1/users/me/messages/send` — with Google's semantics where
//! they matter: A1 ranges with quoted tab names, trailing empties left out of answers, RAW
//! writes applied atomically per request, error bodies in the `google.rpc.Status` shape, scopes
//! checked per bearer token. Every request is recorded, and faults can be injected.
//!
//! The A1 parser here is written independently of the crate's, so the two check each other.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use base64::Engine;
use serde_json::{Value, json};

pub const SCOPE_READ: &str = "https://www.googleapis.com/auth/spreadsheets.readonly";
pub const SCOPE_WRITE: &str = "https://www.googleapis.com/auth/spreadsheets";
pub const SCOPE_GMAIL: &str = "https://www.googleapis.com/auth/gmail.send";

/// Which API call a request was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Metadata,
    BatchGet,
    BatchUpdate,
    Append,
    GmailSend,
    Other,
}

impl Op {
    pub fn is_sheets(self) -> bool {
        !matches!(self, Op::GmailSend | Op::Other)
    }
}

/// One request as received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub op: Op,
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: String,
    pub token: Option<String>,
    /// The status answered (0 when the connection was dropped or hung).
    pub status: u16,
}

/// What an injected fault does.
#[derive(Debug, Clone)]
pub enum Action {
    /// 429 RESOURCE_EXHAUSTED with `Retry-After: secs`; nothing is done.
    RateLimit { retry_after: u64 },
    /// 500 INTERNAL; nothing is done.
    ServerError,
    /// Waits this long (past the client's timeout), then closes without doing anything.
    Hang { secs: f64 },
    /// Does the request, then closes the connection without answering.
    DropResponse,
    /// A concurrent editor sets a cell (tab, key, header) just before the request is handled.
    EditBefore {
        key: String,
        header: String,
        value: Value,
    },
    /// Does the request, then something in the sheet (a formula, a validation rule, another
    /// writer) changes one cell.
    EditAfter {
        key: String,
        header: String,
        value: Value,
    },
    /// Answers 200 with this body; nothing is done.
    Garbage { body: String },
    /// Answers 401 UNAUTHENTICATED; nothing is done.
    Unauthorized,
    /// Answers 400 INVALID_ARGUMENT with this message; nothing is done.
    Invalid { message: String },
}

/// A fault that fires on the `(skip + 1)`-th request of an op, once.
#[derive(Debug, Clone)]
pub struct Fault {
    pub op: Op,
    pub skip: usize,
    pub action: Action,
}

/// One tab: a grid of typed cells (Null = empty).
#[derive(Debug, Clone)]
pub struct Tab {
    pub title: String,
    pub hidden: bool,
    pub cells: Vec<Vec<Value>>,
    pub grid_rows: usize,
    pub grid_cols: usize,
}

#[derive(Default)]
pub struct State {
    pub spreadsheet_id: String,
    pub tabs: Vec<Tab>,
    pub tokens: HashMap<String, Vec<String>>,
    pub requests: Vec<Recorded>,
    pub faults: Vec<Fault>,
    /// Sent messages, decoded from base64url.
    pub mail: Vec<String>,
    pub lookup: Option<TokenLookup>,
    /// Every BatchGet after a write that worked hangs this long: a writer that is then killed
    /// has written and not yet read back.
    pub hang_reads_after_write: Option<f64>,
}

/// Looks up the scopes of a token the fake was not told about (e.g. one the test IdP minted).
pub type TokenLookup = Arc<dyn Fn(&str) -> Option<Vec<String>> + Send + Sync>;

pub struct FakeGoogle {
    port: u16,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
}

impl Drop for FakeGoogle {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

impl FakeGoogle {
    /// Starts a server for one spreadsheet on a free loopback port.
    pub fn start(spreadsheet_id: &str) -> FakeGoogle {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State {
            spreadsheet_id: spreadsheet_id.to_string(),
            ..State::default()
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (state.clone(), stop.clone());
        thread::spawn(move || {
            for stream in listener.incoming() {
                if st.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let s = s.clone();
                thread::spawn(move || handle(stream, &s));
            }
        });
        FakeGoogle { port, state, stop }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap()
    }

    pub fn add_tab(&self, title: &str, cells: Vec<Vec<Value>>) {
        let rows = cells.len().max(1000);
        let cols = cells.iter().map(Vec::len).max().unwrap_or(0).max(26);
        self.state().tabs.push(Tab {
            title: title.to_string(),
            hidden: false,
            cells,
            grid_rows: rows,
            grid_cols: cols,
        });
    }

    pub fn allow_token(&self, token: &str, scopes: &[&str]) {
        self.state()
            .tokens
            .insert(token.into(), scopes.iter().map(|s| s.to_string()).collect());
    }

    /// Accepts tokens the lookup knows, with the scopes it gives (like Google's token info).
    pub fn trust(&self, lookup: TokenLookup) {
        self.state().lookup = Some(lookup);
    }

    pub fn inject(&self, op: Op, skip: usize, action: Action) {
        self.state().faults.push(Fault { op, skip, action });
    }

    /// From now on (None: no longer), every BatchGet after a successful BatchUpdate hangs.
    pub fn hang_reads_after_write(&self, secs: Option<f64>) {
        self.state().hang_reads_after_write = secs;
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state().requests.clone()
    }

    pub fn count(&self, op: Op) -> usize {
        self.state().requests.iter().filter(|r| r.op == op).count()
    }

    pub fn sheets_requests(&self) -> usize {
        self.state()
            .requests
            .iter()
            .filter(|r| r.op.is_sheets())
            .count()
    }

    pub fn clear_requests(&self) {
        self.state().requests.clear();
    }

    pub fn mail(&self) -> Vec<String> {
        self.state().mail.clone()
    }

    pub fn cells(&self, tab: &str) -> Vec<Vec<Value>> {
        let state = self.state();
        state
            .tabs
            .iter()
            .find(|t| t.title == tab)
            .expect("tab")
            .cells
            .clone()
    }

    /// The cell of the row whose first column is `key`, in the column headed `header`.
    pub fn cell(&self, tab: &str, key: &str, header: &str) -> Value {
        let state = self.state();
        let t = state.tabs.iter().find(|t| t.title == tab).expect("tab");
        let (r, c) = locate(t, key, header).expect("cell");
        t.cells[r].get(c).cloned().unwrap_or(Value::Null)
    }

    pub fn set_cell(&self, tab: &str, key: &str, header: &str, value: Value) {
        let mut state = self.state();
        let t = state.tabs.iter_mut().find(|t| t.title == tab).expect("tab");
        edit(t, key, header, value);
    }
}

fn locate(t: &Tab, key: &str, header: &str) -> Option<(usize, usize)> {
    let c = t.cells.first()?.iter().position(|h| h == header)?;
    let r = t
        .cells
        .iter()
        .position(|row| row.first().and_then(Value::as_str) == Some(key))?;
    Some((r, c))
}

fn edit(t: &mut Tab, key: &str, header: &str, value: Value) {
    let (r, c) = locate(t, key, header).expect("cell to edit");
    let row = &mut t.cells[r];
    if row.len() <= c {
        row.resize(c + 1, Value::Null);
    }
    row[c] = value;
}

/// Rows of the default schema from a CSV file, typed as Sheets would hold them: prices as
/// numbers, Promo Active as booleans, the rest as strings, blanks as empty cells.
pub fn typed_rows_from_csv(text: &str) -> Vec<Vec<Value>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut rows: Vec<Vec<Value>> = Vec::new();
    let mut headers: Vec<String> = Vec::new();
    for record in reader.records() {
        let record = record.unwrap();
        if headers.is_empty() {
            headers = record.iter().map(str::to_string).collect();
            rows.push(headers.iter().map(|h| json!(h)).collect());
            continue;
        }
        rows.push(
            record
                .iter()
                .zip(&headers)
                .map(|(cell, h)| typed(h, cell))
                .collect(),
        );
    }
    rows
}

fn typed(header: &str, cell: &str) -> Value {
    if cell.is_empty() {
        return Value::Null;
    }
    match header {
        "Base Price" | "Promo Price" => {
            serde_json::from_str::<serde_json::Number>(cell).map_or(json!(cell), Value::Number)
        }
        "Promo Active" => json!(cell.eq_ignore_ascii_case("true")),
        _ => json!(cell),
    }
}

/// A header row and `n` generated products in one category, typed. Promos are active without a
/// promo price, so "take P% off all <category>" makes exactly one change per product.
pub fn generated_products(prefix: &str, category: &str, n: usize) -> Vec<Vec<Value>> {
    let mut rows = vec![header_row()];
    for i in 1..=n {
        rows.push(vec![
            json!(format!("{prefix}-{i:04}")),
            json!(format!("{category} item {i}")),
            json!(category),
            json!(100 + (i % 50)),
            Value::Null,
            json!(true),
            json!("in_stock"),
            Value::Null,
        ]);
    }
    rows
}

pub fn header_row() -> Vec<Value> {
    [
        "SKU",
        "Name",
        "Category",
        "Base Price",
        "Promo Price",
        "Promo Active",
        "Inventory",
        "Image URL",
    ]
    .iter()
    .map(|h| json!(h))
    .collect()
}

// ---------------------------------------------------------------------------------------------
// HTTP

struct Req {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    token: Option<String>,
    body: String,
}

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Value,
}

fn ok(body: Value) -> Answer {
    Answer {
        status: 200,
        headers: Vec::new(),
        body,
    }
}

fn error(status: u16, code: &str, message: &str) -> Answer {
    Answer {
        status,
        headers: Vec::new(),
        body: json!({"error": {"code": status, "status": code, "message": message}}),
    }
}

fn read_request(stream: &mut TcpStream) -> Option<Req> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut length = 0usize;
    let mut token = None;
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (name, value) = h.split_once(':')?;
        let value = value.trim();
        match name.to_ascii_lowercase().as_str() {
            "content-length" => length = value.parse().ok()?,
            "authorization" => token = value.strip_prefix("Bearer ").map(str::to_string),
            _ => {}
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (target, String::new()),
    };
    let query = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect();
    Some(Req {
        method,
        path: decode(&path),
        query,
        token,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn write_answer(stream: &mut TcpStream, a: &Answer) {
    let body = a.body.to_string();
    let reason = match a.status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        _ => "Error",
    };
    let mut head = format!(
        "HTTP/1.1 {} {reason}\r\nContent-Type: application/json; charset=UTF-8\r\nContent-Length: {}\r\nConnection: close\r\n",
        a.status,
        body.len()
    );
    for (k, v) in &a.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body.as_bytes());
    let _ = stream.flush();
}

fn op_of(req: &Req) -> Op {
    let p = req.path.as_str();
    if p == "/gmail/v1/users/me/messages/send" && req.method == "POST" {
        Op::GmailSend
    } else if p.ends_with("/values:batchGet") && req.method == "GET" {
        Op::BatchGet
    } else if p.ends_with("/values:batchUpdate") && req.method == "POST" {
        Op::BatchUpdate
    } else if p.contains("/values/") && p.ends_with(":append") && req.method == "POST" {
        Op::Append
    } else if p.starts_with("/v4/spreadsheets/")
        && p.matches('/').count() == 3
        && req.method == "GET"
    {
        Op::Metadata
    } else {
        Op::Other
    }
}

fn handle(mut stream: TcpStream, state: &Arc<Mutex<State>>) {
    let Some(req) = read_request(&mut stream) else {
        return;
    };
    let op = op_of(&req);
    let index = {
        let mut s = state.lock().unwrap();
        s.requests.push(Recorded {
            op,
            method: req.method.clone(),
            path: req.path.clone(),
            query: req.query.clone(),
            body: req.body.clone(),
            token: req.token.clone(),
            status: 0,
        });
        s.requests.len() - 1
    };
    let fault = {
        let mut s = state.lock().unwrap();
        let pos = s.faults.iter().position(|f| f.op == op);
        match pos {
            Some(i) if s.faults[i].skip > 0 => {
                s.faults[i].skip -= 1;
                None
            }
            Some(i) => Some(s.faults.remove(i).action),
            None => s
                .hang_reads_after_write
                .filter(|_| {
                    op == Op::BatchGet
                        && s.requests
                            .iter()
                            .any(|r| r.op == Op::BatchUpdate && r.status == 200)
                })
                .map(|secs| Action::Hang { secs }),
        }
    };
    let set_status = |status: u16| state.lock().unwrap().requests[index].status = status;
    let answer = match fault {
        Some(Action::Hang { secs }) => {
            thread::sleep(Duration::from_secs_f64(secs));
            let _ = stream.shutdown(Shutdown::Both);
            return;
        }
        Some(Action::RateLimit { retry_after }) => {
            let mut a = error(
                429,
                "RESOURCE_EXHAUSTED",
                "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per user'",
            );
            a.headers
                .push(("Retry-After".into(), retry_after.to_string()));
            a
        }
        Some(Action::ServerError) => error(500, "INTERNAL", "Internal error encountered."),
        Some(Action::Unauthorized) => error(
            401,
            "UNAUTHENTICATED",
            "Request had invalid authentication credentials.",
        ),
        Some(Action::Invalid { message }) => error(400, "INVALID_ARGUMENT", &message),
        Some(Action::Garbage { body }) => {
            set_status(200);
            let _ = stream.write_all(
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                )
                .as_bytes(),
            );
            return;
        }
        Some(Action::EditBefore { key, header, value }) => {
            {
                let mut s = state.lock().unwrap();
                let tab = &mut s.tabs[0];
                edit(tab, &key, &header, value);
            }
            route(&req, op, state)
        }
        Some(Action::DropResponse) => {
            let a = route(&req, op, state);
            assert_eq!(
                a.status, 200,
                "a dropped answer must be for a request that worked: {:?}",
                a.body
            );
            let _ = stream.shutdown(Shutdown::Both);
            return;
        }
        Some(Action::EditAfter { key, header, value }) => {
            let a = route(&req, op, state);
            let mut s = state.lock().unwrap();
            let tab = &mut s.tabs[0];
            edit(tab, &key, &header, value);
            a
        }
        None => route(&req, op, state),
    };
    set_status(answer.status);
    write_answer(&mut stream, &answer);
}

fn route(req: &Req, op: Op, state: &Arc<Mutex<State>>) -> Answer {
    let mut s = state.lock().unwrap();
    let needed = match op {
        Op::Metadata | Op::BatchGet => &[SCOPE_READ, SCOPE_WRITE][..],
        Op::BatchUpdate | Op::Append => &[SCOPE_WRITE][..],
        Op::GmailSend => &[SCOPE_GMAIL][..],
        Op::Other => return error(404, "NOT_FOUND", "Method not found."),
    };
    if let (Some(token), Some(lookup)) = (&req.token, s.lookup.clone())
        && !s.tokens.contains_key(token)
        && let Some(scopes) = lookup(token)
    {
        s.tokens.insert(token.clone(), scopes);
    }
    let Some(scopes) = req.token.as_ref().and_then(|t| s.tokens.get(t)) else {
        return error(
            401,
            "UNAUTHENTICATED",
            "Request had invalid authentication credentials. Expected OAuth 2 access token.",
        );
    };
    if !needed.iter().any(|n| scopes.iter().any(|s| s == n)) {
        return error(
            403,
            "PERMISSION_DENIED",
            "Request had insufficient authentication scopes.",
        );
    }
    if op == Op::GmailSend {
        return gmail_send(req, &mut s);
    }
    let id = req.path.split('/').nth(3).unwrap_or_default();
    let id = id.split(':').next().unwrap_or_default();
    if id != s.spreadsheet_id {
        return error(404, "NOT_FOUND", "Requested entity was not found.");
    }
    match op {
        Op::Metadata => ok(json!({
            "spreadsheetId": s.spreadsheet_id,
            "sheets": s.tabs.iter().enumerate().map(|(i, t)| {
                let mut p = json!({"sheetId": i, "title": t.title, "index": i});
                if t.hidden { p["hidden"] = json!(true); }
                json!({"properties": p})
            }).collect::<Vec<_>>(),
        })),
        Op::BatchGet => batch_get(req, &s),
        Op::BatchUpdate => batch_update(req, &mut s),
        Op::Append => append(req, &mut s),
        _ => unreachable!(),
    }
}

// ---------------------------------------------------------------------------------------------
// A1 ranges

/// A parsed range: tab index and an inclusive rectangle (0-based); None ends mean "to the end".
#[derive(Debug, Clone, Copy)]
struct Rect {
    tab: usize,
    r0: usize,
    c0: usize,
    r1: Option<usize>,
    c1: Option<usize>,
}

fn parse_range(s: &State, text: &str) -> Result<Rect, Answer> {
    let bad = || {
        error(
            400,
            "INVALID_ARGUMENT",
            &format!("Unable to parse range: {text}"),
        )
    };
    let (name, cells): (String, String) = if let Some(rest) = text.strip_prefix('\'') {
        let chars: Vec<char> = rest.chars().collect();
        let mut i = 0;
        let mut name = String::new();
        loop {
            match chars.get(i) {
                Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                    name.push('\'');
                    i += 2;
                }
                Some('\'') => {
                    i += 1;
                    break;
                }
                Some(c) => {
                    name.push(*c);
                    i += 1;
                }
                None => return Err(bad()),
            }
        }
        (name, chars[i..].iter().collect())
    } else {
        match text.find('!') {
            Some(i) => (text[..i].to_string(), text[i..].to_string()),
            None => (text.to_string(), String::new()),
        }
    };
    let tab = s
        .tabs
        .iter()
        .position(|t| t.title == name)
        .ok_or_else(bad)?;
    if cells.is_empty() {
        return Ok(Rect {
            tab,
            r0: 0,
            c0: 0,
            r1: None,
            c1: None,
        });
    }
    let cells = cells.strip_prefix('!').ok_or_else(bad)?;
    let (a, b) = cells.split_once(':').unwrap_or((cells, cells));
    let (c0, r0) = cell(a).ok_or_else(bad)?;
    let (c1, r1) = cell(b).ok_or_else(bad)?;
    Ok(Rect {
        tab,
        r0: r0.unwrap_or(1) - 1,
        c0,
        r1: r1.map(|r| r - 1),
        c1: Some(c1),
    })
}

fn cell(text: &str) -> Option<(usize, Option<usize>)> {
    let letters: String = text.chars().take_while(char::is_ascii_uppercase).collect();
    let digits = &text[letters.len()..];
    if letters.is_empty() {
        return None;
    }
    let col = letters
        .bytes()
        .fold(0usize, |n, b| n * 26 + usize::from(b - b'A' + 1))
        - 1;
    let row = if digits.is_empty() {
        None
    } else {
        Some(digits.parse::<usize>().ok().filter(|r| *r > 0)?)
    };
    Some((col, row))
}

fn col_name(mut c: usize) -> String {
    let mut s = Vec::new();
    c += 1;
    while c > 0 {
        s.push(b'A' + ((c - 1) % 26) as u8);
        c = (c - 1) / 26;
    }
    s.reverse();
    String::from_utf8(s).unwrap()
}

fn quoted(title: &str) -> String {
    format!("'{}'", title.replace('\'', "''"))
}

fn is_empty(v: &Value) -> bool {
    v.is_null() || v.as_str() == Some("")
}

fn batch_get(req: &Req, s: &State) -> Answer {
    let param = |k: &str| {
        req.query
            .iter()
            .find(|(q, _)| q == k)
            .map(|(_, v)| v.as_str())
    };
    let major = param("majorDimension").unwrap_or("ROWS");
    let formatted = param("valueRenderOption").unwrap_or("FORMATTED_VALUE") == "FORMATTED_VALUE";
    let mut out = Vec::new();
    for (_, text) in req.query.iter().filter(|(k, _)| k == "ranges") {
        let rect = match parse_range(s, text) {
            Ok(r) => r,
            Err(a) => return a,
        };
        let t = &s.tabs[rect.tab];
        let r1 = rect.r1.unwrap_or(t.grid_rows - 1);
        let c1 = rect.c1.unwrap_or(t.grid_cols - 1);
        if r1 >= t.grid_rows || c1 >= t.grid_cols {
            return error(
                400,
                "INVALID_ARGUMENT",
                &format!(
                    "Range ({text}) exceeds grid limits. Max rows: {}, max columns: {}",
                    t.grid_rows, t.grid_cols
                ),
            );
        }
        let get = |r: usize, c: usize| -> Value {
            let v = t
                .cells
                .get(r)
                .and_then(|row| row.get(c))
                .cloned()
                .unwrap_or(Value::Null);
            match v {
                Value::Null => json!(""),
                Value::Number(n) if formatted => json!(format!("${n}")),
                Value::Bool(b) if formatted => json!(if b { "TRUE" } else { "FALSE" }),
                v => v,
            }
        };
        // Lines along the major dimension, each with trailing empties left out, then trailing
        // empty lines left out.
        let (outer, inner) = if major == "COLUMNS" {
            (
                (rect.c0..=c1).collect::<Vec<_>>(),
                (rect.r0..=r1).collect::<Vec<_>>(),
            )
        } else {
            (
                (rect.r0..=r1).collect::<Vec<_>>(),
                (rect.c0..=c1).collect::<Vec<_>>(),
            )
        };
        let mut lines: Vec<Vec<Value>> = outer
            .iter()
            .map(|o| {
                let mut line: Vec<Value> = inner
                    .iter()
                    .map(|i| {
                        if major == "COLUMNS" {
                            get(*i, *o)
                        } else {
                            get(*o, *i)
                        }
                    })
                    .collect();
                while line.last().is_some_and(is_empty) {
                    line.pop();
                }
                line
            })
            .collect();
        while lines.last().is_some_and(Vec::is_empty) {
            lines.pop();
        }
        let mut vr = json!({
            "range": format!("{}!{}{}:{}{}", quoted(&t.title), col_name(rect.c0), rect.r0 + 1, col_name(c1), r1 + 1),
            "majorDimension": major,
        });
        if !lines.is_empty() {
            vr["values"] = json!(lines);
        }
        out.push(vr);
    }
    ok(json!({"spreadsheetId": s.spreadsheet_id, "valueRanges": out}))
}

fn set(t: &mut Tab, r: usize, c: usize, v: &Value) {
    if v.is_null() {
        return; // null skips the cell
    }
    while t.cells.len() <= r {
        t.cells.push(Vec::new());
    }
    let row = &mut t.cells[r];
    if row.len() <= c {
        row.resize(c + 1, Value::Null);
    }
    row[c] = if v.as_str() == Some("") {
        Value::Null
    } else {
        v.clone()
    };
}

fn batch_update(req: &Req, s: &mut State) -> Answer {
    let Ok(body) = serde_json::from_str::<Value>(&req.body) else {
        return error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.");
    };
    if body["valueInputOption"] != "RAW" && body["valueInputOption"] != "USER_ENTERED" {
        return error(400, "INVALID_ARGUMENT", "Invalid valueInputOption");
    }
    let Some(data) = body["data"].as_array() else {
        return error(400, "INVALID_ARGUMENT", "Invalid data");
    };
    // Validate everything first: one bad entry and nothing is applied.
    let mut plans = Vec::new();
    for (i, d) in data.iter().enumerate() {
        let text = d["range"].as_str().unwrap_or_default();
        let rect = match parse_range(s, text) {
            Ok(r) => r,
            Err(_) => {
                return error(
                    400,
                    "INVALID_ARGUMENT",
                    &format!("Invalid data[{i}]: Unable to parse range: {text}"),
                );
            }
        };
        let Some(values) = d["values"].as_array() else {
            return error(
                400,
                "INVALID_ARGUMENT",
                &format!("Invalid data[{i}]: no values"),
            );
        };
        let t = &s.tabs[rect.tab];
        for (ri, row) in values.iter().enumerate() {
            for (ci, v) in row.as_array().into_iter().flatten().enumerate() {
                if rect.r0 + ri >= t.grid_rows || rect.c0 + ci >= t.grid_cols {
                    return error(
                        400,
                        "INVALID_ARGUMENT",
                        &format!("Invalid data[{i}]: Range ({text}) exceeds grid limits."),
                    );
                }
                if v.is_array() || v.is_object() {
                    return error(
                        400,
                        "INVALID_ARGUMENT",
                        &format!("Invalid data[{i}]: Invalid values"),
                    );
                }
            }
        }
        plans.push((rect, values.clone(), text.to_string()));
    }
    let mut responses = Vec::new();
    let mut total = 0;
    for (rect, values, text) in plans {
        let mut cells = 0;
        for (ri, row) in values.iter().enumerate() {
            for (ci, v) in row.as_array().into_iter().flatten().enumerate() {
                set(&mut s.tabs[rect.tab], rect.r0 + ri, rect.c0 + ci, v);
                cells += 1;
            }
        }
        total += cells;
        responses.push(
            json!({"spreadsheetId": s.spreadsheet_id, "updatedRange": text, "updatedCells": cells}),
        );
    }
    ok(json!({
        "spreadsheetId": s.spreadsheet_id,
        "totalUpdatedCells": total,
        "responses": responses,
    }))
}

fn append(req: &Req, s: &mut State) -> Answer {
    let range = req
        .path
        .split("/values/")
        .nth(1)
        .and_then(|r| r.strip_suffix(":append"))
        .unwrap_or_default()
        .to_string();
    let param = |k: &str| {
        req.query
            .iter()
            .find(|(q, _)| q == k)
            .map(|(_, v)| v.clone())
    };
    if param("valueInputOption").as_deref() != Some("RAW") {
        return error(
            400,
            "INVALID_ARGUMENT",
            "valueInputOption must be RAW in this fake",
        );
    }
    let rect = match parse_range(s, &range) {
        Ok(r) => r,
        Err(a) => return a,
    };
    let Ok(body) = serde_json::from_str::<Value>(&req.body) else {
        return error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.");
    };
    let Some(values) = body["values"].as_array().cloned() else {
        return error(400, "INVALID_ARGUMENT", "no values");
    };
    let t = &mut s.tabs[rect.tab];
    // The table ends at its last non-empty row; new rows go right below it.
    let end = t
        .cells
        .iter()
        .rposition(|row| row.iter().any(|v| !is_empty(v)))
        .map_or(0, |r| r + 1);
    if param("insertDataOption").as_deref() == Some("INSERT_ROWS") {
        for i in 0..values.len() {
            if end + i <= t.cells.len() {
                t.cells.insert(end + i, Vec::new());
            }
        }
        t.grid_rows += values.len();
    }
    let mut width = 0;
    for (ri, row) in values.iter().enumerate() {
        let row = row.as_array().cloned().unwrap_or_default();
        width = width.max(row.len());
        for (ci, v) in row.iter().enumerate() {
            set(t, end + ri, rect.c0 + ci, v);
        }
    }
    t.grid_rows = t.grid_rows.max(t.cells.len());
    let updated = format!(
        "{}!{}{}:{}{}",
        quoted(&t.title),
        col_name(rect.c0),
        end + 1,
        col_name(rect.c0 + width.max(1) - 1),
        end + values.len()
    );
    ok(json!({
        "spreadsheetId": s.spreadsheet_id,
        "tableRange": format!("{}!A1:{}{}", quoted(&t.title), col_name(width.max(1) - 1), end),
        "updates": {
            "spreadsheetId": s.spreadsheet_id,
            "updatedRange": updated,
            "updatedRows": values.len(),
            "updatedColumns": width,
            "updatedCells": values.len() * width,
        }
    }))
}

fn gmail_send(req: &Req, s: &mut State) -> Answer {
    let Ok(body) = serde_json::from_str::<Value>(&req.body) else {
        return error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.");
    };
    let raw = body["raw"]
        .as_str()
        .unwrap_or_default()
        .trim_end_matches('=');
    let Ok(bytes) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(raw) else {
        return error(400, "INVALID_ARGUMENT", "Invalid value for ByteString");
    };
    let text = String::from_utf8_lossy(&bytes).into_owned();
    if !text.contains("\r\n\r\n") || !text.lines().any(|l| l.starts_with("To: ")) {
        return error(400, "FAILED_PRECONDITION", "Recipient address required");
    }
    s.mail.push(text);
    let id = format!("msg-{}", s.mail.len());
    ok(json!({"id": id, "threadId": id, "labelIds": ["SENT"]}))
}
