//! No copyleft licence anywhere in the dependency tree: the policy in deny.toml, enforced on
//! `cargo metadata` without installing cargo-deny (issue: policy engine).

use std::process::Command;

use serde_json::{Value, json};

use crate::support::repo_root;

/// Licence families that are copyleft (or otherwise unfit for a permissively licensed binary).
/// An SPDX id starting with one of these is never acceptable, whatever deny.toml says.
const COPYLEFT: &[&str] = &[
    "GPL",
    "AGPL",
    "LGPL",
    "MPL",
    "SSPL",
    "EUPL",
    "EPL",
    "OSL",
    "CDDL",
    "CPAL",
    "CECILL",
    "CC-BY-SA",
    "CC-BY-NC",
    "APSL",
    "RPL",
    "QPL",
    "SLEEPYCAT",
    "BUSL",
];

fn is_copyleft(id: &str) -> bool {
    let id = id.to_ascii_uppercase();
    COPYLEFT.iter().any(|family| id.starts_with(family))
}

/// The licence policy: deny.toml's `licenses.allow` and per-crate `licenses.exceptions`.
struct Policy {
    allow: Vec<String>,
    exceptions: Vec<(String, Vec<String>)>,
}

impl Policy {
    /// Reads deny.toml; problems with the policy itself are returned as findings.
    fn parse(text: &str) -> (Policy, Vec<String>) {
        let table: toml::Table = toml::from_str(text).expect("deny.toml is TOML");
        let licenses = &table["licenses"];
        let strings = |v: &toml::Value| -> Vec<String> {
            v.as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default()
        };
        let allow = strings(&licenses["allow"]);
        let mut problems: Vec<String> = allow
            .iter()
            .filter(|id| id.split(" WITH ").any(is_copyleft))
            .map(|id| format!("deny.toml allows the copyleft licence {id}"))
            .collect();
        let mut exceptions = Vec::new();
        for entry in licenses
            .get("exceptions")
            .and_then(|e| e.as_array())
            .into_iter()
            .flatten()
        {
            let name = entry
                .get("crate")
                .or_else(|| entry.get("name"))
                .and_then(|n| n.as_str())
                .unwrap_or("?")
                .to_string();
            if !text.contains(&format!("# reason({name}):")) {
                problems.push(format!(
                    "deny.toml: the exception for `{name}` has no `# reason({name}): ...` line"
                ));
            }
            exceptions.push((name, strings(&entry["allow"])));
        }
        (Policy { allow, exceptions }, problems)
    }

    fn accepts(&self, package: &str, id: &str) -> bool {
        if id.split(" WITH ").any(is_copyleft) {
            return false;
        }
        let listed = |list: &[String]| list.iter().any(|a| a == id);
        // `X WITH exception` only adds permissions to X.
        let base = id.split(" WITH ").next().unwrap_or(id);
        listed(&self.allow)
            || (base != id && self.allow.iter().any(|a| a == base))
            || self
                .exceptions
                .iter()
                .any(|(name, allow)| name == package && listed(allow))
    }
}

/// An SPDX licence expression (`MIT OR Apache-2.0`, `(A OR B) AND C`, `A WITH E`, and the
/// legacy `MIT/Apache-2.0`).
#[derive(Debug)]
enum Spdx {
    Id(String),
    And(Vec<Spdx>),
    Or(Vec<Spdx>),
}

impl Spdx {
    fn parse(text: &str) -> Result<Spdx, String> {
        let spaced = text
            .replace('(', " ( ")
            .replace(')', " ) ")
            .replace('/', " OR ");
        let tokens: Vec<&str> = spaced.split_whitespace().collect();
        let mut at = 0;
        let expr = Self::or(&tokens, &mut at)?;
        if at != tokens.len() {
            return Err(format!("unexpected `{}`", tokens[at]));
        }
        Ok(expr)
    }

    fn or(t: &[&str], at: &mut usize) -> Result<Spdx, String> {
        let mut terms = vec![Self::and(t, at)?];
        while t.get(*at) == Some(&"OR") {
            *at += 1;
            terms.push(Self::and(t, at)?);
        }
        Ok(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Spdx::Or(terms)
        })
    }

    fn and(t: &[&str], at: &mut usize) -> Result<Spdx, String> {
        let mut factors = vec![Self::factor(t, at)?];
        while t.get(*at) == Some(&"AND") {
            *at += 1;
            factors.push(Self::factor(t, at)?);
        }
        Ok(if factors.len() == 1 {
            factors.remove(0)
        } else {
            Spdx::And(factors)
        })
    }

    fn factor(t: &[&str], at: &mut usize) -> Result<Spdx, String> {
        match t.get(*at) {
            Some(&"(") => {
                *at += 1;
                let inner = Self::or(t, at)?;
                if t.get(*at) != Some(&")") {
                    return Err("missing `)`".to_string());
                }
                *at += 1;
                Ok(inner)
            }
            Some(id) if !["AND", "OR", "WITH", ")"].contains(id) => {
                *at += 1;
                let mut id = id.to_string();
                if t.get(*at) == Some(&"WITH") {
                    let exception = t.get(*at + 1).ok_or("`WITH` needs an exception")?;
                    id = format!("{id} WITH {exception}");
                    *at += 2;
                }
                Ok(Spdx::Id(id))
            }
            other => Err(format!("expected a licence, found {other:?}")),
        }
    }

    /// Whether the licence terms can be met with accepted licences only.
    fn satisfied(&self, accepts: &dyn Fn(&str) -> bool) -> bool {
        match self {
            Spdx::Id(id) => accepts(id),
            Spdx::And(all) => all.iter().all(|e| e.satisfied(accepts)),
            Spdx::Or(any) => any.iter().any(|e| e.satisfied(accepts)),
        }
    }
}

/// Every package of `cargo metadata` output whose licence the policy does not accept.
fn violations(metadata: &Value, policy: &Policy) -> Vec<String> {
    let mut problems = Vec::new();
    for package in metadata["packages"]
        .as_array()
        .expect("metadata lists packages")
    {
        let name = package["name"].as_str().unwrap_or("?");
        let label = format!("{name} {}", package["version"].as_str().unwrap_or("?"));
        let Some(expression) = package["license"].as_str() else {
            problems.push(format!(
                "{label}: no licence expression (license_file: {}); add an exception with a reason if it is acceptable",
                package["license_file"]
            ));
            continue;
        };
        match Spdx::parse(expression) {
            Err(e) => problems.push(format!(
                "{label}: cannot read the licence `{expression}`: {e}"
            )),
            Ok(spdx) => {
                if !spdx.satisfied(&|id| policy.accepts(name, id)) {
                    problems.push(format!(
                        "{label}: `{expression}` is not an accepted licence"
                    ));
                }
            }
        }
    }
    problems
}

fn policy() -> Policy {
    let text = std::fs::read_to_string(repo_root().join("deny.toml")).expect("read deny.toml");
    let (policy, problems) = Policy::parse(&text);
    assert!(problems.is_empty(), "{problems:#?}");
    policy
}

/// `cargo metadata` for every platform. Offline: the test never reaches the network, so the
/// packages of other platforms must have been fetched (`.ci/run` runs `cargo fetch --locked`).
/// Outside CI, a checkout without them falls back to this platform's packages, and says so.
fn metadata() -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| env!("CARGO").to_string());
    let run = |extra: &[&str]| {
        Command::new(&cargo)
            .args(["metadata", "--format-version", "1", "--locked", "--offline"])
            .args(extra)
            .current_dir(repo_root())
            .output()
            .expect("run cargo metadata")
    };
    let mut out = run(&[]);
    if !out.status.success() && std::env::var_os("CI").is_none() {
        eprintln!(
            "licences: not every platform's packages are downloaded; checking this platform's only (run `cargo fetch --locked` for all)"
        );
        let host = String::from_utf8(Command::new("rustc").arg("-vV").output().unwrap().stdout)
            .unwrap()
            .lines()
            .find_map(|l| l.strip_prefix("host: ").map(String::from))
            .expect("rustc -vV names the host");
        out = run(&["--filter-platform", &host]);
    }
    assert!(
        out.status.success(),
        "cargo metadata failed (run `cargo fetch --locked` first): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON")
}

#[test]
fn no_copyleft_licence_anywhere_in_the_dependency_tree() {
    let metadata = metadata();
    assert!(metadata["packages"].as_array().unwrap().len() > 50);
    let problems = violations(&metadata, &policy());
    assert!(
        problems.is_empty(),
        "licence policy violations:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_check_fails_on_copyleft_unknown_and_missing_licences() {
    let fake = json!({"packages": [
        {"name": "fine", "version": "1.0.0", "license": "MIT OR Apache-2.0"},
        {"name": "legacy", "version": "1.0.0", "license": "MIT/Apache-2.0"},
        {"name": "llvm", "version": "1.0.0", "license": "Apache-2.0 WITH LLVM-exception"},
        {"name": "choice", "version": "1.0.0", "license": "MIT OR Apache-2.0 OR LGPL-2.1-or-later"},
        {"name": "evalexpr", "version": "12.0.0", "license": "AGPL-3.0-only"},
        {"name": "gpl-one", "version": "1.0.0", "license": "GPL-3.0-or-later"},
        {"name": "gpl-and", "version": "1.0.0", "license": "(MIT OR Apache-2.0) AND LGPL-2.1"},
        {"name": "mozilla", "version": "1.0.0", "license": "MPL-2.0"},
        {"name": "classpath", "version": "1.0.0", "license": "GPL-2.0 WITH Classpath-exception-2.0"},
        {"name": "unknown", "version": "1.0.0", "license": "Frobnicate-1.0"},
        {"name": "missing", "version": "1.0.0", "license": null, "license_file": "LICENSE"},
        {"name": "garbled", "version": "1.0.0", "license": "MIT AND"}
    ]});
    let problems = violations(&fake, &policy());
    let flagged: Vec<&str> = problems
        .iter()
        .map(|p| p.split(' ').next().unwrap())
        .collect();
    assert_eq!(
        flagged,
        [
            "evalexpr",
            "gpl-one",
            "gpl-and",
            "mozilla",
            "classpath",
            "unknown",
            "missing",
            "garbled"
        ],
        "{problems:#?}"
    );
}

#[test]
fn the_policy_cannot_allow_copyleft_or_unexplained_exceptions() {
    let (_, problems) = Policy::parse(
        "[licenses]\nallow = [\"MIT\", \"GPL-3.0\"]\nexceptions = [{ crate = \"x\", allow = [\"Foo\"] }]\n",
    );
    assert_eq!(
        problems,
        [
            "deny.toml allows the copyleft licence GPL-3.0",
            "deny.toml: the exception for `x` has no `# reason(x): ...` line"
        ]
    );
    let (policy, problems) = Policy::parse(
        "[licenses]\nallow = [\"MIT\"]\n# reason(x): vendored test data only\nexceptions = [{ crate = \"x\", allow = [\"Foo-1.0\", \"MPL-2.0\"] }]\n",
    );
    assert!(problems.is_empty());
    assert!(policy.accepts("x", "Foo-1.0"));
    assert!(!policy.accepts("y", "Foo-1.0"));
    assert!(
        !policy.accepts("x", "MPL-2.0"),
        "an exception cannot let copyleft in"
    );
}
