//! "did you mean: `end the promo on Headlamp`?": when a request names products and values the
//! catalog knows but its verb was not understood, a rephrasing in words the grammar reads,
//! built only from what was understood. A suggestion is offered only if it plans without
//! refusal against this catalog, and never for a request with a negation, condition or date
//! (those are refused on purpose, not misunderstood).

use std::collections::HashSet;

use super::build;
use crate::catalog::{Catalog, Field};
use crate::parse::lexer::{self, Kind, Token};
use crate::parse::vocab::{self, STATES, UNSUPPORTED};

/// A rephrasing of `request` that plans, or `None`.
pub fn rephrase(request: &str, catalog: &Catalog) -> Option<String> {
    let src = lexer::normalise(request);
    let toks = lexer::lex(&src);
    if toks
        .iter()
        .any(|t| t.kind == Kind::Word && UNSUPPORTED.contains(&t.text.as_str()))
    {
        return None;
    }
    let target = target(&toks, catalog)?;
    candidates(&toks, &target)
        .into_iter()
        .find(|candidate| plans(candidate, catalog))
}

/// Whether a request parses and builds against the catalog without refusal.
fn plans(request: &str, catalog: &Catalog) -> bool {
    crate::parse::parse(request)
        .and_then(|intents| build::operations(catalog, &intents))
        .is_ok()
}

/// The products the request names, as a target phrase: its SKUs, else the longest product
/// name or category found word for word.
fn target(toks: &[Token], catalog: &Catalog) -> Option<String> {
    let skus: Vec<&str> = toks
        .iter()
        .filter(|t| t.kind == Kind::Sku && catalog.row_of(&t.text).is_some())
        .map(|t| t.text.as_str())
        .collect();
    match skus.as_slice() {
        [] => {}
        [one] => return Some((*one).to_string()),
        [init @ .., last] => return Some(format!("{} and {last}", init.join(", "))),
    }
    let words: Vec<&str> = toks
        .iter()
        .filter(|t| t.kind == Kind::Word)
        .map(|t| t.text.as_str())
        .collect();
    let spoken = format!(" {} ", words.join(" "));
    let mut best: Option<(usize, String)> = None;
    let mut seen = HashSet::new();
    for row in 0..catalog.rows.len() {
        for (field, phrase) in [
            (Field::Name, None),
            (Field::Category, Some("everything in ")),
        ] {
            let cell = catalog.cell(row, field).trim();
            let key = vocab::key(cell);
            if key.is_empty() || !seen.insert((field == Field::Name, key.clone())) {
                continue;
            }
            let longer = best.as_ref().is_none_or(|(len, _)| key.len() > *len);
            if longer && spoken.contains(&format!(" {key} ")) {
                best = Some((key.len(), format!("{}{cell}", phrase.unwrap_or(""))));
            }
        }
    }
    best.map(|(_, phrase)| phrase)
}

/// Rephrasings from the values and cue words the request has, most specific first.
fn candidates(toks: &[Token], target: &str) -> Vec<String> {
    let has = |words: &[&str]| {
        toks.iter()
            .any(|t| t.kind == Kind::Word && words.contains(&t.text.as_str()))
    };
    let promo = has(&[
        "promo",
        "promos",
        "promotion",
        "sale",
        "deal",
        "clearance",
        "markdown",
        "discount",
        "special",
        "offer",
    ]);
    let price = has(&["price", "prices", "cost", "costs", "priced", "pricing"]);
    let mut out = Vec::new();
    if let Some(p) = toks.iter().find(|t| t.kind == Kind::Percent) {
        out.push(format!("take {}% off {target}", value(p)));
    }
    if let Some(m) = toks.iter().find(|t| t.kind == Kind::Money) {
        let amount = value(m);
        if promo {
            out.push(format!("put {target} on promo at ${amount}"));
        } else if price {
            out.push(format!("set the base price of {target} to ${amount}"));
        }
    }
    let w = crate::parse::pattern::Words::new(toks);
    if let Some((_, state)) = STATES.iter().find(|(p, _)| w.find(p).is_some()) {
        out.push(format!("mark {target} {}", state.flag().replace('_', " ")));
    }
    let ends = has(&[
        "end",
        "ended",
        "ends",
        "over",
        "finished",
        "stop",
        "stopped",
        "expire",
        "expired",
        "done",
        "cancel",
        "cancelled",
        "remove",
        "kill",
        "off",
    ]);
    if promo && ends {
        out.push(format!("end the promo on {target}"));
    }
    out
}

fn value(t: &Token) -> String {
    t.value
        .map(|v| v.normalize().to_string())
        .unwrap_or_default()
}
