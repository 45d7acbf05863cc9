//! Forbid rules on the end state: every row a plan writes is looked at as it will be after the
//! whole plan (its current cells with every change of the plan applied), with that row's
//! `base_price`, `promo_price`, `promo_active` and `inventory` plus the facts of each operation
//! that writes it. A match refuses the plan; no approval, `--yes`, tier setting or config can
//! override it. Checked at `plan` and again at `apply`.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};

use rust_decimal::prelude::ToPrimitive;

use super::{ChangeRef, Changes, Operation};
use crate::catalog::{Catalog, Field, search_from, value};
use crate::error::{Error, Result};
use crate::policy::RuleSet;
use crate::policy::facts::{Num, Slot, Slots, slot_of};

/// The cells of a row's end state that forbid rules read, with the facts they become.
const END_FIELDS: [(Field, &str); 4] = [
    (Field::BasePrice, "base_price"),
    (Field::PromoPrice, "promo_price"),
    (Field::PromoActive, "promo_active"),
    (Field::Inventory, "inventory"),
];

/// Matches: rule id -> (description, rows in the order first met, the same rows as a set).
type Hits<'a> = BTreeMap<String, (String, Vec<&'a str>, HashSet<&'a str>)>;

/// From this many changes on, an operation's rows are looked at on two threads.
const PARALLEL_CHANGES: usize = 20_000;

/// Refuses the operations when a forbid rule matches the end state of a row they write.
pub fn check(ops: &[Operation], catalog: &Catalog, rules: &RuleSet) -> Result<()> {
    if rules.forbids.is_empty() {
        return Ok(());
    }
    let all = AllChanges::of(ops);
    let written = last_writes(&all, catalog);
    let ends = EndStates {
        all: &all,
        written: &written,
        catalog,
        rules,
    };
    let mut hits = Hits::new();
    for op in ops.iter().filter(|o| o.is_write()) {
        let n = op.changes.len();
        if n < PARALLEL_CHANGES {
            merge(&mut hits, ends.hits(op, 0..n));
            continue;
        }
        // The second half on the other core; merged after the first, so rows keep plan order.
        let (first, second) = std::thread::scope(|s| {
            let second = s.spawn(|| ends.hits(op, n / 2..n));
            let first = ends.hits(op, 0..n / 2);
            let second = second
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (first, second)
        });
        merge(&mut hits, first);
        merge(&mut hits, second);
    }
    if hits.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> = hits
        .iter()
        .map(|(id, (description, rows, _))| {
            format!(
                "{id}: {} ({})",
                crate::escape::escape(description),
                crate::escape::escape(&rows.join(", "))
            )
        })
        .collect();
    Err(Error::input(format!(
        "the plan is forbidden by the rules, whatever the approval; nothing was written:\n  {}",
        lines.join("\n  ")
    ))
    .hint("change the request so that no row ends in a forbidden state (see `changeset rules explain`)"))
}

/// What the end states of written rows are looked up in.
struct EndStates<'a> {
    all: &'a AllChanges<'a>,
    written: &'a [(u32, [u32; 4])],
    catalog: &'a Catalog,
    rules: &'a RuleSet,
}

impl<'a> EndStates<'a> {
    /// The forbid rules that match the end state of the rows written by the operation's
    /// changes in `range`.
    fn hits(&self, op: &'a Operation, range: std::ops::Range<usize>) -> Hits<'a> {
        let slots =
            END_FIELDS.map(|(_, fact)| slot_of(fact).expect("end-state facts are declared"));
        // The operation's facts are bound once; each row's end state is bound over them.
        let facts = Slots::bind(&op.facts);
        let (written, all) = (self.written, self.all);
        let mut hits = Hits::new();
        let (mut at, mut previous) = (0, None);
        let keys = op.changes.iter().skip(range.start).take(range.len());
        for key in keys.map(|c| c.key) {
            if previous.replace(key) == Some(key) {
                continue;
            }
            // Keys come in key order: each search starts where the last one ended.
            let found = search_from(written.len(), at, |i| all.key(written[i].0).cmp(key));
            at = found.unwrap_or(at);
            let cells = found.map(|i| written[i].1.map(|c| all.get(c)));
            let end = End::of(key, cells.as_ref(), self.catalog);
            for m in self.rules.forbidden_in(&end.bind(facts.clone(), &slots)) {
                add(&mut hits, m.id, m.description, key);
            }
        }
        hits
    }
}

fn add<'a>(hits: &mut Hits<'a>, id: String, description: String, key: &'a str) {
    let entry = hits
        .entry(id)
        .or_insert_with(|| (description, Vec::new(), HashSet::new()));
    if entry.2.insert(key) {
        entry.1.push(key);
    }
}

/// Adds `from`'s rows after those already in `into`.
fn merge<'a>(into: &mut Hits<'a>, from: Hits<'a>) {
    for (id, (description, rows, _)) in from {
        for key in rows {
            add(into, id.clone(), description.clone(), key);
        }
    }
}

/// Every write operation's changes, numbered through: a change is 4 bytes to refer to.
struct AllChanges<'a> {
    ops: Vec<&'a Changes>,
    /// Number of the first change of each operation.
    starts: Vec<u32>,
}

/// Refers to no change.
const NONE: u32 = u32::MAX;

impl<'a> AllChanges<'a> {
    fn of(ops: &'a [Operation]) -> Self {
        let ops: Vec<&Changes> = ops
            .iter()
            .filter(|o| o.is_write())
            .map(|o| &o.changes)
            .collect();
        let mut starts = Vec::with_capacity(ops.len());
        let mut total = 0;
        for changes in &ops {
            starts.push(u32::try_from(total).expect("fewer than 4 billion changes"));
            total += changes.len();
        }
        AllChanges { ops, starts }
    }

    fn count(&self) -> u32 {
        let last = self.ops.last().map_or(0, |c| c.len());
        self.starts.last().map_or(0, |s| s + last as u32)
    }

    fn get(&self, n: u32) -> Option<ChangeRef<'a>> {
        if n == NONE {
            return None;
        }
        let op = self.starts.partition_point(|&s| s <= n) - 1;
        self.ops[op].get((n - self.starts[op]) as usize)
    }

    fn key(&self, n: u32) -> &'a str {
        self.get(n).map_or("", |c| c.key)
    }
}

/// For each written row, sorted by key: one of its changes (for the key) and the change that
/// last writes each of its end-state cells ([`END_FIELDS`] order). Changes are referred to by
/// number: a bulk plan writes a hundred thousand rows. Sorting rather than hashing keeps the
/// work sequential: each operation's changes are usually in key order already, which the
/// stable sort merges as runs.
fn last_writes(all: &AllChanges, catalog: &Catalog) -> Vec<(u32, [u32; 4])> {
    let mut order: Vec<u32> = (0..all.count()).collect();
    // Stable: a key's changes stay in plan order, so the last write wins below.
    order.sort_by(|&a, &b| all.key(a).cmp(all.key(b)));
    let mut written: Vec<(u32, [u32; 4])> = Vec::new();
    // The end-state index of the last header met (a bulk operation repeats one header).
    let mut last_header: Option<(&str, Option<usize>)> = None;
    for n in order {
        let Some(c) = all.get(n) else { continue };
        if written
            .last()
            .is_none_or(|(first, _)| all.key(*first) != c.key)
        {
            written.push((n, [NONE; 4]));
        }
        let index = match last_header {
            Some((header, index)) if header == c.field => index,
            _ => {
                let field = catalog.field_of(c.field);
                let index = END_FIELDS.iter().position(|(f, _)| Some(*f) == field);
                last_header = Some((c.field, index));
                index
            }
        };
        if let (Some(i), Some((_, cells))) = (index, written.last_mut()) {
            cells[i] = n;
        }
    }
    written
}

/// A written row after the whole plan: its current cells with the plan's last writes.
struct End<'a> {
    base_price: Option<f64>,
    promo_price: Option<f64>,
    promo_active: bool,
    inventory: Cow<'a, str>,
}

impl<'a> End<'a> {
    fn of(key: &str, written: Option<&[Option<ChangeRef>; 4]>, catalog: &'a Catalog) -> Self {
        let current = catalog
            .row_of(key)
            .map(|r| catalog.cells(r, END_FIELDS.map(|(f, _)| f)));
        let text = |i: usize| -> Cow<'a, str> {
            match written.and_then(|w| w[i]) {
                Some(change) => Cow::Owned(value::to_text(Some(END_FIELDS[i].0), &change.after())),
                None => Cow::Borrowed(current.map_or("", |c| c[i])),
            }
        };
        let money = |i: usize| match written.and_then(|w| w[i]) {
            Some(change) => value::money_f64(Some(END_FIELDS[i].0), &change.after()),
            None => value::parse_money(current.map_or("", |c| c[i])).and_then(|d| d.to_f64()),
        };
        End {
            base_price: money(0),
            promo_price: money(1),
            promo_active: text(2).trim().eq_ignore_ascii_case("TRUE"),
            inventory: text(3),
        }
    }

    /// The end-state facts bound over an operation's facts (`slots` in [`END_FIELDS`] order),
    /// as if the two were one object with the end state's facts last.
    fn bind<'s>(&'s self, mut facts: Slots<'s>, slots: &[usize; 4]) -> Slots<'s> {
        let number = |n: Option<f64>| {
            n.filter(|n| n.is_finite())
                .map(|n| Slot::Num(Num::Float(n)))
        };
        for (i, slot) in [number(self.base_price), number(self.promo_price)]
            .into_iter()
            .enumerate()
        {
            if let Some(slot) = slot {
                facts = facts.with(slots[i], slot);
            }
        }
        facts = facts.with(slots[2], Slot::Bool(self.promo_active));
        let inventory = self.inventory.trim();
        if !inventory.is_empty() {
            facts = facts.with(slots[3], Slot::Text(inventory));
        }
        facts
    }
}
