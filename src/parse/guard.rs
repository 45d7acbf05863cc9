//! Refusals about scope: requests outside the catalog (destructive, credentials, customers)
//! and requests that need data the catalog does not hold.
//!
//! Words inside the product names and categories a clause refers to are not looked at, so a
//! product called "Storm Shell" or "Sales Champion" can still be named.

use std::collections::HashSet;

use super::pattern::{Match, Words};
use crate::error::Error;

/// Phrases that are outside what changeset does, whatever else the clause says.
const OUT_OF_SCOPE: &[&str] = &[
    "database|databases|db|dbs|sql|schema|server|servers|backend|backup|backups",
    "password|passwords|passcode|passcodes|passwd|credential|credentials|secret|secrets",
    "token|tokens|apikey|apikeys|ssh|sudo|admin|administrator|shell|malware|virus|hack|hacking|exploit|jailbreak",
    "api key|keys",
    "credit|debit card|cards",
    "card number|numbers",
    "social security",
    "ssn",
    "bank account|accounts|details",
    "personal data|details|information",
    "home address|addresses",
    "customer|customers|client|clients|shopper|shoppers|consumer|consumers|subscriber|subscribers",
    "mailing list|lists",
    "newsletter|newsletters",
    "payroll|salary|salaries|invoice|invoices|refund|refunds|payment|payments",
    "user|users account|accounts",
    "permission|permissions",
    "ignore|disregard|forget all|the|your|any? previous|prior|above|earlier|system instructions|rules|prompt|prompts",
    "system prompt",
    "drop|truncate|wipe|erase|destroy|purge|nuke the? table|tables|catalog|catalogue|sheet|spreadsheet|everything|all|data|file|files",
    "rm|shutdown|reboot|uninstall",
    "shut down",
];

/// Verbs that delete or destroy; allowed only when what follows is a promo ("delete the promo
/// on X" ends it).
const DESTRUCTIVE: &str =
    "delete|deletes|deleting|erase|wipe|destroy|purge|truncate|nuke|remove|drop";
const PROMO_OBJECT: &str = "the|all|any|its|their|this|that? promo|promos|promotion|promotions|discount|discounts|sale|markdown|markdowns|deal|deals|offer|offers";

/// Data the catalog does not hold, by what it is called.
const LACKING: &[(&str, &str)] = &[
    (
        "sales|revenue|turnover|profit|profits|margin|margins|conversion|conversions|traffic|views|clicks|visits|demand|popularity",
        "sales, traffic or profit figures",
    ),
    (
        "seller|sellers|bestseller|bestsellers|bestselling|popular|trending",
        "sales figures",
    ),
    (
        "best|top|worst|fastest|slowest selling|sellers|seller|performing",
        "sales figures",
    ),
    ("units|pairs sold", "sales figures"),
    ("sold the? most|least|best|worst", "sales figures"),
    ("sell through", "sales figures"),
    (
        "competitor|competitors|competition|competitive|rival|rivals",
        "competitor prices",
    ),
    ("market price|prices|rate|rates", "competitor prices"),
    (
        "colour|colours|color|colors|colourway|colourways|colorway|colorways",
        "colours",
    ),
    ("size|sizes|sizing|width|widths", "sizes"),
    ("come|comes|available in", "colours or sizes"),
    (
        "weight|material|materials|fabric|gender|warehouse|warehouses|location|locations|supplier|suppliers|vendor|vendors|manufacturer|manufacturers|wholesale|cogs",
        "attributes the catalog does not have",
    ),
    ("cost price|prices", "cost prices"),
    ("unit cost|costs", "cost prices"),
    ("review|reviews|rating|ratings|stars", "reviews or ratings"),
    ("returns", "returns"),
    ("return rate|rates", "returns"),
    (
        "last|past|previous week|month|year|quarter|season|weekend",
        "history",
    ),
    ("yesterday|history|historical|trend|trends", "history"),
    ("launch|release date|dates", "dates"),
    ("date added", "dates"),
    ("newest|oldest", "dates"),
    ("recently added", "dates"),
    (
        "how many pairs|units|pieces|boxes",
        "stock counts (it holds only a stock state)",
    ),
    (
        "stock|inventory level|levels|count|counts|quantity|quantities",
        "stock counts (it holds only a stock state)",
    ),
];

/// The first match of `pattern` that is not entirely made of words of `names` and is not one of
/// the innocent uses below.
fn find(w: &Words, pattern: &str, names: &HashSet<String>) -> Option<Match> {
    w.find_every(pattern).into_iter().find(|m| {
        !w.toks[m.start..m.end]
            .iter()
            .all(|t| names.contains(&t.text.replace('\'', "")))
            && !innocent(w, m)
    })
}

/// Words that are about availability or a delivery, not about people or data the catalog
/// lacks: "customers can only pre-order X", "can shoppers buy X?", "30 units arrived at the
/// warehouse".
fn innocent(w: &Words, m: &Match) -> bool {
    let at = |i: usize, words: &str| {
        w.toks
            .get(i)
            .is_some_and(|t| words.split('|').any(|x| t.is_word(x)))
    };
    let buy = "buy|order|purchase|pre|preorder|get";
    let modal = "can|could|may|will|cannot";
    let word = &w.toks[m.start].text;
    let people = "customer|customers|shopper|shoppers|consumer|consumers|client|clients";
    if m.end - m.start == 1 && people.split('|').any(|p| p == word) {
        let after = at(m.end, modal) && (at(m.end + 1, buy) || at(m.end + 2, buy));
        let asked = m.start > 0 && at(m.start - 1, modal) && at(m.end, buy);
        return after || asked;
    }
    // "discontinued by the manufacturer", "the supplier stopped making X": who, not data.
    let makers = "manufacturer|manufacturers|supplier|suppliers|vendor|vendors";
    if m.end - m.start == 1 && makers.split('|').any(|p| p == word) {
        let the = m.start >= 1 && at(m.start - 1, "the|our|its|their");
        let by = m.start >= 2 && at(m.start - 2, "by|from");
        let subject = m.start == 1
            && at(
                m.end,
                "stopped|has|have|is|discontinued|no|ceased|quit|will",
            );
        return the && (by || subject);
    }
    // "end all sales": promos, not sales figures.
    if word == "sales" && m.end - m.start == 1 {
        let promos = m.start > 0
            && at(
                m.start - 1,
                "all|any|every|the|its|their|our|these|those|current|active|running",
            );
        return promos
            && !at(
                m.end,
                "figures|numbers|data|volume|volumes|report|reports|total|totals|count|counts|rank|ranking",
            );
    }
    if word == "warehouse" {
        let place = m.start >= 2 && at(m.start - 1, "the|our") && at(m.start - 2, "at|in|into|to");
        return place && !at(m.end, "team|staff|crew");
    }
    false
}

/// Deleting products or data is refused; "drop the price", "remove X from promo" and "drop X
/// to $49 for the sale" are not deletions.
fn deletion(w: &Words, clause: &str, names: &HashSet<String>) -> Result<(), Error> {
    if let Some(m) = find(w, DESTRUCTIVE, names) {
        let object = w.find(&format!("{DESTRUCTIVE} {PROMO_OBJECT}"));
        let from_promo = w.find("from|off the? promo|promos|promotion|promotions|sale|discount");
        let is_remove = w.toks[m.start].is_word("remove") || w.toks[m.start].is_word("drop");
        if object.is_none() && from_promo.is_none() {
            // "drop the price" and "remove X from promo" are fine; deleting products is not.
            if !is_remove {
                return Err(Error::input(format!(
                    "\"{clause}\" asks to delete something; changeset never deletes products or data, nothing was planned"
                ))
                .hint("to stop selling a product, discontinue it: \"discontinue STR-001\"")
                .with_examples());
            }
            // "drop X to $49 for the sale" lowers a price.
            let to_money = w
                .find("to|by $")
                .is_some_and(|m| w.toks[m.caps[0]].kind == crate::parse::lexer::Kind::Money);
            if w.find("price|prices|pricing").is_none() && !to_money {
                return Err(Error::input(format!(
                    "\"{clause}\": removing products is not something changeset does; nothing was planned"
                ))
                .hint("to stop selling a product, discontinue it; to end its promo, say \"end the promo on ...\"")
                .with_examples());
            }
        }
    }
    Ok(())
}

/// "order(s)" as in customer orders, but not "pre-order", "can people order X?" or "available
/// to order" (buying).
fn customer_orders<'a>(w: &'a Words, names: &HashSet<String>) -> Option<&'a str> {
    for (i, t) in w.toks.iter().enumerate() {
        let after = |k: usize, set: &[&str]| i >= k && set.contains(&w.toks[i - k].text.as_str());
        let buying = after(1, &["can", "could"])
            || (after(2, &["can", "could"])
                && after(
                    1,
                    &[
                        "people",
                        "customers",
                        "shoppers",
                        "we",
                        "you",
                        "i",
                        "anyone",
                    ],
                ))
            || (after(2, &["available"]) && after(1, &["to"]));
        if (t.is_word("order") || t.is_word("orders"))
            && !buying
            && !after(1, &["pre"])
            && !names.contains(&t.text)
        {
            return Some(&t.text);
        }
    }
    None
}

/// Checks one clause; `clause` is its text for the message, `names` the words of the product
/// names and categories it refers to (never counted as out of scope). A notification's words
/// are its message, never carried out: only what is outside changeset altogether is refused.
pub fn check(w: &Words, clause: &str, names: &HashSet<String>, notify: bool) -> Result<(), Error> {
    for pattern in OUT_OF_SCOPE {
        if let Some(m) = find(w, pattern, names) {
            return Err(out_of_scope(clause, &words(w, m.start, m.end)));
        }
    }
    if let Some(word) = customer_orders(w, names) {
        return Err(out_of_scope(clause, word));
    }
    if notify {
        return Ok(());
    }
    deletion(w, clause, names)?;
    // "stock count for X: 0" gives a count (a state), it does not ask for one.
    let gives_count = w
        .toks
        .iter()
        .any(|t| t.kind == crate::parse::lexer::Kind::Number)
        && w.find("how many").is_none();
    for (pattern, what) in LACKING {
        if let Some(m) = find(w, pattern, names) {
            if gives_count && what.starts_with("stock counts") {
                continue;
            }
            // "sold out" is an inventory state, not sales data.
            if w.toks[m.start].is_word("sold")
                && w.toks.get(m.start + 1).is_some_and(|t| t.is_word("out"))
            {
                continue;
            }
            return Err(Error::input(format!(
                "\"{clause}\" needs {what}, which the catalog does not have (\"{}\"); nothing was planned",
                words(w, m.start, m.end)
            ))
            .hint("the catalog holds SKU, name, category, base price, promo price and status, inventory state and image URL")
            .with_examples());
        }
    }
    // "sold out" and "we sold the last X" are stock states.
    if let Some(t) = w
        .toks
        .iter()
        .find(|t| t.text == "sold" && !names.contains(&t.text))
        && !w.toks.iter().any(|n| n.is_word("out"))
        && w.find("sold the|our last|final").is_none()
        && w.find("no longer being? sold").is_none()
        && !last_one_sold(w)
    {
        return Err(Error::input(format!(
            "\"{clause}\" needs sales figures, which the catalog does not have (\"{}\"); nothing was planned",
            t.text
        ))
        .with_examples());
    }
    Ok(())
}

/// "the last X was sold" (no count): a stock state, not sales figures.
fn last_one_sold(w: &Words) -> bool {
    w.find("the|our last|final").is_some()
        && !w
            .toks
            .iter()
            .any(|t| t.kind == crate::parse::lexer::Kind::Number)
}

fn words(w: &Words, start: usize, end: usize) -> String {
    w.toks[start..end]
        .iter()
        .map(|t| t.text.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

fn out_of_scope(clause: &str, what: &str) -> Error {
    Error::input(format!(
        "\"{clause}\" is outside what changeset does (\"{what}\"): it only plans changes to catalog rows (prices, promos, inventory, new products), reads them and notifies your team; nothing was planned"
    ))
    .with_examples()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::lexer::{lex, normalise};

    fn guard(text: &str) -> Result<(), Error> {
        let src = normalise(text);
        let toks = lex(&src);
        check(&Words::new(&toks), text, &HashSet::new(), false)
    }

    #[test]
    fn refuses_out_of_scope_and_lacking_data() {
        assert!(guard("delete the database").is_err());
        assert!(guard("email all customers their passwords").is_err());
        assert!(guard("discount the five best sellers by 10%").is_err());
        assert!(guard("what colours does the Cloud Runner come in").is_err());
        assert!(guard("match competitor prices on STR-001").is_err());
        assert!(guard("delete STR-001").is_err());
        assert!(guard("remove STR-001").is_err());
    }

    #[test]
    fn allows_catalog_requests() {
        assert!(guard("remove the discount from all Running").is_ok());
        assert!(guard("delete the promo on STR-001").is_ok());
        assert!(guard("mark STR-001 sold out").is_ok());
        assert!(guard("mark out-of-stock items as pre-order").is_ok());
        assert!(guard("drop the price of STR-001 to $99").is_ok());
        assert!(guard("take STR-010 off promo").is_ok());
        assert!(guard("notify the team about the summer launch").is_ok());
        let src = normalise("put the Storm Shell on sale for $50");
        let toks = lex(&src);
        let names = HashSet::from(["storm".to_string(), "shell".to_string()]);
        assert!(check(&Words::new(&toks), &src, &names, false).is_ok());
        assert!(check(&Words::new(&toks), &src, &HashSet::new(), false).is_err());
    }
}
