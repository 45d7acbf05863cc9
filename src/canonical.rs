//! RFC 8785 (JCS) canonical JSON of a `serde_json::Value`, written directly: the same bytes as
//! `serde_jcs::to_vec` (a property test checks), without its formatter re-parsing every key
//! and buffering every object, which was half of `audit verify`'s time on 10,000 receipts.

use serde_json::{Map, Number, Value};

/// The canonical JSON of a value.
pub fn to_vec(value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(4096);
    write(&mut out, value);
    out
}

/// Appends the canonical JSON of a value.
pub fn write(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => number(out, n),
        Value::String(s) => string(out, s),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(out, item);
            }
            out.push(b']');
        }
        Value::Object(map) => object(out, map),
    }
}

/// Every number as the f64 it is (integers too), printed as ECMAScript prints numbers.
fn number(out: &mut Vec<u8>, n: &Number) {
    let f = match (n.as_u64(), n.as_i64()) {
        (Some(u), _) => u as f64,
        (None, Some(i)) => i as f64,
        // A Value holds only finite floats.
        (None, None) => n.as_f64().unwrap_or_default(),
    };
    out.extend_from_slice(ryu_js::Buffer::new().format_finite(f).as_bytes());
}

/// A string escaped as JSON does it: `"`, `\` and control characters only (serde_json's
/// escaping is JCS's). Most strings have none of them and are copied as they are.
pub fn string(out: &mut Vec<u8>, s: &str) {
    if s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        serde_json::to_writer(&mut *out, s).expect("writing to memory cannot fail");
        return;
    }
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
}

/// Members sorted by their names' UTF-16 code units. The map is usually in that order already
/// (byte order differs from it only for characters from U+E000 up).
fn object(out: &mut Vec<u8>, map: &Map<String, Value>) {
    let mut members: Vec<(&String, &Value)> = map.iter().collect();
    let utf16 = |a: &str, b: &str| a.encode_utf16().cmp(b.encode_utf16());
    if !members.is_sorted_by(|a, b| utf16(a.0, b.0).is_le()) {
        members.sort_by(|a, b| utf16(a.0, b.0));
    }
    out.push(b'{');
    for (i, (name, value)) in members.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        string(out, name);
        out.push(b':');
        write(out, value);
    }
    out.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn text() -> impl Strategy<Value = String> {
        proptest::string::string_regex(
            "[a-zA-Z0-9 \"\\\\/\u{0}-\u{1f}\u{7f}é€\u{e000}\u{ffff}\u{10000}\u{1f600}]{0,8}",
        )
        .unwrap()
    }

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<u64>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            (-1_000_000i64..1_000_000).prop_map(|c| Value::from(c as f64 / 100.0)),
            text().prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 32, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::vec((text(), inner), 0..6)
                    .prop_map(|members| Value::Object(members.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn the_canonical_bytes_are_serde_jcs_bytes(v in value()) {
            prop_assert_eq!(
                String::from_utf8(to_vec(&v)).unwrap(),
                serde_jcs::to_string(&v).unwrap()
            );
        }
    }
}
