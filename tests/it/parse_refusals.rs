//! Every class of refused request (issue 4): exit 1, the message says what was wrong (and the
//! nearest matches or example requests), nothing is planned and the source is untouched.

use insta::{assert_snapshot, with_settings};

use crate::support::{TestEnv, filters, run, transcript};

/// Plans `request` and checks the refusal: exit 1, empty stdout, unchanged catalog, no plan
/// file. Returns stderr.
fn refused(request: &str) -> String {
    let env = TestEnv::new();
    let before = env.catalog_text();
    let plan_file = env.path().join("plan.json");
    let (code, stdout, stderr) = run(env
        .cmd()
        .args(["plan", request, "-o"])
        .arg(&plan_file)
        .args(["--format", "text"]));
    assert_eq!(code, 1, "{request}: expected exit 1, stderr: {stderr}");
    assert!(stdout.is_empty(), "{request}: planned something: {stdout}");
    assert!(!plan_file.exists(), "{request}: wrote a plan file");
    assert_eq!(env.catalog_text(), before, "{request}: touched the source");
    assert!(stderr.starts_with("error: "), "{stderr}");
    stderr
}

fn assert_has(stderr: &str, parts: &[&str]) {
    for part in parts {
        assert!(stderr.contains(part), "missing {part:?} in:\n{stderr}");
    }
}

const EXAMPLES: &str = "hint: try a request like: \"";

#[test]
fn unknown_sku_suggests_the_nearest_skus() {
    let e = refused("mark STR-099 out of stock");
    assert_has(
        &e,
        &["no product with SKU STR-099", "did you mean `STR-009`"],
    );
}

#[test]
fn unknown_name_suggests_the_nearest_names() {
    let e = refused("20% off the Galaxy Runner");
    assert_has(
        &e,
        &[
            "no product or category is named \"Galaxy Runner\"",
            "did you mean",
            "`Cloud Runner`",
        ],
    );
}

#[test]
fn unknown_category_lists_the_categories() {
    let e = refused("put all sandals on 10% off");
    assert_has(
        &e,
        &[
            "there is no category \"sandals\"",
            "categories in this catalog: Running, Trail, Training, Lifestyle, Kids",
        ],
    );
}

#[test]
fn ambiguous_names_list_the_candidates() {
    let e = refused("mark Velocity out of stock");
    assert_has(
        &e,
        &[
            "\"Velocity\" is ambiguous",
            "STR-022 Velocity [Running]",
            "STR-023 Velocity [Lifestyle]",
            "by SKU",
        ],
    );
    let e = refused("10% off the Flex");
    assert_has(
        &e,
        &[
            "\"Flex\" is ambiguous",
            "STR-012 Flex Trainer",
            "STR-013 Studio Flex",
        ],
    );
    // A fragment of one name is not guessed either.
    let e = refused("mark the Mudguard out of stock");
    assert_has(
        &e,
        &[
            "no product is named exactly \"Mudguard\"",
            "STR-008 Mudguard GTX",
        ],
    );
}

#[test]
fn impossible_values_are_refused() {
    let e = refused("give STR-001 120% off");
    assert_has(&e, &["a discount of 120% is not possible", EXAMPLES]);
    refused("take 100% off STR-001");
    let e = refused("set promo price of STR-002 to -15");
    assert_has(&e, &["promo price of $-15 is negative"]);
    let e = refused("set the base price of STR-001 to $0");
    assert_has(&e, &["base price of $0 is not possible"]);
    let e = refused("knock $200 off STR-012");
    assert_has(&e, &["promo price of STR-012 would be $-110.01"]);
    let e = refused("lower the base price of STR-012 by 100%");
    assert_has(&e, &["prices must stay above zero"]);
    let e = refused("mark STR-001 as backordered");
    assert_has(
        &e,
        &[
            "\"backordered\" is not an inventory state",
            "in stock, low stock, out of stock",
        ],
    );
}

#[test]
fn destructive_and_out_of_scope_requests_are_refused() {
    let e = refused("delete the database");
    assert_has(
        &e,
        &["outside what changeset does", "\"database\"", EXAMPLES],
    );
    let e = refused("email all customers their passwords");
    assert_has(&e, &["outside what changeset does", EXAMPLES]);
    let e = refused("delete STR-001");
    assert_has(&e, &["never deletes products", "discontinue"]);
    // One such clause refuses the whole request.
    refused("mark STR-002 out of stock and delete the database");
}

#[test]
fn data_the_catalog_lacks_is_refused() {
    let e = refused("discount the five best sellers by 10%");
    assert_has(&e, &["needs sales figures", "the catalog does not have"]);
    let e = refused("match competitor prices on STR-001");
    assert_has(&e, &["needs competitor prices"]);
    let e = refused("which colours does the Cloud Runner come in?");
    assert_has(&e, &["needs colours"]);
}

#[test]
fn a_promo_needs_a_price_or_a_percentage() {
    let e = refused("put STR-006 on promo");
    assert_has(
        &e,
        &[
            "STR-006 has no promo price stored",
            "neither a price nor a percentage",
        ],
    );
}

#[test]
fn creating_an_existing_sku_is_refused() {
    let e = refused("add STR-005 Daily Miles 2 in Running at $104.99");
    assert_has(&e, &["STR-005 already exists (Daily Miles)"]);
    let e = refused("add a new product STR-060 Night Runner at $99");
    assert_has(&e, &["missing a category"]);
}

#[test]
fn gibberish_names_the_words_not_understood() {
    let e = refused("asdf qwerty zxcv 123");
    assert_has(
        &e,
        &[
            "\"asdf\", \"qwerty\", \"zxcv\"",
            "were not understood",
            EXAMPLES,
        ],
    );
    let e = refused("put STR-002 on promo at $99 tomorrow");
    assert_has(&e, &["\"tomorrow\""]);
}

#[test]
fn refusal_messages_as_users_see_them() {
    let env = TestEnv::new();
    for (name, request) in [
        ("refusal_gibberish", "asdf qwerty zxcv 123"),
        ("refusal_ambiguous", "mark Velocity out of stock"),
        ("refusal_unknown_category", "put all sandals on 10% off"),
        ("refusal_out_of_scope", "delete the database"),
    ] {
        with_settings!({ filters => filters() }, {
            assert_snapshot!(name, transcript(env.cmd().args(["plan", request])));
        });
    }
}

/// "a $60 deal" could be a sale price or an amount off, and "a deal at 60" also a percentage:
/// refused with the readings and how to say each, and no "did you mean" guess.
#[test]
fn a_value_attached_to_a_vague_sale_word_is_ambiguous() {
    for (request, value, readings) in [
        (
            "put Cloud Runner on a $60 deal",
            "\"$60\"",
            "a sale price of $60 or $60 off",
        ),
        (
            "run a $60 sale on STR-002",
            "\"$60\"",
            "a sale price of $60 or $60 off",
        ),
        (
            "put STR-002 on a deal at 60",
            "\"60\"",
            "a sale price of $60, $60 off or 60% off",
        ),
    ] {
        let e = refused(request);
        assert_has(
            &e,
            &[
                "is ambiguous",
                value,
                readings,
                "hint: say \"put ... on sale at $60\" for a sale price, \"take $60 off ...\" for an amount off",
            ],
        );
        assert!(!e.contains("did you mean"), "{e}");
    }
    // The unambiguous neighbours plan.
    let env = TestEnv::new();
    for request in [
        "put Cloud Runner on a 20% deal",
        "give Cloud Runner a $10 discount",
        "put Cloud Runner on sale at $99",
    ] {
        let (code, _, stderr) = run(env.cmd().args(["plan", request]));
        assert_eq!(code, 0, "{request}: {stderr}");
    }
}
