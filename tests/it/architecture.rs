//! The crate's layers, checked: every `crate::…` path in `src/` may only point to the same layer
//! or one below it, top-level modules never import each other in a cycle, `google/` never reaches
//! for credentials or configuration, and command files never import each other.
//!
//! The layers (also listed in `src/lib.rs` and the README's code map):
//! 0 base, 1 model, 2 adapters, 3 pipeline, 4 edge. `lib.rs` and `main.rs` wire everything and
//! are not checked.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level module -> layer. A module missing here is an error: a new module must say where
/// it belongs.
const LAYERS: &[(&str, u8)] = &[
    ("error", 0),
    ("env", 0),
    ("digest", 0),
    ("canonical", 0),
    ("clock", 0),
    ("local_user", 0),
    ("private_dir", 0),
    ("ids", 0),
    ("pii", 0),
    ("report", 0),
    ("net", 0),
    ("escape", 0),
    ("private_files", 0),
    ("catalog", 1),
    ("parse", 1),
    ("policy", 1),
    ("plan", 1),
    ("receipt", 1),
    ("source", 2),
    ("google", 2),
    ("auth", 2),
    ("audit", 2),
    ("notify", 2),
    ("llm", 2),
    ("apply", 3),
    ("gate", 3),
    ("cli", 4),
    ("settings", 4),
    ("output", 4),
    ("commands", 4),
];

/// Imports that the layer order would allow but that break a boundary.
const FORBIDDEN: &[(&str, &str, &str)] = &[
    (
        "google",
        "auth",
        "google/ is plain HTTP to Google: it is handed tokens, never fetches them",
    ),
    (
        "google",
        "source",
        "google/ is below the sources that use it",
    ),
    (
        "google",
        "settings",
        "google/ takes typed options, never Settings",
    ),
];

/// Violations that exist today and are being removed. The test fails on any violation not
/// listed here AND on a listed one that no longer occurs, so this list can only shrink.
const KNOWN: &[&str] = &[];

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Import {
    file: String,
    line: usize,
    from: String,
    to: String,
}

/// Every `crate::x` path in one file's code (comments skipped), as (line, top-level module).
fn crate_paths(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let mut in_group: Option<usize> = None; // brace depth inside `crate::{ … }`
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split("//").next().unwrap_or("");
        let mut rest = line;
        if let Some(depth) = in_group.as_mut() {
            rest = take_group(rest, depth, i + 1, &mut found);
            if *depth == 0 {
                in_group = None;
            } else {
                continue;
            }
        }
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            if let Some(group) = after.strip_prefix('{') {
                let mut depth = 1;
                rest = take_group(group, &mut depth, i + 1, &mut found);
                if depth > 0 {
                    in_group = Some(depth);
                    break;
                }
            } else {
                let name = ident(after);
                if !name.is_empty() {
                    found.push((i + 1, name.to_string()));
                }
                rest = &after[name.len()..];
            }
        }
    }
    found
}

/// Reads the top-level names of a `{ … }` group up to its closing brace; returns the rest.
fn take_group<'a>(
    text: &'a str,
    depth: &mut usize,
    line: usize,
    found: &mut Vec<(usize, String)>,
) -> &'a str {
    let mut expect_name = *depth == 1;
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '{' => *depth += 1,
            '}' => {
                *depth -= 1;
                if *depth == 0 {
                    return &text[at + 1..];
                }
            }
            ',' if *depth == 1 => expect_name = true,
            c if expect_name && (c.is_ascii_alphabetic() || c == '_') => {
                let name = ident(&text[at..]);
                found.push((line, name.to_string()));
                for _ in 1..name.len() {
                    chars.next();
                }
                expect_name = false;
            }
            _ => {}
        }
    }
    ""
}

fn ident(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    &text[..end]
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src dir") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn imports(src: &Path) -> Vec<Import> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut all = Vec::new();
    for path in files {
        let rel = path
            .strip_prefix(src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if rel == "lib.rs" || rel == "main.rs" {
            continue;
        }
        let from = rel
            .split('/')
            .next()
            .unwrap()
            .trim_end_matches(".rs")
            .to_string();
        let text = std::fs::read_to_string(&path).expect("read source file");
        for (line, to) in crate_paths(&text) {
            if to != from && to != "self" && to != "super" {
                all.push(Import {
                    file: format!("src/{rel}"),
                    line,
                    from: from.clone(),
                    to,
                });
            }
        }
    }
    all.sort();
    all
}

/// Every rule an import breaks, as one line naming the file, line and rule.
fn violations(src: &Path) -> Vec<String> {
    let layers: BTreeMap<&str, u8> = LAYERS.iter().copied().collect();
    let all = imports(src);
    let mut out = Vec::new();
    for imp in &all {
        let (Some(&lf), Some(&lt)) = (layers.get(imp.from.as_str()), layers.get(imp.to.as_str()))
        else {
            let unknown = if layers.contains_key(imp.from.as_str()) {
                &imp.to
            } else {
                &imp.from
            };
            out.push(format!(
                "{}:{}: module `{unknown}` has no layer (add it to LAYERS)",
                imp.file, imp.line
            ));
            continue;
        };
        if lt > lf {
            out.push(format!(
                "{}:{}: `{}` (layer {lf}) imports `{}` (layer {lt}): imports only go down",
                imp.file, imp.line, imp.from, imp.to
            ));
        }
        if let Some((_, _, why)) = FORBIDDEN
            .iter()
            .find(|(f, t, _)| *f == imp.from && *t == imp.to)
        {
            out.push(format!(
                "{}:{}: `{}` imports `{}`: {why}",
                imp.file, imp.line, imp.from, imp.to
            ));
        }
    }
    out.extend(command_cross_imports(src));
    out.extend(cycles(&all));
    out.sort();
    out.dedup();
    out
}

/// A command (`commands/x.rs`, or any file of a `commands/x/` folder) using `crate::commands::y`
/// or reaching `y` through `super::`: shared code belongs in a stage or in `commands/context`.
fn command_cross_imports(src: &Path) -> Vec<String> {
    let dir = src.join("commands");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let names: BTreeSet<String> = entries
        .filter_map(|e| e.ok()?.path().file_stem()?.to_str().map(str::to_string))
        // The run-context builder is shared by every command and is not one itself.
        .filter(|n| n != "mod" && n != "context")
        .collect();
    let mut files = Vec::new();
    rust_files(&dir, &mut files);
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let rel = file.strip_prefix(&dir).expect("under commands/");
        let path = rel.with_extension("");
        let module: Vec<&str> = path
            .iter()
            .filter_map(|c| c.to_str())
            .filter(|c| *c != "mod")
            .collect();
        let Some(name) = module.first().map(|n| n.to_string()) else {
            continue;
        };
        if !names.contains(&name) {
            continue;
        }
        // `super::` as many times as the file sits below `commands/` reaches `commands::`.
        let to_commands = "super::".repeat(module.len());
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            let used = [
                modules_after(code, "commands::"),
                modules_after(code, &to_commands),
            ]
            .concat();
            for other in names.iter().filter(|o| **o != name && used.contains(o)) {
                out.push(format!(
                    "src/commands/{}:{}: command `{name}` imports command `{other}`: commands never import each other",
                    rel.display(),
                    i + 1
                ));
            }
        }
    }
    out
}

/// The module names a line reaches after `prefix`: `prefix x::…` or `prefix {x, y::…}`.
fn modules_after(code: &str, prefix: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find(prefix) {
        let after = &rest[at + prefix.len()..];
        if let Some(group) = after.strip_prefix('{') {
            let mut names = Vec::new();
            take_group(group, &mut 1, 0, &mut names);
            found.extend(names.into_iter().map(|(_, n)| n));
        } else {
            found.push(ident(after).to_string());
        }
        rest = after;
    }
    found
}

/// Cycles between top-level modules, each named by one import that closes it.
fn cycles(all: &[Import]) -> Vec<String> {
    let mut graph: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for imp in all {
        graph.entry(&imp.from).or_default().insert(&imp.to);
    }
    let reaches = |from: &str, to: &str| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from];
        while let Some(m) = stack.pop() {
            if m == to {
                return true;
            }
            if seen.insert(m) {
                stack.extend(graph.get(m).into_iter().flatten().copied());
            }
        }
        false
    };
    let mut out = Vec::new();
    for imp in all {
        if reaches(&imp.to, &imp.from) {
            out.push(format!(
                "{}:{}: `{}` imports `{}`, which leads back to `{}`: a cycle between modules",
                imp.file, imp.line, imp.from, imp.to, imp.from
            ));
        }
    }
    out
}

/// The rule a violation line names, without its file and line (KNOWN is keyed by this).
fn rule_of(violation: &str) -> String {
    let mut parts = violation.splitn(3, ':');
    let file = parts.next().unwrap_or("");
    let _line = parts.next();
    format!("{file}:{}", parts.next().unwrap_or("").trim_start())
}

#[test]
fn imports_follow_the_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = violations(&src);
    let keys: BTreeSet<String> = found.iter().map(|v| rule_of(v)).collect();
    let new: Vec<&String> = found
        .iter()
        .filter(|v| !KNOWN.contains(&rule_of(v).as_str()))
        .collect();
    let gone: Vec<&&str> = KNOWN.iter().filter(|k| !keys.contains(**k)).collect();
    assert!(
        new.is_empty() && gone.is_empty(),
        "layer violations:\n{}\nlisted in KNOWN but gone (remove them):\n{}",
        new.iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        gone.iter().map(|s| **s).collect::<Vec<_>>().join("\n")
    );
}

/// The checker itself, on a small tree that breaks each rule once.
#[test]
fn the_checker_catches_each_kind_of_violation() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    let write = |rel: &str, text: &str| {
        let path = src.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("lib.rs", "pub mod plan; use crate::commands::x;");
    write("error.rs", "pub struct Error;");
    write(
        "plan/mod.rs",
        "use crate::{error::Error, receipt::{self, Receipt}};\n// crate::output is only mentioned\n",
    );
    write("receipt/mod.rs", "use crate::plan::Operation;\n");
    write(
        "apply/mod.rs",
        "use crate::{\n    error::Error,\n    cli::Args,\n};\n",
    );
    write("google/mod.rs", "fn f() { crate::auth::token(); }\n");
    write("auth/mod.rs", "use crate::error::Error;\n");
    write("commands/plan.rs", "use super::apply::helper;\n");
    write(
        "commands/rollback.rs",
        "use crate::commands::{apply, plan::make};\n",
    );
    write("commands/apply.rs", "pub fn helper() {}\n");
    write("commands/gate/mod.rs", "mod serve;\n");
    write(
        "commands/gate/serve.rs",
        "use super::super::plan::make;\nuse super::check;\n",
    );
    write("mystery.rs", "use crate::error::Error;\n");
    let found = violations(src);
    let expect = [
        "src/apply/mod.rs:3: `apply` (layer 3) imports `cli` (layer 4): imports only go down",
        "src/commands/gate/serve.rs:1: command `gate` imports command `plan`: commands never import each other",
        "src/commands/plan.rs:1: command `plan` imports command `apply`: commands never import each other",
        "src/commands/rollback.rs:1: command `rollback` imports command `apply`: commands never import each other",
        "src/commands/rollback.rs:1: command `rollback` imports command `plan`: commands never import each other",
        "src/google/mod.rs:1: `google` imports `auth`: google/ is plain HTTP to Google: it is handed tokens, never fetches them",
        "src/mystery.rs:1: module `mystery` has no layer (add it to LAYERS)",
        "src/plan/mod.rs:1: `plan` imports `receipt`, which leads back to `plan`: a cycle between modules",
        "src/receipt/mod.rs:1: `receipt` imports `plan`, which leads back to `receipt`: a cycle between modules",
    ];
    assert_eq!(found, expect, "got:\n{}", found.join("\n"));
}

/// Comments stand alone: they never send the reader to a design document outside the repository.
#[test]
fn comments_do_not_point_outside_the_repository() {
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let found: Vec<String> = files
        .iter()
        .flat_map(|path| {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            text.lines()
                .enumerate()
                .filter(|(_, l)| l.contains("DESIGN section") || l.contains("DESIGN sections"))
                .map(|(i, _)| format!("{}:{}", path.display(), i + 1))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        found.is_empty(),
        "comments citing DESIGN:\n{}",
        found.join("\n")
    );
}
