//! Property tests of the request parser and planner (issue 4): random and mutated requests never
//! panic, and parsing does work proportional to the request's length.

use std::time::{Duration, Instant};

use changeset::catalog::{Catalog, ColumnNames};
use changeset::parse::{self, MAX_REQUEST_CHARS, pattern};
use changeset::plan::build;
use proptest::prelude::*;
use proptest::test_runner::Config;

static CATALOG: std::sync::LazyLock<Catalog> = std::sync::LazyLock::new(catalog);

fn catalog() -> Catalog {
    let text = std::fs::read_to_string(crate::support::example_catalog()).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    Catalog::new(headers, rows, &ColumnNames::default()).unwrap()
}

/// Requests of every kind the grammar knows, to mutate.
const SEEDS: &[&str] = &[
    "put STR-001 on 20% off",
    "15% off Cloud Runner",
    "give everything in the Lifestyle category 15% off",
    "10% off items that are low on stock",
    "take 10 percent off running shoes under $140",
    "knock $10 off STR-012",
    "put STR-002 on promo at $99",
    "promo price for the urban glide: $89.50",
    "set promo price of STR-010 to 99.99 and activate it",
    "remove the discount from all Running",
    "take STR-010 off promo",
    "cancel the promos in the Trail category",
    "mark out-of-stock items as pre-order",
    "we only have 3 pairs of STR-002 left",
    "STR-001, STR-004 and STR-007: mark them low stock",
    "increase base price of all Training by 10%",
    "knock $10 off the base price of Urban Glide",
    "change the price of STR-021 to $64.99",
    "create STR-025 Night Runner, category Running, base price 119.99, pre-order",
    "new product: STR-030 Trail Sprite, Kids, $44.99",
    "mark STR-019 out of stock, then email the merchandising team a summary",
    "show me STR-001 and then set promo price of STR-001 to 119.99",
    "which products don't have an image?",
    "is the Cloud Runner Kids on promo?",
    "let the merch team know the kids collection drops next week",
    "delete the database",
    "discount the five best sellers by 10%",
    "15% off Retro Wave and Canvas Low",
];

/// Words and tokens the grammar reacts to, for insertions.
const VOCABULARY: &[&str] = &[
    "and",
    "then",
    "also",
    ",",
    ";",
    ":",
    "?",
    "the",
    "all",
    "every",
    "it",
    "them",
    "off",
    "on",
    "promo",
    "sale",
    "price",
    "base",
    "list",
    "by",
    "to",
    "at",
    "for",
    "of",
    "in",
    "under",
    "over",
    "than",
    "mark",
    "set",
    "put",
    "take",
    "end",
    "remove",
    "add",
    "new",
    "product",
    "stock",
    "out",
    "low",
    "pre-order",
    "discontinue",
    "notify",
    "team",
    "show",
    "what's",
    "not",
    "don't",
    "only",
    "left",
    "pairs",
    "20%",
    "$99",
    "-15",
    "0",
    "3",
    "120%",
    "100%",
    "STR-001",
    "STR-099",
    "Velocity",
    "Flex",
    "Running",
    "Kids",
    "'s",
    "\"",
    "'",
    "&",
    "—",
    "é",
    "💥",
    "twenty-five",
    "percent",
    "per",
    "cent",
    "dollars",
    "$",
    "%",
    "-",
    ".",
    "..",
    "$1,299.00",
];

#[derive(Debug, Clone)]
enum Edit {
    Delete(usize),
    Insert(usize, &'static str),
    Swap(usize, usize),
    Duplicate(usize),
    Upper(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        any::<usize>().prop_map(Edit::Delete),
        (any::<usize>(), prop::sample::select(VOCABULARY)).prop_map(|(i, w)| Edit::Insert(i, w)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::Swap(a, b)),
        any::<usize>().prop_map(Edit::Duplicate),
        any::<usize>().prop_map(Edit::Upper),
    ]
}

fn mutate(seed: &str, edits: &[Edit]) -> String {
    let mut words: Vec<String> = seed.split(' ').map(str::to_string).collect();
    for e in edits {
        let n = words.len().max(1);
        match *e {
            Edit::Delete(i) if !words.is_empty() => {
                words.remove(i % n);
            }
            Edit::Insert(i, w) => words.insert(i % (words.len() + 1), w.to_string()),
            Edit::Swap(a, b) if !words.is_empty() => words.swap(a % n, b % n),
            Edit::Duplicate(i) if !words.is_empty() => {
                let w = words[i % n].clone();
                words.insert(i % n, w);
            }
            Edit::Upper(i) if !words.is_empty() => words[i % n] = words[i % n].to_uppercase(),
            _ => {}
        }
    }
    words.join(" ")
}

/// Parse and plan; both must return (Ok or a refusal) without panicking.
fn parse_and_plan(catalog: &Catalog, request: &str) {
    if let Ok(intents) = parse::parse(request) {
        let _ = build::operations(catalog, &intents);
    }
}

fn config() -> Config {
    Config {
        cases: 1500,
        failure_persistence: None,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn mutated_requests_never_panic(
        seed in prop::sample::select(SEEDS),
        edits in prop::collection::vec(edit(), 0..8),
    ) {
        parse_and_plan(&CATALOG, &mutate(seed, &edits));
    }

    #[test]
    fn word_salad_never_panics(words in prop::collection::vec(prop::sample::select(VOCABULARY), 0..60)) {
        parse_and_plan(&CATALOG, &words.join(" "));
    }

    #[test]
    fn arbitrary_text_never_panics(chars in prop::collection::vec(any::<char>(), 0..300)) {
        let text: String = chars.into_iter().collect();
        parse_and_plan(&CATALOG, &text);
    }
}

/// Repeats `unit` to about `chars` characters, after a fixed `head` and before a fixed `tail`.
fn long(head: &str, unit: &str, tail: &str, chars: usize) -> String {
    let mut s = head.to_string();
    while s.len() + unit.len() + tail.len() <= chars {
        s.push_str(unit);
    }
    s + tail
}

/// Requests built to provoke super-linear work: repeated joiners, filters, lists, names,
/// clauses and fillers.
fn adversarial(chars: usize) -> Vec<String> {
    const SHAPES: [(&str, &str, &str); 16] = [
        ("", "20% off ", "STR-001"),
        ("mark ", "and ", "STR-001 out of stock"),
        ("show me everything ", "under $5 ", ""),
        ("mark ", "STR-001, ", "STR-002 out of stock"),
        ("15% off ", "Retro Wave and ", "Canvas Low"),
        ("mark ", "the ", "STR-001 out of stock"),
        ("", "put ", "STR-001 on promo at $5"),
        ("add a new product STR-050 ", "x ", "in Running at $5"),
        ("", "end the promo on STR-001; ", ""),
        ("mark STR-001 ", "out of stock ", ""),
        ("", "please ", "mark STR-001 out of stock"),
        ("which products ", "don't have an image ", "?"),
        ("", "mark STR-001 out of stock and ", "notify the team"),
        ("", "what is ", "the price of STR-001"),
        ("notify the team ", "and then also ", ""),
        ("", "asdf ", ""),
    ];
    SHAPES
        .iter()
        .map(|(head, unit, tail)| long(head, unit, tail, chars))
        .collect()
}

#[test]
fn parsing_work_grows_linearly_and_stays_fast() {
    let catalog = catalog();
    let half = adversarial(MAX_REQUEST_CHARS / 2);
    let full = adversarial(MAX_REQUEST_CHARS);
    for (small, large) in half.iter().zip(&full) {
        let before = pattern::match_steps();
        let _ = parse::parse(small);
        let small_steps = pattern::match_steps() - before;
        let before = pattern::match_steps();
        let started = Instant::now();
        parse_and_plan(&catalog, large);
        let elapsed = started.elapsed();
        let large_steps = pattern::match_steps() - before;
        // Twice the text may cost twice the work, plus slack for fixed costs; a quadratic
        // parser would need about four times.
        assert!(
            large_steps <= small_steps * 5 / 2 + 1000,
            "{} chars: {small_steps} steps, {} chars: {large_steps} steps for {:?}",
            small.len(),
            large.len(),
            &large[..60.min(large.len())]
        );
        assert!(
            elapsed < Duration::from_secs(2),
            "{elapsed:?} for {:?}",
            &large[..60.min(large.len())]
        );
    }
}

#[test]
fn requests_over_the_cap_are_refused_before_parsing() {
    let text = "a".repeat(MAX_REQUEST_CHARS + 1);
    let before = pattern::match_steps();
    let e = parse::parse(&text).unwrap_err();
    assert_eq!(pattern::match_steps(), before);
    assert!(e.message.contains("longer than"), "{}", e.message);
}
