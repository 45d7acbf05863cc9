//! Byte fidelity of a CSV apply (issue 18): only the bytes of the changed cells change. A UTF-8
//! byte-order mark, CRLF endings, quoting that was not needed, quoted commas and quotes, a
//! multi-line cell, non-ASCII text and odd spellings ("0010.00", "false") all stay as they were.

use crate::support::{TestEnv, run};

const BEFORE: &str = "\u{feff}SKU,Name,Category,Base Price,Promo Price,Promo Active,Inventory,Image URL\r\n\
CAF-001,Café Crème,Running,100.00,,false,in_stock,\r\n\
CAF-002,\"Runner, \"\"Pro\"\" Edition\",Running,0010.00,,FALSE,in_stock,https://x.example/a.jpg\r\n\
CAF-003,\"Two-line\nname\",Trail,80.00,,false,low_stock,\r\n\
\r\n\
CAF-004,Zürich Läufer 東京,Running,\"120.00\",,FALSE,in_stock,\r\n";

/// BEFORE with exactly the planned cells replaced, byte for byte.
const AFTER: &str = "\u{feff}SKU,Name,Category,Base Price,Promo Price,Promo Active,Inventory,Image URL\r\n\
CAF-001,Café Crème,Running,100.00,90.00,TRUE,in_stock,\r\n\
CAF-002,\"Runner, \"\"Pro\"\" Edition\",Running,0010.00,9.00,TRUE,in_stock,https://x.example/a.jpg\r\n\
CAF-003,\"Two-line\nname\",Trail,80.00,,false,low_stock,\r\n\
\r\n\
CAF-004,Zürich Läufer 東京,Running,\"120.00\",108.00,TRUE,in_stock,\r\n";

#[test]
fn an_apply_changes_only_the_bytes_of_the_changed_cells() {
    let env = TestEnv::new();
    std::fs::write(env.catalog(), BEFORE).expect("write catalog");
    let plan = env.path().join("plan.json");
    let rules = env.rules_with_auto_approve(3);
    let (code, stdout, stderr) = run(env
        .cmd()
        .args(["plan", "take 10% off all running shoes", "--format", "json"])
        .arg("--rules")
        .arg(&rules)
        .arg("-o")
        .arg(&plan));
    assert_eq!(code, 0, "{stderr}");
    // The cells are read decoded: the quoted name, the multi-line one and the non-ASCII one.
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("plan JSON");
    let keys: Vec<&str> = json["operations"][0]["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| c["key"].as_str().expect("key"))
        .collect();
    assert_eq!(keys, ["CAF-001", "CAF-002", "CAF-004"]);

    let (code, _, stderr) = run(env
        .cmd()
        .arg("apply")
        .arg(&plan)
        .arg("--rules")
        .arg(&rules)
        .args(["--no-input", "--format", "json"]));
    assert_eq!(code, 0, "{stderr}");
    let bytes = std::fs::read(env.catalog()).expect("read catalog");
    assert!(
        bytes.starts_with(b"\xef\xbb\xbf"),
        "the byte-order mark was dropped"
    );
    assert_eq!(String::from_utf8(bytes).expect("UTF-8"), AFTER);
}
