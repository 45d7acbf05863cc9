//! What users see of the CLI itself: help text, completions, the README's tables.

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

#[test]
fn help_texts() {
    let env = TestEnv::new();
    assert_snapshot!("help", transcript(env.cmd().arg("--help")));
    assert_snapshot!("help_plan", transcript(env.cmd().args(["plan", "--help"])));
    assert_snapshot!(
        "help_apply",
        transcript(env.cmd().args(["apply", "--help"]))
    );
    assert_snapshot!(
        "help_audit",
        transcript(env.cmd().args(["audit", "--help"]))
    );
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
