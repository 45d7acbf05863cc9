//! Google Sheets as the source, against the fake Google server (issue 8): constant request
//! counts, stale-safe writes, retries and lost answers, verification and rollback, Gmail.

use serde_json::{Value, json};

use crate::fake_google::{self, Action, FakeGoogle, Op, SCOPE_GMAIL, SCOPE_READ, SCOPE_WRITE};
use crate::support::{TestEnv, run};

const SHEET: &str = "sheet-1";
const TAB: &str = "Products";
const TOKEN: &str = "ya29.test-token";

/// A test directory plus a fake Google holding one spreadsheet with one tab.
struct SheetsEnv {
    env: TestEnv,
    google: FakeGoogle,
    rules: std::path::PathBuf,
    config: Option<std::path::PathBuf>,
}

impl SheetsEnv {
    fn new(rows: Vec<Vec<Value>>) -> SheetsEnv {
        SheetsEnv::with_tab(TAB, rows)
    }

    fn with_tab(tab: &str, rows: Vec<Vec<Value>>) -> SheetsEnv {
        let env = TestEnv::new();
        let google = FakeGoogle::start(SHEET);
        google.add_tab(tab, rows);
        google.allow_token(TOKEN, &[SCOPE_READ, SCOPE_WRITE, SCOPE_GMAIL]);
        let rules = env.rules_with_auto_approve(3);
        SheetsEnv {
            env,
            google,
            rules,
            config: None,
        }
    }

    fn example() -> SheetsEnv {
        let text = std::fs::read_to_string(crate::support::example_catalog()).unwrap();
        SheetsEnv::new(fake_google::typed_rows_from_csv(&text))
    }

    /// Configures `[notify] recipients`.
    fn notifying(mut self, recipients: &[&str]) -> SheetsEnv {
        let path = self.env.path().join("changeset.toml");
        let list: Vec<String> = recipients.iter().map(|r| format!("{r:?}")).collect();
        std::fs::write(
            &path,
            format!("[notify]\nrecipients = [{}]\n", list.join(", ")),
        )
        .unwrap();
        self.config = Some(path);
        self
    }

    fn cmd(&self) -> assert_cmd::Command {
        let mut cmd = self.env.cmd();
        if let Some(config) = &self.config {
            cmd.env("CHANGESET_CONFIG", config);
        }
        cmd.env("CHANGESET_SOURCE", format!("sheets:{SHEET}/{TAB}"))
            .env("CHANGESET_SHEETS_API_URL", self.google.url())
            .env("CHANGESET_GMAIL_API_URL", self.google.url())
            .env("CHANGESET_GOOGLE_ACCESS_TOKEN", TOKEN)
            .env("CHANGESET_HTTP_TIMEOUT", "2")
            .env("CHANGESET_HTTP_DEADLINE", "30")
            .env("CHANGESET_RULES", &self.rules);
        cmd
    }

    /// `plan -o plan.json`, returning the plan.
    fn plan(&self, request: &str) -> Value {
        plan_with(self.cmd(), request)
    }

    /// `apply plan.json --format json`: (exit code, receipt or null, stderr).
    fn apply(&self) -> (i32, Value, String) {
        apply_with(self.cmd())
    }
}

fn plan_with(mut cmd: assert_cmd::Command, request: &str) -> Value {
    let (code, stdout, stderr) =
        run(cmd.args(["plan", request, "-o", "plan.json", "--format", "json"]));
    assert_eq!(code, 0, "plan failed: {stderr}");
    serde_json::from_str(&stdout).unwrap()
}

fn apply_with(mut cmd: assert_cmd::Command) -> (i32, Value, String) {
    let (code, stdout, stderr) = run(cmd.args(["apply", "plan.json", "--format", "json"]));
    (
        code,
        serde_json::from_str(&stdout).unwrap_or(Value::Null),
        stderr,
    )
}

fn changes(plan: &Value) -> Vec<(String, String, Value)> {
    plan["operations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["agent"] == "writer")
        .flat_map(|o| o["changes"].as_array().unwrap().iter())
        .map(|c| {
            (
                c["key"].as_str().unwrap().to_string(),
                c["field"].as_str().unwrap().to_string(),
                c["after"].clone(),
            )
        })
        .collect()
}

/// The grid as it must be after the plan: the original with exactly the planned cells set,
/// typed the way a RAW write of the plan's values stores them.
fn expected_grid(original: &[Vec<Value>], plan: &Value) -> Vec<Vec<Value>> {
    let mut grid = original.to_vec();
    let header = grid[0].clone();
    for (key, field, after) in changes(plan) {
        let c = header.iter().position(|h| h == &json!(field)).unwrap();
        let r = grid.iter().position(|row| row[0] == json!(key)).unwrap();
        let typed = match (&after, field.as_str()) {
            (Value::String(s), "Promo Active") => json!(s == "TRUE"),
            (Value::String(s), _) if s.is_empty() => Value::Null,
            (v, _) => v.clone(),
        };
        if grid[r].len() <= c {
            grid[r].resize(c + 1, Value::Null);
        }
        grid[r][c] = typed;
    }
    grid
}

fn all_checks(receipt: &Value) -> Vec<String> {
    receipt["operations"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|o| o["changes"].as_array().unwrap().iter())
        .map(|c| c["check"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn requests_per_plan_and_apply_do_not_grow_with_the_number_of_changes() {
    let mut counts = Vec::new();
    for n in [1usize, 10, 1000] {
        let s = SheetsEnv::new(fake_google::generated_products("BLK", "Bulk", n));
        let original = s.google.cells(TAB);
        let plan = s.plan("take 10% off all Bulk");
        assert_eq!(changes(&plan).len(), n);
        let plan_requests = s.google.sheets_requests();
        s.google.clear_requests();

        let (code, receipt, stderr) = s.apply();
        assert_eq!(code, 0, "apply failed: {stderr}");
        let apply_requests = s.google.sheets_requests();
        assert_eq!(s.google.count(Op::BatchUpdate), 1, "one write request");
        assert_eq!(s.google.cells(TAB), expected_grid(&original, &plan));
        let checks = all_checks(&receipt);
        assert_eq!(checks.len(), n);
        assert!(checks.iter().all(|c| c == "pass"), "read-back: {checks:?}");
        assert_eq!(receipt["outcome"], "applied");
        eprintln!("{n} changes: plan {plan_requests} request(s), apply {apply_requests}");
        counts.push((plan_requests, apply_requests));
    }
    assert!(counts.iter().all(|c| *c == counts[0]), "{counts:?}");
    assert!(counts[0].1 <= 5, "apply made {} requests", counts[0].1);
}

#[test]
fn the_example_catalog_round_trips_with_typed_values() {
    let s = SheetsEnv::example();
    let original = s.google.cells(TAB);
    let plan = s.plan("take 15% off all Running");
    let (code, receipt, stderr) = s.apply();
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(s.google.cells(TAB), expected_grid(&original, &plan));
    assert!(all_checks(&receipt).iter().all(|c| c == "pass"));
    let agents: Vec<(&str, &str, &str)> = receipt["delegation"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["agent"].as_str().unwrap(),
                d["scope"].as_str().unwrap(),
                d["via"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        agents,
        [
            ("planner", "plan (no source credentials)", "local"),
            ("reader", SCOPE_READ, "env"),
            ("writer", SCOPE_WRITE, "env")
        ]
    );
    // Prices went out as JSON numbers and Promo Active as booleans (RAW, typed).
    let write = s
        .google
        .requests()
        .into_iter()
        .find(|r| r.op == Op::BatchUpdate)
        .unwrap();
    let body: Value = serde_json::from_str(&write.body).unwrap();
    assert_eq!(body["valueInputOption"], "RAW");
    let values: Vec<&Value> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| &d["values"][0][0])
        .collect();
    assert!(values.iter().any(|v| v.is_number()));
    assert!(values.iter().any(|v| v.is_boolean()));
    assert!(values.iter().all(|v| !v.is_string()), "{values:?}");
}

#[test]
fn a_concurrent_edit_between_plan_and_apply_is_stale_and_nothing_is_written() {
    let s = SheetsEnv::example();
    s.plan("take 15% off all Running");
    s.google
        .set_cell(TAB, "STR-001", "Promo Price", json!(99.5));
    let edited = s.google.cells(TAB);
    s.google.clear_requests();
    let (code, _, stderr) = s.apply();
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("STR-001 Promo Price"), "{stderr}");
    assert_eq!(s.google.count(Op::BatchUpdate), 0);
    assert_eq!(s.google.count(Op::Append), 0);
    assert_eq!(s.google.cells(TAB), edited);
}

#[test]
fn an_edit_after_the_apply_read_is_caught_by_the_pre_write_check() {
    let s = SheetsEnv::example();
    s.plan("take 15% off all Running");
    // The second batchGet of the apply is the pre-write re-read of the target cells.
    s.google.inject(
        Op::BatchGet,
        1,
        Action::EditBefore {
            key: "STR-002".into(),
            header: "Promo Price".into(),
            value: json!(120),
        },
    );
    s.google.clear_requests();
    let (code, _, stderr) = s.apply();
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains("STR-002 Promo Price: planned from ``, now `120.00`"),
        "{stderr}"
    );
    assert_eq!(s.google.count(Op::BatchUpdate), 0);
}

#[test]
fn rate_limits_and_server_errors_are_retried_and_the_change_lands_once() {
    let s = SheetsEnv::example();
    let original = s.google.cells(TAB);
    let plan = s.plan("take 15% off all Running");
    s.google.inject(Op::BatchGet, 0, Action::ServerError);
    s.google
        .inject(Op::BatchUpdate, 0, Action::RateLimit { retry_after: 1 });
    s.google.clear_requests();
    let (code, receipt, stderr) = s.apply();
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("429"), "{stderr}");
    let updates: Vec<u16> = s
        .google
        .requests()
        .iter()
        .filter(|r| r.op == Op::BatchUpdate)
        .map(|r| r.status)
        .collect();
    assert_eq!(updates, [429, 200]);
    assert_eq!(s.google.cells(TAB), expected_grid(&original, &plan));
    assert!(all_checks(&receipt).iter().all(|c| c == "pass"));
}

#[test]
fn a_server_error_on_the_write_is_read_back_before_it_is_sent_again() {
    let s = SheetsEnv::example();
    let original = s.google.cells(TAB);
    let plan = s.plan("take 15% off all Running");
    s.google.inject(Op::BatchUpdate, 0, Action::ServerError);
    s.google.clear_requests();
    let (code, _, stderr) = s.apply();
    assert_eq!(code, 0, "{stderr}");
    let ops: Vec<(Op, u16)> = s
        .google
        .requests()
        .iter()
        .map(|r| (r.op, r.status))
        .collect();
    // read, pre-check, write (500), read-back of the targets, write again, final read-back.
    assert_eq!(
        ops,
        [
            (Op::BatchGet, 200),
            (Op::BatchGet, 200),
            (Op::BatchUpdate, 500),
            (Op::BatchGet, 200),
            (Op::BatchUpdate, 200),
            (Op::BatchGet, 200)
        ]
    );
    assert_eq!(s.google.cells(TAB), expected_grid(&original, &plan));
}

#[test]
fn a_dropped_write_answer_is_detected_by_reading_back_and_not_written_twice() {
    let s = SheetsEnv::example();
    let original = s.google.cells(TAB);
    let plan = s.plan("take 15% off all Running");
    s.google.inject(Op::BatchUpdate, 0, Action::DropResponse);
    s.google.clear_requests();
    let (code, receipt, stderr) = s.apply();
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("not sent again"), "{stderr}");
    assert_eq!(s.google.count(Op::BatchUpdate), 1);
    assert_eq!(s.google.cells(TAB), expected_grid(&original, &plan));
    assert!(all_checks(&receipt).iter().all(|c| c == "pass"));
}

#[test]
fn a_hang_past_the_client_timeout_is_survived() {
    let s = SheetsEnv::example();
    let original = s.google.cells(TAB);
    let plan = s.plan("take 15% off all Running");
    // The first read hangs (retried as any read), then the write hangs before doing anything
    // (its outcome is unknown: read back, found untouched, sent again).
    s.google.inject(Op::BatchGet, 0, Action::Hang { secs: 3.0 });
    s.google
        .inject(Op::BatchUpdate, 0, Action::Hang { secs: 3.0 });
    s.google.clear_requests();
    let (code, _, stderr) = s.apply();
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("timed out"), "{stderr}");
    assert_eq!(s.google.count(Op::BatchUpdate), 2);
    assert_eq!(s.google.cells(TAB), expected_grid(&original, &plan));
}

#[test]
fn a_verification_mismatch_rolls_back_and_the_sheet_ends_as_it_began() {
    let s = SheetsEnv::example();
    let original = s.google.cells(TAB);
    s.plan("take 15% off all Running");
    // Something in the sheet rewrites one cell right after the write.
    s.google.inject(
        Op::BatchUpdate,
        0,
        Action::EditAfter {
            key: "STR-002".into(),
            header: "Promo Price".into(),
            value: json!(1),
        },
    );
    let (code, _, stderr) = s.apply();
    assert_eq!(code, 6, "{stderr}");
    assert!(stderr.contains("rolled back"), "{stderr}");
    assert_eq!(s.google.cells(TAB), original);
    assert_eq!(
        s.google.count(Op::BatchUpdate),
        2,
        "the write and its rollback"
    );
}

#[test]
fn malformed_answers_are_refused_and_nothing_is_written() {
    for body in [
        "<html>proxy error</html>",
        r#"{"valueRanges": "nope"}"#,
        r#"{"valueRanges": [{"values": [[{"formula": "=1"}]]}]}"#,
        r#"{"valueRanges": []}"#,
    ] {
        let s = SheetsEnv::example();
        s.plan("take 15% off all Running");
        s.google.inject(
            Op::BatchGet,
            1,
            Action::Garbage {
                body: body.to_string(),
            },
        );
        let (code, _, stderr) = s.apply();
        assert_eq!(code, 1, "{body}: {stderr}");
        assert!(
            stderr.contains("unexpected answer") || stderr.contains("not a plain value"),
            "{stderr}"
        );
        assert_eq!(s.google.count(Op::BatchUpdate), 0, "{body}");
    }
}

#[test]
fn a_read_only_token_gets_a_clear_message_about_scopes_and_sharing() {
    let s = SheetsEnv::example();
    s.google.allow_token("read-only", &[SCOPE_READ]);
    s.plan("take 15% off all Running");
    let mut cmd = s.cmd();
    cmd.env("CHANGESET_GOOGLE_ACCESS_TOKEN", "read-only");
    let (code, _, stderr) = apply_with(cmd);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("403"), "{stderr}");
    assert!(
        stderr.contains("https://www.googleapis.com/auth/spreadsheets"),
        "{stderr}"
    );
    assert!(stderr.contains("share the spreadsheet"), "{stderr}");
}

#[test]
fn a_refused_environment_token_asks_for_a_fresh_one() {
    let s = SheetsEnv::example();
    let (code, _, stderr) = run(s
        .cmd()
        .env("CHANGESET_GOOGLE_ACCESS_TOKEN", "expired")
        .args(["plan", "take 15% off all Running"]));
    assert_eq!(code, 4, "{stderr}");
    assert!(stderr.contains("CHANGESET_GOOGLE_ACCESS_TOKEN"), "{stderr}");
    assert!(
        !stderr.contains("expired\n"),
        "the token itself is never printed"
    );
}

#[test]
fn tab_names_are_quoted_and_the_first_tab_is_found_without_one() {
    let text = std::fs::read_to_string(crate::support::example_catalog()).unwrap();
    let s = SheetsEnv::with_tab("Jon's Data", fake_google::typed_rows_from_csv(&text));
    let (code, stdout, stderr) = run(s
        .cmd()
        .env("CHANGESET_SOURCE", format!("sheets:{SHEET}"))
        .args([
            "plan",
            "mark STR-002 out of stock",
            "-o",
            "plan.json",
            "--format",
            "json",
        ]));
    assert_eq!(code, 0, "{stderr}");
    let plan: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(plan["source"]["tab"], "Jon's Data");
    assert_eq!(s.google.count(Op::Metadata), 1);
    let (code, _, stderr) = run(s
        .cmd()
        .env("CHANGESET_SOURCE", format!("sheets:{SHEET}"))
        .args(["apply", "plan.json"]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        s.google.cell("Jon's Data", "STR-002", "Inventory"),
        json!("out_of_stock")
    );
    let ranges: Vec<String> = s
        .google
        .requests()
        .iter()
        .flat_map(|r| {
            r.query
                .iter()
                .filter(|(k, _)| k == "ranges")
                .map(|(_, v)| v.clone())
        })
        .collect();
    assert!(
        ranges.iter().all(|r| r.starts_with("'Jon''s Data'")),
        "{ranges:?}"
    );
}

const PII: &str = "ask jane.doe@example.com or 555-123-4567";

#[test]
fn one_message_per_successful_apply_carries_the_sealed_hash_and_no_personal_data() {
    let s = SheetsEnv::example().notifying(&["ops@example.com", "lead@example.com"]);
    s.google.set_cell(TAB, "STR-002", "Inventory", json!(PII));
    s.plan("mark STR-002 out of stock and email buyer@example.org a summary");
    let (code, receipt, stderr) = s.apply();
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(receipt["notify"]["status"], "pending");
    assert_eq!(receipt["notify"]["recipients"], 2);
    let notifier = receipt["delegation"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["agent"] == "notifier")
        .expect("the notifier is in the delegation chain");
    assert_eq!(notifier["scope"], SCOPE_GMAIL);
    assert_eq!(notifier["via"], "env");
    assert!(
        notifier["token_ref"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    assert!(
        !receipt.to_string().contains(TOKEN),
        "no token in the receipt"
    );

    let mail = s.google.mail();
    assert_eq!(mail.len(), 1);
    let m = &mail[0];
    let hash = receipt["hash"].as_str().unwrap();
    assert!(m.contains(&format!("Receipt hash: {hash}")), "{m}");
    assert!(
        m.contains("To: ops@example.com, lead@example.com\r\n"),
        "{m}"
    );
    assert!(
        m.contains("STR-002 Inventory: ask [email] or [phone] -> out_of_stock [pass]"),
        "{m}"
    );
    for secret in ["jane.doe@example.com", "buyer@example.org", "555-123-4567"] {
        assert!(!m.contains(secret), "{secret} leaked into the mail: {m}");
    }
    assert!(!m.contains(TOKEN));
    insta::with_settings!({ filters => crate::support::filters() }, {
        insta::assert_snapshot!("gmail_summary", m.replace("\r\n", "\n"));
    });

    // The stored receipt is the one whose hash was mailed, and the outcome follows it.
    let id = receipt["id"].as_str().unwrap();
    let (code, shown, _) = run(s.cmd().args(["audit", "show", id]));
    assert_eq!(code, 0);
    assert!(shown.contains(&format!("sealed {hash}")), "{shown}");
    assert!(
        shown.contains("notify sent to 2 recipient(s) (message msg-1)"),
        "{shown}"
    );
    let (code, _, stderr) = run(s.cmd().args(["audit", "verify"]));
    assert_eq!(code, 0, "{stderr}");

    // The plan is used up, so there is never a second message for it.
    let (code, _, _) = s.apply();
    assert_eq!(code, 3);
    assert_eq!(s.google.mail().len(), 1);
}

#[test]
fn no_message_when_the_apply_does_not_succeed() {
    let s = SheetsEnv::example().notifying(&["ops@example.com"]);
    s.plan("take 15% off all Running");
    s.google.inject(
        Op::BatchUpdate,
        0,
        Action::EditAfter {
            key: "STR-002".into(),
            header: "Promo Price".into(),
            value: json!(1),
        },
    );
    let (code, _, stderr) = s.apply();
    assert_eq!(code, 6, "{stderr}");

    s.plan("take 15% off all Trail");
    s.google.set_cell(TAB, "STR-006", "Promo Price", json!(5));
    let (code, _, stderr) = s.apply();
    assert_eq!(code, 3, "{stderr}");

    assert_eq!(s.google.count(Op::GmailSend), 0);
    assert!(s.google.mail().is_empty());
}

#[test]
fn gmail_errors_are_retried_but_a_lost_send_is_recorded_and_never_resent() {
    let s = SheetsEnv::example().notifying(&["ops@example.com"]);
    s.plan("mark STR-002 out of stock");
    s.google.inject(Op::GmailSend, 0, Action::ServerError);
    let (code, _, stderr) = s.apply();
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        s.google.count(Op::GmailSend),
        2,
        "a 500 that arrived is retried"
    );
    assert_eq!(s.google.mail().len(), 1);

    // A send that hangs past the timeout may have gone out: it is not sent again.
    s.plan("mark STR-006 out of stock");
    s.google
        .inject(Op::GmailSend, 0, Action::Hang { secs: 3.0 });
    let (code, receipt, stderr) = s.apply();
    assert_eq!(code, 0, "the write stands: {stderr}");
    assert!(
        stderr.contains("the e-mail to 1 recipient(s) failed"),
        "{stderr}"
    );
    assert_eq!(s.google.count(Op::GmailSend), 3);
    assert_eq!(
        s.google.cell(TAB, "STR-006", "Inventory"),
        json!("out_of_stock")
    );
    let id = receipt["id"].as_str().unwrap();
    let (_, shown, _) = run(s.cmd().args(["audit", "show", id]));
    assert!(shown.contains("notify failed to 1 recipient(s)"), "{shown}");
}

/// The Sheets source driven directly, the way the executor drives it.
fn source(google: &FakeGoogle) -> changeset::source::sheets::SheetsSource {
    use changeset::google::{http::Limits, token::EnvToken};
    let limits = Limits {
        read_timeout: std::time::Duration::from_secs(2),
        write_timeout: std::time::Duration::from_secs(2),
        deadline: std::time::Duration::from_secs(20),
    };
    changeset::source::sheets::SheetsSource::new(
        SHEET.into(),
        Some(TAB.into()),
        changeset::catalog::ColumnNames::default(),
        Box::new(EnvToken::new(TOKEN.to_string().into())),
        google.url(),
        limits,
    )
}

fn new_product(sku: &str) -> Vec<(String, String)> {
    [
        ("SKU", sku),
        ("Name", "Ultra Racer"),
        ("Category", "Running"),
        ("Base Price", "149.99"),
        ("Promo Active", "FALSE"),
        ("Inventory", "in_stock"),
    ]
    .iter()
    .map(|(h, v)| (h.to_string(), v.to_string()))
    .collect()
}

fn promo_update() -> changeset::catalog::CellWrite {
    changeset::catalog::CellWrite {
        key: "STR-001".into(),
        field: "Promo Price".into(),
        before: String::new(),
        after: "99.00".into(),
    }
}

#[test]
fn new_rows_are_appended_in_the_same_apply_and_read_back() {
    use changeset::catalog::{CellRef, WriteBatch};
    use changeset::source::Source;
    let s = SheetsEnv::example();
    let mut src = source(&s.google);
    src.read().unwrap();
    let batch = WriteBatch {
        guards: Vec::new(),
        updates: vec![promo_update()],
        appends: vec![new_product("STR-050")],
    };
    src.write(&batch).unwrap();
    let cells: Vec<CellRef> = [
        ("STR-050", "Base Price"),
        ("STR-050", "Promo Active"),
        ("STR-001", "Promo Price"),
    ]
    .iter()
    .map(|(k, f)| CellRef {
        key: k.to_string(),
        field: f.to_string(),
    })
    .collect();
    let back = src.read_cells(&cells).unwrap();
    assert_eq!(
        back,
        [
            Some("149.99".into()),
            Some("FALSE".into()),
            Some("99.00".into())
        ]
    );
    let ops: Vec<Op> = s.google.requests().iter().map(|r| r.op).collect();
    assert_eq!(
        ops,
        [
            Op::BatchGet,
            Op::BatchGet,
            Op::BatchUpdate,
            Op::Append,
            Op::BatchGet
        ],
        "read, pre-check, write, append, read-back"
    );
    assert_eq!(s.google.cell(TAB, "STR-050", "Base Price"), json!(149.99));
    assert_eq!(s.google.cell(TAB, "STR-050", "Promo Active"), json!(false));
    assert_eq!(s.google.cell(TAB, "STR-001", "Promo Price"), json!(99.0));
}

#[test]
fn a_new_row_whose_key_exists_now_is_stale_and_nothing_is_written() {
    use changeset::catalog::WriteBatch;
    use changeset::source::Source;
    let s = SheetsEnv::example();
    let original = s.google.cells(TAB);
    let mut src = source(&s.google);
    src.read().unwrap();
    let batch = WriteBatch {
        guards: Vec::new(),
        updates: vec![promo_update()],
        appends: vec![new_product("STR-019")],
    };
    let err = src.write(&batch).unwrap_err();
    assert_eq!(err.exit_code(), 3, "{}", err.message);
    assert!(
        err.message
            .contains("STR-019: a row with this key exists now")
    );
    assert_eq!(
        s.google.count(Op::BatchUpdate) + s.google.count(Op::Append),
        0
    );
    assert_eq!(s.google.cells(TAB), original);
}

#[test]
fn a_refused_append_undoes_the_updates_so_the_batch_stays_all_or_nothing() {
    use changeset::catalog::WriteBatch;
    use changeset::source::Source;
    let s = SheetsEnv::example();
    let original = s.google.cells(TAB);
    let mut src = source(&s.google);
    src.read().unwrap();
    s.google.inject(
        Op::Append,
        0,
        Action::Invalid {
            message: "Range exceeds grid limits".into(),
        },
    );
    let batch = WriteBatch {
        guards: Vec::new(),
        updates: vec![promo_update()],
        appends: vec![new_product("STR-050")],
    };
    let err = src.write(&batch).unwrap_err();
    assert!(
        err.message.contains("nothing was written"),
        "{}",
        err.message
    );
    assert_eq!(s.google.count(Op::BatchUpdate), 2, "the write and its undo");
    assert_eq!(s.google.cells(TAB), original);
}

#[test]
fn apply_of_a_request_plans_and_applies_in_five_requests() {
    let s = SheetsEnv::example();
    let (code, _, stderr) = run(s.cmd().args(["apply", "take 15% off all Running"]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(s.google.sheets_requests(), 5);
    assert_eq!(s.google.count(Op::BatchUpdate), 1);
}

/// Hands out tokens per agent from a list, as Token Vault would (renewable).
struct ListedTokens {
    reader: Vec<&'static str>,
    writer: Vec<&'static str>,
}

impl changeset::google::token::TokenSource for ListedTokens {
    fn fetch(
        &mut self,
        agent: changeset::google::token::Agent,
    ) -> changeset::error::Result<changeset::google::token::GoogleToken> {
        use changeset::google::token::Agent;
        let list = match agent {
            Agent::Writer => &mut self.writer,
            _ => &mut self.reader,
        };
        let token = if list.len() > 1 {
            list.remove(0)
        } else {
            list[0]
        };
        Ok(changeset::google::token::GoogleToken {
            secret: token.to_string().into(),
            grant: changeset::receipt::Delegation {
                agent: agent.name().into(),
                on_behalf_of: String::new(),
                scope: agent.scope().into(),
                granted_scope: None,
                token_ref: None,
                jti: None,
                expires_at: None,
                via: "test".into(),
            },
        })
    }

    fn renewable(&self) -> bool {
        true
    }

    fn refused_hint(&self) -> String {
        "log in again".into()
    }
}

fn source_with(
    google: &FakeGoogle,
    tokens: ListedTokens,
) -> changeset::source::sheets::SheetsSource {
    changeset::source::sheets::SheetsSource::new(
        SHEET.into(),
        Some(TAB.into()),
        changeset::catalog::ColumnNames::default(),
        Box::new(tokens),
        google.url(),
        changeset::google::http::Limits::from_env().unwrap(),
    )
}

#[test]
fn each_agent_uses_its_own_narrow_token() {
    use changeset::catalog::{CellRef, WriteBatch};
    use changeset::source::Source;
    let s = SheetsEnv::example();
    s.google.allow_token("reader-only", &[SCOPE_READ]);
    s.google.allow_token("writer-only", &[SCOPE_WRITE]);
    let mut src = source_with(
        &s.google,
        ListedTokens {
            reader: vec!["reader-only"],
            writer: vec!["writer-only"],
        },
    );
    src.read().unwrap();
    let grants = src.authorize_write().unwrap();
    let agents: Vec<&str> = grants.iter().map(|g| g.agent.as_str()).collect();
    assert_eq!(agents, ["reader", "writer"]);
    src.write(&WriteBatch {
        guards: Vec::new(),
        updates: vec![promo_update()],
        appends: Vec::new(),
    })
    .unwrap();
    src.read_cells(&[CellRef {
        key: "STR-001".into(),
        field: "Promo Price".into(),
    }])
    .unwrap();
    let used: Vec<(Op, String, u16)> = s
        .google
        .requests()
        .into_iter()
        .map(|r| (r.op, r.token.unwrap(), r.status))
        .collect();
    assert_eq!(
        used,
        [
            (Op::BatchGet, "reader-only".into(), 200),
            (Op::BatchGet, "writer-only".into(), 200),
            (Op::BatchUpdate, "writer-only".into(), 200),
            (Op::BatchGet, "writer-only".into(), 200),
        ]
    );
}

#[test]
fn a_refused_token_is_renewed_once_then_reported() {
    use changeset::source::Source;
    let s = SheetsEnv::example();
    let mut src = source_with(
        &s.google,
        ListedTokens {
            reader: vec!["revoked", TOKEN],
            writer: vec![TOKEN],
        },
    );
    src.read().unwrap();
    let seen: Vec<(String, u16)> = s
        .google
        .requests()
        .into_iter()
        .map(|r| (r.token.unwrap(), r.status))
        .collect();
    assert_eq!(seen, [("revoked".into(), 401), (TOKEN.into(), 200)]);

    let s = SheetsEnv::example();
    let mut src = source_with(
        &s.google,
        ListedTokens {
            reader: vec!["revoked", "revoked-too", TOKEN],
            writer: vec![TOKEN],
        },
    );
    let err = src.read().unwrap_err();
    assert_eq!(err.exit_code(), 4, "{}", err.message);
    assert_eq!(s.google.count(Op::BatchGet), 2, "renewed once, not more");
}

#[test]
fn errors_say_what_failed_and_what_to_do() {
    let s = SheetsEnv::example();
    s.google.allow_token("read-only", &[SCOPE_READ]);
    let mut out = String::new();
    for (source, token, args) in [
        (
            "sheets:no-such-sheet/Products",
            TOKEN,
            vec!["plan", "mark STR-002 out of stock"],
        ),
        (
            "sheets:sheet-1/Nope",
            TOKEN,
            vec!["plan", "mark STR-002 out of stock"],
        ),
        (
            "sheets:sheet-1/Products",
            "read-only",
            vec!["apply", "mark STR-002 out of stock"],
        ),
    ] {
        out.push_str(&format!("$ --source {source} {}\n", args.join(" ")));
        out.push_str(&crate::support::transcript(
            s.cmd()
                .env("CHANGESET_SOURCE", source)
                .env("CHANGESET_GOOGLE_ACCESS_TOKEN", token)
                .arg("-q")
                .args(&args),
        ));
        out.push('\n');
    }
    insta::with_settings!({ filters => crate::support::filters() }, {
        insta::assert_snapshot!("sheets_errors", out);
    });
}

#[test]
fn a_lost_answer_with_a_concurrent_edit_is_reported_as_unknown_and_not_resent() {
    let s = SheetsEnv::example();
    s.plan("take 15% off all Running");
    s.google.inject(Op::BatchUpdate, 0, Action::DropResponse);
    // Someone edits one of the target cells before the read-back that settles the lost answer.
    s.google.inject(
        Op::BatchGet,
        2,
        Action::EditBefore {
            key: "STR-002".into(),
            header: "Promo Price".into(),
            value: json!(7),
        },
    );
    let (code, _, stderr) = s.apply();
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("the outcome of the write is unknown"),
        "{stderr}"
    );
    assert!(stderr.contains("changeset recover"), "{stderr}");
    assert_eq!(s.google.count(Op::BatchUpdate), 1);
}

// ---------------------------------------------------------------------------------------------
// Token Vault: per-agent Google tokens exchanged at the test IdP.

/// Lets the fake Google accept the tokens the test IdP's Token Vault minted, with their scopes.
pub(crate) fn trust_idp(google: &FakeGoogle, idp: &crate::idp::Idp) {
    let url = format!("{}/_test/federated_tokens", idp.base_url);
    google.trust(std::sync::Arc::new(move |token: &str| {
        minted(&url)
            .into_iter()
            .find(|t| t["access_token"] == token)
            .map(|t| {
                t["scope"]
                    .as_str()
                    .unwrap_or_default()
                    .split([' ', ','])
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
    }));
}

/// The Google tokens the IdP minted (`/_test/federated_tokens`).
fn minted(url: &str) -> Vec<Value> {
    changeset::net::block_on(async {
        let r = reqwest::get(url).await.ok()?;
        r.json::<Value>().await.ok()
    })
    .and_then(|v| v.as_array().cloned())
    .unwrap_or_default()
}

impl SheetsEnv {
    /// `changeset` logged in at the IdP, Google tokens from Token Vault (none in the environment).
    fn vault_cmd(&self, idp: &crate::idp::Idp) -> assert_cmd::Command {
        let mut cmd = crate::idp::ciba_cmd(&self.env, idp);
        cmd.env("CHANGESET_SOURCE", format!("sheets:{SHEET}/{TAB}"))
            .env("CHANGESET_SHEETS_API_URL", self.google.url())
            .env("CHANGESET_GMAIL_API_URL", self.google.url())
            .env("CHANGESET_HTTP_TIMEOUT", "2")
            .env_remove("CHANGESET_GOOGLE_ACCESS_TOKEN");
        if let Some(config) = &self.config {
            cmd.env("CHANGESET_CONFIG", config);
        }
        cmd
    }
}

/// What the test IdP's connected Google account was granted (its FEDERATED_SCOPE default).
const GRANTED: &str = "openid https://www.googleapis.com/auth/spreadsheets https://www.googleapis.com/auth/gmail.send";

/// sha256 hex of a token, as the IdP records each exchange's subject.
fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}

#[test]
fn the_whole_flow_runs_with_token_vault_tokens_one_per_agent() {
    let idp = crate::idp::Idp::start();
    let s = SheetsEnv::example().notifying(&["ops@example.com"]);
    trust_idp(&s.google, &idp);
    assert_eq!(crate::idp::login(&s.env, &idp, true).0, 0);
    let original = s.google.cells(TAB);
    let with_rules = || {
        let mut cmd = s.vault_cmd(&idp);
        cmd.env("CHANGESET_RULES", &s.rules);
        cmd
    };
    let plan = plan_with(with_rules(), "take 15% off all Running");
    let (code, receipt, stderr) = apply_with(with_rules());
    assert_eq!(code, 0, "{stderr}");
    let seen = format!("{plan}{receipt}{stderr}");
    assert_eq!(s.google.cells(TAB), expected_grid(&original, &plan));
    assert_eq!(s.google.mail().len(), 1);

    // One exchange per agent and run: plan's reader, then apply's reader, writer, notifier.
    // Token Vault returns the connection's whole grant (one connection serves every agent),
    // and no `scope` is asked for: Auth0 documents none for this exchange.
    let tokens = minted(&format!("{}/_test/federated_tokens", idp.base_url));
    assert_eq!(tokens.len(), 4, "{tokens:?}");
    for t in &tokens {
        assert_eq!(t["scope"], GRANTED);
        assert!(t["requested_scope"].is_null(), "a scope was sent: {t}");
    }
    let index_of = |token: &str| {
        tokens
            .iter()
            .position(|t| t["access_token"] == token)
            .unwrap()
    };
    // Least privilege is what our code calls: each Google call was made with the token of the
    // agent that needs it, and the readers' tokens (which could write) only ever read.
    let calls: Vec<(Op, usize, u16)> = s
        .google
        .requests()
        .into_iter()
        .map(|r| (r.op, index_of(r.token.as_deref().unwrap()), r.status))
        .collect();
    assert_eq!(
        calls,
        [
            (Op::BatchGet, 0, 200),
            (Op::BatchGet, 1, 200),
            (Op::BatchGet, 2, 200),
            (Op::BatchUpdate, 2, 200),
            (Op::BatchGet, 2, 200),
            (Op::GmailSend, 3, 200),
        ]
    );

    // The receipt lists each agent with the scope it used, the scopes its token actually
    // carried, and a reference to the token, never the token.
    let chain: Vec<(String, String, String, String)> = receipt["delegation"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["via"] == "token_vault")
        .map(|d| {
            (
                d["agent"].as_str().unwrap().to_string(),
                d["scope"].as_str().unwrap().to_string(),
                d["granted_scope"].as_str().unwrap().to_string(),
                d["token_ref"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let reference = |t: &Value| {
        changeset::digest::token_ref(&t["access_token"].as_str().unwrap().to_string().into())
    };
    let row = |agent: &str, scope: &str, t: &Value| {
        (
            agent.to_string(),
            scope.to_string(),
            GRANTED.to_string(),
            reference(t),
        )
    };
    assert_eq!(
        chain,
        [
            row("reader", SCOPE_READ, &tokens[1]),
            row("writer", SCOPE_WRITE, &tokens[2]),
            row("notifier", SCOPE_GMAIL, &tokens[3]),
        ]
    );
    // `audit show` says what each token carried beyond its agent's need.
    let (code, shown, stderr) =
        run(with_rules().args(["audit", "show", receipt["id"].as_str().unwrap()]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        shown.contains(&format!("with scope `{SCOPE_WRITE}` via token_vault")),
        "{shown}"
    );
    assert!(
        shown.contains(&format!(
            "the token also carried {SCOPE_WRITE} {SCOPE_GMAIL} (unused)"
        )),
        "the reader's extra scopes are noted: {shown}"
    );
    assert!(
        shown.contains(&format!("the token also carried {SCOPE_GMAIL} (unused)")),
        "the writer's extra scope is noted: {shown}"
    );
    idp.assert_no_leak(&s.env, &seen, &[s.env.path().join("plan.json")]);
}

#[test]
fn a_token_vault_token_narrower_than_its_agent_needs_is_refused() {
    let idp = crate::idp::Idp::start();
    let s = SheetsEnv::example();
    trust_idp(&s.google, &idp);
    assert_eq!(crate::idp::login(&s.env, &idp, true).0, 0);
    // The connected account was granted read access only.
    let (status, _) = idp.post("/_test/federated_scope", json!({ "scope": SCOPE_READ }));
    assert_eq!(status, 200);
    let mut cmd = s.vault_cmd(&idp);
    cmd.env("CHANGESET_RULES", &s.rules);
    plan_with(cmd, "mark STR-002 out of stock");
    let mut cmd = s.vault_cmd(&idp);
    cmd.env("CHANGESET_RULES", &s.rules);
    let (code, _, stderr) = apply_with(cmd);
    assert_eq!(code, 4, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "the Google token for the writer lacks the scope {SCOPE_WRITE}"
        )),
        "{stderr}"
    );
    assert_eq!(s.google.count(Op::BatchUpdate), 0, "nothing was written");
}

/// `vault_cmd` with two applications instead of the shared confidential one.
fn two_clients(mut cmd: assert_cmd::Command, ciba: &str, vault: &str) -> assert_cmd::Command {
    cmd.env_remove("CHANGESET_CONFIDENTIAL_CLIENT_ID")
        .env_remove("CHANGESET_CLIENT_SECRET")
        .env("CHANGESET_CIBA_CLIENT_ID", ciba)
        .env("CHANGESET_CIBA_CLIENT_SECRET", crate::idp::CLIENT_SECRET)
        .env("CHANGESET_TOKEN_VAULT_CLIENT_ID", vault)
        .env(
            "CHANGESET_TOKEN_VAULT_CLIENT_SECRET",
            crate::idp::CLIENT_SECRET,
        );
    cmd
}

#[test]
fn after_a_ciba_approval_by_another_user_the_writer_exchanges_the_users_own_token() {
    use crate::idp::{USER, VAULT_CLIENT};
    const APPROVER: &str = "auth0|approver-2";
    let idp = crate::idp::Idp::start();
    let mut s = SheetsEnv::example();
    let config = s.env.path().join("changeset.toml");
    std::fs::write(
        &config,
        format!("[approval]\nmethod = \"ciba\"\napprovers = [\"{APPROVER}\"]\n"),
    )
    .unwrap();
    s.config = Some(config);
    trust_idp(&s.google, &idp);
    assert_eq!(crate::idp::login(&s.env, &idp, true).0, 0);
    let cmd = || two_clients(s.vault_cmd(&idp), crate::idp::CIBA_CLIENT, VAULT_CLIENT);
    // Default rules: a one-product change is tier 2 and needs an approval on the device.
    let (code, _, stderr) =
        run(cmd().args(["plan", "mark STR-002 out of stock", "-o", "plan.json"]));
    assert_eq!(code, 0, "{stderr}");
    let exchanges = || minted(&format!("{}/_test/federated_tokens", idp.base_url));
    let (before_approval, (code, stdout, stderr)) = std::thread::scope(|scope| {
        let approver = scope.spawn(|| {
            let request = idp.wait_ciba_pending(APPROVER);
            // Wait a little: an exchange started before the approval would show up now.
            std::thread::sleep(std::time::Duration::from_millis(700));
            let before = exchanges().len();
            idp.settle_ciba(&request, true);
            before
        });
        let out = run(cmd().args(["apply", "plan.json", "--no-input", "--format", "json"]));
        (approver.join().unwrap(), out)
    });
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        s.google.cell(TAB, "STR-002", "Inventory"),
        json!("out_of_stock")
    );
    let receipt: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(receipt["approval"]["approvers"], json!([APPROVER]));

    // Before the approval only the readers (plan, apply) had exchanged; the writer's exchange
    // came after it, once.
    let tokens = exchanges();
    assert_eq!(before_approval, 2, "{tokens:?}");
    assert_eq!(tokens.len(), 3, "{tokens:?}");
    let settled = idp.ciba_requests()[0]["settled_ms"].as_u64().unwrap();
    let writer = &tokens[2];
    assert!(writer["t_ms"].as_u64().unwrap() >= settled, "{writer}");
    let writer_ref =
        changeset::digest::token_ref(&writer["access_token"].as_str().unwrap().to_string().into());
    let delegated = receipt["delegation"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["agent"] == "writer")
        .unwrap();
    assert_eq!(delegated["token_ref"], writer_ref.as_str());
    // ... and the receipt says so: the writer acted for the user, the approver approved.
    assert_eq!(delegated["on_behalf_of"], USER);

    // Every exchange, the writer's included, had the logged-in user's own access token as its
    // subject: the approver's identity never writes.
    let user_token = crate::idp::stored(&s.env)["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    for t in &tokens {
        assert_eq!(t["sub"], USER, "{t}");
        assert_eq!(t["subject_client_id"], crate::idp::PUBLIC_CLIENT, "{t}");
        assert_eq!(t["subject_token_sha256"], sha256_hex(&user_token), "{t}");
        assert_eq!(t["client_id"], VAULT_CLIENT, "{t}");
    }
    // The approval was asked of the approver, by the CIBA application.
    let requests = idp.ciba_requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0]["account_id"], APPROVER);
    assert_eq!(requests[0]["client_id"], crate::idp::CIBA_CLIENT);
}

#[test]
fn each_application_does_only_what_auth0_lets_it() {
    use crate::idp::{CIBA_CLIENT, OTHER_API_CLIENT, VAULT_CLIENT};
    let idp = crate::idp::Idp::start();
    let s = SheetsEnv::example();
    trust_idp(&s.google, &idp);
    assert_eq!(crate::idp::login(&s.env, &idp, true).0, 0);
    let plan = |ciba: &str, vault: &str| {
        run(two_clients(s.vault_cmd(&idp), ciba, vault).args([
            "plan",
            "mark STR-002 out of stock",
            "-o",
            "plan.json",
        ]))
    };
    // A Custom API Client of another API may not exchange a token for ours (Auth0: 403).
    let (code, _, stderr) = plan(CIBA_CLIENT, OTHER_API_CLIENT);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("Token Vault refused the exchange by `cli-other-api`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("check CHANGESET_TOKEN_VAULT_CLIENT_ID"),
        "{stderr}"
    );
    // The CIBA application has no Token Vault grant.
    let (code, _, stderr) = plan(CIBA_CLIENT, CIBA_CLIENT);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("CHANGESET_TOKEN_VAULT_CLIENT_ID"),
        "{stderr}"
    );
    assert!(minted(&format!("{}/_test/federated_tokens", idp.base_url)).is_empty());
    assert_eq!(
        s.google.requests().len(),
        0,
        "no Google call without a token"
    );

    // The Custom API Client has no CIBA grant: the approval request is refused, nothing written.
    let (code, _, stderr) = plan(CIBA_CLIENT, VAULT_CLIENT);
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = run(
        two_clients(s.vault_cmd(&idp), VAULT_CLIENT, VAULT_CLIENT).args([
            "apply",
            "plan.json",
            "--approval",
            "ciba",
            "--no-input",
        ]),
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("refused the confidential application `cli-vault` for CIBA"),
        "{stderr}"
    );
    assert!(
        stderr.contains("check CHANGESET_CIBA_CLIENT_ID"),
        "{stderr}"
    );
    assert!(idp.ciba_requests().is_empty());
    assert_eq!(s.google.count(Op::BatchUpdate), 0);
}

/// What a script reading stderr gets: with `--format json` every stderr line is one JSON object
/// (retry notes included), `-q` drops the notes, and text mode keeps `note:` lines.
#[test]
fn stderr_is_json_lines_in_json_mode_and_quiet_drops_notes() {
    let s = SheetsEnv::example();
    let plan_with_retry = |extra: &[&str]| {
        s.google
            .inject(Op::BatchGet, 0, Action::RateLimit { retry_after: 0 });
        let mut cmd = s.cmd();
        cmd.args(["plan", "mark STR-002 out of stock"]).args(extra);
        let (code, _, stderr) = run(&mut cmd);
        assert_eq!(code, 0, "{stderr}");
        stderr
    };
    let json = plan_with_retry(&["--format", "json"]);
    let lines: Vec<Value> = json
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .collect();
    assert!(!lines.is_empty(), "the retry was not reported");
    let shown: Vec<String> = lines
        .iter()
        .map(|l| format!("{} | {}", l["level"], l["message"]))
        .collect();
    insta::with_settings!({ filters => vec![(r"retrying in [0-9.]+ s", "retrying in [WAIT] s")] }, {
        insta::assert_snapshot!("stderr_json_mode", shown.join("\n"));
    });
    assert_eq!(plan_with_retry(&["--format", "json", "-q"]), "");
    // Logs too (-v): one JSON object a line.
    let verbose = plan_with_retry(&["--format", "json", "-v"]);
    assert!(verbose.lines().count() > lines.len(), "{verbose}");
    for line in verbose.lines() {
        serde_json::from_str::<Value>(line).unwrap_or_else(|_| panic!("not JSON: {line}"));
    }
    let text = plan_with_retry(&[]);
    assert!(
        text.lines()
            .any(|l| l.starts_with("note: Google Sheets answered 429")),
        "{text}"
    );
    let (code, _, err) = run(s
        .cmd()
        .args(["plan", "delete everything", "--format", "json"]));
    assert_eq!(code, 1);
    for line in err.lines() {
        serde_json::from_str::<Value>(line).unwrap_or_else(|_| panic!("not JSON: {line}"));
    }
}
