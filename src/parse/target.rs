//! Target phrases → [`Target`]: SKUs, names, categories, "everything", "it"/"them", lists of
//! those, and the filters that narrow them (price, inventory state, promo, image).
//!
//! The grammar does not know the catalog: a phrase it cannot classify becomes a name, which
//! [`crate::plan::resolve`] must then find exactly. Words that can never be part of a name
//! (negations, conditions, times, "price") make the phrase not understood instead.

#[cfg(test)]
use super::InventoryState;
use super::lexer::{Kind, Token};
use super::pattern::Words;
use super::vocab::{self, BACK_REFERENCES, CATEGORY_NOUNS, DETERMINERS};
use super::{Filter, Selector, Target};

/// Words a target phrase could not place; the caller turns them into a refusal.
pub type NotUnderstood = Vec<String>;

const SUBJECT: &str = "that|which|who? are|is|were|was? currently|now|all?";

/// Consumes every filter phrase among the unused tokens and returns the filters.
pub fn take_filters(w: &mut Words) -> Vec<Filter> {
    let mut filters = Vec::new();
    let price_words: [(&str, bool); 6] = [
        ("under|below|beneath", true),
        ("less|cheaper|lower than", true),
        ("over|above", false),
        ("more|greater|higher|pricier than", false),
        ("more expensive than", false),
        ("less expensive than", true),
    ];
    for (words, under) in price_words {
        let lead =
            "that|which? are|is|cost|costs|priced|costing|selling|sell|sells|retailing? for|at?";
        for pattern in [
            format!("{lead} {words} $"),
            format!("with a|the? base|list|regular? price|prices of? {words} $"),
        ] {
            for m in w.take_all(&pattern) {
                let limit = w.value(m.caps[0]);
                filters.push(if under {
                    Filter::PriceUnder(limit)
                } else {
                    Filter::PriceOver(limit)
                });
            }
        }
    }
    const IMAGE: &str = "image|images|photo|photos|picture|pictures|img url|urls?";
    let image_missing = [
        format!("that|which|who? do|does|did not have|has a|an|any? {IMAGE}"),
        format!("that|which? have|has no {IMAGE}"),
        format!("without a|an|any? {IMAGE}"),
        format!("with no|missing|empty|blank|an? empty|blank? {IMAGE}"),
        format!("that|which? are|is? missing|lacking|lack a|an|their|its? {IMAGE}"),
    ];
    let image_present = [
        format!("that|which? have|has a|an? {IMAGE}"),
        format!("with a|an? {IMAGE}"),
    ];
    for (patterns, has) in [(&image_missing[..], false), (&image_present[..], true)] {
        for p in patterns {
            for _ in w.take_all(p) {
                filters.push(Filter::HasImage(has));
            }
        }
    }
    const PROMO: &str =
        "promo|promos|sale|promotion|promotions|discount|special|offer|markdown|deal|clearance";
    let promo_off = [
        format!("{SUBJECT} not currently? on a? {PROMO}"),
        format!("that|which? do|does not have a|an|any? active? {PROMO}"),
        format!("without a|an|any? active? {PROMO}"),
        format!("with no active? {PROMO}"),
        "at? full|regular price|priced".to_string(),
    ];
    let promo_on = [
        format!("{SUBJECT} on a? {PROMO}"),
        format!("that|which? have|has a|an? active|current|running {PROMO}"),
        format!("with a|an? active|current|running {PROMO}"),
        "currently? discounted|promoted".to_string(),
    ];
    for (patterns, on) in [(&promo_off[..], false), (&promo_on[..], true)] {
        for p in patterns {
            for _ in w.take_all(p) {
                filters.push(Filter::PromoActive(on));
            }
        }
    }
    // "sale items", "promo products": the adjective only, the noun stays for the target.
    for i in 0..w.toks.len() {
        let adjective = !w.is_used(i)
            && ["promo", "sale", "promotional"].contains(&w.toks[i].text.as_str())
            && w.toks.get(i + 1).is_some_and(|t| {
                t.kind == Kind::Word && !w.is_used(i + 1) && vocab::is_collection_noun(&t.text)
            });
        if adjective {
            w.take_range(i, i + 1);
            filters.push(Filter::PromoActive(true));
        }
    }
    for (state, flag) in vocab::STATES {
        let pattern =
            format!("{SUBJECT} marked|flagged|listed|set|showing|labelled|labeled? as? {state}");
        for _ in w.take_all(&pattern) {
            filters.push(Filter::Inventory(*flag));
        }
    }
    filters
}

/// Parses the unused tokens as a target (filters first, then the products they narrow).
/// An empty phrase gives an empty target.
pub fn parse(w: &mut Words, src: &str) -> Result<Target, NotUnderstood> {
    let filters = take_filters(w);
    selectors(w, src, filters)
}

/// The selectors of the unused tokens (filters already taken).
pub fn selectors(w: &mut Words, src: &str, filters: Vec<Filter>) -> Result<Target, NotUnderstood> {
    // Each selector with the byte span of its name when it is a plain name.
    // "across the board", "sitewide": the whole catalog, unless products are named besides.
    let mut whole = false;
    for phrase in vocab::WHOLE_CATALOG_PHRASES {
        whole |= !w.take_all(phrase).is_empty();
    }
    let mut items: Vec<Item> = Vec::new();
    let mut not_understood = Vec::new();
    for run in w.runs() {
        let toks = &w.toks[run.clone()];
        let mut start = 0;
        for i in 0..=toks.len() {
            // A word separator that ends the phrase is part of a name ("Stand Mixer Plus").
            let at_separator = i < toks.len()
                && is_separator(&toks[i])
                && !(toks[i].kind == Kind::Word && i + 1 == toks.len());
            if i == toks.len() || at_separator {
                if start < i {
                    match item(&toks[start..i], src) {
                        Ok(selectors) => items.extend(selectors),
                        Err(words) => not_understood.extend(words),
                    }
                }
                start = i + 1;
            }
        }
        // Separators are part of the phrase.
        w.take_range(run.start, run.end);
    }
    if !not_understood.is_empty() {
        return Err(not_understood);
    }
    // Adjacent plain names are kept together as one phrase ("Salt and Pepper"); the resolver
    // splits it again when no product has the whole name.
    let mut merged: Vec<Item> = Vec::new();
    for (selector, span) in items {
        match (merged.last_mut(), span) {
            (Some((_, Some((_, last_end)))), Some((_, end))) => *last_end = end,
            _ => merged.push((selector, span)),
        }
    }
    let mut selectors: Vec<Selector> = merged
        .into_iter()
        .map(|(selector, span)| match span {
            Some((start, end)) => Selector::Name(src[start..end].to_string()),
            None => selector,
        })
        .collect();
    if selectors.is_empty() && (whole || !filters.is_empty()) {
        selectors.push(Selector::All);
    }
    Ok(Target { selectors, filters })
}

/// A selector, with the byte span of its text when it is a plain name.
type Item = (Selector, Option<(usize, usize)>);

/// List separators; a parenthesis too ("Saucier Pan (HL-103)" names both, and so one product
/// when they agree).
fn is_separator(t: &Token) -> bool {
    t.is_word("and")
        || t.is_word("plus")
        || t.is_punct(',')
        || t.is_punct('&')
        || t.is_punct('+')
        || t.is_punct('(')
        || t.is_punct(')')
}

fn words_are(toks: &[Token], phrase: &str) -> bool {
    let words: Vec<&str> = phrase.split(' ').collect();
    toks.len() == words.len() && toks.iter().zip(words).all(|(t, w)| t.is_word(w))
}

fn all_in(toks: &[Token], set: &[&[&str]]) -> bool {
    !toks.is_empty()
        && toks
            .iter()
            .all(|t| t.kind == Kind::Word && set.iter().any(|s| s.contains(&t.text.as_str())))
}

/// One list item → selectors, each with the span of its text when it is a plain name (so that
/// adjacent names can be merged).
fn item(toks: &[Token], src: &str) -> Result<Vec<Item>, NotUnderstood> {
    if BACK_REFERENCES.iter().any(|p| words_are(toks, p)) {
        return Ok(vec![(Selector::Previous, None)]);
    }
    let mut rest = toks;
    let mut all = false;
    while let Some((first, tail)) = rest.split_first() {
        if first.kind == Kind::Word && DETERMINERS.contains(&first.text.as_str()) {
            all |= matches!(
                first.text.as_str(),
                "all" | "every" | "each" | "entire" | "whole" | "full"
            );
            rest = tail;
        } else {
            break;
        }
    }
    if rest.is_empty() {
        return if all {
            Ok(vec![(Selector::All, None)])
        } else {
            Ok(Vec::new())
        };
    }
    // "everything in X", "across X", "in the X category".
    let marker = |t: &Token| {
        ["in", "across", "within", "inside", "throughout", "from"].contains(&t.text.as_str())
            && t.kind == Kind::Word
    };
    let lead = |t: &Token| {
        t.kind == Kind::Word
            && (vocab::WHOLE_CATALOG.contains(&t.text.as_str())
                || vocab::is_collection_noun(&t.text))
    };
    let category_rest = if marker(&rest[0]) {
        Some(&rest[1..])
    } else if rest.len() > 1 && lead(&rest[0]) && marker(&rest[1]) {
        Some(&rest[2..])
    } else if rest[0].kind == Kind::Word && CATEGORY_NOUNS.contains(&rest[0].text.as_str()) {
        Some(&rest[1..])
    } else {
        None
    };
    if let Some(mut c) = category_rest {
        while let Some((first, tail)) = c.split_first() {
            if first.kind == Kind::Word && DETERMINERS.contains(&first.text.as_str()) {
                c = tail;
            } else {
                break;
            }
        }
        if all_in(c, &[vocab::WHOLE_CATALOG, vocab::GENERIC_NOUNS]) || (c.is_empty() && all) {
            return Ok(vec![(Selector::All, None)]);
        }
        while let Some((last, head)) = c.split_last()
            && last.kind == Kind::Word
            && CATEGORY_NOUNS.contains(&last.text.as_str())
            && !head.is_empty()
        {
            c = head;
        }
        return name_text(c, src).map(|t| vec![(Selector::Category(t), None)]);
    }
    if let Some((last, head)) = rest.split_last()
        && last.kind == Kind::Word
        && CATEGORY_NOUNS.contains(&last.text.as_str())
        && !head.is_empty()
    {
        return name_text(head, src).map(|t| vec![(Selector::Category(t), None)]);
    }
    if all_in(rest, &[vocab::WHOLE_CATALOG, vocab::GENERIC_NOUNS]) {
        return Ok(vec![(Selector::All, None)]);
    }
    // SKUs, optionally introduced ("sku STR-001") or possessive ("STR-001's").
    let mut skus = rest;
    if let Some((first, tail)) = skus.split_first()
        && (["sku", "item", "product", "style", "article", "number", "no"]
            .contains(&first.text.as_str())
            || first.is_punct('#'))
        && tail.first().is_some_and(|t| t.kind == Kind::Sku)
    {
        skus = tail;
    }
    if let Some((last, head)) = skus.split_last()
        && last.is_word("'s")
    {
        skus = head;
    }
    if !skus.is_empty() && skus.iter().all(|t| t.kind == Kind::Sku) {
        return Ok(skus
            .iter()
            .map(|t| (Selector::Sku(t.text.clone()), None))
            .collect());
    }
    // "the Chef Knife's promo": the name without its possessive marker.
    if let Some((last, head)) = rest.split_last()
        && last.is_word("'s")
        && !head.is_empty()
    {
        rest = head;
    }
    let (start, end) = name_span(rest, src)?;
    let text = src[start..end].to_string();
    Ok(vec![if all {
        (Selector::Category(text), None)
    } else {
        (Selector::Name(text), Some((start, end)))
    }])
}

/// The exact text of a name phrase, or the words that cannot be part of a name.
pub fn name_text(toks: &[Token], src: &str) -> Result<String, NotUnderstood> {
    name_span(toks, src).map(|(start, end)| src[start..end].to_string())
}

/// The byte span of a name phrase (quotes off), or the words that cannot be part of a name.
fn name_span(toks: &[Token], src: &str) -> Result<(usize, usize), NotUnderstood> {
    let toks = strip_quotes(toks);
    let bad: Vec<&Token> = toks
        .iter()
        .filter(|t| match t.kind {
            Kind::Word => vocab::is_reserved(&t.text),
            Kind::Number => t.value.is_none_or(|v| v.is_sign_negative()),
            Kind::Punct => !(t.is_punct('.') || t.is_punct('\'')),
            Kind::Sku | Kind::Money | Kind::Percent => true,
        })
        .collect();
    if !bad.is_empty() {
        // A SKU next to a word that cannot be a name: the word is what was not understood.
        let words: Vec<&Token> = bad
            .iter()
            .copied()
            .filter(|t| t.kind != Kind::Sku)
            .collect();
        let shown = if words.is_empty() { bad } else { words };
        return Err(shown
            .iter()
            .map(|t| src[t.start..t.end].to_string())
            .collect());
    }
    match (toks.first(), toks.last()) {
        (Some(first), Some(last)) => Ok((first.start, last.end)),
        _ => Err(Vec::new()),
    }
}

fn strip_quotes(mut toks: &[Token]) -> &[Token] {
    while let Some((first, tail)) = toks.split_first()
        && (first.is_punct('"') || first.is_punct('\''))
    {
        toks = tail;
    }
    while let Some((last, head)) = toks.split_last()
        && (last.is_punct('"') || last.is_punct('\''))
    {
        toks = head;
    }
    toks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::lexer::{lex, normalise};
    use rust_decimal::Decimal;

    fn target(text: &str) -> Result<Target, NotUnderstood> {
        let src = normalise(text);
        let toks = lex(&src);
        let mut w = Words::new(&toks);
        parse(&mut w, &src)
    }

    fn sel(text: &str) -> Vec<Selector> {
        target(text).unwrap().selectors
    }

    #[test]
    fn categories_names_and_skus() {
        assert_eq!(
            sel("everything in the Lifestyle category"),
            [Selector::Category("Lifestyle".into())]
        );
        assert_eq!(
            sel("across Running"),
            [Selector::Category("Running".into())]
        );
        assert_eq!(
            sel("all trail shoes"),
            [Selector::Category("trail shoes".into())]
        );
        assert_eq!(sel("kids shoes"), [Selector::Name("kids shoes".into())]);
        assert_eq!(sel("the Mini Racer"), [Selector::Name("Mini Racer".into())]);
        assert_eq!(
            sel("STR-001, STR-004 and STR-007"),
            [
                Selector::Sku("STR-001".into()),
                Selector::Sku("STR-004".into()),
                Selector::Sku("STR-007".into())
            ]
        );
        assert_eq!(
            sel("Retro Wave and Canvas Low"),
            [Selector::Name("Retro Wave and Canvas Low".into())]
        );
        assert_eq!(sel("them"), [Selector::Previous]);
        assert_eq!(sel("all products"), [Selector::All]);
        assert_eq!(sel("everything"), [Selector::All]);
    }

    #[test]
    fn filters() {
        let t = target("running shoes under $140").unwrap();
        assert_eq!(t.selectors, [Selector::Name("running shoes".into())]);
        assert_eq!(t.filters, [Filter::PriceUnder(Decimal::from(140))]);
        let t = target("items that are low on stock").unwrap();
        assert_eq!(t.selectors, [Selector::All]);
        assert_eq!(t.filters, [Filter::Inventory(InventoryState::LowStock)]);
        let t = target("out-of-stock items").unwrap();
        assert_eq!(t.filters, [Filter::Inventory(InventoryState::OutOfStock)]);
        let t = target("products don't have an image").unwrap();
        assert_eq!(t.filters, [Filter::HasImage(false)]);
        let t = target("everything over $150").unwrap();
        assert_eq!(t.filters, [Filter::PriceOver(Decimal::from(150))]);
    }

    #[test]
    fn words_that_are_never_names_are_refused() {
        assert!(
            target("STR-001 tomorrow")
                .unwrap_err()
                .contains(&"tomorrow".to_string())
        );
        assert!(target("everything except STR-001").is_err());
    }
}
