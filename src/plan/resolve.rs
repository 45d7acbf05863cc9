//! Targets → catalog rows. Everything comes from the rows: SKUs, names and categories are
//! looked up exactly (case, spacing and plurals aside), and anything unknown or ambiguous is
//! refused with the nearest matches, never guessed.
//!
//! A target is the union of its selectors. Filters (price, stock, promo, image) narrow the
//! groups (a category, the whole catalog) but never drop a product named one by one: a write
//! that puts a condition on named products only is refused instead.

use crate::catalog::{Catalog, Field, value};
use crate::error::{Error, Result};
use crate::parse::vocab::{self, CATEGORY_NOUNS, COLLECTION_NOUNS, DETERMINERS};
use crate::parse::{Filter, InventoryState, Selector, Target};

/// The rows a target names, in catalog order. `previous` holds the rows named by the clause
/// before (for "it" / "them"). A read applies its filters to named products too.
pub fn rows(
    catalog: &Catalog,
    target: &Target,
    previous: &[usize],
    read: bool,
) -> Result<Vec<usize>> {
    let n = catalog.rows.len();
    let mut specific: Vec<usize> = Vec::new();
    let mut group: Vec<usize> = Vec::new();
    let mut has_group = false;
    for selector in &target.selectors {
        match selector {
            Selector::All => {
                has_group = true;
                group.extend(0..n);
            }
            Selector::Previous => {
                if previous.is_empty() {
                    return Err(Error::input(
                        "\"it\"/\"them\" does not refer to any product named earlier in the request; nothing was planned",
                    )
                    .hint("name the products: a SKU, a product name or a category"));
                }
                specific.extend_from_slice(previous);
            }
            Selector::Sku(sku) => specific.push(sku_row(catalog, sku)?),
            Selector::Category(name) => {
                has_group = true;
                group.extend(category(catalog, name)?);
            }
            Selector::Name(name) => {
                let found = name_rows(catalog, name)?;
                has_group |= !found.group.is_empty();
                specific.extend(found.specific);
                group.extend(found.group);
            }
        }
    }
    if target.selectors.is_empty() {
        has_group = true;
        group.extend(0..n);
    }
    if !target.filters.is_empty() {
        if read {
            specific.retain(|&r| target.filters.iter().all(|f| keep(catalog, r, f)));
        } else if !has_group {
            return Err(Error::input(format!(
                "the condition {} can narrow a category or all products, not products named one by one; nothing was planned",
                describe_filters(&target.filters)
            ))
            .hint("drop the condition, or name a category (\"running shoes under $100\")"));
        }
        group.retain(|&r| target.filters.iter().all(|f| keep(catalog, r, f)));
    }
    let mut chosen = vec![false; n];
    for r in specific.into_iter().chain(group) {
        chosen[r] = true;
    }
    Ok((0..n).filter(|&r| chosen[r]).collect())
}

/// The filters in words, for messages ("under $60, out of stock").
pub fn describe_filters(filters: &[Filter]) -> String {
    let words: Vec<String> = filters
        .iter()
        .map(|f| match f {
            Filter::PriceUnder(p) => format!("base price under ${p}"),
            Filter::PriceOver(p) => format!("base price over ${p}"),
            Filter::Inventory(s) => format!("inventory {}", s.flag()),
            Filter::PromoActive(true) => "on promo".to_string(),
            Filter::PromoActive(false) => "not on promo".to_string(),
            Filter::HasImage(true) => "with an image".to_string(),
            Filter::HasImage(false) => "without an image".to_string(),
            Filter::Available(true) => "available to buy".to_string(),
            Filter::Available(false) => "not available to buy".to_string(),
        })
        .collect();
    format!("\"{}\"", words.join(", "))
}

/// The row whose key is `key` (exactly, else ignoring ASCII case).
pub fn key_row(catalog: &Catalog, key: &str) -> Option<usize> {
    let wanted = key.trim();
    catalog
        .row_of(wanted)
        .or_else(|| (0..catalog.rows.len()).find(|&r| catalog.key(r).eq_ignore_ascii_case(wanted)))
}

fn sku_row(catalog: &Catalog, sku: &str) -> Result<usize> {
    let wanted = sku.trim();
    if let Some(r) = key_row(catalog, wanted) {
        return Ok(r);
    }
    let keys = (0..catalog.rows.len()).map(|r| catalog.key(r));
    Err(Error::input(format!(
        "there is no product with SKU {wanted}; nothing was planned"
    ))
    .hint(suggest(wanted, keys)))
}

/// Rows found for a name phrase: products it names exactly, and categories it names.
#[derive(Default)]
struct Found {
    specific: Vec<usize>,
    group: Vec<usize>,
}

/// An exact whole-name match wins; then a category of that name ("trail shoes" is the Trail
/// category, not "Little Trail"); then the name without a trailing "shoes"; then, for a list
/// ("Retro Wave and Canvas Low"), each part the same way. Anything else is refused.
fn name_rows(catalog: &Catalog, phrase: &str) -> Result<Found> {
    if let Some(found) = exact_or_category(catalog, phrase)? {
        return Ok(found);
    }
    let parts = split_list(phrase, &[",", "&", " and "]);
    if parts.len() > 1 || phrase_has_plus(phrase) {
        let mut found = Found::default();
        for part in parts {
            // "Stand Mixer Plus" is a name; "Pro Blender plus Loaf Tin" is a list.
            let f = match exact_or_category(catalog, part)? {
                Some(f) => f,
                None => plus_list(catalog, part)?,
            };
            found.specific.extend(f.specific);
            found.group.extend(f.group);
        }
        return Ok(found);
    }
    Err(unknown_name(catalog, phrase))
}

fn exact_or_category(catalog: &Catalog, phrase: &str) -> Result<Option<Found>> {
    // A key the grammar could not tell from a word ("SKU12345", "100234") is still a key.
    if let Some(row) = key_row(catalog, phrase) {
        return Ok(Some(Found {
            specific: vec![row],
            group: Vec::new(),
        }));
    }
    let all_words = vocab::key_words(phrase);
    let words = strip_words(all_words.clone(), false);
    if words.is_empty() {
        return Ok(None);
    }
    for key in [all_words.join(" "), words.join(" ")] {
        let exact = rows_named(catalog, &key);
        if !exact.is_empty() {
            return one_product(catalog, phrase, exact).map(Some);
        }
    }
    if let Some(rows) = category_rows(catalog, phrase) {
        return Ok(Some(Found {
            specific: Vec::new(),
            group: rows,
        }));
    }
    // "the Cloud Runner shoes", "4 Headlamps": the name without a trailing noun or plural.
    let stripped = strip_words(words.clone(), true);
    let mut singular = stripped.clone();
    if let Some(last) = singular.last_mut() {
        *last = vocab::singular(last);
    }
    for candidate in [stripped, singular] {
        if !candidate.is_empty() && candidate != words {
            let exact = rows_named(catalog, &candidate.join(" "));
            if !exact.is_empty() {
                return one_product(catalog, phrase, exact).map(Some);
            }
        }
    }
    Ok(None)
}

fn one_product(catalog: &Catalog, phrase: &str, rows: Vec<usize>) -> Result<Found> {
    if rows.len() > 1 {
        return Err(Error::input(format!(
            "\"{}\" is ambiguous: {} products are named that ({}); nothing was planned",
            phrase.trim(),
            rows.len(),
            candidates(catalog, &rows)
        ))
        .hint("name the product by SKU instead"));
    }
    Ok(Found {
        specific: rows,
        group: Vec::new(),
    })
}

fn rows_named(catalog: &Catalog, key: &str) -> Vec<usize> {
    (0..catalog.rows.len())
        .filter(|&r| vocab::key_matches(catalog.cell(r, Field::Name), key))
        .collect()
}

/// Leading determiners off; with `nouns`, trailing "shoes"/"category" words off too.
fn strip_words(mut words: Vec<String>, nouns: bool) -> Vec<String> {
    while words.len() > 1 && DETERMINERS.contains(&words[0].as_str()) {
        words.remove(0);
    }
    if nouns {
        while words.len() > 1
            && words.last().is_some_and(|w| {
                COLLECTION_NOUNS.contains(&w.as_str()) || CATEGORY_NOUNS.contains(&w.as_str())
            })
        {
            words.pop();
        }
    }
    words
}

/// A category phrase as comparable words: decorations off, every word singular.
fn category_key(text: &str) -> Vec<String> {
    strip_words(strip_words(vocab::key_words(text), false), true)
        .iter()
        .map(|w| vocab::singular(w))
        .collect()
}

/// Whether each distinct cell text matches, decided once. A catalog has a handful of
/// categories, so a short list searched in order comes first: cheaper than hashing the cell of
/// each of a million rows. Past `SHORT` texts, a hash map.
#[derive(Default)]
struct Decided<'a> {
    short: Vec<(&'a str, bool)>,
    many: std::collections::HashMap<&'a str, bool>,
}

impl<'a> Decided<'a> {
    const SHORT: usize = 16;

    fn get_or(&mut self, text: &'a str, decide: impl FnOnce() -> bool) -> bool {
        if let Some(&(_, yes)) = self.short.iter().find(|(t, _)| *t == text) {
            return yes;
        }
        if self.short.len() < Self::SHORT {
            let yes = decide();
            self.short.push((text, yes));
            return yes;
        }
        *self.many.entry(text).or_insert_with(decide)
    }
}

/// The rows of the category a phrase names, if it names one.
fn category_rows(catalog: &Catalog, phrase: &str) -> Option<Vec<usize>> {
    let wanted = category_key(phrase);
    if wanted.is_empty() {
        return None;
    }
    // Categories repeat: decide each distinct spelling once.
    let mut decided = Decided::default();
    let rows: Vec<usize> = (0..catalog.rows.len())
        .filter(|&r| {
            let cell = catalog.cell(r, Field::Category);
            decided.get_or(cell, || category_key(cell) == wanted)
        })
        .collect();
    (!rows.is_empty()).then_some(rows)
}

fn category(catalog: &Catalog, name: &str) -> Result<Vec<usize>> {
    category_rows(catalog, name).ok_or_else(|| {
        let categories = distinct(catalog, Field::Category);
        let mut e = Error::input(format!(
            "there is no category \"{}\"; nothing was planned",
            name.trim()
        ))
        .hint(format!(
            "categories in this catalog: {}; for every product say \"all products\"",
            categories.join(", ")
        ));
        let named = rows_named(catalog, &vocab::key(name));
        if !named.is_empty() {
            e = e.hint(format!(
                "\"{}\" is a product name ({}); name the product by SKU",
                name.trim(),
                candidates(catalog, &named)
            ));
        }
        e
    })
}

/// The catalog's spelling of a category, or a refusal listing the categories.
pub fn category_name(catalog: &Catalog, name: &str) -> Result<String> {
    let rows = category(catalog, name)?;
    Ok(catalog.cell(rows[0], Field::Category).trim().to_string())
}

/// Refusal for a name no product has: the products whose names contain it (it is ambiguous
/// or a fragment), else the nearest names and categories.
fn unknown_name(catalog: &Catalog, phrase: &str) -> Error {
    let words = strip_words(vocab::key_words(phrase), true);
    let needle = format!(" {} ", words.join(" "));
    let mut hay = String::new();
    let containing: Vec<usize> = (0..catalog.rows.len())
        .filter(|&r| {
            hay.clear();
            hay.push(' ');
            vocab::key_into(catalog.cell(r, Field::Name), &mut hay);
            hay.push(' ');
            !words.is_empty() && hay.contains(&needle)
        })
        .collect();
    let phrase = phrase.trim();
    match containing.len() {
        0 => {
            let names = (0..catalog.rows.len()).map(|r| catalog.cell(r, Field::Name));
            let categories = distinct(catalog, Field::Category);
            Error::input(format!(
                "no product or category is named \"{phrase}\"; nothing was planned"
            ))
            .hint(suggest(phrase, names.chain(categories.iter().map(String::as_str))))
        }
        1 => Error::input(format!(
            "no product is named exactly \"{phrase}\" ({} has it in its name); nothing was planned",
            candidates(catalog, &containing)
        ))
        .hint("use the full product name or the SKU"),
        count => Error::input(format!(
            "\"{phrase}\" is ambiguous: it is part of {count} product names ({}); nothing was planned",
            candidates(catalog, &containing)
        ))
        .hint("use the full product name or the SKU"),
    }
}

fn candidates(catalog: &Catalog, rows: &[usize]) -> String {
    const SHOWN: usize = 8;
    let mut list: Vec<String> = rows
        .iter()
        .take(SHOWN)
        .map(|&r| {
            format!(
                "{} {} [{}]",
                catalog.key(r),
                catalog.cell(r, Field::Name).trim(),
                catalog.cell(r, Field::Category).trim()
            )
        })
        .collect();
    if rows.len() > SHOWN {
        list.push(format!("and {} more", rows.len() - SHOWN));
    }
    list.join(", ")
}

/// Splits "A and B, C & D" into its parts.
/// A part joined by "plus" or "+": each piece must be a name or category.
fn plus_list(catalog: &Catalog, part: &str) -> Result<Found> {
    let pieces = split_list(part, &["+", " plus "]);
    if pieces.len() < 2 {
        return Err(unknown_name(catalog, part));
    }
    let mut found = Found::default();
    for piece in pieces {
        let Some(f) = exact_or_category(catalog, piece)? else {
            return Err(unknown_name(catalog, piece));
        };
        found.specific.extend(f.specific);
        found.group.extend(f.group);
    }
    Ok(found)
}

fn phrase_has_plus(phrase: &str) -> bool {
    split_list(phrase, &["+", " plus "]).len() > 1
}

fn split_list<'a>(phrase: &'a str, separators: &[&str]) -> Vec<&'a str> {
    let mut parts = vec![phrase];
    for sep in separators {
        parts = parts
            .into_iter()
            .flat_map(|p| split_ignore_case(p, sep))
            .collect();
    }
    parts
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect()
}

fn split_ignore_case<'a>(text: &'a str, sep: &str) -> Vec<&'a str> {
    let lower = text.to_ascii_lowercase();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = lower[from..].find(sep) {
        out.push(&text[from..from + at]);
        from += at + sep.len();
    }
    out.push(&text[from..]);
    out
}

fn keep(catalog: &Catalog, row: usize, filter: &Filter) -> bool {
    let base = || value::parse_money(catalog.cell(row, Field::BasePrice));
    match filter {
        Filter::PriceUnder(limit) => base().is_some_and(|b| b < *limit),
        Filter::PriceOver(limit) => base().is_some_and(|b| b > *limit),
        Filter::Inventory(state) => catalog
            .cell(row, Field::Inventory)
            .trim()
            .eq_ignore_ascii_case(state.flag()),
        Filter::PromoActive(on) => {
            catalog
                .cell(row, Field::PromoActive)
                .trim()
                .eq_ignore_ascii_case("true")
                == *on
        }
        Filter::HasImage(has) => catalog.cell(row, Field::ImageUrl).trim().is_empty() != *has,
        Filter::Available(yes) => {
            let flag = catalog.cell(row, Field::Inventory).trim();
            let buyable = [InventoryState::InStock, InventoryState::LowStock]
                .iter()
                .any(|s| flag.eq_ignore_ascii_case(s.flag()));
            buyable == *yes
        }
    }
}

/// The distinct values of a column, in first-seen order.
pub fn distinct(catalog: &Catalog, field: Field) -> Vec<String> {
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for r in 0..catalog.rows.len() {
        let v = catalog.cell(r, field).trim();
        if !v.is_empty() && seen.insert(v.to_lowercase()) {
            out.push(v.to_string());
        }
    }
    out
}

/// "did you mean ...?" with the three nearest candidates by edit distance. Linear in the
/// candidates, with no allocation per candidate (catalogs may have a million rows).
pub fn suggest<S: AsRef<str>>(wanted: &str, candidates: impl IntoIterator<Item = S>) -> String {
    // Long input cannot be near a name; bound the work.
    let w: Vec<char> = wanted.to_lowercase().chars().take(64).collect();
    let mut best: Vec<(usize, String)> = Vec::new();
    let mut b: Vec<char> = Vec::new();
    let mut rows = (Vec::new(), Vec::new());
    for c in candidates {
        let c = c.as_ref().trim();
        b.clear();
        b.extend(c.chars().flat_map(char::to_lowercase).take(128));
        let limit = best.get(2).map_or(usize::MAX, |s| s.0);
        let Some(d) = edit_distance(&w, &b, limit, &mut rows) else {
            continue;
        };
        if best.iter().any(|(_, seen)| seen.eq_ignore_ascii_case(c)) {
            continue;
        }
        best.push((d, c.to_string()));
        best.sort();
        best.truncate(3);
    }
    if best.is_empty() {
        return "check the spelling against the catalog".to_string();
    }
    let names: Vec<String> = best.into_iter().map(|(_, c)| format!("`{c}`")).collect();
    format!("did you mean {}?", names.join(", "))
}

/// Levenshtein distance, or None as soon as it must exceed `limit`. `rows` is scratch space.
fn edit_distance(
    a: &[char],
    b: &[char],
    limit: usize,
    rows: &mut (Vec<usize>, Vec<usize>),
) -> Option<usize> {
    if a.len().abs_diff(b.len()) > limit {
        return None;
    }
    let (prev, cur) = rows;
    prev.clear();
    prev.extend(0..=b.len());
    for (i, ca) in a.iter().enumerate() {
        cur.clear();
        cur.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let v = (prev[j] + usize::from(ca != cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
            cur.push(v);
        }
        if cur.iter().min().is_some_and(|m| *m > limit) {
            return None;
        }
        std::mem::swap(prev, cur);
    }
    Some(prev[b.len()]).filter(|d| *d <= limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_text_is_decided_once_past_the_short_list_too() {
        let texts: Vec<String> = (0..40).map(|i| format!("c{}", i % 20)).collect();
        let mut decided = Decided::default();
        let mut calls = 0;
        for t in &texts {
            let yes = decided.get_or(t, || {
                calls += 1;
                t.ends_with('7')
            });
            assert_eq!(yes, t.ends_with('7'), "{t}");
        }
        assert_eq!(calls, 20);
        assert_eq!(decided.short.len(), Decided::SHORT);
    }
}
