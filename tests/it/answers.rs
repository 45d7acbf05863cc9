//! Reads answer (issue 16): a read plans as before (tier 0, no changes) and carries the rows a
//! question is about, a count, and yes/no for "is/are/anything" questions; text prints them as
//! a table under the plan (capped), `--format json` in `answer`.

use insta::{assert_json_snapshot, assert_snapshot, with_settings};
use serde_json::Value;

use crate::support::{TestEnv, filters, run, transcript};

fn text(request: &str) -> String {
    let env = TestEnv::new();
    let out = transcript(env.cmd().args(["plan", request, "--format", "text"]));
    assert!(out.starts_with("exit: 0\n"), "{request}: {out}");
    out
}

fn json(request: &str) -> Value {
    let env = TestEnv::new();
    let (code, stdout, stderr) = run(env.cmd().args(["plan", request, "--format", "json"]));
    assert_eq!(code, 0, "{request}: {stderr}");
    let plan: Value = serde_json::from_str(&stdout).expect("a JSON plan");
    assert_eq!(plan["tier"], 0, "{request}: a read is tier 0");
    let changes = plan["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["changes"].as_array().unwrap().len())
        .sum::<usize>();
    assert_eq!(changes, 0, "{request}: a read changes nothing");
    plan
}

#[test]
fn a_price_question_shows_the_price_columns() {
    let out = text("what's the price of STR-001?");
    assert!(out.contains("129.99"), "{out}");
    with_settings!({ filters => filters() }, { assert_snapshot!(out) });
}

#[test]
fn a_stock_question_lists_the_products() {
    let out = text("which products are out of stock?");
    for sku in ["STR-004", "STR-009", "STR-017"] {
        assert!(out.contains(sku), "{out}");
    }
    with_settings!({ filters => filters() }, { assert_snapshot!(out) });
}

#[test]
fn how_many_gives_a_count() {
    let plan = json("how many running shoes are there?");
    assert_eq!(plan["answer"]["count"], 6);
    assert_eq!(plan["answer"]["rows"].as_array().unwrap().len(), 6);
    with_settings!({ filters => filters() }, {
        assert_snapshot!(text("how many products are out of stock?"))
    });
}

#[test]
fn yes_no_questions_answer_with_the_rows_that_decide() {
    let no = json("is the Cloud Runner Kids on promo?");
    assert_eq!(no["answer"]["yes_no"], false);
    assert_eq!(no["answer"]["rows"][0]["SKU"], "STR-018");
    assert_eq!(no["answer"]["rows"][0]["Promo Active"], "FALSE");
    let yes = json("is STR-003 on promo?");
    assert_eq!(yes["answer"]["yes_no"], true);
    let any = json("is anything out of stock in Trail?");
    assert_eq!(any["answer"]["yes_no"], true);
    assert_eq!(any["answer"]["rows"][0]["SKU"], "STR-009");
    let none = json("is anything discontinued in Kids?");
    assert_eq!(none["answer"]["yes_no"], false);
    assert_eq!(none["answer"]["count"], 0);
    with_settings!({ filters => filters() }, {
        assert_snapshot!(text("is the Cloud Runner Kids on promo?"))
    });
}

#[test]
fn an_image_question_shows_the_image_column() {
    let out = text("which products don't have an image?");
    assert!(
        out.contains("Image URL") && !out.contains("Base Price  "),
        "{out}"
    );
    with_settings!({ filters => filters() }, { assert_snapshot!(out) });
}

#[test]
fn json_answer_has_rows_count_and_yes_no() {
    let plan = json("which products are out of stock?");
    with_settings!({ filters => filters() }, { assert_json_snapshot!(plan["answer"]) });
    // A write plan has no answer at all.
    let env = TestEnv::new();
    let (_, stdout, _) =
        run(env
            .cmd()
            .args(["plan", "mark STR-002 out of stock", "--format", "json"]));
    let write: Value = serde_json::from_str(&stdout).unwrap();
    assert!(write.get("answer").is_none(), "{stdout}");
}

#[test]
fn large_answers_are_capped_in_text_but_complete_in_json() {
    let out = text("show me all products");
    assert!(out.contains("… 4 more"), "{out}");
    assert!(out.contains("STR-020") && !out.contains("STR-021"), "{out}");
    let plan = json("show me all products");
    assert_eq!(plan["answer"]["rows"].as_array().unwrap().len(), 24);
    assert_eq!(plan["answer"]["count"], 24);
    assert_eq!(plan["answer"]["yes_no"], Value::Null);
}
