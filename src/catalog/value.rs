//! Cell values: text as stored, typed JSON as shown in plans, and the comparison rules
//! (prices compare as numbers, TRUE/FALSE case-insensitively, everything else as trimmed text).

use rust_decimal::Decimal;
use serde_json::Value;

use super::Field;

/// Parses a money amount: "129.99", "$1,299.00", " 84.5 ". Returns None for anything else.
pub fn parse_money(text: &str) -> Option<Decimal> {
    let t = text.trim();
    let t = t.strip_prefix('$').unwrap_or(t).trim();
    if t.is_empty()
        || !t
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b',' || b == b'-')
    {
        return None;
    }
    let cleaned: String = t.chars().filter(|c| *c != ',').collect();
    cleaned.parse::<Decimal>().ok()
}

/// A money amount as stored text: always two decimals ("99.00", "103.99").
pub fn money_text(amount: Decimal) -> String {
    format!(
        "{:.2}",
        amount.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
    )
}

/// A money amount as a JSON number.
pub fn money_json(amount: Decimal) -> Value {
    let text = money_text(amount);
    serde_json::from_str::<serde_json::Number>(&text)
        .map(Value::Number)
        .unwrap_or(Value::String(text))
}

/// The typed view of a stored cell: prices become numbers, everything else trimmed text.
pub fn typed(field: Option<Field>, raw: &str) -> Value {
    let trimmed = raw.trim();
    match field {
        Some(f) if f.is_price() && !trimmed.is_empty() => match parse_money(trimmed) {
            Some(d) => money_json(d),
            None => Value::String(trimmed.to_string()),
        },
        Some(Field::PromoActive) if trimmed.eq_ignore_ascii_case("true") => {
            Value::String("TRUE".into())
        }
        Some(Field::PromoActive) if trimmed.eq_ignore_ascii_case("false") => {
            Value::String("FALSE".into())
        }
        _ => Value::String(trimmed.to_string()),
    }
}

/// The text to store for a typed value.
pub fn to_text(field: Option<Field>, value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Value::Number(n) => match (field, n.to_string().parse::<Decimal>()) {
            (Some(f), Ok(d)) if f.is_price() => money_text(d),
            _ => n.to_string(),
        },
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// How closely a value read back matches what was expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match {
    /// The same text.
    Exact,
    /// The same value in another spelling (49.9 vs 49.90, true vs TRUE).
    Equivalent,
    Different,
}

/// Compares two stored texts under the rules of the field.
pub fn compare(field: Option<Field>, expected: &str, actual: &str) -> Match {
    let (e, a) = (expected.trim(), actual.trim());
    if e == a {
        return Match::Exact;
    }
    let equivalent = match field {
        Some(f) if f.is_price() => match (parse_money(e), parse_money(a)) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        },
        _ => {
            e.eq_ignore_ascii_case(a)
                && (e.eq_ignore_ascii_case("true") || e.eq_ignore_ascii_case("false"))
        }
    };
    if equivalent {
        Match::Equivalent
    } else {
        Match::Different
    }
}

/// True when the two texts hold the same value.
pub fn same(field: Option<Field>, expected: &str, actual: &str) -> bool {
    compare(field, expected, actual) != Match::Different
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_compare_as_numbers() {
        assert_eq!(
            compare(Some(Field::BasePrice), "49.9", "49.90"),
            Match::Equivalent
        );
        assert_eq!(
            compare(Some(Field::BasePrice), "$1,299.00", "1299"),
            Match::Equivalent
        );
        assert_eq!(
            compare(Some(Field::BasePrice), "49.9", "49.91"),
            Match::Different
        );
        assert_eq!(
            compare(Some(Field::Name), "Runner", "runner"),
            Match::Different
        );
        assert_eq!(
            compare(Some(Field::PromoActive), "TRUE", "true"),
            Match::Equivalent
        );
    }

    #[test]
    fn typed_and_back() {
        assert_eq!(
            typed(Some(Field::PromoPrice), "103.99"),
            serde_json::json!(103.99)
        );
        assert_eq!(typed(Some(Field::PromoPrice), ""), serde_json::json!(""));
        assert_eq!(
            to_text(Some(Field::PromoPrice), &serde_json::json!(99)),
            "99.00"
        );
        assert_eq!(
            to_text(Some(Field::PromoActive), &serde_json::json!(true)),
            "TRUE"
        );
        assert_eq!(money_text("47.405".parse().unwrap()), "47.41");
    }
}
