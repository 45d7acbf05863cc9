//! The answer to a read: the rows a question is about, with the columns it asks for, a count,
//! and yes/no for "is/are/do we have" questions. Computed only when the request has a read, so
//! write plans cost nothing extra.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::resolve;
use crate::catalog::{Catalog, Field, value};
use crate::error::Result;
use crate::parse::{Ask, Intent, Question, Target, Topic};

/// What a plan answers (`answer` in its JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    /// The columns shown, in catalog order (the key and name first).
    pub columns: Vec<String>,
    /// Each row as column → value (prices as numbers), in catalog order.
    pub rows: Vec<Map<String, Value>>,
    /// How many rows the answer has.
    pub count: usize,
    /// For yes/no questions; `null` otherwise.
    pub yes_no: Option<bool>,
}

/// The answer to the request's reads, or `None` when it has none. Several reads in one
/// request answer together: their rows and columns are joined, and yes only if each is yes.
pub fn answer(catalog: &Catalog, intents: &[Intent]) -> Result<Option<Answer>> {
    if !intents.iter().any(|i| matches!(i, Intent::Read { .. })) {
        return Ok(None);
    }
    let mut previous: Vec<usize> = Vec::new();
    let mut parts = Vec::new();
    for intent in intents {
        let read = matches!(intent, Intent::Read { .. });
        let rows = match intent.target() {
            Some(target) => Some(resolve::rows(catalog, target, &previous, read)?),
            None => None,
        };
        if let Intent::Read { target, question } = intent {
            let all: Vec<usize>;
            let matched = match &rows {
                Some(rows) => rows.as_slice(),
                None => {
                    all = (0..catalog.rows.len()).collect();
                    &all
                }
            };
            parts.push(one(catalog, question, target.as_ref(), matched, &previous)?);
        }
        if let Some(rows) = rows {
            previous = rows;
        }
    }
    Ok(Some(join(catalog, parts)))
}

/// One read's rows, fields and yes/no.
struct Part {
    rows: Vec<usize>,
    fields: Vec<Field>,
    yes_no: Option<bool>,
}

fn one(
    catalog: &Catalog,
    question: &Question,
    target: Option<&Target>,
    matched: &[usize],
    previous: &[usize],
) -> Result<Part> {
    let mut fields = vec![Field::Sku, Field::Name];
    if question.about.is_empty() {
        fields = Field::ALL.to_vec();
    }
    for topic in &question.about {
        fields.extend_from_slice(match topic {
            Topic::Price => &[Field::BasePrice, Field::PromoPrice, Field::PromoActive][..],
            Topic::Stock => &[Field::Inventory],
            Topic::Image => &[Field::ImageUrl],
        });
    }
    let (rows, yes_no) = match question.ask {
        Ask::List | Ask::Count => (matched.to_vec(), None),
        Ask::Exists => (matched.to_vec(), Some(!matched.is_empty())),
        Ask::Whether => match target.filter(|t| !t.filters.is_empty()) {
            // "is X on promo?": the named products decide, each must meet the condition.
            Some(t) => {
                let named = Target {
                    selectors: t.selectors.clone(),
                    filters: Vec::new(),
                };
                let named = resolve::rows(catalog, &named, previous, true)?;
                let yes = !named.is_empty() && named.len() == matched.len();
                (named, Some(yes))
            }
            None => (matched.to_vec(), Some(!matched.is_empty())),
        },
    };
    Ok(Part {
        rows,
        fields,
        yes_no,
    })
}

fn join(catalog: &Catalog, parts: Vec<Part>) -> Answer {
    let mut chosen = vec![false; catalog.rows.len()];
    let mut wanted = Vec::new();
    let mut yes_no = None;
    for part in parts {
        for r in part.rows {
            chosen[r] = true;
        }
        wanted.extend(part.fields);
        if let Some(yes) = part.yes_no {
            yes_no = Some(yes && yes_no.unwrap_or(true));
        }
    }
    // Columns in catalog order, the key and name first; extra columns only for "everything".
    let every = wanted.len() >= Field::ALL.len();
    let mut columns: Vec<(usize, String, Option<Field>)> = Vec::new();
    for (c, header) in catalog.headers.iter().enumerate() {
        let field = catalog.field_of(header);
        let shown = match field {
            Some(f) => wanted.contains(&f),
            None => every,
        };
        if shown {
            columns.push((c, header.clone(), field));
        }
    }
    let first = |f: &Option<Field>| match f {
        Some(Field::Sku) => 0,
        Some(Field::Name) => 1,
        _ => 2,
    };
    columns.sort_by_key(|(c, _, f)| (first(f), *c));
    let rows: Vec<Map<String, Value>> = (0..catalog.rows.len())
        .filter(|&r| chosen[r])
        .map(|r| {
            columns
                .iter()
                .map(|(c, header, field)| {
                    let raw = catalog.rows.get(r, *c).unwrap_or_default();
                    (header.clone(), value::typed(*field, raw))
                })
                .collect()
        })
        .collect();
    Answer {
        columns: columns.into_iter().map(|(_, h, _)| h).collect(),
        count: rows.len(),
        rows,
        yes_no,
    }
}
