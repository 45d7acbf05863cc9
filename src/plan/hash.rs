//! The plan hash ([`crate::plan::Plan::hash`]): SHA-256 over the RFC 8785 canonical JSON of what
//! the plan writes and where. The canonical bytes are written member by member straight into
//! the hasher, without building a `serde_json::Value` of every change first (that tree, and
//! freeing it, was half of a 281,491-change apply, which needs the hash several times).

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{ChangeRef, Operation, Plan};
use crate::canonical;

/// Canonical bytes on their way into SHA-256, a buffer at a time.
struct Hashing {
    sha: Sha256,
    out: Vec<u8>,
}

impl Hashing {
    const CHUNK: usize = 1 << 16;

    fn raw(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
    }

    fn string(&mut self, s: &str) {
        canonical::string(&mut self.out, s);
    }

    fn value(&mut self, v: &Value) {
        canonical::write(&mut self.out, v);
    }

    /// Hands a full buffer to the hasher (called between changes).
    fn flush(&mut self) {
        if self.out.len() >= Self::CHUNK {
            self.sha.update(&self.out);
            self.out.clear();
        }
    }

    /// A small member (ids, the source, the rules) through its JSON value.
    fn serialized(&mut self, v: &impl Serialize) {
        self.value(&serde_json::to_value(v).expect("plans always serialise"));
    }

    fn finish(mut self) -> String {
        self.sha.update(&self.out);
        format!("sha256:{}", hex::encode(self.sha.finalize()))
    }
}

/// The hash of `{format_version, id, created_at, request, source, fingerprint, rules,
/// operations: [{id, agent, changes}], rollback_of}`, members in canonical (sorted) order.
pub(super) fn of(plan: &Plan) -> String {
    let mut h = Hashing {
        sha: Sha256::new(),
        out: Vec::with_capacity(Hashing::CHUNK + 4096),
    };
    h.raw(b"{\"created_at\":");
    h.string(&plan.created_at);
    h.raw(b",\"fingerprint\":");
    h.string(&plan.fingerprint);
    h.raw(b",\"format_version\":");
    h.value(&Value::from(plan.format_version));
    h.raw(b",\"id\":");
    h.string(&plan.id);
    h.raw(b",\"operations\":[");
    for (i, op) in plan.operations.iter().enumerate() {
        if i > 0 {
            h.raw(b",");
        }
        operation(&mut h, op);
    }
    h.raw(b"],\"request\":");
    h.string(&plan.request);
    h.raw(b",\"rollback_of\":");
    h.serialized(&plan.rollback_of);
    h.raw(b",\"rules\":");
    h.serialized(&plan.rules);
    h.raw(b",\"source\":");
    h.serialized(&plan.source);
    h.raw(b"}");
    h.finish()
}

fn operation(h: &mut Hashing, op: &Operation) {
    h.raw(b"{\"agent\":");
    h.serialized(&op.agent);
    h.raw(b",\"changes\":[");
    for (i, c) in op.changes.iter().enumerate() {
        if i > 0 {
            h.raw(b",");
        }
        change(h, c);
    }
    h.raw(b"],\"id\":");
    h.string(&op.id);
    h.raw(b"}");
}

/// `{"after", "before", "field", "key"}`: every field of a change, in canonical order.
fn change(h: &mut Hashing, c: ChangeRef<'_>) {
    h.raw(b"{\"after\":");
    h.value(&c.after());
    h.raw(b",\"before\":");
    h.value(&c.before());
    h.raw(b",\"field\":");
    h.string(c.field);
    h.raw(b",\"key\":");
    h.string(c.key);
    h.raw(b"}");
    h.flush();
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::{Value, json};

    use crate::plan::Plan;

    /// The definition this module replaces: a `Value` of the hashed members through `serde_jcs`.
    fn reference(plan: &Plan) -> String {
        let operations: Vec<Value> = plan
            .operations
            .iter()
            .map(|o| json!({"id": o.id, "agent": o.agent, "changes": o.changes}))
            .collect();
        let value = json!({
            "format_version": plan.format_version,
            "id": plan.id,
            "created_at": plan.created_at,
            "request": plan.request,
            "source": plan.source,
            "fingerprint": plan.fingerprint,
            "rules": plan.rules,
            "operations": operations,
            "rollback_of": plan.rollback_of,
        });
        crate::digest::sha256_prefixed(&serde_jcs::to_vec(&value).unwrap())
    }

    fn plan(changes: Vec<Value>, tab: Value, rollback_of: Value) -> Plan {
        let op = |id: &str, agent: &str, changes: &[Value]| {
            json!({"id": id, "agent": agent, "action": "a", "label": "l", "changes": changes,
                "facts": {"n": 1}, "tier": 2, "matched_rules": [], "explanation": "e"})
        };
        let mut source = json!({"kind": "sheets", "uri": "1AbC_é/\"x\""});
        if !tab.is_null() {
            source["tab"] = tab;
        }
        serde_json::from_value(json!({
            "format_version": 1, "id": "CS-1A2B3C4D", "created_at": "2026-11-23T12:00:00Z",
            "request": "take 10% off “running” shoes\n\t\\ 😀", "source": source,
            "fingerprint": "sha256:00ff", "rules": {"path": "rules/défaut.toml", "sha256": ""},
            "tier": 3, "approval": {"required": true, "method": "tty"},
            "rollback_of": rollback_of,
            "operations": [op("op-1", "reader", &[]), op("op-2", "writer", &changes),
                op("op-3", "notifier", &[]), op("op-4", "writer", &changes[..changes.len() / 2])]
        }))
        .unwrap()
    }

    #[test]
    fn a_varied_plan_hashes_as_the_serde_jcs_definition() {
        let changes = vec![
            json!({"key": "RUN-001", "field": "Base Price", "before": 65.1, "after": 58.59}),
            json!({"key": "RUN-002", "field": "Base Price", "before": 100, "after": 90.0}),
            json!({"key": "RUN-003", "field": "Promo Price", "before": 0.07, "after": 1e21}),
            json!({"key": "", "field": "", "before": "", "after": null}),
            json!({"key": "CAFÉ-☕", "field": "Name", "before": "Café \"crème\"", "after": "a\u{1}b\u{7f}\u{e000}"}),
            json!({"key": "K", "field": "Promo Active", "before": false, "after": true}),
            json!({"key": "K", "field": "Inventory", "before": -0.5, "after": 18446744073709551615u64}),
        ];
        for (tab, rollback_of) in [
            (Value::Null, Value::Null),
            (json!("Products ✓"), json!("R-0001")),
        ] {
            let p = plan(changes.clone(), tab, rollback_of);
            assert_eq!(super::of(&p), reference(&p));
        }
        let empty = plan(Vec::new(), Value::Null, Value::Null);
        assert_eq!(empty.hash(), reference(&empty));
    }

    fn leaf() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            (-1_000_000i64..1_000_000).prop_map(|c| Value::from(c as f64 / 100.0)),
            "[a-zA-Z0-9 \"\\\\\u{0}-\u{1f}é€\u{e000}\u{1f600}]{0,6}".prop_map(Value::String),
        ]
    }

    proptest! {
        #[test]
        fn any_changes_hash_as_the_serde_jcs_definition(
            changes in proptest::collection::vec(("[a-zA-Z0-9é\"]{0,4}", leaf(), leaf()), 0..40)
        ) {
            // Enough changes to cross the hasher's buffer now and then.
            let long = "x".repeat(3000);
            let changes: Vec<Value> = changes
                .into_iter()
                .map(|(key, before, after)| json!({"key": key, "field": long, "before": before, "after": after}))
                .collect();
            let p = plan(changes, Value::Null, Value::Null);
            prop_assert_eq!(super::of(&p), reference(&p));
        }
    }
}
