//! What users see of the CLI itself: help text, completions, the README's tables.

use clap::CommandFactory;
use insta::assert_snapshot;

use crate::support::{TestEnv, repo_root, run, transcript};

const SHELLS: [(&str, &str); 5] = [
    ("bash", "changeset.bash"),
    ("zsh", "_changeset"),
    ("fish", "changeset.fish"),
    ("powershell", "_changeset.ps1"),
    ("elvish", "changeset.elv"),
];

#[test]
fn shipped_completions_match_the_cli() {
    let env = TestEnv::new();
    for (shell, file) in SHELLS {
        let (code, generated, _) = run(env.cmd().args(["completions", shell]));
        assert_eq!(code, 0);
        let path = repo_root().join("completions").join(file);
        let shipped = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            shipped == generated,
            "completions/{file} is out of date with the CLI; regenerate with scripts/gen-completions.sh"
        );
    }
}

/// Every command path (`[]`, `["audit"]`, `["audit", "show"]`, ...), from the clap definitions,
/// so a new subcommand gets its help snapshot without anyone listing it here.
fn command_paths() -> Vec<Vec<String>> {
    fn walk(cmd: &clap::Command, path: Vec<String>, out: &mut Vec<Vec<String>>) {
        out.push(path.clone());
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            let mut next = path.clone();
            next.push(sub.get_name().to_string());
            walk(sub, next, out);
        }
    }
    let mut out = Vec::new();
    walk(&changeset::cli::Cli::command(), Vec::new(), &mut out);
    out
}

/// man/ holds exactly the pages `changeset man --out-dir` writes, byte for byte, and
/// `changeset man audit show` prints the same page as the shipped file.
#[test]
fn shipped_man_pages_match_the_cli() {
    let env = TestEnv::new();
    let out = env.path().join("man");
    let (code, _, stderr) = run(env.cmd().arg("man").arg("--out-dir").arg(&out));
    assert_eq!(code, 0, "{stderr}");
    let pages = |dir: &std::path::Path| -> std::collections::BTreeMap<String, String> {
        std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "1"))
            .map(|p| {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read_to_string(&p).unwrap())
            })
            .collect()
    };
    let generated = pages(&out);
    let shipped = pages(&repo_root().join("man"));
    // One page per command, help excluded.
    assert_eq!(generated.len(), command_paths().len());
    assert!(
        generated == shipped,
        "man/ is out of date with the CLI (pages differ: {:?}); regenerate with scripts/gen-completions.sh",
        generated
            .keys()
            .chain(shipped.keys())
            .filter(|k| generated.get(*k) != shipped.get(*k))
            .collect::<std::collections::BTreeSet<_>>()
    );
    let (code, page, _) = run(env.cmd().args(["man", "audit", "show"]));
    assert_eq!(code, 0);
    assert_eq!(page, shipped["changeset-audit-show.1"]);
    assert!(page.contains(".SH SYNOPSIS"), "{page}");
    let (code, _, stderr) = run(env.cmd().args(["man", "no-such-command"]));
    assert_eq!(code, 2, "{stderr}");
}

#[test]
fn help_texts() {
    let env = TestEnv::new();
    for path in command_paths() {
        let name = std::iter::once("help".to_string())
            .chain(path.iter().cloned())
            .collect::<Vec<_>>()
            .join("_");
        assert_snapshot!(name, transcript(env.cmd().args(&path).arg("--help")));
    }
}

/// The global flags a command does not read are not offered (issue: `audit export --help`
/// listed `--rules`, `--yes`, `--source`) and are refused as usage errors, not ignored.
#[test]
fn each_command_offers_only_the_flags_it_reads() {
    let env = TestEnv::new();
    let (_, help, _) = run(env.cmd().args(["audit", "export", "--help"]));
    for flag in ["--rules", "--yes", "--source", "--no-input", "--format"] {
        assert!(
            !help.contains(flag),
            "audit export --help offers {flag}:\n{help}"
        );
    }
    let (_, help, _) = run(env.cmd().args(["apply", "--help"]));
    for flag in [
        "--rules",
        "--yes",
        "--source",
        "--no-input",
        "--format",
        "--config",
    ] {
        assert!(help.contains(flag), "apply --help lacks {flag}:\n{help}");
    }
    let (code, _, stderr) = run(env.cmd().args(["audit", "export", "--yes"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--yes"), "{stderr}");
    // The flags every command reads still work before or after the subcommand.
    let (code, _, stderr) = run(env
        .cmd()
        .args(["-q", "audit", "list", "--config", "none.toml"]));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("none.toml"), "{stderr}");
}

#[test]
fn usage_errors_exit_2() {
    let env = TestEnv::new();
    let (code, _, stderr) = run(env.cmd().args(["plan"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("REQUEST"), "{stderr}");
}

#[test]
fn the_readme_documents_every_environment_variable_and_exit_code() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    for (name, _) in changeset::env::ALL {
        assert!(
            readme.contains(&format!("`{name}`")),
            "README.md does not document {name}"
        );
    }
    for code in [0, 1, 2, 3, 4, 5, 6, 10, 130] {
        assert!(
            readme.contains(&format!("| {code} |")),
            "README.md exit-code table lacks {code}"
        );
    }
}

/// With `$USER` and `$LOGNAME` unset (cron, some containers) the receipt still names the OS
/// account, not `local:unknown`; `$LOGNAME` is used when only `$USER` is missing.
#[test]
fn the_local_user_falls_back_to_logname_then_the_os_account() {
    let os_user = std::process::Command::new("id")
        .arg("-un")
        .output()
        .expect("id -un");
    let os_user = String::from_utf8_lossy(&os_user.stdout).trim().to_string();
    assert!(!os_user.is_empty());
    for (logname, expected) in [(Some("cron-user"), "cron-user"), (None, os_user.as_str())] {
        let env = TestEnv::new();
        let rules = env.rules_with_auto_approve(2);
        let mut cmd = env.cmd();
        cmd.args([
            "apply",
            "mark STR-002 out of stock",
            "--no-input",
            "--format",
            "json",
        ])
        .arg("--rules")
        .arg(&rules)
        .env_remove("USER")
        .env_remove("USERNAME");
        match logname {
            Some(name) => cmd.env("LOGNAME", name),
            None => cmd.env_remove("LOGNAME"),
        };
        let (code, stdout, stderr) = run(&mut cmd);
        assert_eq!(code, 0, "{stderr}");
        let receipt: serde_json::Value = serde_json::from_str(&stdout).expect("receipt JSON");
        let delegation = receipt["delegation"].as_array().expect("delegation");
        assert!(!delegation.is_empty(), "{receipt}");
        for d in delegation {
            assert_eq!(d["on_behalf_of"], format!("local:{expected}"), "{receipt}");
        }
    }
}

/// Tables and timelines show seconds; the JSON receipt keeps RFC 3339 as recorded.
#[test]
fn tables_show_times_to_the_second_and_json_keeps_rfc3339() {
    let env = TestEnv::new();
    let rules = env.rules_with_auto_approve(2);
    let (code, stdout, stderr) = run(env
        .cmd()
        .args([
            "apply",
            "mark STR-002 out of stock",
            "--no-input",
            "--format",
            "json",
        ])
        .arg("--rules")
        .arg(&rules)
        .env("CHANGESET_NOW", "2026-11-30T22:34:10.922816781Z"));
    assert_eq!(code, 0, "{stderr}");
    let receipt: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(receipt["planned_at"], "2026-11-30T22:34:10.922816781Z");
    let (_, list, _) = run(env.cmd().args(["audit", "list"]));
    let (_, timeline, _) = run(env
        .cmd()
        .args(["audit", "show"])
        .arg(receipt["id"].as_str().unwrap()));
    for text in [&list, &timeline] {
        assert!(!text.contains(".922816781"), "{text}");
    }
    assert!(
        timeline.contains("2026-11-30 22:34:10Z  planned"),
        "{timeline}"
    );
}

/// `changeset … | head` must not print an error when head stops reading: the closed pipe ends
/// the command quietly with exit 0, whatever it was writing.
#[test]
fn a_closed_stdout_ends_the_command_quietly() {
    let env = TestEnv::new();
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("changeset"));
    env.isolate(&mut cmd);
    let mut child = cmd
        .args(["plan", "take 10% off all products", "--format", "json"])
        .current_dir(env.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // No reader from the start: the first write fails with EPIPE.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

/// A typo in a config value is an error when the file is loaded, before anything is read or
/// asked, naming the file's line and its text.
#[test]
fn a_typo_in_an_approval_setting_is_refused_at_start_naming_the_line() {
    let env = TestEnv::new();
    for (line, expected) in [
        ("tier3 = \"three\"", "two_approvers"),
        ("method = \"push\"", "ciba"),
    ] {
        let config = env.path().join("changeset.toml");
        std::fs::write(&config, format!("[approval]\n{line}\n")).unwrap();
        let (code, stdout, stderr) = run(env
            .cmd()
            .env("CHANGESET_CONFIG", &config)
            .args(["plan", "mark STR-002 out of stock"]));
        assert_eq!(code, 1, "{stderr}");
        assert_eq!(stdout, "");
        assert!(
            stderr.contains(&format!("changeset.toml`:2 (`{line}`)")),
            "{stderr}"
        );
        assert!(stderr.contains(expected), "{stderr}");
    }
}
