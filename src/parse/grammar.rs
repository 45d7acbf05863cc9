//! The deterministic request grammar: request → clauses → one intent per clause.
//!
//! Each clause is read by the first clause kind whose frame (verb, value, cue words) it has;
//! the frame's tokens are consumed and what is left must be exactly one target phrase. Any
//! clause that is not understood, or is refused, refuses the whole request. Nothing is guessed.

use std::collections::HashSet;
use std::ops::Range;

use super::lexer::{self, Kind, Token};
use super::pattern::Words;
use super::vocab::{LEADING_FILLERS, TRAILING_FILLERS};
use super::{Intent, Selector, Target, clauses, create, guard, read, target, writes};
use crate::error::{Error, Result};

/// Parses the whole request into intents, refusing it if any clause is not understood.
///
/// Every clause is parsed, then checked for scope (out of scope, data the catalog lacks) with
/// the words of the products it names left out; a scope refusal anywhere wins over a clause
/// that was merely not understood.
pub fn parse(request: &str) -> Result<Vec<Intent>> {
    let src = lexer::normalise(request);
    let toks = lexer::lex(&src);
    let (topic, ranges) = clauses::split(&toks);
    let mut ctx = Ctx {
        topic: None,
        had_target: false,
        last_was_promo: false,
    };
    let mut first_error: Option<Error> = None;
    if let Some(range) = topic {
        match parse_topic(&toks[range], &src)? {
            Ok(t) => ctx.topic = t,
            Err(e) => first_error = Some(e),
        }
    }
    let ranges = resplit(&toks, ranges, &src, &ctx);
    let mut intents = Vec::new();
    for range in ranges {
        let clause = &toks[range.clone()];
        let parsed = clause_intent(&toks, range, &src, &ctx);
        let names = match &parsed {
            Ok(Some(intent)) => intent_words(intent),
            _ => HashSet::new(),
        };
        let notify = matches!(parsed, Ok(Some(Intent::Notify { .. })));
        guard::check(&Words::new(clause), &text_of(&src, clause), &names, notify)?;
        let intent = match parsed {
            Ok(Some(intent)) => intent,
            Ok(None) => continue,
            Err(e) => {
                first_error.get_or_insert(e);
                continue;
            }
        };
        ctx.last_was_promo = matches!(
            intent,
            Intent::Discount { .. }
                | Intent::AmountOff { .. }
                | Intent::PromoPrice { .. }
                | Intent::ActivatePromo { .. }
        );
        ctx.had_target |= intent.target().is_some();
        intents.push(intent);
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    if intents.is_empty() {
        return Err(not_understood(request.trim(), &[]));
    }
    Ok(intents)
}

/// A topic before a colon ("STR-022: raise ... and mark it ..."): its products, or none for a
/// bare promo label ("Clearance: 40% off X"). The outer error is a scope refusal.
fn parse_topic(toks: &[Token], src: &str) -> Result<Result<Option<Target>>> {
    let mut w = Words::new(toks);
    let text = text_of(src, toks);
    // "Storewide deal: 5% off": the promo word labels the clause, the rest is the target.
    // "Clearance on all Tableware: 30% off": the label names the promo, then the products.
    let label = w.take_end(writes::PROMO_NOUN).is_some()
        || w.take_start(&format!("{} on|for|in|across", writes::PROMO_NOUN))
            .is_some();
    let parsed = target::parse(&mut w, src)
        .map_err(|words| not_understood(&text, &words))
        .and_then(|t| {
            if t.selectors.is_empty() {
                Err(not_understood(&text, &[]))
            } else {
                Ok(t)
            }
        });
    let names = parsed.as_ref().map(target_words).unwrap_or_default();
    guard::check(&Words::new(toks), &text, &names, false)?;
    Ok(match parsed {
        Ok(t) => Ok(Some(t)),
        // "Clearance: 40% off X": only a label, no products.
        Err(_) if label && w.all_used() && toks.len() == 1 => Ok(None),
        Err(e) => Err(e),
    })
}

/// Two clauses joined by "and" or a comma without a verb after the joint ("X sold out and Y
/// is running low") are split there when each half is a clause of its own (a half that is only
/// products, "and Y", never is). Only the first few joints of a clause are tried, so the work
/// stays linear.
fn resplit(toks: &[Token], ranges: Vec<Range<usize>>, src: &str, ctx: &Ctx) -> Vec<Range<usize>> {
    let mut out = Vec::with_capacity(ranges.len());
    for range in ranges {
        let joints = (range.start + 1..range.end.saturating_sub(1))
            .filter(|&i| toks[i].is_word("and") || toks[i].is_punct(','))
            .take(3);
        let split = joints.into_iter().find_map(|i| {
            let (left, mut right) = (range.start..i, i + 1..range.end);
            if toks[right.start].is_word("and") {
                right.start += 1;
            }
            let understood = |r: &Range<usize>| {
                !r.is_empty() && matches!(clause_intent(toks, r.clone(), src, ctx), Ok(Some(_)))
            };
            (understood(&left) && understood(&right)).then_some([left, right])
        });
        match split {
            Some(halves) => out.extend(halves),
            None => out.push(range),
        }
    }
    out
}

/// The words of the product names and categories a target names.
fn target_words(target: &Target) -> HashSet<String> {
    target
        .selectors
        .iter()
        .filter_map(|s| match s {
            Selector::Name(t) | Selector::Category(t) => Some(t),
            _ => None,
        })
        .flat_map(|t| super::vocab::key_words(t))
        .collect()
}

/// The words of the names and categories an intent refers to (or creates).
fn intent_words(intent: &Intent) -> HashSet<String> {
    let mut words = intent.target().map(target_words).unwrap_or_default();
    if let Intent::Create { name, category, .. } = intent {
        words.extend(super::vocab::key_words(name));
        words.extend(super::vocab::key_words(category));
    }
    words
}

/// The scope refusals alone, for parsers that do not use this grammar; `known` holds the words
/// of the catalog's names and categories, which never count as out of scope.
pub fn guard_request(request: &str, known: &HashSet<String>) -> Result<()> {
    let src = lexer::normalise(request);
    let toks = lexer::lex(&src);
    let (topic, ranges) = clauses::split(&toks);
    for range in topic.iter().chain(&ranges) {
        let clause = &toks[range.clone()];
        guard::check(&Words::new(clause), &text_of(&src, clause), known, false)?;
    }
    Ok(())
}

/// What earlier parts of the request established.
pub struct Ctx {
    /// "STR-022: ..." — the products a topic names.
    pub topic: Option<Target>,
    /// Whether an earlier clause named products (then "it" means those).
    pub had_target: bool,
    /// Whether the previous clause was a promo (so "activate it" means its promo).
    pub last_was_promo: bool,
}

/// One clause: its tokens (with fillers consumed), the request text and its own text.
pub struct Clause<'a> {
    pub w: Words<'a>,
    pub src: &'a str,
    pub text: String,
}

impl Clause<'_> {
    /// The target made of the tokens `w` left unused; they must form one phrase. A clause
    /// without one takes the topic ("STR-022: raise ..."), else it is refused.
    pub fn target(&self, w: &Words, ctx: &Ctx) -> Result<Target> {
        let mut w = w.clone();
        if w.unused().count() > 1 {
            w.take_all_end(super::vocab::COPULAS);
        }
        let runs = w.runs();
        if runs.len() > 1 {
            let words: Vec<String> = w.unused().map(|t| self.token_text(t)).collect();
            return Err(Error::input(format!(
                "could not understand \"{}\": the words {} do not fit together; nothing was planned",
                self.text,
                quote_list(&words)
            ))
            .with_examples());
        }
        let t =
            target::parse(&mut w, self.src).map_err(|words| not_understood(&self.text, &words))?;
        let only_previous = t.filters.is_empty() && t.selectors == [Selector::Previous];
        match (&ctx.topic, t.selectors.is_empty(), only_previous) {
            (Some(topic), true, _) => Ok(topic.clone()),
            (Some(topic), _, true) if !ctx.had_target => Ok(topic.clone()),
            (None, true, _) => Err(Error::input(format!(
                "\"{}\" does not say which products; nothing was planned",
                self.text
            ))
            .hint("name them by SKU, by name, by category, or say \"all products\"")
            .with_examples()),
            _ => Ok(t),
        }
    }

    pub fn token_text(&self, t: &Token) -> String {
        self.src[t.start..t.end].to_string()
    }

    /// The clause is refused as not understood, naming the words no grammar rule used.
    pub fn not_understood(&self) -> Error {
        let unknown: Vec<String> = self
            .w
            .unused()
            .filter(|t| match t.kind {
                Kind::Word => !super::vocab::is_known(&t.text),
                Kind::Number => true,
                _ => false,
            })
            .map(|t| self.token_text(t))
            .collect();
        not_understood(&self.text, &unknown)
    }
}

fn text_of(src: &str, toks: &[Token]) -> String {
    match (toks.first(), toks.last()) {
        (Some(a), Some(b)) => src[a.start..b.end].to_string(),
        _ => String::new(),
    }
}

fn quote_list(words: &[String]) -> String {
    words
        .iter()
        .map(|w| format!("\"{w}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The refusal for a clause that is not understood, naming the words that were not.
pub fn not_understood(clause: &str, words: &[String]) -> Error {
    let which = match words {
        [] => String::new(),
        [one] => format!(
            " (the word {} was not understood)",
            quote_list(std::slice::from_ref(one))
        ),
        many => format!(" (the words {} were not understood)", quote_list(many)),
    };
    Error::input(format!(
        "could not understand \"{clause}\"{which}; nothing was planned"
    ))
    .with_examples()
}

fn clause_intent(
    toks: &[Token],
    range: Range<usize>,
    src: &str,
    ctx: &Ctx,
) -> Result<Option<Intent>> {
    let toks = &toks[range];
    let mut w = Words::new(toks);
    let text = text_of(src, toks);
    let valued = toks
        .iter()
        .any(|t| t.kind == Kind::Percent || t.kind == Kind::Money);
    for _ in 0..4 {
        if valued {
            for wish in super::vocab::WISH {
                w.take_start(wish);
            }
        }
        for filler in LEADING_FILLERS {
            w.take_all_start(filler);
        }
        for filler in TRAILING_FILLERS {
            w.take_all_end(filler);
        }
    }
    if w.all_used() {
        return Ok(None);
    }
    let clause = Clause { w, src, text };
    if let Some(intent) = notify(&clause) {
        return intent.map(Some);
    }
    if let Some(intent) = create::parse(&clause) {
        return intent.map(Some);
    }
    if let Some(intent) = read::parse(&clause, ctx) {
        return intent.map(Some);
    }
    if let Some(intent) = writes::parse(&clause, ctx) {
        return intent.map(Some);
    }
    Err(clause.not_understood())
}

/// A notification (sent to the recipients configured in `[notify]`, whatever the request names;
/// customers are refused by the guard). Its text is never read as a catalog change.
fn notify(c: &Clause) -> Option<Result<Intent>> {
    let mut w = c.w.clone();
    let started = w
        .take_start("notify|email|mail|message|ping|alert|inform|remind|slack|text|cc")
        .or_else(|| w.take_start("e mail"))
        .or_else(|| w.take_start("send|post|drop|shoot|write|give"))
        .or_else(|| w.take_start("update|tell|let|loop|brief|warn|fill|keep"))?;
    let verb = &w.toks[started.start].text;
    // "send ..." must send something to someone; "tell me" is a read; "update"/"let" need a team.
    let team = w
        .find("the|our|my|your? team|teams|merch|merchandising|marketing|ops|operations|staff|managers|manager|channel|colleagues|everyone|group|crew")
        .is_some();
    match verb.as_str() {
        "tell" | "let" | "update" | "loop" | "brief" | "warn" | "fill" | "keep" if !team => {
            return None;
        }
        "send" | "post" | "drop" | "shoot" | "write"
            if !team
                && w.find("a|an|the? summary|note|message|email|mail|update|recap|heads|notification|report|memo")
                    .is_none() =>
        {
            return None;
        }
        // "give the team a heads-up": a message to a team, not a discount.
        "give"
            if !team
                || w.find("a|an|the? heads|note|message|update|summary|recap|shout|call|ping|buzz")
                    .is_none() =>
        {
            return None;
        }
        "let" if w.find("know").is_none() => return None,
        _ => {}
    }
    Some(Ok(Intent::Notify {
        message: c.text.clone(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{Filter, InventoryState, PriceChange};
    use rust_decimal::Decimal;

    fn one(request: &str) -> Intent {
        let mut intents = parse(request).unwrap_or_else(|e| panic!("{request}: {e}"));
        assert_eq!(intents.len(), 1, "{request}: {intents:?}");
        intents.remove(0)
    }

    fn sku(s: &str) -> Target {
        Target {
            selectors: vec![Selector::Sku(s.into())],
            filters: vec![],
        }
    }

    #[test]
    fn discounts() {
        for request in [
            "put STR-001 on 20% off",
            "take 20 percent off STR-001",
            "20 pct off STR-001",
            "discount STR-001 by 20%",
            "give STR-001 a 20% discount",
            "apply a 20% discount to STR-001",
            "can we do 20% off STR-001?",
            "mark STR-001 down by 20%",
        ] {
            assert_eq!(
                one(request),
                Intent::Discount {
                    target: sku("STR-001"),
                    percent: Decimal::from(20)
                },
                "{request}"
            );
        }
    }

    #[test]
    fn prices_and_inventory() {
        assert_eq!(
            one("knock $10 off STR-012"),
            Intent::AmountOff {
                target: sku("STR-012"),
                amount: Decimal::from(10)
            }
        );
        assert_eq!(
            one("promo price for the urban glide: $89.50"),
            Intent::PromoPrice {
                target: Target {
                    selectors: vec![Selector::Name("urban glide".into())],
                    filters: vec![]
                },
                price: Decimal::new(8950, 2)
            }
        );
        assert_eq!(
            one("raise the base price of STR-001 to $139.99"),
            Intent::BasePrice {
                target: sku("STR-001"),
                change: PriceChange::To {
                    price: Decimal::new(13999, 2),
                    up: Some(true)
                }
            }
        );
        assert_eq!(
            one("we only have 3 pairs of STR-002 left"),
            Intent::SetInventory {
                target: sku("STR-002"),
                state: InventoryState::LowStock
            }
        );
        assert_eq!(
            one("STR-009 is in stock again"),
            Intent::SetInventory {
                target: sku("STR-009"),
                state: InventoryState::InStock
            }
        );
        assert_eq!(
            one("mark out-of-stock items as pre-order"),
            Intent::SetInventory {
                target: Target {
                    selectors: vec![Selector::All],
                    filters: vec![Filter::Inventory(InventoryState::OutOfStock)]
                },
                state: InventoryState::PreOrder
            }
        );
    }

    #[test]
    fn refusals_name_the_words() {
        let e = parse("asdf qwerty zxcv 123").unwrap_err();
        assert!(e.message.contains("\"asdf\""), "{}", e.message);
        assert!(crate::parse::parse("give STR-001 120% off").is_err());
        assert!(parse("put STR-006 on promo tomorrow").is_err());
    }
}
