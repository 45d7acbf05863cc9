//! A hermetic environment for running the `changeset` binary: its own data directory, a copy of
//! the example catalog, fixed time, no colour, no inherited CHANGESET_* variables.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use tempfile::TempDir;

pub struct TestEnv {
    pub dir: TempDir,
}

impl TestEnv {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::copy(example_catalog(), dir.path().join("catalog.csv")).expect("copy catalog");
        std::fs::create_dir_all(dir.path().join("data")).expect("data dir");
        TestEnv { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn catalog(&self) -> PathBuf {
        self.path().join("catalog.csv")
    }

    pub fn data_dir(&self) -> PathBuf {
        self.path().join("data")
    }

    pub fn catalog_text(&self) -> String {
        std::fs::read_to_string(self.catalog()).expect("read catalog")
    }

    /// `changeset` with a clean environment, run in the temp dir against its catalog copy.
    pub fn cmd(&self) -> Command {
        Command::from_std(self.std_cmd())
    }

    /// The same as a `std::process::Command`, for spawning several at once.
    pub fn std_cmd(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("changeset"));
        self.isolate(&mut cmd);
        cmd
    }

    /// `changeset ARGS` in a pseudo-terminal, answering each (prompt text, reply) in turn.
    pub fn interactive(&self, args: &[&str], answers: &[(&str, &str)]) -> std::process::Command {
        let mut cmd = std::process::Command::new("python3");
        cmd.arg(repo_root().join("tests/support/pty_drive.py"));
        for (prompt, reply) in answers {
            cmd.arg("--answer").arg(format!("{prompt}={reply}"));
        }
        cmd.arg("--")
            .arg(assert_cmd::cargo::cargo_bin("changeset"))
            .args(args);
        self.isolate(&mut cmd);
        cmd
    }

    /// The environment every run gets: no inherited CHANGESET_* or CI, fixed time, no colour.
    pub fn isolate(&self, cmd: &mut std::process::Command) {
        for (key, _) in std::env::vars() {
            if key.starts_with("CHANGESET_") {
                cmd.env_remove(key);
            }
        }
        cmd.current_dir(self.path())
            .env("CHANGESET_DATA_DIR", self.data_dir())
            .env("CHANGESET_SOURCE", self.catalog())
            .env("CHANGESET_NOW", "2026-11-23T12:00:00Z")
            .env("NO_COLOR", "1")
            .env("HOME", self.path())
            .env("TERM", "xterm")
            .env_remove("CLICOLOR_FORCE")
            .env_remove("CI");
    }

    /// Writes a rules file that is the default rules with another auto_approve_max_tier.
    pub fn rules_with_auto_approve(&self, tier: u8) -> PathBuf {
        let text = changeset::policy::DEFAULT_RULES.replace(
            "auto_approve_max_tier = 1",
            &format!("auto_approve_max_tier = {tier}"),
        );
        let path = self.path().join(format!("rules-auto-{tier}.toml"));
        std::fs::write(&path, text).expect("write rules");
        path
    }
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn example_catalog() -> PathBuf {
    repo_root().join("examples/catalog.csv")
}

/// insta filters for what varies between runs: temp paths, ids, hashes, times, durations.
pub fn filters() -> Vec<(&'static str, &'static str)> {
    vec![
        (r"/tmp/\.tmp[A-Za-z0-9]+", "[TMP]"),
        (r"/private/var/folders/[^ \x22]+/\.tmp[A-Za-z0-9]+", "[TMP]"),
        (r"CS-[0-9A-F]{8}", "[PLAN_ID]"),
        (r"R-[0-9A-F]{12}", "[RECEIPT_ID]"),
        (r"sha256:[0-9a-f]{64}", "[SHA256]"),
        (r"sha256:[0-9a-f]{16}", "[SHA256_SHORT]"),
        (r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z", "[TIME]"),
        // Tables and timelines show seconds (src/clock.rs); a distinct marker keeps that visible.
        (r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z", "[TIME_S]"),
        (
            r#""(approval|write|verify|total)_ms": \d+"#,
            r#""${1}_ms": "[MS]""#,
        ),
        (r"local:[A-Za-z0-9_.-]+", "local:[USER]"),
        // The plan-hash prefix shown to approvers.
        (r"#[0-9a-f]{8}\b", "#[HASH8]"),
    ]
}

/// Runs a command and returns (exit code, stdout, stderr).
pub fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().expect("run changeset");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The exit code, stdout and stderr as one text, for snapshots.
pub fn transcript(cmd: &mut Command) -> String {
    let (code, stdout, stderr) = run(cmd);
    format!("exit: {code}\n--- stdout\n{stdout}--- stderr\n{stderr}")
}

/// Claims a plan in a store's journal as an apply that was cut off after its claim (a crash, a
/// kill, a lost connection) would have left it; returns the plan id.
pub fn claim_as_interrupted(
    store: &mut dyn changeset::audit::AuditStore,
    plan_path: &Path,
) -> String {
    let plan = changeset::plan::file::read(plan_path).unwrap();
    let approval = serde_json::json!({
        "method": "auto", "tier": plan.tier, "approvers": [], "approved_at": "2026-11-23T12:00:00Z",
        "plan_hash": plan.hash()
    });
    store
        .claim_plan(&changeset::audit::Claim {
            plan_id: &plan.id,
            plan_hash: &plan.hash(),
            plan: &serde_json::to_string(&plan).unwrap(),
            approval: &approval.to_string(),
            now: "2026-11-23T12:00:00Z",
        })
        .unwrap();
    plan.id
}
