//! Cells between the Sheets API's typed JSON values and the catalog's text.

use rust_decimal::Decimal;
use serde_json::Value;

use super::API;
use crate::catalog::{Field, value};
use crate::error::{Error, Result};

pub(super) fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::Array(_) | Value::Object(_))
}

/// The single column of a COLUMNS-major range (empty when Google left it out as all blank).
pub(super) fn single_column(lines: Vec<Vec<Value>>, what: &str) -> Result<Vec<Value>> {
    match lines.len() {
        0 => Ok(Vec::new()),
        1 => Ok(lines.into_iter().next().expect("one")),
        n => Err(Error::runtime(format!(
            "{API} sent {n} columns for a one-column range while {what}"
        ))),
    }
}

/// The catalog's text for a typed cell: strings as they are, booleans TRUE/FALSE, numbers in
/// their shortest form except prices, which get the two decimals the CSV form uses when they
/// have no more (so 90 reads back as `90.00` and compares exact with the plan).
pub(super) fn cell_text(field: Option<Field>, v: &Value) -> Result<String> {
    Ok(match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => if *b { "TRUE" } else { "FALSE" }.into(),
        Value::Number(n) => number_text(field, n),
        _ => {
            return Err(Error::runtime(format!(
                "{API} sent a cell that is not a plain value"
            )));
        }
    })
}

fn number_text(field: Option<Field>, n: &serde_json::Number) -> String {
    let shortest = if let Some(i) = n.as_i64() {
        i.to_string()
    } else if let Some(u) = n.as_u64() {
        u.to_string()
    } else {
        let f = n.as_f64().unwrap_or_default();
        if f.fract() == 0.0 && f.abs() < 1e15 {
            format!("{f:.0}")
        } else {
            f.to_string()
        }
    };
    if field.is_some_and(Field::is_price)
        && let Ok(d) = shortest.parse::<Decimal>()
        && d.scale() <= 2
    {
        return value::money_text(d);
    }
    shortest
}

/// The typed value to write (RAW): prices as JSON numbers, Promo Active as a boolean, the
/// rest as strings. RAW stores strings as typed, so `00123` stays text and nothing is parsed
/// under the sheet's locale.
pub(super) fn typed_cell(field: Option<Field>, text: &str) -> Value {
    match field {
        Some(f) if f.is_price() && !text.trim().is_empty() => match value::parse_money(text) {
            Some(d) => value::money_json(d),
            None => Value::String(text.to_string()),
        },
        Some(Field::PromoActive) if text.trim().eq_ignore_ascii_case("true") => Value::Bool(true),
        Some(Field::PromoActive) if text.trim().eq_ignore_ascii_case("false") => Value::Bool(false),
        _ => Value::String(text.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn typed_cells_become_catalog_text() {
        let price = Some(Field::BasePrice);
        assert_eq!(cell_text(price, &json!(90)).unwrap(), "90.00");
        assert_eq!(cell_text(price, &json!(103.99)).unwrap(), "103.99");
        assert_eq!(cell_text(price, &json!(47.405)).unwrap(), "47.405");
        assert_eq!(cell_text(None, &json!(90.0)).unwrap(), "90");
        assert_eq!(cell_text(None, &json!(0.1)).unwrap(), "0.1");
        assert_eq!(cell_text(None, &json!(45900.5)).unwrap(), "45900.5");
        assert_eq!(
            cell_text(Some(Field::PromoActive), &json!(true)).unwrap(),
            "TRUE"
        );
        assert_eq!(cell_text(None, &Value::Null).unwrap(), "");
        assert_eq!(cell_text(None, &json!("00123")).unwrap(), "00123");
        assert!(cell_text(None, &json!({"a": 1})).is_err());
    }

    #[test]
    fn writes_are_typed_for_their_column() {
        assert_eq!(typed_cell(Some(Field::PromoPrice), "103.99"), json!(103.99));
        assert_eq!(typed_cell(Some(Field::PromoPrice), ""), json!(""));
        assert_eq!(typed_cell(Some(Field::PromoActive), "TRUE"), json!(true));
        assert_eq!(typed_cell(Some(Field::PromoActive), "false"), json!(false));
        assert_eq!(typed_cell(Some(Field::Sku), "00123"), json!("00123"));
        assert_eq!(
            typed_cell(Some(Field::Inventory), "in_stock"),
            json!("in_stock")
        );
    }
}
