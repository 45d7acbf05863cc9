//! New products: "add a new product STR-050 Ultra Racer in Running at $149.99", "create STR-025
//! Night Runner, category Running, base price 119.99, pre-order", "new product: STR-030 Trail
//! Sprite, Kids, $44.99". Needs a SKU, a name, a category and a price; every word must be used.

use rust_decimal::Decimal;

use super::grammar::{Clause, not_understood};
use super::lexer::{Kind, Token};
use super::pattern::Words;
use super::{CREATE_EXAMPLE, Intent, InventoryState, target, vocab};
use crate::error::{Error, Result};

pub fn parse(c: &Clause) -> Option<Result<Intent>> {
    let mut w = c.w.clone();
    let lead = w
        .take_start("add|create|introduce|launch|list|register a|an|one|the? brand|following? new? product|item|shoe|style|sku|listing|model|line? :?")
        .or_else(|| w.take_start("add|create to|into the|our catalog|catalogue|range|store|shop :?"))
        .or_else(|| w.take_start("we|i are|'re|will|'ll adding|add|creating|create|introducing|introduce|launching|launch a|an|one? brand? new? product|item|sku|listing? :?"))
        .or_else(|| w.take_start("set up a|an|one? brand? new? product|item|shoe|style|sku|listing|model|line? :?"))
        .or_else(|| w.take_start("a|an? new product|item|shoe|style|sku|listing|model :?"))
        .or_else(|| w.take_start("new :"))?;
    let explicit_new = w.toks[lead.start..lead.end]
        .iter()
        .any(|t| t.is_word("new") || t.is_word("create"));
    // "add" alone must be followed by a SKU ("add STR-050 ..."); "add $5 to ..." is not a product.
    let sku_index = (0..w.toks.len()).find(|&i| !w.is_used(i) && w.toks[i].kind == Kind::Sku);
    let Some(sku_index) = sku_index else {
        if explicit_new {
            return Some(Err(incomplete(c, &["a SKU"])));
        }
        return None;
    };
    // "add the Steak Knife (HL-171) to Knives": the name, then its new SKU in parentheses.
    let bracketed = sku_index > 0 && w.toks[sku_index - 1].is_punct('(');
    // "add the following product: SKU HL-181, ...": the label before the SKU.
    let lead_end = w.take_start("sku|id :|#?").map_or(lead.end, |m| m.end);
    if !explicit_new && sku_index != lead_end && !bracketed {
        return None;
    }
    if bracketed {
        w.take_start("the|a|an|our");
    }
    Some(fields(c, w, sku_index))
}

fn incomplete(c: &Clause, missing: &[&str]) -> Error {
    Error::input(format!(
        "\"{}\" adds a product but is missing {}; nothing was planned",
        c.text,
        missing.join(", ")
    ))
    .hint(CREATE_EXAMPLE)
}

fn fields(c: &Clause, mut w: Words, sku_index: usize) -> Result<Intent> {
    let sku = w.toks[sku_index].text.clone();
    let toks = w.toks;
    // A name given before the SKU ("add Ultra Racer (STR-050) ...") or after "called".
    let mut name: Option<String> = None;
    let before: Vec<usize> = (0..sku_index).filter(|&i| !w.is_used(i)).collect();
    if let (Some(&first), Some(&last)) = (before.first(), before.last()) {
        let span = strip(
            &toks[first..=last],
            &[
                "called", "named", "with", "sku", "(", ",", ":", "-", "=", "|", "for",
            ],
        );
        if !span.is_empty() {
            name = Some(text(c, span)?);
        }
        w.take_range(first, last + 1);
    }
    w.take_range(sku_index, sku_index + 1);
    // "add HL-171 to the catalog: ...": where it goes is not a field.
    if let Some(m) = w.find("to|into the|our catalog|catalogue|store|shop|range|lineup :?") {
        w.take(&m);
    }
    let mut category = None;
    let mut price = None;
    let mut inventory = None;
    let mut labelled: Option<Label> = None;
    let mut i = sku_index + 1;
    let n = toks.len();
    while i < n {
        let t = &toks[i];
        if w.is_used(i)
            || t.is_punct(',')
            || t.is_punct(')')
            || t.is_punct(';')
            || t.is_punct('-')
            || t.text == "|"
            || t.is_word("and")
            || t.is_word("with")
        {
            i += 1;
            continue;
        }
        // "name: Cake Tester", "category Cookware", "inventory: low stock".
        if let Some((field, len)) = label_at(toks, i) {
            labelled = Some(field);
            i += len;
            continue;
        }
        if let Some((state, len)) = state_at(toks, i) {
            inventory = Some(state);
            i += len;
            continue;
        }
        if t.kind == Kind::Money || t.kind == Kind::Number && name.is_some() {
            price = Some(number(t));
            i += 1;
            continue;
        }
        if is_price_marker(t) {
            let mut j = i;
            while j < n && (is_price_marker(&toks[j]) || toks[j].is_word("of")) {
                j += 1;
            }
            match toks.get(j) {
                Some(v) if v.is_numeric() => {
                    price = Some(number(v));
                    i = j + 1;
                    continue;
                }
                // A colon between fields ("HL-160: name ...") is not a price.
                _ if j == i + 1 && t.is_punct(':') => {
                    i += 1;
                    continue;
                }
                _ => return Err(incomplete(c, &["a price"])),
            }
        }
        // A run of words up to the next marker: the name first, then the category.
        let category_marker = is_category_marker(t);
        let from = if category_marker { i + 1 } else { i };
        let mut j = from;
        while j < n && !ends_field(toks, j) {
            j += 1;
        }
        let words = strip(
            &toks[from..j],
            &["the", "called", "named", "category", "a", "an"],
        );
        if words.is_empty() {
            i = j.max(i + 1);
            continue;
        }
        let value = text(c, words)?;
        let label = labelled.take();
        if label == Some(Label::Name) && name.is_none() {
            name = Some(value);
        } else if label == Some(Label::Category) && category.is_none() {
            category = Some(value);
        } else if label.is_none() && name.is_none() && !category_marker {
            name = Some(value);
        } else if label.is_none() && category.is_none() {
            category = Some(value);
        } else {
            let extra: Vec<String> = words.iter().map(|t| c.token_text(t)).collect();
            return Err(not_understood(&c.text, &extra));
        }
        i = j;
    }
    let mut missing = Vec::new();
    if name.is_none() {
        missing.push("a name");
    }
    if category.is_none() {
        missing.push("a category");
    }
    if price.is_none() {
        missing.push("a price");
    }
    if !missing.is_empty() {
        return Err(incomplete(c, &missing));
    }
    Ok(Intent::Create {
        sku,
        name: name.unwrap_or_default(),
        category: category.unwrap_or_default(),
        price: price.unwrap_or_default(),
        inventory,
    })
}

/// A field named before its value in a structured create.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Label {
    Name,
    Category,
    /// "inventory:" / "status:": the state phrase that follows is read as usual.
    State,
}

/// A field label at token `i` ("name:", "category", "inventory -"), with its length.
fn label_at(toks: &[Token], i: usize) -> Option<(Label, usize)> {
    let t = &toks[i];
    if t.kind != Kind::Word {
        return None;
    }
    let label = match t.text.as_str() {
        "name" | "title" | "called" | "named" => Label::Name,
        "category" | "cat" | "department" | "dept" | "type" => Label::Category,
        "inventory" | "stock" | "status" | "availability" | "state" => Label::State,
        _ => return None,
    };
    let next = toks.get(i + 1);
    let separated = next.is_some_and(|n| n.is_punct(':') || n.is_punct('-') || n.is_punct('='));
    // "stock" in "low stock" is part of a state, not a label.
    if label == Label::State
        && !separated
        && next.is_none_or(|n| state_at(toks, i + 1).is_none() && n.kind == Kind::Word)
    {
        return None;
    }
    Some((label, if separated { 2 } else { 1 }))
}

fn number(t: &Token) -> Decimal {
    t.value.unwrap_or_default()
}

fn is_price_marker(t: &Token) -> bool {
    t.kind == Kind::Word
        && matches!(
            t.text.as_str(),
            "at" | "for"
                | "priced"
                | "price"
                | "base"
                | "list"
                | "regular"
                | "retail"
                | "costing"
                | "selling"
                | "msrp"
        )
        || t.is_punct('=')
        || t.is_punct(':')
}

fn is_category_marker(t: &Token) -> bool {
    t.kind == Kind::Word && matches!(t.text.as_str(), "in" | "category" | "under" | "into" | "to")
}

fn ends_field(toks: &[Token], j: usize) -> bool {
    let t = &toks[j];
    // "category Tableware and price 12.00": "and" before another field ends this one.
    let and_field = t.is_word("and")
        && toks
            .get(j + 1)
            .is_some_and(|n| is_price_marker(n) || label_at(toks, j + 1).is_some());
    and_field
        || t.is_punct(',')
        || t.is_punct(';')
        || t.text == "|"
        || t.text == "/"
        || label_at(toks, j).is_some()
        || t.is_punct(')')
        || t.is_punct('(')
        || t.kind == Kind::Money
        || is_price_marker(t)
        || is_category_marker(t)
        || t.is_word("with")
        || state_at(toks, j).is_some()
}

/// An inventory state phrase starting at token `i`, with its length in tokens.
fn state_at(toks: &[Token], i: usize) -> Option<(InventoryState, usize)> {
    // States are at most five words, so a short window keeps this constant-time.
    let w = Words::new(&toks[i..toks.len().min(i + 6)]);
    vocab::STATES
        .iter()
        .find_map(|(pattern, state)| w.at_start(pattern).map(|m| (*state, m.end - m.start)))
}

fn strip<'t>(mut toks: &'t [Token], words: &[&str]) -> &'t [Token] {
    let drop = |t: &Token| words.contains(&t.text.as_str());
    while let Some((first, tail)) = toks.split_first()
        && drop(first)
    {
        toks = tail;
    }
    while let Some((last, head)) = toks.split_last()
        && drop(last)
    {
        toks = head;
    }
    toks
}

/// A field's text, without the quotes around it ("'Pepper Mill'").
fn text(c: &Clause, toks: &[Token]) -> Result<String> {
    let quotes = ['\'', '"', '`'];
    let toks = strip(toks, &["'", "\"", "`"]);
    target::name_text(toks, c.src)
        .map(|t| t.trim_matches(&quotes[..]).trim().to_string())
        .map_err(|words| not_understood(&c.text, &words))
}
