//! Read-only questions and listings → [`Intent::Read`] with the [`Question`] they ask: a list,
//! a count or a yes/no, and the columns they are about (so the plan can answer them).

use super::grammar::{Clause, Ctx, not_understood};
use super::lexer::{Kind, Token};
use super::pattern::Words;
use super::{Ask, Filter, Intent, Question, Selector, Target, Topic, target};
use crate::error::Result;

/// Read-only questions and listings: the subject is resolved (so unknown products are still
/// refused) but nothing changes.
pub fn parse(c: &Clause, ctx: &Ctx) -> Option<Result<Intent>> {
    let question = question(&c.w);
    let mut w = c.w.clone();
    let mut available = opening(&mut w)?;
    // Question words and the fields asked about; what is left names the products.
    for _ in 0..3 {
        w.take_all_start("me|us|a|an|the|list|all|of|for|is|are|many|much|what|which|it|about");
    }
    available |= w.take_find(BUY).is_some()
        || w.take_find("be bought|ordered|purchased").is_some()
        || w.take_find("available|buyable|purchasable|orderable to? buy|order|purchase?")
            .is_some();
    // "any discounts on Bakeware?", "deals in Knives": what is on promo.
    let promos = w
        .take_find("on|any|a|an? promos|promo|sales|sale|discounts|discount|deals|deal|markdowns|offers|specials|clearance on|in|for|across|within")
        .or_else(|| w.take_end("have|has|with|got a|an|any? active|current|running? promo|promotion|sale|discount|deal|markdown|offer|special|clearance"))
        .is_some();
    let mut filters = target::take_filters(&mut w);
    if promos {
        filters.push(Filter::PromoActive(true));
    }
    if available {
        filters.push(Filter::Available(true));
    }
    // "how many products are in Cookware?": the products of a category.
    let in_category = w
        .take_find("products|items|things|skus|ones do|does? we|you? are|is|have|carry|stock|sell|got? there? in|within")
        .is_some();
    for pattern in READ_WORDS {
        w.take_all(pattern);
    }
    if w.all_used() {
        return Some(Ok(Intent::Read {
            target: (!filters.is_empty()).then(|| Target {
                selectors: vec![Selector::All],
                filters,
            }),
            question,
        }));
    }
    Some(
        read_target(c, ctx, w, filters, in_category).map(|target| Intent::Read {
            target: Some(target),
            question,
        }),
    )
}

/// How a read opens ("what", "show", "how many", "is", "can customers buy"), consumed; whether
/// it asks about availability. None when the clause is not a read.
fn opening(w: &mut Words) -> Option<bool> {
    let strong = "what|which|who|where|show|list|display|view|find|search|lookup|count|see|check|print|describe|browse";
    // "can customers buy X?", "can X be ordered right now?": availability.
    let buy = w.take_start(BUY);
    let available = buy.is_some();
    let started = buy
        .or_else(|| w.take_start("how many|much"))
        .or_else(|| w.take_start("the? total|number|count of|total? products|items|skus"))
        .or_else(|| {
            no_value(w)
                .then(|| w.take_start("price|prices|cost|stock|status of"))
                .flatten()
        })
        .or_else(|| w.take_start("any|anything|something"))
        .or_else(|| {
            w.find("be bought|ordered|purchased")
                .and_then(|_| w.take_start("can|could"))
        })
        .or_else(|| w.take_start("give|tell|get|bring|pull me|us"))
        .or_else(|| w.take_start("look up"))
        .or_else(|| w.take_start(strong))
        .or_else(|| w.take_start("is|are|does|do|has|have|did|was|were"))?;
    let first = &w.toks[started.start];
    if sets_a_state(w, first) {
        return None;
    }
    // "do 20% off X", "do a 15% sale on X": a discount, not "do we have ...?".
    if first.is_word("do")
        && w.toks.get(started.end).is_some_and(|t| {
            t.kind == Kind::Percent
                || t.kind == Kind::Money
                || ((t.is_word("a") || t.is_word("an")) && !no_value(w))
        })
    {
        return None;
    }
    Some(available)
}

/// "list X as pre-order", "show X as sold out", "have X marked as discontinued" set a state;
/// "show items marked as low stock" and "have any items been marked ...?" ask.
fn sets_a_state(w: &Words, first: &Token) -> bool {
    const MARKED: &str =
        "marked|flagged|labelled|labeled|listed|set|changed|switched|updated|moved";
    let shown_as = ["list", "show", "display"].iter().any(|v| first.is_word(v))
        && w.find("as").is_some()
        && w.find(MARKED).is_none();
    let causative = ["have", "get"].iter().any(|v| first.is_word(v))
        && w.find(MARKED).is_some()
        && w.find("we|you|they|i|any|anything|there|been").is_none();
    shown_as || causative
}

/// No price or percentage is said ("price of X?" asks; "price X at $5" sets).
fn no_value(w: &Words) -> bool {
    !w.toks
        .iter()
        .any(|t| t.kind == Kind::Money || t.kind == Kind::Percent || t.kind == Kind::Number)
}

/// Words a question uses besides its subject.
const READ_WORDS: &[&str] = &[
    "go|goes|sell|sells|selling|retail|retails|going|priced|charge|charging|charged for|at",
    "the? total? number|count of",
    "'s? the|their|its|current|currently? base|promo|promotional|sale|list|regular? price|prices|pricing|cost|costs|status|statuses|details|detail|info|information|inventory|stock|availability|names|name|skus|categories|images|image|picture|pictures|photo|photos|urls|url|link|links|data|everything|anything|flag|flags of|for|on|in?",
    "is|are|does|do|did|was|were|has|have|there|we|you|currently|right|now|any|got|carry|sell|offer|stock",
    "in the|our? catalog|catalogue|store",
    "most|least|more|less expensive|priced|pricey",
    "cheapest|priciest|highest|lowest|biggest|smallest priced?",
    "a list of",
    "at the? moment|present",
    "still|presently",
    "?",
];

/// The products a read names (one phrase), narrowed by its filters; "it" takes the topic.
fn read_target(
    c: &Clause,
    ctx: &Ctx,
    mut w: Words,
    filters: Vec<Filter>,
    in_category: bool,
) -> Result<Target> {
    if w.runs().len() > 1 {
        let words: Vec<String> = w.unused().map(|t| c.token_text(t)).collect();
        return Err(not_understood(&c.text, &words));
    }
    let mut t = target::selectors(&mut w, c.src, filters)
        .map_err(|words| not_understood(&c.text, &words))?;
    if in_category {
        for s in &mut t.selectors {
            if let Selector::Name(name) = s {
                *s = Selector::Category(std::mem::take(name));
            }
        }
    }
    Ok(match &ctx.topic {
        Some(topic)
            if t.selectors == [Selector::Previous] && t.filters.is_empty() && !ctx.had_target =>
        {
            topic.clone()
        }
        _ => t,
    })
}

/// "can customers buy", "could shoppers order": the question is whether products are available.
const BUY: &str = "can|could customers|shoppers|people|buyers|clients|you|we|i|anyone|someone currently|still|now? buy|order|purchase|get";

/// Words that make a question about a topic (its columns are shown in the answer).
const TOPICS: &[(Topic, &[&str])] = &[
    (
        Topic::Price,
        &[
            "price",
            "prices",
            "priced",
            "pricing",
            "cost",
            "costs",
            "much",
            "promo",
            "promos",
            "promotion",
            "promotions",
            "sale",
            "sales",
            "discount",
            "discounted",
            "discounts",
            "deal",
            "deals",
            "markdown",
            "markdowns",
            "clearance",
            "cheap",
            "cheaper",
            "msrp",
        ],
    ),
    (
        Topic::Stock,
        &[
            "stock",
            "inventory",
            "available",
            "availability",
            "buy",
            "purchase",
            "order",
            "orderable",
            "discontinued",
            "preorder",
            "oos",
            "restocked",
            "sold",
            "low",
            "left",
        ],
    ),
    (
        Topic::Image,
        &[
            "image", "images", "photo", "photos", "picture", "pictures", "img", "url", "urls",
            "link",
        ],
    ),
];

/// What the question asks: its shape from how it opens, its topics from its words.
fn question(w: &Words) -> Question {
    let words: Vec<&str> = w
        .unused()
        .filter(|t| t.kind == Kind::Word)
        .map(|t| t.text.as_str())
        .collect();
    let has = |set: &[&str]| words.iter().any(|x| set.contains(x));
    let counts = w.find("how many").is_some()
        || w.find("number|count|total of").is_some()
        || w.at_start("count").is_some();
    let yes_no = w
        .at_start("is|are|does|do|has|have|did|was|were|can|could|any|anything")
        .is_some();
    let ask = if counts {
        Ask::Count
    } else if yes_no && has(&["any", "anything", "there", "something"]) {
        Ask::Exists
    } else if yes_no {
        Ask::Whether
    } else {
        Ask::List
    };
    let about = TOPICS
        .iter()
        .filter(|(_, set)| has(set))
        .map(|(topic, _)| *topic)
        .collect();
    Question { ask, about }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse;

    fn asked(request: &str) -> Question {
        match parse(request)
            .unwrap_or_else(|e| panic!("{request}: {e}"))
            .as_slice()
        {
            [Intent::Read { question, .. }] => question.clone(),
            other => panic!("{request}: {other:?}"),
        }
    }

    #[test]
    fn shapes_and_topics() {
        let q = |ask, about: &[Topic]| Question {
            ask,
            about: about.to_vec(),
        };
        assert_eq!(
            asked("what's the price of STR-001?"),
            q(Ask::List, &[Topic::Price])
        );
        assert_eq!(
            asked("which products are out of stock?"),
            q(Ask::List, &[Topic::Stock])
        );
        assert_eq!(
            asked("how many running shoes are there?"),
            q(Ask::Count, &[])
        );
        assert_eq!(
            asked("is the Cloud Runner Kids on promo?"),
            q(Ask::Whether, &[Topic::Price])
        );
        assert_eq!(
            asked("which products don't have an image?"),
            q(Ask::List, &[Topic::Image])
        );
        assert_eq!(asked("show me STR-001"), q(Ask::List, &[]));
    }
}
