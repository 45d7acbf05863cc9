//! The plan → apply → receipt → audit path on a local CSV (issue: core).

use crate::support::{TestEnv, run};

#[test]
fn plan_json_matches_the_contract_and_leaves_the_source_alone() {
    let env = TestEnv::new();
    let before = std::fs::read(env.catalog()).unwrap();
    let (code, stdout, _) =
        run(env
            .cmd()
            .args(["plan", "put STR-001 on 20% off", "--format", "json"]));
    assert_eq!(code, 0);
    let plan: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(plan["format_version"], 1);
    assert_eq!(plan["tier"], 2);
    let changes = &plan["operations"][0]["changes"];
    assert_eq!(changes[0]["key"], "STR-001");
    assert_eq!(changes[0]["field"], "Promo Price");
    assert_eq!(changes[0]["before"], "");
    assert_eq!(changes[0]["after"], 103.99);
    assert_eq!(
        std::fs::read(env.catalog()).unwrap(),
        before,
        "plan must not modify the source"
    );
}
