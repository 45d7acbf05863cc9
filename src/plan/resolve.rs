//! Target phrases → catalog rows. Refuses unknown and ambiguous names with suggestions.

use std::collections::BTreeSet;

use crate::error::{Error, Result};
use crate::parse::{Filter, Selector, Target};
use crate::source::{Catalog, Field, value};

/// The rows a target names, in catalog order. `previous` holds the rows named by earlier
/// clauses of the same request (for "it" / "them").
pub fn rows(catalog: &Catalog, target: &Target, previous: &[usize]) -> Result<Vec<usize>> {
    let mut selected = BTreeSet::new();
    for selector in &target.selectors {
        selected.extend(select(catalog, selector, previous)?);
    }
    let rows: Vec<usize> = selected
        .into_iter()
        .filter(|&r| target.filters.iter().all(|f| keep(catalog, r, f)))
        .collect();
    Ok(rows)
}

fn select(catalog: &Catalog, selector: &Selector, previous: &[usize]) -> Result<Vec<usize>> {
    match selector {
        Selector::All => Ok((0..catalog.rows.len()).collect()),
        Selector::Previous => {
            if previous.is_empty() {
                Err(Error::input(
                    "\"it\"/\"them\" does not refer to any product named earlier in the request",
                )
                .hint("name the products: a SKU, a product name or a category"))
            } else {
                Ok(previous.to_vec())
            }
        }
        Selector::Sku(sku) => catalog.row_of(sku).map(|r| vec![r]).ok_or_else(|| {
            let keys = (0..catalog.rows.len()).map(|r| catalog.key(r).to_string());
            Error::input(format!("there is no product with SKU {sku}")).hint(suggest(sku, keys))
        }),
        Selector::Category(name) => {
            category_name(catalog, name)?;
            Ok(category_rows(catalog, name))
        }
        Selector::Name(name) => name_rows(catalog, name),
    }
}

/// The catalog's spelling of a category name, or a refusal listing the categories.
pub fn category_name(catalog: &Catalog, name: &str) -> Result<String> {
    let wanted = singular(name);
    let categories = distinct(catalog, Field::Category);
    categories
        .iter()
        .find(|c| singular(c) == wanted)
        .cloned()
        .ok_or_else(|| {
            Error::input(format!("there is no category \"{name}\"")).hint(format!(
                "categories in this catalog: {}",
                categories.join(", ")
            ))
        })
}

/// Rows whose Category equals `name`, ignoring case and a plural "s"/"es".
pub fn category_rows(catalog: &Catalog, name: &str) -> Vec<usize> {
    let wanted = singular(name);
    (0..catalog.rows.len())
        .filter(|&r| singular(catalog.cell(r, Field::Category)) == wanted)
        .collect()
}

fn singular(word: &str) -> String {
    let w = word.trim().to_lowercase();
    if let Some(s) = w
        .strip_suffix("es")
        .filter(|s| s.ends_with('s') || s.ends_with('x'))
    {
        return s.to_string();
    }
    w.strip_suffix('s')
        .filter(|s| !s.ends_with('s'))
        .map(str::to_string)
        .unwrap_or(w)
}

/// An exact whole-name match wins; else a category of that name; else the one name that
/// contains the words. A reference that fits several products is refused as ambiguous.
fn name_rows(catalog: &Catalog, name: &str) -> Result<Vec<usize>> {
    let wanted = name.trim().to_lowercase();
    let exact: Vec<usize> = (0..catalog.rows.len())
        .filter(|&r| catalog.cell(r, Field::Name).trim().to_lowercase() == wanted)
        .collect();
    match exact.len() {
        1 => return Ok(exact),
        n if n > 1 => return Err(ambiguous(catalog, name, &exact)),
        _ => {}
    }
    let by_category = category_rows(catalog, &wanted);
    if !by_category.is_empty() {
        return Ok(by_category);
    }
    let containing: Vec<usize> = (0..catalog.rows.len())
        .filter(|&r| {
            catalog
                .cell(r, Field::Name)
                .to_lowercase()
                .contains(&wanted)
        })
        .collect();
    match containing.len() {
        0 => {
            let names = (0..catalog.rows.len()).map(|r| catalog.cell(r, Field::Name).to_string());
            Err(Error::input(format!("no product is named \"{name}\"")).hint(suggest(name, names)))
        }
        1 => Ok(containing),
        _ => Err(ambiguous(catalog, name, &containing)),
    }
}

fn ambiguous(catalog: &Catalog, name: &str, rows: &[usize]) -> Error {
    let candidates: Vec<String> = rows
        .iter()
        .map(|&r| format!("{} {}", catalog.key(r), catalog.cell(r, Field::Name)))
        .collect();
    Error::input(format!(
        "\"{name}\" is ambiguous: it fits {} products ({})",
        rows.len(),
        candidates.join(", ")
    ))
    .hint("name the product by SKU instead")
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
    }
}

/// The distinct values of a column, in first-seen order.
pub fn distinct(catalog: &Catalog, field: Field) -> Vec<String> {
    let mut seen = Vec::<String>::new();
    for r in 0..catalog.rows.len() {
        let v = catalog.cell(r, field).trim();
        if !v.is_empty() && !seen.iter().any(|s| s.eq_ignore_ascii_case(v)) {
            seen.push(v.to_string());
        }
    }
    seen
}

/// "did you mean ...?" with the three nearest candidates by edit distance.
pub fn suggest(wanted: &str, candidates: impl Iterator<Item = String>) -> String {
    let w = wanted.to_lowercase();
    let mut scored: Vec<(usize, String)> = candidates
        .map(|c| (edit_distance(&w, &c.to_lowercase()), c))
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.1 == b.1);
    let best: Vec<String> = scored
        .into_iter()
        .take(3)
        .map(|(_, c)| format!("`{c}`"))
        .collect();
    format!("did you mean {}?", best.join(", "))
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}
