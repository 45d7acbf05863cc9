//! The facts rules may read, and binding one JSON object of facts to them.
//!
//! Every declared fact is always bound (evalexpr does not short-circuit, so a rule must never
//! meet an unbound name): a present fact takes its JSON value, an absent or mistyped one takes
//! the "absent" value of its type — NaN for numbers, "" for text, false for booleans — so that
//! comparisons with it are false, like json-rules-engine's undefined facts.

use evalexpr::{ContextWithMutableVariables, HashMapContext, Value as EValue};
use serde_json::{Map, Value};

/// The type of a fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactType {
    Number,
    Text,
    Bool,
}

impl FactType {
    pub fn name(self) -> &'static str {
        match self {
            FactType::Number => "number",
            FactType::Text => "text",
            FactType::Bool => "boolean",
        }
    }
}

/// The facts rules may read, with their types. Any other identifier is a lint error. A fact's
/// position in this table is its slot index in [`Slots`].
pub const FACTS: &[(&str, FactType)] = &[
    ("operation_type", FactType::Text),
    ("action", FactType::Text),
    ("affected_records", FactType::Number),
    ("price_change_percent", FactType::Number),
    ("user_stress_level", FactType::Number),
    ("session_duration_minutes", FactType::Number),
    ("hour_utc", FactType::Number),
    ("pii_detected", FactType::Bool),
    ("plan_affected_records", FactType::Number),
    ("plan_operation_count", FactType::Number),
    ("recent_approval_requests", FactType::Number),
    // The end state of a written row, for forbid rules.
    ("base_price", FactType::Number),
    ("promo_price", FactType::Number),
    ("promo_active", FactType::Bool),
    ("inventory", FactType::Text),
];

const SLOT_COUNT: usize = FACTS.len();

/// The slot of a declared fact.
pub fn slot_of(name: &str) -> Option<usize> {
    FACTS.iter().position(|(n, _)| *n == name)
}

/// A number as evalexpr holds it: integers and floats stay distinct (`1 == 1.0` is false there).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Num {
    Int(i64),
    Float(f64),
}

impl Num {
    pub fn as_f64(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Float(f) => f,
        }
    }
}

/// The bound value of one fact.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Slot<'a> {
    Num(Num),
    Text(&'a str),
    Bool(bool),
}

/// Every fact absent, built at compile time (binding starts from a copy of it).
const ABSENT: [Slot<'static>; SLOT_COUNT] = {
    let mut slots = [Slot::Bool(false); SLOT_COUNT];
    let mut i = 0;
    while i < SLOT_COUNT {
        slots[i] = Slot::absent(FACTS[i].1);
        i += 1;
    }
    slots
};

impl Slot<'_> {
    const fn absent(kind: FactType) -> Self {
        match kind {
            FactType::Number => Slot::Num(Num::Float(f64::NAN)),
            FactType::Text => Slot::Text(""),
            FactType::Bool => Slot::Bool(false),
        }
    }

    pub fn to_evalexpr(self) -> EValue {
        match self {
            Slot::Num(Num::Int(i)) => EValue::Int(i),
            Slot::Num(Num::Float(f)) => EValue::Float(f),
            Slot::Text(s) => EValue::String(s.to_string()),
            Slot::Bool(b) => EValue::Boolean(b),
        }
    }

    /// The value as JSON, `null` where JSON has no such number (NaN).
    pub fn to_json(self) -> Value {
        match self {
            Slot::Num(Num::Int(i)) => Value::from(i),
            Slot::Num(Num::Float(f)) => {
                serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
            }
            Slot::Text(s) => Value::from(s),
            Slot::Bool(b) => Value::from(b),
        }
    }
}

impl std::fmt::Display for Slot<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Slot::Num(Num::Int(i)) => write!(f, "{i}"),
            // Debug keeps floats recognisable as floats (`1.0`, `NaN`).
            Slot::Num(Num::Float(x)) => write!(f, "{x:?}"),
            Slot::Text(s) => write!(f, "{s:?}"),
            Slot::Bool(b) => write!(f, "{b}"),
        }
    }
}

/// Every declared fact bound to a value, indexed by slot; borrows text from the JSON.
#[derive(Debug, Clone)]
pub struct Slots<'a> {
    values: [Slot<'a>; SLOT_COUNT],
    /// Bit `i` is set when fact `i` was present with the right type.
    present: u32,
}

impl<'a> Slots<'a> {
    /// Binds the facts of one JSON object. Unknown keys are ignored (facts files may carry ids
    /// and other data); a value of the wrong type counts as absent.
    pub fn bind(facts: &'a Map<String, Value>) -> Self {
        let mut slots = Slots::absent();
        // Walking the object once is cheaper than looking every declared fact up by name.
        for (name, value) in facts {
            if let Some(slot) = slot_of(name) {
                slots.set(slot, value);
            }
        }
        slots
    }

    /// Every fact absent.
    pub fn absent() -> Self {
        Slots {
            values: ABSENT,
            present: 0,
        }
    }

    fn set(&mut self, slot: usize, value: &'a Value) {
        let bound = match (FACTS[slot].1, value) {
            (FactType::Number, Value::Number(n)) => Some(Slot::Num(match n.as_i64() {
                Some(i) => Num::Int(i),
                None => Num::Float(n.as_f64().unwrap_or(f64::NAN)),
            })),
            (FactType::Text, Value::String(s)) => Some(Slot::Text(s)),
            (FactType::Bool, Value::Bool(b)) => Some(Slot::Bool(*b)),
            _ => None,
        };
        if let Some(bound) = bound {
            self.values[slot] = bound;
            self.present |= 1 << slot;
        }
    }

    /// Sets a slot directly (typed samples for the lint).
    pub fn with(mut self, slot: usize, value: Slot<'a>) -> Self {
        self.values[slot] = value;
        self.present |= 1 << slot;
        self
    }

    #[inline]
    pub fn get(&self, slot: usize) -> Slot<'a> {
        self.values[slot]
    }

    pub fn is_present(&self, slot: usize) -> bool {
        self.present & (1 << slot) != 0
    }

    /// The same bindings as an evalexpr context, for rules the compiler leaves to evalexpr and
    /// for evalexpr's own error messages.
    pub fn to_context(&self) -> HashMapContext {
        let mut ctx = HashMapContext::new();
        for (i, (name, _)) in FACTS.iter().enumerate() {
            ctx.set_value((*name).to_string(), self.values[i].to_evalexpr())
                .expect("a fresh context accepts every value");
        }
        ctx
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn binding_follows_the_fact_types() {
        let facts = json!({
            "operation_type": "write",
            "affected_records": 3,
            "price_change_percent": 25.5,
            "user_stress_level": "high",
            "pii_detected": true,
            "unknown": 1
        });
        let slots = Slots::bind(facts.as_object().unwrap());
        let at = |name| slots.get(slot_of(name).unwrap());
        assert_eq!(at("operation_type"), Slot::Text("write"));
        assert_eq!(at("affected_records"), Slot::Num(Num::Int(3)));
        assert_eq!(at("price_change_percent"), Slot::Num(Num::Float(25.5)));
        assert!(matches!(at("user_stress_level"), Slot::Num(Num::Float(f)) if f.is_nan()));
        assert!(!slots.is_present(slot_of("user_stress_level").unwrap()));
        assert_eq!(at("action"), Slot::Text(""));
        assert_eq!(at("pii_detected"), Slot::Bool(true));
    }

    #[test]
    fn slots_fit_the_presence_mask() {
        assert!(FACTS.len() <= 32);
    }
}
