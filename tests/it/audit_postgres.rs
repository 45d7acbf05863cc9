//! The shared audit log on a real PostgreSQL (tests/support/postgres.rs): the same commands as
//! on SQLite, one linear chain under concurrent appends from many processes, a plan applied
//! once across them, `audit migrate` keeping every hash, and clear connection errors.

use std::path::Path;
use std::process::Stdio;

use crate::pg;
use crate::support::{TestEnv, run};

fn with_url(env: &TestEnv, url: &str) -> assert_cmd::Command {
    let mut cmd = env.cmd();
    cmd.env("CHANGESET_AUDIT_URL", url);
    cmd
}

fn apply(env: &TestEnv, url: &str, rules: &Path, request: &str) -> (i32, String, String) {
    run(with_url(env, url)
        .args(["apply", request, "--no-input"])
        .arg("--rules")
        .arg(rules))
}

fn list_hashes(env: &TestEnv, url: Option<&str>) -> Vec<String> {
    let mut cmd = env.cmd();
    if let Some(url) = url {
        cmd.env("CHANGESET_AUDIT_URL", url);
    }
    let (code, stdout, stderr) = run(cmd.args(["audit", "list", "--format", "json"]));
    assert_eq!(code, 0, "{stderr}");
    let list: Vec<serde_json::Value> = serde_json::from_str(&stdout).unwrap();
    list.iter()
        .map(|s| s["hash"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn every_audit_command_works_on_a_shared_postgres_log() {
    let url = pg::database();
    let env = TestEnv::new();
    let rules = env.rules_with_auto_approve(3);
    for price in [101, 102, 103] {
        let (code, _, stderr) = apply(&env, &url, &rules, &format!("set STR-001 price to {price}"));
        assert_eq!(code, 0, "{stderr}");
    }
    assert!(
        !env.data_dir().join("audit.db").exists(),
        "nothing went to the local SQLite store"
    );
    assert_eq!(list_hashes(&env, Some(&url)).len(), 3);
    let (code, stdout, stderr) = run(with_url(&env, &url).args(["audit", "verify"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("3 receipt(s) verified"), "{stdout}");

    // Checkpoints and proofs work on it the same way.
    assert_eq!(run(with_url(&env, &url).args(["audit", "keygen"])).0, 0);
    let (code, note, stderr) = run(with_url(&env, &url).args(["audit", "checkpoint"]));
    assert_eq!(code, 0, "{stderr}");
    std::fs::write(env.path().join("c.txt"), note).unwrap();
    let (code, _, stderr) = apply(&env, &url, &rules, "set STR-001 price to 104");
    assert_eq!(code, 0, "{stderr}");
    let (code, stdout, stderr) = run(with_url(&env, &url)
        .args(["audit", "verify", "--checkpoint", "c.txt", "--key"])
        .arg(env.data_dir().join("audit-signing.key.pub")));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("extends the checkpoint of 3"), "{stdout}");
    let (code, proof, stderr) = run(with_url(&env, &url).args(["audit", "prove", "CS-"]));
    assert_eq!(
        code, 1,
        "a prefix matching several receipts is refused: {proof}"
    );
    assert!(stderr.contains("matches 4 receipts"), "{stderr}");

    // A plan is applied once; recover has nothing to do.
    let plan = env.path().join("plan.json");
    let (code, _, stderr) = run(with_url(&env, &url)
        .args(["plan", "set STR-002 price to 150", "-o"])
        .arg(&plan)
        .arg("--rules")
        .arg(&rules));
    assert_eq!(code, 0, "{stderr}");
    let plan_arg = plan.to_str().unwrap();
    assert_eq!(apply(&env, &url, &rules, plan_arg).0, 0);
    assert_eq!(apply(&env, &url, &rules, plan_arg).0, 3);
    let (code, stdout, _) = run(with_url(&env, &url)
        .args(["recover"])
        .arg("--rules")
        .arg(&rules));
    assert_eq!(code, 0);
    assert!(stdout.contains("Nothing to recover"), "{stdout}");
}

#[test]
fn audit_migrate_copies_a_sqlite_log_with_identical_hashes_and_merkle_root() {
    let env = TestEnv::new();
    let rules = env.rules_with_auto_approve(3);
    for price in [101, 102, 103, 104, 105] {
        let (code, _, stderr) = run(env
            .cmd()
            .args([
                "apply",
                &format!("set STR-001 price to {price}"),
                "--no-input",
            ])
            .arg("--rules")
            .arg(&rules));
        assert_eq!(code, 0, "{stderr}");
    }
    assert_eq!(run(env.cmd().args(["audit", "keygen"])).0, 0);
    let (_, local_checkpoint, _) = run(env.cmd().args(["audit", "checkpoint"]));
    std::fs::write(env.path().join("local.txt"), &local_checkpoint).unwrap();
    let local = list_hashes(&env, None);

    let url = pg::database();
    let (code, stdout, stderr) = run(env.cmd().args(["audit", "migrate", "--to", &url]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("copied 5 receipt(s)"), "{stdout}");
    assert_eq!(
        list_hashes(&env, Some(&url)),
        local,
        "every hash is kept, in order"
    );

    // The local checkpoint is a checkpoint of the shared log: same size, same root.
    let (_, shared_checkpoint, _) = run(with_url(&env, &url).args(["audit", "checkpoint"]));
    assert_eq!(shared_checkpoint, local_checkpoint);
    let (code, _, stderr) = run(with_url(&env, &url)
        .args(["audit", "verify", "--checkpoint", "local.txt", "--key"])
        .arg(env.data_dir().join("audit-signing.key.pub")));
    assert_eq!(code, 0, "{stderr}");

    // The plan ids came along: a plan applied locally is not applied again on the shared log.
    let (_, list, _) = run(env.cmd().args(["audit", "list", "--format", "json"]));
    let list: Vec<serde_json::Value> = serde_json::from_str(&list).unwrap();
    let mut shared = changeset::audit::PostgresStore::open(&url).unwrap();
    use changeset::audit::AuditStore;
    assert!(
        shared
            .check_unclaimed(list[0]["plan_id"].as_str().unwrap())
            .is_err()
    );

    // A second migration into the now non-empty log is refused.
    let (code, _, stderr) = run(env.cmd().args(["audit", "migrate", "--to", &url]));
    assert_eq!(code, 1);
    assert!(stderr.contains("already holds 5 receipt(s)"), "{stderr}");
}

/// Acceptance: 4 processes x 250 applies (auto-approved, CSV sources) on one shared log.
/// Each worker has its own catalog copy and data directory; only the audit log is shared.
#[test]
fn four_processes_applying_250_times_each_make_one_linear_chain() {
    const WORKERS: usize = 4;
    const APPLIES: usize = 250;
    let url = pg::database();
    let started = std::time::Instant::now();
    let workers: Vec<_> = (0..WORKERS)
        .map(|w| {
            let url = url.clone();
            std::thread::spawn(move || {
                let env = TestEnv::new();
                let rules = env.rules_with_auto_approve(3);
                for i in 0..APPLIES {
                    // Above every promo price, so no forbid rule applies (STR-003's runs at 135.99).
                    let request = format!("set STR-00{} price to {}", 1 + w % 3, 200 + i);
                    let (code, _, stderr) = apply(&env, &url, &rules, &request);
                    assert_eq!(code, 0, "worker {w}, apply {i}: {stderr}");
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("a worker failed");
    }
    let elapsed = started.elapsed();
    eprintln!(
        "{} applies by {WORKERS} concurrent workers in {:.1} s ({:.1} applies/s)",
        WORKERS * APPLIES,
        elapsed.as_secs_f64(),
        (WORKERS * APPLIES) as f64 / elapsed.as_secs_f64()
    );

    let env = TestEnv::new();
    let (code, stdout, stderr) = run(with_url(&env, &url).args(["audit", "verify"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("1000 receipt(s) verified"), "{stdout}");
    let mut db = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let row = db
        .query_one(
            "SELECT count(*), count(DISTINCT plan_id), count(DISTINCT prev_hash), min(seq), max(seq) FROM receipts",
            &[],
        )
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), 1000);
    assert_eq!(row.get::<_, i64>(1), 1000, "no plan id was applied twice");
    assert_eq!(
        row.get::<_, i64>(2),
        999,
        "every receipt but the first follows a different one: no fork"
    );
    assert_eq!((row.get::<_, i64>(3), row.get::<_, i64>(4)), (0, 999));
}

/// Acceptance: 4 processes racing to apply the SAME plan file: exactly one applies.
#[test]
fn four_processes_racing_on_one_plan_file_apply_it_exactly_once() {
    let url = pg::database();
    let env = TestEnv::new();
    let rules = env.rules_with_auto_approve(3);
    let plan = env.path().join("plan.json");
    let (code, _, stderr) = run(with_url(&env, &url)
        .args(["plan", "set STR-001 price to 120", "-o"])
        .arg(&plan)
        .arg("--rules")
        .arg(&rules));
    assert_eq!(code, 0, "{stderr}");
    let children: Vec<_> = (0..4)
        .map(|_| {
            env.std_cmd()
                .env("CHANGESET_AUDIT_URL", &url)
                .arg("apply")
                .arg(&plan)
                .arg("--no-input")
                .arg("--rules")
                .arg(&rules)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut codes: Vec<i32> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap().status.code().unwrap())
        .collect();
    codes.sort();
    assert_eq!(codes, vec![0, 3, 3, 3], "exactly one applies, three exit 3");
    assert_eq!(list_hashes(&env, Some(&url)).len(), 1);
}

#[test]
fn connection_errors_name_the_database_and_the_cause() {
    let port = pg::port();
    let env = TestEnv::new();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cases = [
        (
            format!("postgres://alice@127.0.0.1:{closed}/team?sslmode=disable"),
            format!(
                "cannot connect to the audit database postgres://alice@127.0.0.1:{closed}/team"
            ),
            "refused",
        ),
        (
            format!("postgres://postgres@127.0.0.1:{port}/nope?sslmode=disable"),
            "database \"nope\" does not exist".to_string(),
            "hint: check CHANGESET_AUDIT_URL",
        ),
        // The server's certificate comes from a CA the system does not trust.
        (
            format!("postgres://postgres@127.0.0.1:{port}/postgres?sslmode=require"),
            "cannot connect to the audit database".to_string(),
            "hint: the server's TLS certificate is not trusted here",
        ),
        // A role the server admits over TLS only, asked for without TLS.
        (
            format!("postgres://tlsonly@127.0.0.1:{port}/postgres?sslmode=disable"),
            "no encryption".to_string(),
            "hint: check CHANGESET_AUDIT_URL",
        ),
        (
            format!("postgres://postgres@127.0.0.1:{port}/postgres?sslmode=sometimes"),
            "unknown sslmode `sometimes`".to_string(),
            "hint: use postgres://",
        ),
        (
            "mysql://127.0.0.1/x".to_string(),
            "not a PostgreSQL URL".to_string(),
            "hint: use postgres://",
        ),
    ];
    for (url, message, detail) in cases {
        let (code, _, stderr) = run(with_url(&env, &url).args(["audit", "list"]));
        assert_eq!(code, 1, "{url}: {stderr}");
        assert!(stderr.contains(&message), "{url}: {stderr}");
        assert!(stderr.contains(detail), "{url}: {stderr}");
    }
    // A password in the URL is never shown.
    let (_, _, stderr) = run(with_url(
        &env,
        &format!("postgres://alice:s3cret@127.0.0.1:{closed}/team?sslmode=disable"),
    )
    .args(["audit", "list"]));
    assert!(!stderr.contains("s3cret"), "{stderr}");
}

/// A connection lost mid-apply leaves the claim in the shared journal, like a crash: `recover`
/// on any machine settles it from there (here: the write had landed, so it seals the receipt).
#[test]
fn recover_settles_an_apply_cut_off_from_the_shared_log() {
    let url = pg::database();
    let env = TestEnv::new();
    let rules = env.rules_with_auto_approve(3);
    let plan_path = env.path().join("plan.json");
    let (code, _, stderr) = run(with_url(&env, &url)
        .args(["plan", "mark STR-002 out of stock", "-o"])
        .arg(&plan_path)
        .arg("--rules")
        .arg(&rules));
    assert_eq!(code, 0, "{stderr}");
    crate::support::claim_as_interrupted(
        &mut changeset::audit::PostgresStore::open(&url).unwrap(),
        &plan_path,
    );
    let written = env.catalog_text().replace(
        "STR-002,Cloud Runner,Running,149.99,,FALSE,in_stock",
        "STR-002,Cloud Runner,Running,149.99,,FALSE,out_of_stock",
    );
    std::fs::write(env.catalog(), &written).unwrap();
    assert_eq!(
        apply(&env, &url, &rules, plan_path.to_str().unwrap()).0,
        3,
        "the claimed plan is not applied again"
    );
    let (code, stdout, stderr) = run(with_url(&env, &url)
        .args(["recover", "--format", "json"])
        .arg("--rules")
        .arg(&rules));
    assert_eq!(code, 0, "{stderr}");
    let outcomes: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(outcomes[0]["action"], "completed", "{stdout}");
    assert_eq!(list_hashes(&env, Some(&url)).len(), 1);
    assert_eq!(run(with_url(&env, &url).args(["audit", "verify"])).0, 0);
}

/// sslmode=verify-full with the server's CA: the connection is TLS (the `tlsonly` role is
/// admitted over TLS only) and the certificate was checked (without the CA it is refused, above).
#[test]
fn tls_with_a_trusted_ca_connects_and_the_log_works() {
    let plain = pg::database();
    let db = plain.rsplit('/').next().unwrap().split('?').next().unwrap();
    let url = format!(
        "postgres://tlsonly@127.0.0.1:{}/{db}?sslmode=verify-full&sslrootcert={}",
        pg::port(),
        pg::ca_cert().display()
    );
    let env = TestEnv::new();
    let rules = env.rules_with_auto_approve(3);
    let (code, _, stderr) = apply(&env, &url, &rules, "set STR-001 price to 120");
    assert_eq!(code, 0, "{stderr}");
    let (code, stdout, stderr) = run(with_url(&env, &url).args(["audit", "verify"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("1 receipt(s) verified"), "{stdout}");
}

/// `doctor` reaches the shared log without changing it, and names the cause when it cannot.
#[test]
fn doctor_checks_the_shared_log_without_changing_it() {
    let url = pg::database();
    let env = TestEnv::new();
    let audit_check = |url: &str| {
        let (_, stdout, _) = run(with_url(&env, url).args(["doctor", "--format", "json"]));
        let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "audit log")
            .cloned()
            .unwrap()
    };
    let fresh = audit_check(&url);
    assert_eq!(fresh["status"], "ok", "{fresh}");
    assert!(
        fresh["detail"]
            .as_str()
            .unwrap()
            .contains("created on first use"),
        "{fresh}"
    );
    let rules = env.rules_with_auto_approve(3);
    assert_eq!(apply(&env, &url, &rules, "set STR-001 price to 120").0, 0);
    let used = audit_check(&url);
    assert!(
        used["detail"].as_str().unwrap().ends_with(": 1 receipt(s)"),
        "{used}"
    );

    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let down = audit_check(&format!(
        "postgres://alice@127.0.0.1:{closed}/team?sslmode=disable"
    ));
    assert_eq!(down["status"], "fail", "{down}");
    assert!(
        down["hints"][0]
            .as_str()
            .unwrap()
            .contains("CHANGESET_AUDIT_URL"),
        "{down}"
    );
}
