//! The CI examples (issue 17): examples/ci/changeset-ci.sh, the one script both workflows run, is
//! run here as CI runs it (fresh directory per job, CI=true, no stdin, the refresh token from the
//! environment) against the test IdP, its Token Vault and a fake Google Sheet.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::fake_google::{self, FakeGoogle};
use crate::idp::{self, Idp, login, stored, with_ciba_env};
use crate::support::{TestEnv, filters, repo_root};

const SHEET: &str = "sheet-1";
const TAB: &str = "Products";
const SCRIPT: &str = "examples/ci/changeset-ci.sh";

/// One CI setup: the IdP (refresh token rotation off, as the README asks for the CI login), a
/// sheet holding the example catalog, and the refresh token a person's login produced.
struct Ci {
    idp: Idp,
    google: FakeGoogle,
    refresh_token: String,
}

impl Ci {
    fn new() -> Ci {
        let idp = Idp::start_with(&[("ROTATE_REFRESH", "0")]);
        let google = FakeGoogle::start(SHEET);
        let catalog = std::fs::read_to_string(crate::support::example_catalog()).unwrap();
        google.add_tab(TAB, fake_google::typed_rows_from_csv(&catalog));
        crate::sheets::trust_idp(&google, &idp);
        let person = TestEnv::new();
        assert_eq!(
            login(&person, &idp, true).0,
            0,
            "the login CI's token comes from"
        );
        let refresh_token = stored(&person)["refresh_token"]
            .as_str()
            .unwrap()
            .to_string();
        Ci {
            idp,
            google,
            refresh_token,
        }
    }

    /// A fresh job: its own checkout holding the request, its own (empty) data directory.
    fn job(&self, request: &str) -> TestEnv {
        let job = TestEnv::new();
        std::fs::write(job.path().join("changeset-request.txt"), request).unwrap();
        job
    }

    /// `changeset-ci.sh MODE` in the job's directory, with what the workflows put in the
    /// environment and `changeset` on the PATH.
    fn run(&self, job: &TestEnv, mode: &str) -> (i32, String, String) {
        let mut cmd = Command::new("bash");
        cmd.arg(repo_root().join(SCRIPT)).arg(mode);
        with_ciba_env(&mut cmd, job, &self.idp);
        let bin = assert_cmd::cargo::cargo_bin!("changeset");
        let path = std::env::join_paths(
            std::iter::once(bin.parent().unwrap().to_path_buf())
                .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
        )
        .unwrap();
        cmd.env("PATH", path)
            .env("CI", "true")
            .env_remove("CHANGESET_CREDENTIAL_STORE")
            .env("CHANGESET_REFRESH_TOKEN", &self.refresh_token)
            .env("CHANGESET_SOURCE", format!("sheets:{SHEET}/{TAB}"))
            .env("CHANGESET_SHEETS_API_URL", self.google.url())
            .env("CHANGESET_GMAIL_API_URL", self.google.url())
            .env("GITHUB_STEP_SUMMARY", job.path().join("summary.md"))
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .stdin(Stdio::null());
        let out = cmd.output().expect("run bash");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// The merge job, with the approver answering the push (`approve`) once it arrives.
    fn apply(&self, job: &TestEnv, approve: bool) -> (i32, String, String) {
        std::thread::scope(|s| {
            s.spawn(|| {
                let request = self.idp.wait_ciba_pending(idp::USER);
                self.idp.settle_ciba(&request, approve);
            });
            self.run(job, "apply")
        })
    }

    fn cell(&self, key: &str) -> Value {
        self.google.cell(TAB, key, "Promo Price")
    }
}

fn read(job: &TestEnv, name: &str) -> String {
    std::fs::read_to_string(job.path().join(name))
        .unwrap_or_else(|e| panic!("{name} was not written: {e}"))
}

fn artifacts(job: &TestEnv) -> Vec<PathBuf> {
    ["plan.txt", "plan.json", "receipt.txt", "summary.md"]
        .iter()
        .map(|name| job.path().join(name))
        .filter(|p| p.exists())
        .collect()
}

#[test]
fn a_pull_request_gets_the_plan_table_and_the_merge_applies_it_once_approved() {
    let ci = Ci::new();
    let before = ci.cell("STR-001");

    // Pull request: the plan, as a table for the artifact and the job summary; nothing written.
    let pr = ci.job("put STR-001 on 20% off");
    let (code, stdout, pr_log) = ci.run(&pr, "plan");
    assert_eq!(code, 0, "a plan with changes is a green job: {pr_log}");
    let table = read(&pr, "plan.txt");
    assert_eq!(stdout, table, "the log shows the table the artifact holds");
    let plan: Value = serde_json::from_str(&read(&pr, "plan.json")).unwrap();
    assert!(table.contains(plan["id"].as_str().unwrap()), "{table}");
    assert!(read(&pr, "summary.md").contains(&table));
    insta::with_settings!({ filters => filters() }, {
        insta::assert_snapshot!("ci_plan_table", table);
    });
    assert_eq!(ci.cell("STR-001"), before, "the plan job wrote nothing");
    assert!(
        ci.idp.ciba_requests().is_empty(),
        "the plan job asked nobody"
    );

    // Merge: a fresh job plans the merged request and applies it once the push is approved.
    let merge = ci.job("put STR-001 on 20% off");
    let (code, stdout, stderr) = ci.apply(&merge, true);
    assert_eq!(code, 0, "{stderr}");
    assert_ne!(
        ci.cell("STR-001"),
        before,
        "the approved change was written"
    );
    let receipt = read(&merge, "receipt.txt");
    assert!(stdout.ends_with(&receipt), "{stdout}");
    assert!(receipt.contains("ciba"), "{receipt}");
    let sent = ci.idp.ciba_requests();
    assert_eq!(sent.len(), 1, "{sent:?}");
    // A new plan (its own id), with the changes the pull request showed: the catalog held still.
    let applied: Value = serde_json::from_str(&read(&merge, "plan.json")).unwrap();
    assert_eq!(
        applied["operations"], plan["operations"],
        "the merge applied the changes the pull request showed"
    );

    // The artifacts and logs hold no token, and the environment's token was never written.
    for (job, log) in [
        (&pr, format!("{table}{pr_log}")),
        (&merge, format!("{stdout}{stderr}")),
    ] {
        ci.idp.assert_no_leak(job, &log, &artifacts(job));
        assert!(!job.data_dir().join("credentials.json").exists());
    }
}

#[test]
fn a_denied_push_fails_the_merge_job_with_exit_5_and_writes_nothing() {
    let ci = Ci::new();
    let before = ci.cell("STR-001");
    let merge = ci.job("put STR-001 on 20% off");
    let (code, _, stderr) = ci.apply(&merge, false);
    assert_eq!(code, 5, "{stderr}");
    assert!(stderr.contains("denied"), "{stderr}");
    assert_eq!(ci.cell("STR-001"), before);
}

#[test]
fn a_request_without_changes_is_green_and_asks_nobody() {
    let ci = Ci::new();
    // STR-001 is already in stock in the example catalog: nothing to change.
    let request = "mark STR-001 in stock";
    let pr = ci.job(request);
    let (code, _, stderr) = ci.run(&pr, "plan");
    assert_eq!(code, 0, "{stderr}");
    let merge = ci.job(request);
    let (code, _, stderr) = ci.run(&merge, "apply");
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("nothing to apply"), "{stderr}");
    assert!(!merge.path().join("receipt.txt").exists());
    assert!(ci.idp.ciba_requests().is_empty());
}

#[test]
fn an_unreadable_request_fails_the_job_with_changesets_exit_code() {
    let ci = Ci::new();
    let pr = ci.job("make everything nicer");
    let (code, _, stderr) = ci.run(&pr, "plan");
    assert_eq!(code, 1, "{stderr}");
}

/// Both workflows run the tested script, in the job that matches each mode.
#[test]
fn both_workflows_run_the_tested_script() {
    for (file, plan_job, apply_job) in [
        ("github-actions.yml", "pull_request", "push"),
        ("gitlab-ci.yml", "merge_request_event", "CI_DEFAULT_BRANCH"),
    ] {
        let path = Path::new(&repo_root()).join("examples/ci").join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        let plan_at = text
            .find(&format!("{SCRIPT} plan"))
            .unwrap_or_else(|| panic!("{file} does not run `{SCRIPT} plan`"));
        let apply_at = text
            .find(&format!("{SCRIPT} apply"))
            .unwrap_or_else(|| panic!("{file} does not run `{SCRIPT} apply`"));
        // Each command sits under the trigger of its job (the last one named before it).
        let trigger_before = |at: usize| {
            let head = &text[..at];
            match (head.rfind(plan_job), head.rfind(apply_job)) {
                (Some(p), Some(a)) => Some(if p > a { plan_job } else { apply_job }),
                (p, a) => p.map(|_| plan_job).or(a.map(|_| apply_job)),
            }
        };
        assert_eq!(trigger_before(plan_at), Some(plan_job), "{file}");
        assert_eq!(trigger_before(apply_at), Some(apply_job), "{file}");
        for secret in ["CHANGESET_REFRESH_TOKEN", "CHANGESET_CLIENT_SECRET"] {
            assert!(text.contains(secret), "{file} does not pass {secret}");
        }
        assert!(
            text.contains("plan.txt"),
            "{file} does not keep the plan table"
        );
    }
}
