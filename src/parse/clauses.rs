//! Splitting a request into clauses: on ";" and sentence ends always, on "then" / "also", and
//! on "and" or "," only where a new clause starts (a verb follows), so that "STR-001, STR-004
//! and STR-007" stays one list. A leading "X:" followed by a verb is a topic ("STR-022: raise
//! ... and mark it ...").

use std::ops::Range;

use super::lexer::{Kind, Token};
use super::vocab::CLAUSE_STARTS;

/// Does a clause start at token `i`?
fn starts_clause(toks: &[Token], i: usize) -> bool {
    let Some(t) = toks.get(i) else {
        return false;
    };
    match t.kind {
        Kind::Word => CLAUSE_STARTS.contains(&t.text.as_str()),
        Kind::Percent | Kind::Money => toks.get(i + 1).is_some_and(|n| {
            n.is_word("off") || (t.kind == Kind::Percent && n.is_word("discount"))
        }),
        _ => false,
    }
}

/// Does this clause add a product (it opens with a create word and names a SKU)?
fn creates(clause: &[Token]) -> bool {
    clause.first().is_some_and(|t| {
        ["create", "new", "add", "introduce", "register"].contains(&t.text.as_str())
    }) && clause.iter().any(|t| t.kind == Kind::Sku)
}

/// A field label or value that continues a new product's field list.
fn is_field(t: Option<&Token>) -> bool {
    t.is_some_and(|t| {
        t.kind == Kind::Money
            || t.kind == Kind::Number
            || [
                "name",
                "title",
                "category",
                "cat",
                "department",
                "price",
                "base",
                "list",
                "regular",
                "retail",
                "msrp",
                "inventory",
                "stock",
                "status",
                "pre",
                "preorder",
                "in",
                "low",
                "out",
                "discontinued",
            ]
            .contains(&t.text.as_str())
    })
}

/// The clauses of a request (token ranges), and the topic range if there is one.
pub fn split(toks: &[Token]) -> (Option<Range<usize>>, Vec<Range<usize>>) {
    let mut clauses = Vec::new();
    let mut topic = None;
    let mut start = 0;
    for (i, t) in toks.iter().enumerate() {
        // "New product: SKU X; name: Y; category: Z": fields of one new product.
        let field_list = t.is_punct(';') && creates(&toks[start..i]) && is_field(toks.get(i + 1));
        let sentence_end = (t.is_punct(';') && !field_list)
            || ((t.is_punct('.') || t.is_punct('!') || t.is_punct('?')) && i + 1 < toks.len());
        if sentence_end {
            clauses.push(start..i);
            start = i + 1;
        } else if (t.is_punct(':') || t.is_punct('-'))
            && clauses.is_empty()
            && topic.is_none()
            && i > start
            && starts_clause(toks, i + 1)
        {
            topic = Some(start..i);
            start = i + 1;
        } else if (t.is_word("and") || t.is_punct(',') || t.is_punct('&'))
            && i > start
            && starts_clause(toks, i + 1)
        {
            clauses.push(start..i);
            start = i + 1;
        } else if (t.is_word("then") || t.is_word("also"))
            && i > start
            && starts_clause(toks, i + 1)
        {
            clauses.push(start..i);
            start = i;
        }
    }
    clauses.push(start..toks.len());
    clauses.retain(|r| !r.is_empty());
    (topic, clauses)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::lexer::{lex, normalise};

    fn texts(request: &str) -> (Option<String>, Vec<String>) {
        let src = normalise(request);
        let toks = lex(&src);
        let (topic, clauses) = split(&toks);
        let text = |r: Range<usize>| src[toks[r.start].start..toks[r.end - 1].end].to_string();
        (topic.map(text), clauses.into_iter().map(text).collect())
    }

    #[test]
    fn lists_stay_together_and_verbs_split() {
        assert_eq!(
            texts("STR-001, STR-004 and STR-007: mark them low stock"),
            (
                Some("STR-001, STR-004 and STR-007".into()),
                vec!["mark them low stock".into()]
            )
        );
        assert_eq!(
            texts("mark STR-019 out of stock, then email the merchandising team a summary").1,
            vec![
                "mark STR-019 out of stock",
                "then email the merchandising team a summary"
            ]
        );
        assert_eq!(
            texts("end the promo on STR-003; put STR-002 on promo at $129.99").1,
            vec![
                "end the promo on STR-003",
                "put STR-002 on promo at $129.99"
            ]
        );
        assert_eq!(
            texts("15% off Retro Wave and Canvas Low").1,
            vec!["15% off Retro Wave and Canvas Low"]
        );
        assert_eq!(
            texts("promo price for the urban glide: $89.50"),
            (None, vec!["promo price for the urban glide: $89.50".into()])
        );
        assert_eq!(
            texts("show me STR-001 and then set promo price of STR-001 to 119.99").1,
            vec![
                "show me STR-001",
                "then set promo price of STR-001 to 119.99"
            ]
        );
    }
}
