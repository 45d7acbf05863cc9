//! Cell values: text as stored, typed JSON as shown in plans, and the comparison rules
//! (prices compare as numbers, TRUE/FALSE case-insensitively, everything else as trimmed text).

use rust_decimal::Decimal;
use serde_json::Value;

use super::Field;

/// A cell value for people (tables, timelines, e-mail): text with control characters escaped,
/// numbers as money-like text, empty as "(empty)".
pub fn show(value: &Value) -> String {
    match value {
        Value::String(s) if s.is_empty() => "(empty)".to_string(),
        Value::String(s) => crate::escape::escape(s),
        Value::Null => "(none)".to_string(),
        other => other.to_string(),
    }
}

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
    if !t.contains(',') {
        return plain_decimal(t).or_else(|| t.parse::<Decimal>().ok());
    }
    let cleaned: String = t.chars().filter(|c| *c != ',').collect();
    cleaned.parse::<Decimal>().ok()
}

/// Plain decimal text, as most prices are ("229.52", "-5", "0010.5"): at most 18 digits, with
/// at most one point between digits. The same value and scale as `str::parse::<Decimal>` gives,
/// without its general parser (a bulk plan reads a price per row); None for anything else.
fn plain_decimal(t: &str) -> Option<Decimal> {
    let (negative, digits) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let plain = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    let shape = !int.is_empty()
        && (frac.is_empty() != digits.contains('.'))
        && int.len() + frac.len() <= 18
        && plain(int)
        && plain(frac);
    if !shape {
        return None;
    }
    let mantissa = int
        .bytes()
        .chain(frac.bytes())
        .fold(0i64, |m, b| m * 10 + i64::from(b - b'0'));
    // "-0" keeps its sign in the general parser; leave it to that.
    if negative && mantissa == 0 {
        return None;
    }
    let signed = if negative { -mantissa } else { mantissa };
    Some(Decimal::new(signed, frac.len() as u32))
}

/// Below 2^40 cents (11 billion) every whole number of cents is an exact f64, dividing by 100
/// gives the nearest f64 of the amount, and f64s are so dense there (steps below 0.00001) that
/// no two amounts of whole cents share one.
const EXACT_CENTS: i64 = 1 << 40;

/// A rounded amount (at most two decimals) as whole cents, when small enough to be exact.
fn cents(rounded: Decimal) -> Option<i64> {
    let scale = rounded.scale();
    let cents = rounded
        .mantissa()
        .checked_mul(10i128.pow(2u32.checked_sub(scale)?))?;
    i64::try_from(cents)
        .ok()
        .filter(|c| c.abs() < EXACT_CENTS && *c != 0)
}

/// The f64 of a JSON number with at most two decimals, as whole cents, when it is one.
fn f64_cents(x: f64) -> Option<i64> {
    let c = (x * 100.0).round();
    // The f64 of "12.34" is 1234 / 100 correctly rounded, which is what this checks.
    (c != 0.0 && c.abs() < EXACT_CENTS as f64 && c / 100.0 == x).then_some(c as i64)
}

/// Cents as money text with two decimals ("-12.05").
fn cents_text(cents: i64) -> String {
    // Digits written backwards into a buffer: this runs for every price of a bulk plan, where
    // `format!` cost more than the rest of the conversion.
    let mut buf = [0u8; 24];
    let mut at = buf.len();
    let mut rest = cents.unsigned_abs();
    // Two decimals, the point, then at least one digit.
    for written in 0.. {
        if written == 2 {
            at -= 1;
            buf[at] = b'.';
        }
        at -= 1;
        buf[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if written >= 2 && rest == 0 {
            break;
        }
    }
    if cents < 0 {
        at -= 1;
        buf[at] = b'-';
    }
    buf[at..].iter().map(|&b| char::from(b)).collect()
}

/// A money amount as stored text: always two decimals ("99.00", "103.99").
pub fn money_text(amount: Decimal) -> String {
    format!(
        "{:.2}",
        amount.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
    )
}

/// A money amount as a JSON number: the f64 that parsing its two-decimal text gives (serde_json
/// parses "12.34" as 1234 / 100, which the fast path computes without the text).
pub fn money_json(amount: Decimal) -> Value {
    let rounded =
        amount.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    if let Some(n) = cents(rounded).and_then(|c| serde_json::Number::from_f64(c as f64 / 100.0)) {
        return Value::Number(n);
    }
    let text = money_text(amount);
    serde_json::from_str::<serde_json::Number>(&text)
        .map(Value::Number)
        .unwrap_or(Value::String(text))
}

/// A value as money in f64, as the rules see it: what `parse_money` reads from its stored text.
/// A number already in whole cents is that number (its text reads back as the same f64).
pub fn money_f64(field: Option<Field>, value: &Value) -> Option<f64> {
    use rust_decimal::prelude::ToPrimitive;
    if let Value::Number(n) = value
        && field.is_some_and(Field::is_price)
        && let Some(x) = n.as_f64().filter(|_| n.is_f64())
        && f64_cents(x).is_some()
    {
        return Some(x);
    }
    parse_money(to_text(field, value).trim()).and_then(|d| d.to_f64())
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
        Value::Number(n) if field.is_some_and(Field::is_price) => {
            match n.as_f64().filter(|_| n.is_f64()).and_then(f64_cents) {
                Some(c) => cents_text(c),
                None => match n.to_string().parse::<Decimal>() {
                    Ok(d) => money_text(d),
                    Err(_) => n.to_string(),
                },
            }
        }
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
    fn cents_are_written_with_two_decimals() {
        for (cents, text) in [
            (0, "0.00"),
            (5, "0.05"),
            (-5, "-0.05"),
            (1234, "12.34"),
            (-120_005, "-1200.05"),
        ] {
            assert_eq!(cents_text(cents), text);
        }
        assert_eq!(
            cents_text(i64::MIN),
            format!(
                "-{}.{:02}",
                i64::MIN.unsigned_abs() / 100,
                i64::MIN.unsigned_abs() % 100
            )
        );
    }

    proptest::proptest! {
        #[test]
        fn money_in_whole_cents_reads_as_its_text_reads(cents in -(1i64 << 40)..(1i64 << 40)) {
            use rust_decimal::prelude::ToPrimitive;
            let value = money_json(Decimal::new(cents, 2));
            let text = to_text(Some(Field::PromoPrice), &value);
            let slow = parse_money(&text).and_then(|d| d.to_f64());
            proptest::prop_assert_eq!(money_f64(Some(Field::PromoPrice), &value), slow, "{}", text);
        }

        #[test]
        fn plain_decimals_read_as_the_general_parser_reads_them(text in "-?[0-9]{0,12}(\\.[0-9]{0,8})?|[-0-9.]{1,6}") {
            let general = text.parse::<Decimal>().ok();
            if let Some(fast) = plain_decimal(&text) {
                let general = general.expect("what the fast path reads, the parser reads");
                proptest::prop_assert_eq!((fast.mantissa(), fast.scale(), fast.is_sign_negative()),
                    (general.mantissa(), general.scale(), general.is_sign_negative()), "{}", text);
            }
            if let Some(general) = general {
                proptest::prop_assert_eq!(parse_money(&text), Some(general), "{}", text);
            }
        }
    }

    #[test]
    fn the_cents_fast_paths_agree_with_the_text_paths() {
        let amounts = [
            "0.01",
            "0.05",
            "0.1",
            "65.08",
            "80.7",
            "99",
            "99.995",
            "47.405",
            "-5",
            "-12.345",
            "1234567.89",
            "0.005",
            "0.004",
            "0",
            "-0.001",
            "90071992547409.91",
        ];
        for text in amounts {
            let amount: Decimal = text.parse().unwrap();
            let slow = serde_json::from_str::<serde_json::Number>(&money_text(amount))
                .map(Value::Number)
                .unwrap();
            assert_eq!(money_json(amount), slow, "{text}");
            let stored = to_text(Some(Field::BasePrice), &slow);
            assert_eq!(
                stored,
                money_text(slow.to_string().parse().unwrap()),
                "{text}"
            );
        }
        for x in [0.1 + 0.2, 65.085, 1e-7, 12.3456, -0.0] {
            let n = serde_json::json!(x);
            let expected = money_text(n.to_string().parse().unwrap());
            assert_eq!(to_text(Some(Field::PromoPrice), &n), expected, "{x}");
        }
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
