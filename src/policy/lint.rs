//! Checking one rule's `when` expression: caps, parse, what it may use, types, and a run on
//! typed sample facts. Each check names the offending text.

use evalexpr::{Node, Operator};

use super::compile::{self, Expr};
use super::facts::{FACTS, Num, Slot, Slots, slot_of};
use super::syntax::{check_caps, render};

/// evalexpr built-in functions a rule may call. They are pure and deterministic (the `regex`
/// and `rand` features stay off); rules that call them are evaluated by evalexpr itself.
pub const FUNCTIONS: &[&str] = &[
    "min",
    "max",
    "floor",
    "round",
    "ceil",
    "math::abs",
    "math::is_nan",
    "len",
    "str::to_lowercase",
    "str::to_uppercase",
    "str::trim",
];

/// How a rule is evaluated.
#[derive(Debug, Clone)]
pub enum Eval {
    /// The compiled form (every rule without a function call).
    Compiled(Expr),
    /// evalexpr's own evaluator, for rules that call an allowed built-in function.
    Interpreted,
}

/// Checks one `when` expression. On success returns the parsed tree and how to evaluate it;
/// otherwise every problem found, each naming the offending text.
pub fn check(when: &str) -> Result<(Node, Eval), Vec<String>> {
    if when.trim().is_empty() {
        return Err(vec!["`when` is empty".to_string()]);
    }
    check_caps(when).map_err(|e| vec![format!("{e}: `{}`", abbreviate(when))])?;
    let node = evalexpr::build_operator_tree(when)
        .map_err(|e| vec![format!("cannot parse `{when}`: {e}")])?;
    let mut problems = Vec::new();
    let mut calls_function = false;
    walk(&node, false, &mut problems, &mut calls_function);
    if !problems.is_empty() {
        return Err(problems);
    }
    let eval = if calls_function {
        Eval::Interpreted
    } else {
        Eval::Compiled(compile::compile(&node).map_err(|e| vec![e])?)
    };
    run_samples(&node, &eval).map_err(|e| vec![e])?;
    Ok((node, eval))
}

/// Structural checks: only declared facts, allowed functions, no assignments or chains.
fn walk(node: &Node, in_call: bool, problems: &mut Vec<String>, calls_function: &mut bool) {
    let mut child_in_call = false;
    match node.operator() {
        Operator::VariableIdentifierRead { identifier } if slot_of(identifier).is_none() => {
            problems.push(unknown_fact(identifier));
        }
        Operator::FunctionIdentifier { identifier } => {
            child_in_call = true;
            if FUNCTIONS.contains(&identifier.as_str()) {
                *calls_function = true;
            } else {
                problems.push(format!(
                    "unknown function `{identifier}` in `{}` (allowed: {})",
                    render(node),
                    FUNCTIONS.join(", ")
                ));
            }
        }
        Operator::Assign
        | Operator::AddAssign
        | Operator::SubAssign
        | Operator::MulAssign
        | Operator::DivAssign
        | Operator::ModAssign
        | Operator::ExpAssign
        | Operator::AndAssign
        | Operator::OrAssign => {
            problems.push(format!(
                "assignment `{}` is not allowed: rules only read facts (compare with `==`)",
                render(node)
            ));
        }
        Operator::Chain => {
            problems.push(format!(
                "chained statements `{}` are not allowed: a rule is one expression",
                render(node)
            ));
        }
        // A function's argument list is a tuple; anywhere else a tuple is a mistake.
        Operator::Tuple if !in_call => {
            problems.push(format!(
                "`{}` is a list of values, not a condition",
                render(node)
            ));
        }
        Operator::RootNode | Operator::Tuple => child_in_call = in_call,
        _ => {}
    }
    for child in node.children() {
        walk(child, child_in_call, problems, calls_function);
    }
}

fn unknown_fact(name: &str) -> String {
    let known: Vec<&str> = FACTS.iter().map(|(n, _)| *n).collect();
    let suggestion = known
        .iter()
        .map(|k| (edit_distance(name, k), *k))
        .min()
        // Close enough to be a typo: a third of the name, at least two edits.
        .filter(|(d, k)| *d <= (k.len() / 3).max(2))
        .map(|(_, k)| format!("did you mean `{k}`? "))
        .unwrap_or_default();
    format!(
        "unknown fact `{name}`: {suggestion}(known facts: {})",
        known.join(", ")
    )
}

/// Levenshtein distance, for "did you mean".
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            let next = (row[j + 1] + 1).min(row[j] + 1).min(previous + cost);
            previous = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// Typed sample facts: every fact absent, then zeros, ones and fractions. A rule that fails on
/// one of them (a type error in an interpreted rule, a division by a fact that can be 0, a
/// result that is not a boolean) would fail on real operations too.
fn samples() -> Vec<Slots<'static>> {
    let fill = |num: Num, text: &'static str, boolean: bool| {
        FACTS
            .iter()
            .enumerate()
            .fold(Slots::absent(), |s, (i, (_, kind))| {
                s.with(
                    i,
                    match kind {
                        super::FactType::Number => Slot::Num(num),
                        super::FactType::Text => Slot::Text(text),
                        super::FactType::Bool => Slot::Bool(boolean),
                    },
                )
            })
    };
    vec![
        Slots::absent(),
        fill(Num::Int(0), "", false),
        fill(Num::Int(1), "write", true),
        fill(Num::Float(0.5), "read", false),
    ]
}

fn run_samples(node: &Node, eval: &Eval) -> Result<(), String> {
    for sample in samples() {
        let expected = node.eval_boolean_with_context(&sample.to_context());
        let expected = match expected {
            Ok(b) => b,
            Err(e) => {
                return Err(format!(
                    "`{}` fails on sample facts ({}): {e}",
                    render(node),
                    describe_reads(node, &sample)
                ));
            }
        };
        if let Eval::Compiled(expr) = eval
            && expr.eval_bool(&sample) != Ok(expected)
        {
            // The property tests make this unreachable; if it ever happens, fail loudly.
            return Err(format!(
                "internal error: the compiled form of `{}` disagrees with evalexpr on sample facts ({}); please report this",
                render(node),
                describe_reads(node, &sample)
            ));
        }
    }
    Ok(())
}

/// "fact = value" for each fact the expression reads.
pub fn describe_reads(node: &Node, slots: &Slots<'_>) -> String {
    reads(node)
        .into_iter()
        .map(|slot| {
            let absent = if slots.is_present(slot) {
                ""
            } else {
                " (absent)"
            };
            format!("{} = {}{absent}", FACTS[slot].0, slots.get(slot))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The slots an expression reads, in first-use order, without repeats.
pub fn reads(node: &Node) -> Vec<usize> {
    let mut slots = Vec::new();
    for name in node.iter_read_variable_identifiers() {
        if let Some(slot) = slot_of(name)
            && !slots.contains(&slot)
        {
            slots.push(slot);
        }
    }
    slots
}

fn abbreviate(text: &str) -> String {
    const KEEP: usize = 60;
    match text.char_indices().nth(KEEP) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(when: &str) -> Vec<String> {
        check(when).err().unwrap_or_default()
    }

    #[test]
    fn accepts_the_default_shapes_and_allowed_functions() {
        assert!(matches!(
            check(r#"operation_type == "write" && affected_records > 1"#),
            Ok((_, Eval::Compiled(_)))
        ));
        assert!(matches!(
            check("math::abs(price_change_percent) > 25"),
            Ok((_, Eval::Interpreted))
        ));
    }

    #[test]
    fn rejects_each_defect_class() {
        assert!(
            problems("price_change_pct > 25")[0].contains("did you mean `price_change_percent`")
        );
        assert!(problems("random() > 0.5")[0].starts_with("unknown function `random`"));
        assert!(problems("affected_records = 1")[0].starts_with("assignment"));
        assert!(problems("true; false")[0].starts_with("chained statements"));
        assert!(problems("operation_type > 1")[0].starts_with("type error"));
        assert!(
            problems("100 / hour_utc > 1")[0].contains("(hour_utc = 0): Error dividing 100 / 0")
        );
        assert!(problems("min(operation_type, 1) > 0")[0].contains("fails on sample facts"));
        assert!(problems(&"(".repeat(100_000))[0].contains("100000 bytes long"));
        let deep = format!("{}true{}", "(".repeat(40), ")".repeat(40));
        assert!(problems(&deep)[0].contains("40 deep"));
        assert!(problems(&"!".repeat(129))[0].contains("129 operators"));
        assert!(problems("")[0].contains("empty"));
        assert!(problems("(1, 2)")[0].contains("list of values"));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]
        /// Whatever the text, checking it returns: no panic, no stack overflow.
        #[test]
        fn any_text_is_checked_without_crashing(
            when in proptest::string::string_regex(
                r#"[a-z_ ]{0,3}([()!&|=<>+*/%^;,"0-9.-]|operation_type|affected_records|min|true){0,400}"#
            ).unwrap()
        ) {
            let _ = check(&when);
        }
    }

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}
