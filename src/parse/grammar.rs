//! The deterministic request grammar: clauses, verbs, values and target phrases.
//!
//! A request is split into clauses; each clause must match one pattern completely, else the
//! whole request is refused with the words that were not understood. Nothing is guessed.

use rust_decimal::Decimal;

use super::{Filter, Intent, InventoryState, Selector, Target};
use crate::error::{Error, Result};

/// Parses the whole request into intents, refusing it if any clause is not understood.
pub fn parse(request: &str) -> Result<Vec<Intent>> {
    let mut intents = Vec::new();
    for clause in split_clauses(request) {
        intents.push(parse_clause(&clause)?);
    }
    Ok(intents)
}

/// Splits on ";", " then ", " also " and on " and " / "," when what follows starts a new clause
/// (a verb), so that "STR-001, STR-004 and STR-007" stays one target list.
fn split_clauses(request: &str) -> Vec<String> {
    let normalised = request.replace(['\u{2019}', '\u{2018}'], "'");
    let mut clauses = Vec::new();
    for part in normalised.split(';') {
        let words: Vec<&str> = part.split_whitespace().collect();
        let mut current: Vec<&str> = Vec::new();
        for (i, word) in words.iter().enumerate() {
            let lower = word.to_ascii_lowercase();
            let next = words
                .get(i + 1)
                .map(|w| w.to_ascii_lowercase())
                .unwrap_or_default();
            let joiner = matches!(lower.as_str(), "and" | "then" | "also");
            if joiner && starts_clause(&next) && !current.is_empty() {
                clauses.push(current.join(" "));
                current.clear();
                continue;
            }
            if let Some(stripped) = word.strip_suffix(',')
                && starts_clause(&next)
            {
                current.push(stripped);
                clauses.push(current.join(" "));
                current.clear();
                continue;
            }
            current.push(word);
        }
        if !current.is_empty() {
            clauses.push(current.join(" "));
        }
    }
    clauses
        .into_iter()
        .map(|c| {
            c.trim()
                .trim_end_matches(['.', '!', '?'])
                .trim()
                .to_string()
        })
        .filter(|c| !c.is_empty())
        .collect()
}

const VERBS: &[&str] = &[
    "take",
    "put",
    "mark",
    "set",
    "end",
    "remove",
    "give",
    "discount",
    "knock",
    "show",
    "list",
    "what",
    "which",
    "notify",
    "email",
    "discontinue",
    "change",
    "raise",
    "lower",
    "add",
    "how",
];

fn starts_clause(word: &str) -> bool {
    VERBS.contains(&word.trim_matches(|c: char| !c.is_ascii_alphanumeric()))
}

fn parse_clause(clause: &str) -> Result<Intent> {
    let lower = clause.to_ascii_lowercase();
    let first = lower.split_whitespace().next().unwrap_or_default();

    if matches!(first, "what" | "which" | "show" | "list" | "how") {
        return Ok(Intent::Read { target: None });
    }
    if matches!(first, "notify" | "email") {
        return Ok(Intent::Notify {
            message: clause.to_string(),
        });
    }
    if let Some(state) = inventory_state(&lower) {
        let rest = strip_words(&lower, &["mark", "set", "as", "discontinue"]);
        let rest = remove_inventory_words(&rest);
        return Ok(Intent::SetInventory {
            target: target(&rest, clause)?,
            state,
        });
    }
    if let Some(rest) = lower
        .strip_prefix("end the promo on ")
        .or_else(|| lower.strip_prefix("end the promo for "))
        .or_else(|| lower.strip_prefix("remove the discount from "))
    {
        return Ok(Intent::EndPromo {
            target: target(rest, clause)?,
        });
    }
    if let Some((percent, rest)) = percent_off(&lower) {
        if percent <= Decimal::ZERO || percent >= Decimal::ONE_HUNDRED {
            return Err(Error::input(format!(
                "a discount of {percent}% is not possible; it must be above 0 and below 100"
            ))
            .with_examples());
        }
        return Ok(Intent::Discount {
            target: target(&rest, clause)?,
            percent,
        });
    }
    if let Some((rest, price)) = lower.split_once(" on promo at ") {
        let rest = strip_words(rest, &["put"]);
        return Ok(Intent::PromoPrice {
            target: target(&rest, clause)?,
            price: money(price, clause)?,
        });
    }
    Err(not_understood(clause))
}

fn not_understood(clause: &str) -> Error {
    Error::input(format!(
        "could not understand \"{clause}\"; nothing was planned"
    ))
    .with_examples()
}

fn inventory_state(lower: &str) -> Option<InventoryState> {
    if lower.contains("out of stock") {
        Some(InventoryState::OutOfStock)
    } else if lower.contains("low stock") || lower.contains("low on stock") {
        Some(InventoryState::LowStock)
    } else if lower.contains("in stock") && (lower.starts_with("mark") || lower.starts_with("set"))
    {
        Some(InventoryState::InStock)
    } else if lower.starts_with("discontinue") || lower.contains(" as discontinued") {
        Some(InventoryState::Discontinued)
    } else if lower.contains("pre-order") || lower.contains("preorder") {
        Some(InventoryState::PreOrder)
    } else {
        None
    }
}

fn remove_inventory_words(text: &str) -> String {
    let mut t = format!(" {text} ");
    for phrase in [
        "out of stock",
        "low on stock",
        "low stock",
        "in stock",
        "discontinued",
        "pre-order",
        "preorder",
    ] {
        t = t.replace(&format!(" {phrase} "), " ");
    }
    t.trim().to_string()
}

/// "15% off X", "take 20 percent off X", "discount X by 25%", "give X 10% off".
fn percent_off(lower: &str) -> Option<(Decimal, String)> {
    let words: Vec<&str> = lower.split_whitespace().collect();
    for (i, w) in words.iter().enumerate() {
        let (number, unit_in_word) = match w.strip_suffix('%') {
            Some(n) => (n, true),
            None => (*w, false),
        };
        let Ok(percent) = number.parse::<Decimal>() else {
            continue;
        };
        let mut j = i + 1;
        if !unit_in_word {
            match words.get(j) {
                Some(&"percent") | Some(&"pct") | Some(&"%") => j += 1,
                _ => continue,
            }
        }
        let before = words[..i].to_vec();
        let after = &words[j..];
        let target_words: Vec<&str> = if after.first() == Some(&"off") {
            let mut t: Vec<&str> = before
                .iter()
                .copied()
                .filter(|w| !matches!(*w, "take" | "put" | "give" | "on"))
                .collect();
            t.extend(after[1..].iter().copied());
            t
        } else if before.first() == Some(&"discount") && before.last() == Some(&"by") {
            before[1..before.len() - 1].to_vec()
        } else {
            continue;
        };
        return Some((percent, target_words.join(" ")));
    }
    None
}

fn money(text: &str, clause: &str) -> Result<Decimal> {
    let t = text.trim().trim_start_matches('$');
    t.parse::<Decimal>().map_err(|_| not_understood(clause))
}

fn strip_words(text: &str, words: &[&str]) -> String {
    text.split_whitespace()
        .filter(|w| !words.contains(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A target phrase: "all products", SKUs, "all X shoes", "everything in X", or a product name.
fn target(phrase: &str, clause: &str) -> Result<Target> {
    let p = phrase
        .trim()
        .trim_start_matches("the ")
        .trim_start_matches("on ")
        .trim();
    if p.is_empty() {
        return Err(
            Error::input(format!("\"{clause}\" does not say which products")).with_examples(),
        );
    }
    if matches!(
        p,
        "all products" | "everything" | "every product" | "the whole catalog"
    ) {
        return Ok(Target {
            selectors: vec![Selector::All],
            filters: Vec::new(),
        });
    }
    let words: Vec<&str> = p
        .split([' ', ','])
        .filter(|w| !w.is_empty() && *w != "and")
        .collect();
    if words.iter().all(|w| is_sku(w)) {
        return Ok(Target {
            selectors: words
                .iter()
                .map(|w| Selector::Sku(w.to_ascii_uppercase()))
                .collect(),
            filters: vec![],
        });
    }
    let category = p
        .strip_prefix("all ")
        .or_else(|| p.strip_prefix("everything in "))
        .map(|c| {
            c.trim_end_matches(" shoes")
                .trim_end_matches(" products")
                .trim_end_matches(" category")
        })
        .or_else(|| p.strip_suffix(" category"));
    if let Some(c) = category {
        return Ok(Target {
            selectors: vec![Selector::Category(c.trim().to_string())],
            filters: Vec::<Filter>::new(),
        });
    }
    Ok(Target {
        selectors: vec![Selector::Name(p.to_string())],
        filters: Vec::new(),
    })
}

/// A SKU-like token: letters, a dash, digits ("STR-001").
pub fn is_sku(word: &str) -> bool {
    let Some((prefix, digits)) = word.split_once('-') else {
        return false;
    };
    !prefix.is_empty()
        && prefix.chars().all(|c| c.is_ascii_alphabetic())
        && !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit())
}
