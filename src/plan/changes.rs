//! An operation's changes, stored compactly. A bulk plan has hundreds of thousands of changes;
//! as owned `Change`s (two strings and two JSON values each) they took about 200 bytes apiece,
//! more than a third of the catalog they were planned from. Here a change is 40 bytes plus its
//! key: keys, field names and text values are kept back to back in one string (a field name or
//! value equal to the previous change's is not stored again), numbers inline.
//!
//! Serialised exactly as a list of `Change`s was (`key`, `field`, `before`, `after`), and read
//! from one, so plan files do not change.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Number, Value};

use super::Change;

/// The changes of one operation, in order.
#[derive(Clone, Default, PartialEq)]
pub struct Changes {
    /// Keys, field names and text values, back to back.
    text: String,
    entries: Vec<Entry>,
    /// Values that are neither text nor a number (only a plan file can have them), by index.
    others: Vec<Value>,
}

#[derive(Clone, Copy, PartialEq)]
struct Entry {
    key: Span,
    field: Span,
    before: Cell,
    after: Cell,
}

/// Where a string is in [`Changes::text`].
#[derive(Clone, Copy, PartialEq)]
struct Span {
    start: u32,
    len: u32,
}

/// A JSON value as stored: the three kinds of JSON number are kept apart, so that a value
/// serialises exactly as it was given (`100` stays `100`, `100.0` stays `100.0`). Numbers are
/// kept as two halves so that a cell is 12 bytes rather than 16 (4-byte alignment).
#[derive(Clone, Copy, PartialEq)]
enum Cell {
    Text(Span),
    Float(Bits),
    Int(Bits),
    UInt(Bits),
    Other(u32),
}

/// 64 bits as two 32-bit halves.
#[derive(Clone, Copy, PartialEq)]
struct Bits([u32; 2]);

impl Bits {
    fn new(bits: u64) -> Self {
        Bits([(bits >> 32) as u32, bits as u32])
    }

    fn get(self) -> u64 {
        (u64::from(self.0[0]) << 32) | u64::from(self.0[1])
    }
}

/// One change, as read from [`Changes`]: the key and field borrowed, the values made on demand.
#[derive(Clone, Copy)]
pub struct ChangeRef<'a> {
    pub key: &'a str,
    pub field: &'a str,
    changes: &'a Changes,
    entry: &'a Entry,
}

impl Changes {
    pub fn new() -> Self {
        Self::default()
    }

    /// Room for `n` changes, so that a bulk operation's list is not grown by doubling.
    pub fn with_capacity(n: usize) -> Self {
        Changes {
            entries: Vec::with_capacity(n),
            ..Self::default()
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Adds a change at the end.
    pub fn push(&mut self, key: &str, field: &str, before: Value, after: Value) {
        let last = self.entries.last().copied();
        let key = self.string(key, None);
        let field = self.string(field, last.map(|e| e.field));
        let before = self.cell(before, last.map(|e| e.before));
        let after = self.cell(after, last.map(|e| e.after));
        self.entries.push(Entry {
            key,
            field,
            before,
            after,
        });
    }

    pub fn iter(&self) -> Iter<'_> {
        Iter {
            changes: self,
            entries: self.entries.iter(),
        }
    }

    pub fn first(&self) -> Option<ChangeRef<'_>> {
        self.get(0)
    }

    pub fn get(&self, i: usize) -> Option<ChangeRef<'_>> {
        self.entries.get(i).map(|entry| self.view(entry))
    }

    /// Frees what was reserved and not used.
    pub fn shrink_to_fit(&mut self) {
        self.entries.shrink_to_fit();
        self.text.shrink_to_fit();
    }

    fn view<'a>(&'a self, entry: &'a Entry) -> ChangeRef<'a> {
        ChangeRef {
            key: self.str(entry.key),
            field: self.str(entry.field),
            changes: self,
            entry,
        }
    }

    fn str(&self, span: Span) -> &str {
        let start = span.start as usize;
        &self.text[start..start + span.len as usize]
    }

    /// Stores a string, or reuses `same` when it holds the same text.
    fn string(&mut self, s: &str, same: Option<Span>) -> Span {
        if let Some(span) = same.filter(|span| self.str(*span) == s) {
            return span;
        }
        let span = Span {
            start: offset(self.text.len()),
            len: offset(s.len()),
        };
        self.text.push_str(s);
        span
    }

    fn cell(&mut self, value: Value, same: Option<Cell>) -> Cell {
        let same = match same {
            Some(Cell::Text(span)) => Some(span),
            _ => None,
        };
        match value {
            Value::String(s) => Cell::Text(self.string(&s, same)),
            Value::Number(n) => number_cell(&n).unwrap_or_else(|| self.other(Value::Number(n))),
            other => self.other(other),
        }
    }

    fn other(&mut self, value: Value) -> Cell {
        self.others.push(value);
        Cell::Other(offset(self.others.len() - 1))
    }

    fn value(&self, cell: Cell) -> Value {
        match cell {
            Cell::Text(span) => Value::String(self.str(span).to_string()),
            Cell::Float(f) => {
                Number::from_f64(f64::from_bits(f.get())).map_or(Value::Null, Value::Number)
            }
            Cell::Int(i) => Value::Number((i.get() as i64).into()),
            Cell::UInt(u) => Value::Number(u.get().into()),
            Cell::Other(i) => self.others[i as usize].clone(),
        }
    }
}

/// A JSON number as stored inline (every number without the arbitrary-precision feature).
fn number_cell(n: &Number) -> Option<Cell> {
    if let Some(u) = n.as_u64() {
        Some(Cell::UInt(Bits::new(u)))
    } else if let Some(i) = n.as_i64() {
        Some(Cell::Int(Bits::new(i as u64)))
    } else {
        n.as_f64().map(|f| Cell::Float(Bits::new(f.to_bits())))
    }
}

/// Offsets are 32-bit: a plan's changes hold far less than 4 GiB of text.
fn offset(n: usize) -> u32 {
    u32::try_from(n).expect("an operation's changes hold less than 4 GiB of text")
}

impl<'a> ChangeRef<'a> {
    /// What the cell holds before the change.
    pub fn before(&self) -> Value {
        self.changes.value(self.entry.before)
    }

    /// What the change writes.
    pub fn after(&self) -> Value {
        self.changes.value(self.entry.after)
    }

    /// The cell this change writes.
    pub fn cell(&self) -> crate::catalog::CellRef {
        crate::catalog::CellRef {
            key: self.key.to_string(),
            field: self.field.to_string(),
        }
    }

    pub fn to_change(&self) -> Change {
        Change {
            key: self.key.to_string(),
            field: self.field.to_string(),
            before: self.before(),
            after: self.after(),
        }
    }
}

impl<'a> IntoIterator for &'a Changes {
    type Item = ChangeRef<'a>;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

/// The changes in order, as [`ChangeRef`]s.
#[derive(Clone)]
pub struct Iter<'a> {
    changes: &'a Changes,
    entries: std::slice::Iter<'a, Entry>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = ChangeRef<'a>;

    fn next(&mut self) -> Option<ChangeRef<'a>> {
        self.entries.next().map(|entry| self.changes.view(entry))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.entries.size_hint()
    }

    /// Skips without looking at what it skips.
    fn nth(&mut self, n: usize) -> Option<ChangeRef<'a>> {
        self.entries.nth(n).map(|entry| self.changes.view(entry))
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.entries
            .next_back()
            .map(|entry| self.changes.view(entry))
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl Serialize for ChangeRef<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("Change", 4)?;
        s.serialize_field("key", self.key)?;
        s.serialize_field("field", self.field)?;
        s.serialize_field("before", &self.before())?;
        s.serialize_field("after", &self.after())?;
        s.end()
    }
}

impl Serialize for Changes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for Changes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Vec::<Change>::deserialize(deserializer)?.into())
    }
}

impl FromIterator<Change> for Changes {
    fn from_iter<I: IntoIterator<Item = Change>>(changes: I) -> Self {
        let mut out = Changes::new();
        for c in changes {
            out.push(&c.key, &c.field, c.before, c.after);
        }
        out
    }
}

impl From<Vec<Change>> for Changes {
    fn from(changes: Vec<Change>) -> Self {
        changes.into_iter().collect()
    }
}

impl fmt::Debug for Changes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.iter().map(|c| c.to_change()))
            .finish()
    }
}

impl fmt::Debug for ChangeRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.to_change().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Vec<Change> {
        let change = |key: &str, field: &str, before: Value, after: Value| Change {
            key: key.into(),
            field: field.into(),
            before,
            after,
        };
        vec![
            change("STR-001", "Promo Price", json!(""), json!(65.08)),
            change("STR-002", "Promo Price", json!(12.5), json!(100)),
            change("STR-003", "Promo Price", json!(-3), json!(100.0)),
            change("STR-004", "Promo Active", json!("FALSE"), json!("TRUE")),
            change("STR-005", "Promo Active", json!("FALSE"), json!("TRUE")),
            change("Café-9", "Name", json!("Crème \"brûlée\""), json!(null)),
            change("X", "Y", json!(true), json!([1, "a"])),
            change("Z", "Y", json!(u64::MAX), json!(0.07)),
            change("Z", "Y", json!(i64::MIN), json!(-0.0)),
        ]
    }

    #[test]
    fn changes_serialise_and_read_back_exactly_as_a_list_of_changes() {
        let listed = sample();
        let compact: Changes = listed.clone().into();
        assert_eq!(
            serde_json::to_string(&compact).unwrap(),
            serde_json::to_string(&listed).unwrap()
        );
        let read: Changes = serde_json::from_str(&serde_json::to_string(&listed).unwrap()).unwrap();
        assert_eq!(read, compact);
        let back: Vec<Change> = compact.iter().map(|c| c.to_change()).collect();
        assert_eq!(back, listed);
        assert_eq!(format!("{compact:?}"), format!("{listed:?}"));
    }

    #[test]
    fn a_change_is_40_bytes_besides_its_text() {
        assert_eq!(std::mem::size_of::<Entry>(), 40);
    }

    #[test]
    fn a_repeated_field_or_value_is_stored_once() {
        let compact: Changes = sample()[3..5].to_vec().into();
        // Two keys, one field name, one "FALSE", one "TRUE".
        assert_eq!(compact.text, "STR-004Promo ActiveFALSETRUESTR-005");
        assert_eq!(compact.iter().nth(1).unwrap().after(), json!("TRUE"));
    }
}
