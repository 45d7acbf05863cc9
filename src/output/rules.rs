//! `rules check | test | explain` as people read them.

use super::{paint, tier_code};
use crate::policy::Finding;
use crate::policy::cases::Report;
use crate::policy::explain::Explanation;

/// `rules check` problems, one `file:line: rule `id`: message` a line.
pub fn problems(origin: &str, problems: &[Finding]) -> String {
    let lines: Vec<String> = problems
        .iter()
        .map(|f| {
            let place = f
                .line
                .map(|l| format!("{origin}:{l}"))
                .unwrap_or(origin.to_string());
            let rule = f
                .rule
                .as_ref()
                .map(|r| format!("rule `{r}`: "))
                .unwrap_or_default();
            format!("{place}: {rule}{}", f.message)
        })
        .collect();
    lines.join("\n")
}

/// `rules test`: PASS/FAIL a case, the totals and the rules no case matched.
pub fn test_report(report: &Report, colour: bool) -> String {
    let mut out = String::new();
    for case in &report.cases {
        let status = if case.passed {
            paint(colour, "32", "PASS")
        } else {
            paint(colour, "1;31", "FAIL")
        };
        out.push_str(&format!("{status}  {}  {}\n", case.file, case.name));
        for problem in &case.problems {
            out.push_str(&format!("        {problem}\n"));
        }
    }
    out.push_str(&format!(
        "\n{} passed, {} failed ({})\n",
        report.passed, report.failed, report.rules
    ));
    if !report.uncovered.is_empty() {
        out.push_str(&format!(
            "not matched by any case: {}\n",
            report.uncovered.join(", ")
        ));
    }
    out
}

pub fn explanation(e: &Explanation, colour: bool) -> String {
    let given: Vec<String> = e
        .facts
        .iter()
        .filter(|f| !f.absent)
        .map(|f| format!("{} = {}", f.name, f.value))
        .collect();
    let absent: Vec<&str> = e
        .facts
        .iter()
        .filter(|f| f.absent)
        .map(|f| f.name.as_str())
        .collect();
    let tier = paint(colour, tier_code(e.tier), &format!("Tier {}", e.tier));
    let mut out = format!("{tier}: {}\n", e.reason);
    out.push_str(&format!("Rules: {}\n", e.rules));
    out.push_str(&format!("Facts: {}\n", or_none(&given.join(", "))));
    out.push_str(&format!(
        "Absent (NaN, \"\" or false, so comparisons with them are false): {}\n",
        or_none(&absent.join(", "))
    ));
    if !e.ignored.is_empty() {
        out.push_str(&format!(
            "Ignored (not facts any rule can read): {}\n",
            e.ignored.join(", ")
        ));
    }
    out.push_str(&rule_traces(&e.trace, colour, false));
    if !e.forbids.is_empty() {
        let verdict = if e.forbidden {
            paint(
                colour,
                "1;31",
                "FORBIDDEN: a row ending in this state refuses the plan, whatever the approval",
            )
        } else {
            "not forbidden".to_string()
        };
        out.push_str(&format!(
            "\nForbid rules (on a written row's end state): {verdict}\n"
        ));
        out.push_str(&rule_traces(&e.forbids, colour, true));
    }
    out
}

/// One block per rule: its result, expression, the values it read and any error.
fn rule_traces(traces: &[crate::policy::explain::RuleTrace], colour: bool, forbid: bool) -> String {
    let mut out = String::new();
    for t in traces {
        let result = match t.result {
            "matched" => paint(colour, "1", "matched    "),
            "error" => paint(colour, "1;31", "ERROR      "),
            _ => "not matched".to_string(),
        };
        let what = if forbid {
            "forbid".to_string()
        } else {
            format!("tier {}", t.tier)
        };
        out.push_str(&format!("\n{result}  {} ({what})\n", t.id));
        out.push_str(&format!("  when: {}\n", t.when));
        let reads: Vec<String> = t
            .reads
            .iter()
            .map(|f| {
                if f.absent {
                    format!("{} = (absent)", f.name)
                } else {
                    format!("{} = {}", f.name, f.value)
                }
            })
            .collect();
        out.push_str(&format!("  read: {}\n", or_none(&reads.join(", "))));
        if let Some(error) = &t.error {
            out.push_str(&format!(
                "  {} {error} (forces tier {})\n",
                paint(colour, "1;31", "error:"),
                crate::policy::ERROR_TIER
            ));
        }
    }
    out
}

fn or_none(s: &str) -> &str {
    if s.is_empty() { "(none)" } else { s }
}
