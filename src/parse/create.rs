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
    let mut fields = Fields {
        name: name_before(c, &mut w, sku_index)?,
        ..Fields::default()
    };
    w.take_range(sku_index, sku_index + 1);
    // "add HL-171 to the catalog: ...": where it goes is not a field.
    if let Some(m) = w.find("to|into the|our catalog|catalogue|store|shop|range|lineup :?") {
        w.take(&m);
    }
    let mut i = sku_index + 1;
    while i < toks.len() {
        i = if w.is_used(i) || is_separator(&toks[i]) {
            i + 1
        } else {
            fields.read(c, toks, i)?
        };
    }
    fields.finish(c, sku)
}

/// A name given before the SKU ("add Ultra Racer (STR-050) ...") or after "called"; the words
/// before the SKU are used up either way.
fn name_before(c: &Clause, w: &mut Words, sku_index: usize) -> Result<Option<String>> {
    let toks = w.toks;
    let before: Vec<usize> = (0..sku_index).filter(|&i| !w.is_used(i)).collect();
    let (Some(&first), Some(&last)) = (before.first(), before.last()) else {
        return Ok(None);
    };
    let span = strip(
        &toks[first..=last],
        &[
            "called", "named", "with", "sku", "(", ",", ":", "-", "=", "|", "for",
        ],
    );
    let name = if span.is_empty() {
        None
    } else {
        Some(text(c, span)?)
    };
    w.take_range(first, last + 1);
    Ok(name)
}

/// What separates fields after the SKU: punctuation and joining words.
fn is_separator(t: &Token) -> bool {
    t.is_punct(',')
        || t.is_punct(')')
        || t.is_punct(';')
        || t.is_punct('-')
        || t.text == "|"
        || t.is_word("and")
        || t.is_word("with")
}

/// The fields of a new product read so far, after its SKU.
#[derive(Default)]
struct Fields {
    name: Option<String>,
    category: Option<String>,
    price: Option<Decimal>,
    inventory: Option<InventoryState>,
    /// The label just read ("name:"), naming the run of words that follows.
    labelled: Option<Label>,
}

impl Fields {
    /// Reads the field starting at token `i`; returns the index after it.
    fn read(&mut self, c: &Clause, toks: &[Token], i: usize) -> Result<usize> {
        let t = &toks[i];
        // "name: Cake Tester", "category Cookware", "inventory: low stock".
        if let Some((field, len)) = label_at(toks, i) {
            self.labelled = Some(field);
            return Ok(i + len);
        }
        if let Some((state, len)) = state_at(toks, i) {
            self.inventory = Some(state);
            return Ok(i + len);
        }
        if t.kind == Kind::Money || t.kind == Kind::Number && self.name.is_some() {
            self.price = Some(number(t));
            return Ok(i + 1);
        }
        if is_price_marker(t) {
            return self.read_marked_price(c, toks, i);
        }
        self.read_words(c, toks, i)
    }

    /// A price after its markers ("at", "priced at", "base price of", "="), at token `i`.
    fn read_marked_price(&mut self, c: &Clause, toks: &[Token], i: usize) -> Result<usize> {
        let mut j = i;
        while j < toks.len() && (is_price_marker(&toks[j]) || toks[j].is_word("of")) {
            j += 1;
        }
        match toks.get(j) {
            Some(v) if v.is_numeric() => {
                self.price = Some(number(v));
                Ok(j + 1)
            }
            // A colon between fields ("HL-160: name ...") is not a price.
            _ if j == i + 1 && toks[i].is_punct(':') => Ok(i + 1),
            _ => Err(incomplete(c, &["a price"])),
        }
    }

    /// A run of words up to the next marker: the name first, then the category.
    fn read_words(&mut self, c: &Clause, toks: &[Token], i: usize) -> Result<usize> {
        let category_marker = is_category_marker(&toks[i]);
        let from = if category_marker { i + 1 } else { i };
        let mut j = from;
        while j < toks.len() && !ends_field(toks, j) {
            j += 1;
        }
        let words = strip(
            &toks[from..j],
            &["the", "called", "named", "category", "a", "an"],
        );
        if words.is_empty() {
            return Ok(j.max(i + 1));
        }
        let value = text(c, words)?;
        let label = self.labelled.take();
        if label == Some(Label::Name) && self.name.is_none() {
            self.name = Some(value);
        } else if label == Some(Label::Category) && self.category.is_none() {
            self.category = Some(value);
        } else if label.is_none() && self.name.is_none() && !category_marker {
            self.name = Some(value);
        } else if label.is_none() && self.category.is_none() {
            self.category = Some(value);
        } else {
            let extra: Vec<String> = words.iter().map(|t| c.token_text(t)).collect();
            return Err(not_understood(&c.text, &extra));
        }
        Ok(j)
    }

    /// The new product, or which of its required fields are missing.
    fn finish(self, c: &Clause, sku: String) -> Result<Intent> {
        let missing: Vec<&str> = [
            (self.name.is_none(), "a name"),
            (self.category.is_none(), "a category"),
            (self.price.is_none(), "a price"),
        ]
        .into_iter()
        .filter_map(|(absent, what)| absent.then_some(what))
        .collect();
        if !missing.is_empty() {
            return Err(incomplete(c, &missing));
        }
        Ok(Intent::Create {
            sku,
            name: self.name.unwrap_or_default(),
            category: self.category.unwrap_or_default(),
            price: self.price.unwrap_or_default(),
            inventory: self.inventory,
        })
    }
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
