//! The clause kinds that change the catalog: ending promos, base prices, promo prices,
//! percentage and amount discounts, inventory states and counts, activating a stored promo.
//!
//! Each kind recognises its frame (verb, cue words and value) on a copy of the clause, consumes
//! it, and hands what is left to the target grammar. The first kind whose frame fits decides.

use rust_decimal::Decimal;

use super::grammar::{Clause, Ctx};
use super::lexer::Kind;
use super::pattern::Words;
use super::{Intent, InventoryState, PriceChange, Selector, Target, vocab};
use crate::error::{Error, Result};

type Parsed = Option<Result<Intent>>;

/// The first write kind whose frame fits the clause.
pub fn parse(c: &Clause, ctx: &Ctx) -> Parsed {
    // "Clearance: X at 40% off": a label naming the kind of promo.
    let mut labelled = Clause {
        w: c.w.clone(),
        src: c.src,
        text: c.text.clone(),
    };
    let c = match labelled.w.take_start(&format!(
        "clearance|flash|seasonal|holiday|special|weekend|summer|winter? {PROMO_NOUN} :"
    )) {
        Some(_) => {
            // "Sale: X at $60": the label says promo, the price is the promo price.
            let mut w = labelled.w.clone();
            if let Some(m) = w.take_find("at|for $")
                && w.toks[m.caps[0]].kind == Kind::Money
                && !w.unused().any(|t| t.kind == Kind::Percent)
            {
                let price = w.value(m.caps[0]);
                return Some(
                    labelled
                        .target(&w, ctx)
                        .map(|target| Intent::PromoPrice { target, price }),
                );
            }
            &labelled
        }
        None => c,
    };
    if let Some(e) = ambiguous_deal(c) {
        return Some(Err(e));
    }
    let values = Values::of(&c.w);
    end_promo(c, ctx, &values)
        .or_else(|| base_price(c, ctx))
        .or_else(|| promo_price(c, ctx))
        .or_else(|| discount(c, ctx, &values))
        .or_else(|| amount_off(c, ctx, &values))
        .or_else(|| inventory(c, ctx))
        .or_else(|| activate(c, ctx, &values))
        .or_else(|| unknown_state(c))
}

/// Sale nouns that say a promo runs but not how a value before them applies: "a $60 deal" is
/// a price of $60 or $60 off; "a deal at 60" is $60 or 60%. Neither is guessed.
const VAGUE_SALE: &str = "deal|deals|sale|sales|promo|promos|promotion|promotions|special|specials|offer|offers|clearance|bargain";

/// "put X on a $60 deal", "a deal at 60": refused, asking which was meant.
fn ambiguous_deal(c: &Clause) -> Option<Error> {
    let w = &c.w;
    let before = w
        .find_every(&format!("$ {VAGUE_SALE}"))
        .into_iter()
        .find(|m| {
            // "a $60 sale price" is a price, "3 sale items" a count, "$60 off deal" an amount off.
            !w.toks.get(m.end).is_some_and(|t| {
                ["price", "prices", "pricing"].contains(&t.text.as_str())
                    || vocab::is_collection_noun(&t.text)
            })
        });
    let bare_after = w
        .find_every("deal|deals|special|specials|offer|offers|bargain at|for|of $")
        .into_iter()
        .find(|m| w.toks[m.caps[0]].kind == Kind::Number);
    let m = before.or(bare_after)?;
    let value = &w.toks[m.caps[0]];
    let n = value
        .value
        .map(|v| v.normalize().to_string())
        .unwrap_or_default();
    let readings = match value.kind {
        Kind::Money => format!("a sale price of ${n} or ${n} off"),
        _ => format!("a sale price of ${n}, ${n} off or {n}% off"),
    };
    Some(
        Error::input(format!(
            "\"{}\" is ambiguous: \"{}\" could be {readings}; nothing was planned",
            c.text,
            c.token_text(value)
        ))
        .hint(format!(
            "say \"put ... on sale at ${n}\" for a sale price, \"take ${n} off ...\" for an amount off, or \"{n}% off ...\" for a percentage"
        )),
    )
}

/// Which values the clause has outside price conditions ("under $60" belongs to the target).
struct Values {
    percent: bool,
    amount: bool,
}

impl Values {
    fn of(w: &Words) -> Values {
        let mut percent = false;
        let mut amount = false;
        for (i, t) in w.toks.iter().enumerate() {
            if w.is_used(i) {
                continue;
            }
            let condition = i > 0
                && w.toks[i - 1].kind == Kind::Word
                && matches!(
                    w.toks[i - 1].text.as_str(),
                    "under" | "below" | "beneath" | "over" | "above" | "than"
                );
            if condition {
                continue;
            }
            percent |= t.kind == Kind::Percent;
            amount |= t.kind == Kind::Money;
        }
        Values { percent, amount }
    }
}

pub const PROMO_NOUN: &str = "promo|promos|promotion|promotions|sale|sales|discount|discounts|markdown|markdowns|deal|deals|offer|offers|special|specials|clearance";
const PROMO_PRICE: &str = "at|with? 's? the|its|their|a? promo|promotional|promotion|sale|discount|discounted|special|offer|markdown|deal|clearance price|prices|pricing of|for|on|to?";
const BASE_PRICE: &str = "'s? the|its|their? base|list|regular|retail|normal|standard|original|ticket|sticker price|prices|pricing of|for|on?";
const MSRP: &str = "'s? the|its|their? msrp|rrp of|for|on?";
const PLAIN_PRICE: &str = "'s? the|its|their? price|prices|pricing of|for|on?";
const UP_VERBS: &str = "raise|increase|bump|hike|up|lift|boost|push";
const DOWN_VERBS: &str = "lower|reduce|cut|decrease|drop|slash|trim";
const SET_VERBS: &str = "set|change|update|make|adjust|fix|correct|move|modify|edit|put|reset";
const DISCOUNT_VERBS: &str = "take|knock|give|apply|do|offer|run|put|place|slap|shave|get|set|have|throw|make|add|mark|discount|markdown|slash|cut|trim|start|launch|begin|hold|create|introduce|kick|running|doing|offering|giving|taking|putting|knocking|applying|launching|starting|holding";

fn end_promo(c: &Clause, ctx: &Ctx, values: &Values) -> Parsed {
    if values.percent || values.amount {
        return None;
    }
    back_to_regular(c)
        .or_else(|| ended_frame(c))
        .or_else(|| promo_is_over(c))
        .map(|w| end(c, ctx, &w, false))
        .or_else(|| end_verb(c, ctx))
}

/// "back to the regular price", "return X to full price" (but "put X back on promo at its old
/// price" starts a promo again).
fn back_to_regular<'a>(c: &Clause<'a>) -> Option<Words<'a>> {
    let mut w = c.w.clone();
    let reset = "back? to|at the|its|their? regular|full|normal|original|base|list|standard|usual|old price|prices|pricing";
    if w.find(&format!("on|onto a|the? {PROMO_NOUN}")).is_some() {
        return None;
    }
    let m = w.find(reset)?;
    let verb = w.at_start(
        "put|set|return|revert|bring|change|move|reset|restore|switch|go|take|send|charge|sell",
    );
    if !w.toks[m.start].is_word("back") && verb.is_none() {
        return None;
    }
    w.take(&m);
    if let Some(v) = verb {
        w.take(&v);
    }
    Some(w)
}

/// Frames that end a promo, as (words before the products, words after them); `{P}` stands
/// for a promo noun. A frame fits when each of its parts does.
const ENDED_FRAMES: &[(&str, &str)] = &[
    (
        "restore|reinstate the? regular|full|normal|original|usual price|prices|pricing on|for|of|to?",
        "",
    ),
    // "take X off promo", "remove X from the sale", "pull X out of the promotion".
    (
        "take|pull|get|move|bring|remove|drop|knock",
        "off|from the|its|their? {P}",
    ),
    (
        "take|pull|get|move|bring|remove|drop|knock",
        "out of the|its|their? {P}",
    ),
    // "take the discount off X", "no more discount on X".
    (
        "take|remove|pull|drop the|its|their|any|all? {P} off|from",
        "",
    ),
    ("no more {P} on|for", ""),
    // "stop discounting X", "sale's over for X".
    ("stop|quit|cease|end discounting|promoting|marking", ""),
    (
        "the? {P} is|'s|has|have? been? over|ended|finished|done for|on",
        "",
    ),
    // "X is full price again", "X is off sale", "X is no longer discounted".
    (
        "",
        "is|are|'s now|back? at? full|regular|normal|original price|priced",
    ),
    ("", "is|are now? off the|its|their? {P}"),
    ("", "is|are now? out of the|its|their? {P}"),
    ("", "is|are|should? be? no longer on a|the? {P}"),
    (
        "",
        "is|are|should? be? no longer discounted|promoted|reduced|marked down?",
    ),
];

/// The first [`ENDED_FRAMES`] frame that fits, with its words consumed.
fn ended_frame<'a>(c: &Clause<'a>) -> Option<Words<'a>> {
    ENDED_FRAMES.iter().find_map(|(before, after)| {
        let mut w = c.w.clone();
        if !before.is_empty() {
            w.take_start(&before.replace("{P}", PROMO_NOUN))?;
        }
        if !after.is_empty() {
            w.take_end(&after.replace("{P}", PROMO_NOUN))?;
        }
        w.take_end("down");
        Some(w)
    })
}

/// "the X deal is finished", "the promo on X is over", "X's sale has ended", "the X promo
/// needs to end".
fn promo_is_over<'a>(c: &Clause<'a>) -> Option<Words<'a>> {
    let mut w = c.w.clone();
    w.take_end("is|are|has|have|'s|needs|need|should|must|ought|got|can|will? to? be|been? now|finally|officially? finished|over|done|ended|expired|through|gone|stopped|cancelled|canceled|concluded|removed|lifted|scrapped|end|ends|stop|stops|finish|finishes|go")?;
    w.take_find(&format!(":|-? 's? the|its|their? {PROMO_NOUN} on|for|of?"))?;
    Some(w)
}

/// "end the promo on X", "cancel the promos in the Trail category", "end all promos".
fn end_verb(c: &Clause, ctx: &Ctx) -> Parsed {
    let mut w = c.w.clone();
    let verb = w
        .take_start("end|stop|cancel|remove|clear|kill|drop|finish|terminate|deactivate|disable|scrap|halt|pull|delete|erase|undo|revoke|lift|withdraw|close|expire|discontinue")
        .or_else(|| w.take_start("turn|switch|shut|call off"))
        .or_else(|| w.take_start("take down"))
        .or_else(|| w.take_start("wrap up"))?;
    let noun = w.take_find(&format!(
        "all|any|every? the|its|their|this|that|these|those? current|active|running|existing|stored|saved|old? {PROMO_NOUN} price|prices|pricing? on|for|from|of|off|to?"
    ))?;
    let all = w.toks[noun.start..noun.end]
        .iter()
        .any(|t| t.is_word("all") || t.is_word("every") || t.is_word("any"));
    if w.toks[verb.start].is_word("discontinue") && !all && noun.end - noun.start == 1 {
        return None;
    }
    Some(end(c, ctx, &w, all))
}

fn end(c: &Clause, ctx: &Ctx, w: &Words, all_when_empty: bool) -> Result<Intent> {
    if all_when_empty && w.all_used() {
        return Ok(Intent::EndPromo {
            target: Target {
                selectors: vec![Selector::All],
                filters: Vec::new(),
            },
        });
    }
    Ok(Intent::EndPromo {
        target: c.target(w, ctx)?,
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Verb {
    Up,
    Down,
    Set,
    Off,
    Add,
    None,
}

fn base_price(c: &Clause, ctx: &Ctx) -> Parsed {
    if c.w.find(PROMO_PRICE).is_some() {
        return None;
    }
    let mut w = c.w.clone();
    let (mut verb, moves) = base_verb(&mut w);
    // "price X at $N", "reprice X to $N": the verb is the noun.
    let priced = verb == Verb::None && w.take_start("price|reprice").is_some();
    // "X's new price: $N", "new list price $N": a new value follows.
    let new_price = w.take_find(NEW_PRICE).is_some();
    if (priced || new_price) && verb == Verb::None {
        verb = Verb::Set;
    }
    let qualified =
        priced || new_price || w.take_find(BASE_PRICE).is_some() || w.take_find(MSRP).is_some();
    if !qualified && !unqualified_base(c, &mut w, verb, moves) {
        return None;
    }
    Some(base_change(c, ctx, w, verb))
}

/// The verb of a base price change and whether it came after the products ("X goes up by
/// $5", "X rises 5%").
fn base_verb(w: &mut Words) -> (Verb, bool) {
    let verb = if w.take_start("mark up").is_some() || w.take_start(UP_VERBS).is_some() {
        Verb::Up
    } else if w.take_start(DOWN_VERBS).is_some() || w.take_start("bring down").is_some() {
        Verb::Down
    } else if w.take_start(SET_VERBS).is_some() || w.take_start("bring|push|get").is_some() {
        Verb::Set
    } else if w.take_start("knock|take|shave").is_some() {
        Verb::Off
    } else if w.take_start("add").is_some() {
        Verb::Add
    } else {
        Verb::None
    };
    if verb != Verb::None {
        return (verb, false);
    }
    if w.take_find(MOVES_UP).is_some() || w.take_find("price|prices|pricing up").is_some() {
        (Verb::Up, true)
    } else if w.take_find(MOVES_DOWN).is_some()
        || w.take_find("price|prices|pricing down").is_some()
    {
        (Verb::Down, true)
    } else {
        (Verb::None, false)
    }
}

/// An unqualified "price" is the base price only with a verb that sets or changes it, or in a
/// frame that only a regular price has ("X ought to cost $N", "raise X by 5%", "change X from
/// $A to $B"); "X price: $99", "the price of X is now $99" give a plain price a new value.
fn unqualified_base(c: &Clause, w: &mut Words, verb: Verb, moves: bool) -> bool {
    let set_frame = SET_FRAMES.iter().any(|p| w.find(p).is_some());
    let on_promo =
        c.w.find(&format!("on|onto|for|during a|the|this? {PROMO_NOUN}"))
            .is_some();
    let plain = (matches!(verb, Verb::Up | Verb::Down | Verb::Set | Verb::Add)
        || (verb == Verb::None && set_frame))
        && !on_promo
        && (w.take_find(PLAIN_PRICE).is_some() || w.take_find(THE_COST).is_some());
    let costs = COSTS.iter().any(|p| w.find(p).is_some());
    let by = w.find("by %").is_some() || w.find("by $").is_some();
    let raised = verb == Verb::Up && (by || w.find("up? %").is_some() || w.find("to $").is_some());
    let changed = verb == Verb::Set && w.find("from $ to $").is_some();
    let moved = moves && (w.find("%").is_some() || w.find("$").is_some());
    let promo = c.w.find(PROMO_NOUN).is_some();
    plain || (!promo && (costs || raised || changed || moved))
}

/// "the cost of X": a price noun only with a determiner ("items that cost under $50" is a
/// condition).
const THE_COST: &str = "'s? the|its|their cost of|for|on?";

/// Frames that give a price its new value.
const SET_FRAMES: &[&str] = &["to|at|=|: $", "is|should|must now? be? $"];

/// Frames that say what a product costs: only its regular price does ("X to cost $N", "X now
/// sells for $N", "price X at $N").
const COSTS: &[&str] = &[
    "cost|costs|costing $",
    "we|i? charge|charges|charging|charged $ for|per?",
    "sell|sells|selling|sold|retail|retails|retailing|go|goes|going for|at $",
    "be|is|are? priced at|to? $",
    "be|is|are|was|been|gets|get? repriced|reset at|to $",
];
const MOVES_UP: &str = "go|goes|went|going|gone|move|moves|moved|shoot|shoots|creep|creeps|rise|rises|rose|rising|climb|climbs|jump|jumps|increase|increases|grow|grows up?";
const MOVES_DOWN: &str = "go|goes|went|going|gone|move|moves|moved|come|comes|fall|falls|fell|sink|sinks|decrease|decreases down?";
/// "new price for X: $N", "X's new list price".
const NEW_PRICE: &str = "'s? the|its|their|a? new|updated|revised base|list|regular|retail|normal|standard? price|prices|pricing of|for|on?";

fn base_change(c: &Clause, ctx: &Ctx, mut w: Words, verb: Verb) -> Result<Intent> {
    let mut up = match verb {
        Verb::Up | Verb::Add => Some(true),
        Verb::Down | Verb::Off => Some(false),
        Verb::Set | Verb::None => None,
    };
    // A direction may also be said after the noun: "move the price of X up by 10%".
    if up.is_none()
        && let Some(m) = w.take_find("up|down|upward|upwards|downward|downwards")
    {
        up = Some(w.toks[m.start].text.starts_with("up"));
    }
    let change = match step_change(&mut w, verb) {
        Some(change) => Some(change),
        None => by_change(c, &mut w, up)?,
    }
    .or_else(|| to_change(&mut w, verb, up));
    let Some(change) = change else {
        return Err(Error::input(format!(
            "\"{}\" changes a base price but does not say to what or by how much; nothing was planned",
            c.text
        ))
        .hint("say \"to $N\", \"by N%\" or \"by $N\"")
        .with_examples());
    };
    Ok(Intent::BasePrice {
        target: c.target(&w, ctx)?,
        change,
    })
}

/// "knock $5 off the list price", "trim $3 off the regular price", "add 5% to ...".
fn step_change(w: &mut Words, verb: Verb) -> Option<PriceChange> {
    if verb == Verb::Set || verb == Verb::None {
        return None;
    }
    let adds = matches!(verb, Verb::Add | Verb::Up);
    let joint = if adds { "to|onto" } else { "off|from" };
    if let Some(m) = w.take_find(&format!("% {joint}")) {
        return Some(PriceChange::Percent {
            percent: w.value(m.caps[0]),
            up: adds,
        });
    }
    let m = w.take_find(&format!("$ {joint}"))?;
    Some(money_change(w, m.caps[0], adds))
}

/// "by 5%", "by $5" (and "up 5%": the direction said twice); refused without a direction, or
/// when "by 10" does not say dollars or percent.
fn by_change(c: &Clause, w: &mut Words, up: Option<bool>) -> Result<Option<PriceChange>> {
    let percent = match up {
        Some(true) => "up? by? %",
        Some(false) => "down? by? %",
        None => "by? %",
    };
    if let Some(m) = w.take_find(percent) {
        let percent = w.value(m.caps[0]);
        let up = up.ok_or_else(|| no_direction(c))?;
        return Ok(Some(PriceChange::Percent { percent, up }));
    }
    let amount = match up {
        Some(true) => "up? by $",
        Some(false) => "down? by $",
        None => "by $",
    };
    let Some(m) = w.take_find(amount) else {
        return Ok(None);
    };
    // "by 10" could be dollars or percent: not guessed.
    if w.toks[m.caps[0]].kind != Kind::Money {
        return Err(Error::input(format!(
            "\"{}\" does not say whether {} is an amount or a percentage; nothing was planned",
            c.text, w.toks[m.caps[0]].text
        ))
        .hint("say \"by $N\" or \"by N%\""));
    }
    let up = up.ok_or_else(|| no_direction(c))?;
    Ok(Some(money_change(w, m.caps[0], up)))
}

/// A new price: "to $N", "from $A to $B", "X price: $N", "X should cost $N".
fn to_change(w: &mut Words, verb: Verb, up: Option<bool>) -> Option<PriceChange> {
    let m = w
        .take_find("from $ to $")
        .map(|mut m| {
            // "from $129.99 to $139.99": the new price is the second.
            m.caps.remove(0);
            m
        })
        // "retails at $N": the verb says what the value is before a bare "at $N" does.
        .or_else(|| COSTS.iter().find_map(|p| w.take_find(p)))
        .or_else(|| w.take_find("to|at|= $"))
        .or_else(|| w.take_find(": $"))
        .or_else(|| w.take_find("is|should now? be? $"))
        .or_else(|| w.take_find("to be $"))
        .or_else(|| w.take_find("now|becomes|become|became $"))
        .or_else(|| w.take_find("changes|changed|moves|moved|goes|went to $"))
        .or_else(|| {
            // "make the price of X $59.50": a bare amount, only when written as money.
            (verb == Verb::Set)
                .then(|| w.find("$"))
                .flatten()
                .filter(|m| w.toks[m.start].kind == Kind::Money)
                .inspect(|m| w.take(m))
        })?;
    Some(PriceChange::To {
        price: w.value(m.caps[0]),
        up,
    })
}

fn money_change(w: &Words, i: usize, up: bool) -> PriceChange {
    PriceChange::Amount {
        amount: w.value(i),
        up,
    }
}

fn no_direction(c: &Clause) -> Error {
    Error::input(format!(
        "\"{}\" does not say whether to raise or lower the price; nothing was planned",
        c.text
    ))
    .hint("say \"raise ... by 10%\" or \"lower ... by $5\"")
    .with_examples()
}

fn promo_price(c: &Clause, ctx: &Ctx) -> Parsed {
    if c.w.find(PROMO_PRICE).is_some() {
        return labelled_promo_price(c, ctx);
    }
    let (w, m) = on_promo_at(c)
        .or_else(|| promote_at(c))
        .or_else(|| marked_down_to(c))?;
    let price = w.value(m.caps[0]);
    Some(
        c.target(&w, ctx)
            .map(|target| Intent::PromoPrice { target, price }),
    )
}

/// "put X on promo at $99", "X on sale for $80", "run X at $95 on promo", "sell X at $169 on
/// sale".
fn on_promo_at<'a>(c: &Clause<'a>) -> Option<Counted<'a>> {
    let mut w = c.w.clone();
    let m = w
        .take_find(&format!("on|onto a|the? {PROMO_NOUN} at|for $"))
        .or_else(|| {
            w.take_find(&format!(
                "at|for|to $ on|as|for|during|in? a|the|this? {PROMO_NOUN}"
            ))
        })
        .or_else(|| w.take_find(&format!("{PROMO_NOUN} :|= $")))?;
    w.take_start("put|place|set|run|list|have|get|throw|go|feature|drop|lower|reduce|cut|bring|mark|knock|make|price|change|sell|offer");
    w.take_end("down");
    Some((w, m))
}

/// "promo X at $60", "promote X for $60".
fn promote_at<'a>(c: &Clause<'a>) -> Option<Counted<'a>> {
    let mut w = c.w.clone();
    w.take_start("promo|promote").or_else(|| {
        // "run a promo on X at $60", "start a sale for X at $60".
        w.take_start(&format!(
            "run|start|launch|begin|hold|do|create|set up? a|an|the? {PROMO_NOUN} on|for"
        ))
    })?;
    let m = w.take_find("at|for|to $")?;
    Some((w, m))
}

/// "mark X down to $79", "discount X to $79", "mark down X to $79" (the "down" came with the
/// verb).
fn marked_down_to<'a>(c: &Clause<'a>) -> Option<Counted<'a>> {
    let mut w = c.w.clone();
    let verb = w
        .take_start("mark|knock|bring|take down")
        .or_else(|| w.take_start("mark|knock|bring|take|discount|markdown"))?;
    let down_said = verb.end - verb.start == 2
        || ["discount", "markdown"].contains(&w.toks[verb.start].text.as_str());
    let m = w
        .take_find("down to $")
        .or_else(|| down_said.then(|| w.take_find("to $")).flatten())?;
    Some((w, m))
}

/// "set the promo price of X to $N", "sale price for X: $N", "X's promo price at 10% off".
fn labelled_promo_price(c: &Clause, ctx: &Ctx) -> Parsed {
    let mut w = c.w.clone();
    w.take_start(&format!(
        "{SET_VERBS}|{UP_VERBS}|{DOWN_VERBS}|give|apply|place|feature|offer|sell|list|run"
    ));
    w.take_find(PROMO_PRICE);
    if let Some(m) = w.take_find("to|at|of? % off?") {
        let percent = w.value(m.caps[0]);
        return Some(
            c.target(&w, ctx)
                .map(|target| Intent::Discount { target, percent }),
        );
    }
    if w.find("by").is_some() {
        return Some(Err(Error::input(format!(
            "\"{}\" changes a promo price relative to itself; say the new promo price or the discount off the base price; nothing was planned",
            c.text
        ))
        .with_examples()));
    }
    let value = w
        .take_find("to|at|=|of|is|be $")
        .or_else(|| w.take_find(": $"))
        .or_else(|| w.take_find("should|will be $"))
        .or_else(|| w.take_find("is now $"))
        .or_else(|| w.take_find("$"));
    let Some(m) = value else {
        // "restore the old promo price on X", "switch X back to its promo price": the stored
        // price, activated again.
        if c.w.at_start(ACTIVATE_VERBS).is_some() || c.w.find(STORED).is_some() {
            return None;
        }
        return Some(Err(Error::input(format!(
            "\"{}\" sets a promo price but does not say which price; nothing was planned",
            c.text
        ))
        .hint("say \"to $N\"")
        .with_examples()));
    };
    let price = w.value(m.caps[0]);
    Some(
        c.target(&w, ctx)
            .map(|target| Intent::PromoPrice { target, price }),
    )
}

fn discount(c: &Clause, ctx: &Ctx, values: &Values) -> Parsed {
    if !values.percent {
        return None;
    }
    let (w, m) = value_frame(c, "%")?;
    let percent = w.value(m.caps[0]);
    Some(
        c.target(&w, ctx)
            .map(|target| Intent::Discount { target, percent }),
    )
}

fn amount_off(c: &Clause, ctx: &Ctx, values: &Values) -> Parsed {
    if !values.amount {
        return None;
    }
    let (w, m) = value_frame(c, "$")?;
    if w.toks[m.caps[0]].kind != Kind::Money {
        return None;
    }
    let amount = w.value(m.caps[0]);
    Some(
        c.target(&w, ctx)
            .map(|target| Intent::AmountOff { target, amount }),
    )
}

/// The frame of a promo given as a value off the base price: "20% off X", "give X a $10
/// discount", "discount X by 20%", "put X on sale at 20% off". Returns the clause with the
/// frame consumed and the value's match.
fn value_frame<'a>(c: &Clause<'a>, value: &str) -> Option<(Words<'a>, super::pattern::Match)> {
    let mut w = c.w.clone();
    let off = "off|discount|markdown|reduction|promo|promotion|sale|saving|savings|deal|clearance|special|offer";
    let m = sale_at_value(&mut w, value)
        .or_else(|| {
            w.take_find(&format!(
                "on|onto a|the? {PROMO_NOUN} at|of|for {value} off|discount?"
            ))
        })
        .or_else(|| {
            w.take_find(&format!(
                "on|at|for|with|to? a|an? {value} clearance|flash|seasonal|special|holiday|storewide|sitewide|extra? {off} sale|promo|deal|promotion|clearance? applied|given|offered? on|for|to|from|of|off?"
            ))
        })
        .or_else(|| {
            w.take_find(&format!(
                "a|an? markdown|discount|reduction|sale|deal|promo|promotion|clearance of {value} off? on|for|to|from?"
            ))
        })
        .or_else(|| {
            // "X should be discounted by 15%", "we'd like Knives marked down 10%".
            w.take_find(&format!("discounted|reduced|marked down? by? {value}"))
        })
        .or_else(|| reduced_for_sale(&mut w, value));
    let m = match m {
        Some(m) => m,
        None => {
            // "discount X by 20%", "mark X down by 20%", "mark down X by 20%".
            let verb = w
                .take_start("mark down")
                .or_else(|| w.take_start("discount|markdown|mark"))?;
            let mark = w.toks[verb.start].is_word("mark") && verb.end - verb.start == 1;
            let pattern = if mark {
                format!("down by? {value}")
            } else {
                format!("by? {value}")
            };
            w.take_find(&pattern)?
        }
    };
    w.take_start("we|i are|'re|am|'m|will|'ll");
    w.take_start(DISCOUNT_VERBS);
    // "30% off Tableware for the clearance": what the promo is called.
    w.take_end(&format!("for|during|in|as the|a|an|our|this? {PROMO_NOUN}"));
    w.take_start("off");
    w.take_find(PLAIN_PRICE);
    Some((w, m))
}

/// "Tableware clearance at 30% off", "start a clearance sale on X at 30% off", "Clearance on
/// X: 30% off": the sale named first, its value last.
fn sale_at_value(w: &mut Words, value: &str) -> Option<super::pattern::Match> {
    let mut r = w.clone();
    let m = r.take_end(&format!("at|for|with|:|- {value} off|discount"))?;
    r.take_find(&format!(
        "on|onto? a|an|the? clearance|flash|seasonal|holiday|special? {PROMO_NOUN} on|for|in|across?"
    ))?;
    *w = r;
    Some(m)
}

/// "reduce X by 10% for the sale", "cut X by $5 on promo": a reduction the clause says is a
/// promo.
fn reduced_for_sale(w: &mut Words, value: &str) -> Option<super::pattern::Match> {
    let mut r = w.clone();
    r.take_end(&format!(
        "for|on|during|in|as a|an|the|this|our? {PROMO_NOUN}"
    ))?;
    r.take_start(&format!("{DOWN_VERBS}|mark"))?;
    let m = r.take_find(&format!("down? by {value}"))?;
    *w = r;
    Some(m)
}

fn inventory(c: &Clause, ctx: &Ctx) -> Parsed {
    counted(c, ctx)
        .or_else(|| state_verb(c, ctx))
        .or_else(|| stated(c, ctx))
}

/// Where counted stock is ("in stock", "on hand", "in the warehouse").
const PLACE: &str = "in|on stock|hand|the|our warehouse|stockroom|store|shop|shelf|shelves?";

/// Words that count stock ("3 pairs", "11 units").
const UNITS: &str = "pairs|pair|units|unit|pieces|piece|items|boxes";

/// A count found in a clause: the clause with the count's words consumed, and the count.
type Counted<'a> = (Words<'a>, super::pattern::Match);

/// "we only have 3 pairs of X left", "set inventory of X to 11 units", "X stock is down to 10".
fn counted(c: &Clause, ctx: &Ctx) -> Parsed {
    let mut w = c.w.clone();
    if let Some(m) = arrived(&mut w, UNITS) {
        return Some(count_state(c, ctx, &w, m));
    }
    let (w, m) = subject_count(&c.w)
        .or_else(|| cue_count(&c.w))
        .or_else(|| left_count(&c.w))?;
    Some(count_state(c, ctx, &w, m))
}

/// "we have 3 X left", "there are only 4 X in stock", "we're down to 4 units of X", "down to
/// the last 3 X", "only 5 X units remain", "2 X in stock".
fn subject_count<'a>(w: &Words<'a>) -> Option<Counted<'a>> {
    let mut w = w.clone();
    let subject = w
        .take_start("we|i still|only|just|currently|now? have|has|got|'ve got? only|just?")
        .or_else(|| w.take_start("there is|are still|only|just|now?"))
        .or_else(|| w.take_start("only|just"))
        .is_some();
    if let Some(m) = w
        .take_start(&format!(
            "we|i are|'re now? down|up to # {UNITS}? of|for|left?"
        ))
        .or_else(|| {
            w.take_start(&format!(
                "we|i? are|'re? now? down to the? last|final # {UNITS}? of|for|left?"
            ))
        })
        .or_else(|| w.take_start(&format!("we|i are|'re left with # {UNITS}? of?")))
    {
        return Some((w, m));
    }
    if let Some(found) = tail_count(&w, subject) {
        return Some(found);
    }
    if !subject {
        return None;
    }
    let m = w.take_find(&format!("only|just? # {UNITS}? left|remaining? of|for?"))?;
    for end in [
        "left|remaining|available",
        "in stock",
        "on hand",
        "in the warehouse",
    ] {
        w.take_end(end);
    }
    Some((w, m))
}

/// The count before the name: "zero X left", "only 5 X units remain", "2 X in stock" (a place
/// after the name needs a subject or the count first).
fn tail_count<'a>(w: &Words<'a>, subject: bool) -> Option<Counted<'a>> {
    let unit_first = w
        .find(&format!("only|just? # {UNITS}|left|remaining"))
        .is_some();
    let count_first = w.at_start("only|just? #").is_some();
    let mut tail = w.clone();
    let place = tail.take_end(PLACE).is_some();
    let left = tail
        .take_end(&format!("{UNITS}? remain|remaining|left|available"))
        .is_some();
    if !(left || (place && (subject || count_first))) {
        return None;
    }
    let m = tail.take_start("only|just? #")?;
    (!unit_first && tail.unused().next().is_some()).then_some((tail, m))
}

const COUNT_CUE: &str = "the|our|its|their? inventory|stock|count|quantity|qty|level|levels count|level|levels|quantity|qty? of|for|on?";

/// A stock word and a count: "X stock is down to 10", "set inventory of X to 11 units".
fn cue_count<'a>(w: &Words<'a>) -> Option<Counted<'a>> {
    let mut w = w.clone();
    w.find(COUNT_CUE)?;
    let m = w
        .take_find(&format!(
            "is|are|was|has|have been? now|currently|down|up|dropped|fallen|gone|hit|hits|reached|reaches|fell|falls? down|up? to|at|of|=|:? # {UNITS}?"
        ))
        .or_else(|| {
            w.take_find(&format!(
                "now|currently|down|up|dropped|fallen|gone|hit|hits|reached|reaches|fell|falls? down|up? to|at|of|=|: # {UNITS}?"
            ))
        })
        .or_else(|| w.take_find(&format!("has|have? hit|hits|reached|reaches # {UNITS}?")))?;
    // "X: 0 in stock": the place, not the cue.
    if w.take_end("in stock").is_none() {
        w.take_end("on hand");
    }
    w.take_start(SET_VERBS);
    w.take_find(COUNT_CUE);
    Some((w, m))
}

/// "X: 3 left", "X only has 7 left", "3 pairs left of X", "X: 0 in stock", "X now has 15
/// units".
fn left_count<'a>(w: &Words<'a>) -> Option<Counted<'a>> {
    let mut w = w.clone();
    let m = w
        .take_find(&format!(
            ":? only|just? has|have|got? only|just? # {UNITS}? left|remaining of|for?"
        ))
        .or_else(|| w.take_find(&format!(": # {UNITS}? in stock")))
        .or_else(|| w.take_find(&format!(": # {UNITS}? on hand")))
        .or_else(|| w.take_find(&format!("now|currently|still? has|have|holds # {UNITS}")))
        .or_else(|| {
            w.take_find(&format!(
                "is|are|'s now? down to the? last|final? # {UNITS}?"
            ))
        })
        .or_else(|| w.take_find(&format!("restocked|replenished with # {UNITS}?")))
        .or_else(|| w.take_find(&format!("is|are|'s now? at|on # {UNITS}")))
        .or_else(|| w.take_find(&format!(":|- # {UNITS}")))
        .or_else(|| {
            w.take_find(&format!(
                "has|have|is|are|'s? dropped|fallen|gone|come|fell|went|risen|rose|climbed down|up? to # {UNITS}?"
            ))
        })?;
    w.take_end(PLACE);
    if w.take_end("in stock").is_none() {
        w.take_end("left|remaining");
    }
    Some((w, m))
}

/// A delivery: "30 units of X arrived at the warehouse", "a shipment of 30 X came in", "we
/// received 12 X". The count that came in decides the state.
fn arrived(w: &mut Words, units: &str) -> Option<super::pattern::Match> {
    let mut a = w.clone();
    let received = a
        .take_start(
            "we|i? just|have|'ve? received|got|counted|found|added|record|recorded|log|logged",
        )
        .or_else(|| a.take_start("we|i? just? took|take|taken in"))
        .or_else(|| a.take_start("we|i? just|have|'ve? took|taken|take delivery of"))
        .is_some();
    if received {
        a.take_end("in");
        a.take_end("to|into the|our? stock|inventory|warehouse");
    } else {
        a.take_end("at|in|into|to the|our warehouse|store|shop|stockroom|dock|depot");
        a.take_end("just? came|come|showed|turned in|up")
            .or_else(|| {
                a.take_end("just|have|has|were|was|got? arrived|delivered|landed|received|in")
            })
            .or_else(|| {
                a.take_end("were|was|have|has|got been? added to|into the|our? stock|inventory")
            })?;
    }
    a.take_start(
        "a|one|another? new? shipment|delivery|batch|restock|consignment|load|box|crate|pallet|case|carton|lot of|with?",
    );
    let m = a.take_start(&format!("# more|new|extra|additional? {units}? of?"))?;
    *w = a;
    Some(m)
}

fn count_state(c: &Clause, ctx: &Ctx, w: &Words, m: super::pattern::Match) -> Result<Intent> {
    let count = w.value(m.caps[0]);
    if count.is_sign_negative() || !count.fract().is_zero() || count > Decimal::from(u64::MAX) {
        return Err(Error::input(format!(
            "a stock count of {count} is not possible: it must be a whole number of 0 or more; nothing was planned"
        ))
        .with_examples());
    }
    let state = InventoryState::from_count(u64::try_from(count).unwrap_or(u64::MAX));
    c.target(w, ctx)
        .map(|target| Intent::SetInventory { target, state })
}

/// Verb frames that carry their state: the words before the products, the words that must
/// follow them (if any), and the state ("discontinue X", "we are out of X", "the last X sold").
const STATE_FRAMES: &[(&str, Option<&str>, InventoryState)] = &[
    (
        "we|i|they? are|'re|will|'ll? discontinue|discontinuing|retire|retiring|unlist|unlisting",
        None,
        InventoryState::Discontinued,
    ),
    (
        "we|i|they? are|'re|will|'ll? phase|phasing|take|taking out",
        None,
        InventoryState::Discontinued,
    ),
    (
        "the|our|their? we|i|they|manufacturer|manufacturers|supplier|suppliers|vendor|maker|makers|brand|factory have|'ve|has|had|just|finally|officially? discontinued|retired|unlisted",
        None,
        InventoryState::Discontinued,
    ),
    (
        "restock|restocked|replenish|replenished|refill|refilled",
        None,
        InventoryState::InStock,
    ),
    (
        "we|i|they have|'ve|had|just? restocked|replenished|refilled",
        None,
        InventoryState::InStock,
    ),
    (
        "we|i are|'re|have|had|'ve? completely|totally|all|now|just? ran|run|sold? out of",
        None,
        InventoryState::OutOfStock,
    ),
    (
        "we|i just|have|'ve|had? sold the|our last|final one|unit|units|pair|piece|item? of?",
        None,
        InventoryState::OutOfStock,
    ),
    (
        "we|i have|'ve got? plenty|lots|loads|tons|heaps of",
        None,
        InventoryState::InStock,
    ),
    (
        "nothing|none|zero left|remaining of|for?",
        None,
        InventoryState::OutOfStock,
    ),
    (
        "we|i no longer have|stock any?",
        None,
        InventoryState::OutOfStock,
    ),
    (
        "there is|are|'s no more?",
        Some("left|remaining|available"),
        InventoryState::OutOfStock,
    ),
    (
        "there is|are|'s no more?",
        Some("in stock"),
        InventoryState::OutOfStock,
    ),
    ("there is|are|'s no more", None, InventoryState::OutOfStock),
    (
        "we|i|they have|'ve|'d|had got? no more",
        None,
        InventoryState::OutOfStock,
    ),
    (
        "we|i|they have|'ve|'d|had got? no",
        Some("in stock"),
        InventoryState::OutOfStock,
    ),
    (
        "there is|are|'s none of",
        Some("left|remaining"),
        InventoryState::OutOfStock,
    ),
    (
        "no more?",
        Some("left|remaining|available"),
        InventoryState::OutOfStock,
    ),
    ("no more", None, InventoryState::OutOfStock),
    (
        "stop|quit|cease selling|making|carrying|stocking|producing|offering",
        None,
        InventoryState::Discontinued,
    ),
    (
        "the|our last|final one|unit|units|pair|piece|item? of?",
        Some("just|was|has|got|have? been? sold|bought|purchased"),
        InventoryState::OutOfStock,
    ),
    (
        "production|manufacturing|manufacture of",
        Some("has|is|was? ended|stopped|ceased|finished|over"),
        InventoryState::Discontinued,
    ),
    (
        "the|our? manufacturer|supplier|vendor|maker|brand|factory|we|i|they has|have|'ve|are|'re|will|'ll|just? stopped|stop|stopping|quit|ceased|ceasing selling|making|carrying|stocking|producing|offering",
        None,
        InventoryState::Discontinued,
    ),
    (
        "the|our|their? we|i|they|manufacturer|manufacturers|supplier|suppliers|vendor|maker|makers|brand|factory will|'ll|do|does? no longer sell|sells|make|makes|carry|carries|stock|stocks|produce|produces|offer|offers|supply|supplies",
        None,
        InventoryState::Discontinued,
    ),
    (
        "there is|are|'s no stock|inventory left|remaining? of|for",
        None,
        InventoryState::OutOfStock,
    ),
    (
        "pre order|orders|preorders|preorder for|on",
        Some("start|starts|open|opens|begin|begins"),
        InventoryState::PreOrder,
    ),
    (
        "pre order|orders|preorders|preorder for|on",
        Some("are|have|has now? open|opened|started|begun"),
        InventoryState::PreOrder,
    ),
    (
        "we|i are|'re running|getting? low|short on|of",
        None,
        InventoryState::LowStock,
    ),
    (
        "stock|inventory is|'s running|getting? low on|for",
        None,
        InventoryState::LowStock,
    ),
    (
        "we|i? are|'re|will|'ll? now? open|opening|take|taking|accept|accepting|start|begin|enable|allow pre order|orders|ordering|preorders|preorder|preordering for|on|of?",
        None,
        InventoryState::PreOrder,
    ),
    (
        "start|begin taking|accepting pre order|orders|preorders|preorder for|on?",
        None,
        InventoryState::PreOrder,
    ),
    (
        "pre order|orders|preorders|preorder are|is now? open for|on",
        None,
        InventoryState::PreOrder,
    ),
    (
        "we|i are|'re|have|had|'ve? nearly|almost|practically|virtually run|ran? out of",
        None,
        InventoryState::LowStock,
    ),
    (
        "plenty|lots|loads|tons of",
        Some("in stock"),
        InventoryState::InStock,
    ),
    (
        "customers|shoppers|people|buyers|clients|everyone|you|they can|could|may only|now? pre order|preorder",
        None,
        InventoryState::PreOrder,
    ),
    (
        "customers|shoppers|people|buyers|clients|everyone|you|they can|could|may now? buy|order|purchase",
        None,
        InventoryState::InStock,
    ),
    ("we|i have|'ve got?", Some("back"), InventoryState::InStock),
];

/// The first [`STATE_FRAMES`] frame that fits the clause.
fn state_verb(c: &Clause, ctx: &Ctx) -> Parsed {
    STATE_FRAMES.iter().find_map(|(start, end, state)| {
        let mut w = c.w.clone();
        w.take_start(start)?;
        if let Some(end) = end {
            w.take_end(end)?;
        }
        if *state == InventoryState::Discontinued {
            w.take_end("of production");
            w.take_end("from|in the|our catalog|catalogue|range|lineup|assortment|store|shop");
        }
        Some(c.target(&w, ctx).map(|target| Intent::SetInventory {
            target,
            state: *state,
        }))
    })
}

/// A state phrase at the end: "mark X as low stock", "X is in stock again", "put X on
/// pre-order". Earlier state phrases stay in the target as filters.
fn stated(c: &Clause, ctx: &Ctx) -> Parsed {
    let mut w = c.w.clone();
    // "discontinued by the maker": who did it does not change the state.
    w.take_end("by|from the|its|their|our maker|makers|brand|factory|producer|manufacturer|manufacturers|supplier|suppliers|vendor|vendors");
    // "set X to out-of-stock status".
    let mut bare = w.clone();
    if bare.take_end("status|state|flag|level").is_some() && take_state(&mut bare.clone()).is_some()
    {
        w = bare;
    }
    let state = take_state(&mut w).or_else(|| take_state_label(&mut w))?;
    let mut w = match same_states(c, w, state) {
        Ok(w) => w,
        Err(e) => return Some(Err(e)),
    };
    // "move X from pre-order to in stock": the state it had does not matter.
    for (pattern, _) in vocab::STATES {
        if w.take_end(&format!("from {pattern}")).is_some() {
            break;
        }
    }
    take_state_cues(&mut w);
    Some(
        c.target(&w, ctx)
            .map(|target| Intent::SetInventory { target, state }),
    )
}

/// "back in production and in stock": more phrases for the same state are consumed; a
/// different state is refused.
fn same_states<'a>(c: &Clause, mut w: Words<'a>, state: InventoryState) -> Result<Words<'a>> {
    for _ in 0..2 {
        let mut more = w.clone();
        if more.take_end("and|,|&").is_none() {
            break;
        }
        match take_state(&mut more) {
            Some(s) if s == state => w = more,
            Some(_) => {
                return Err(Error::input(format!(
                    "\"{}\" names two different inventory states; nothing was planned",
                    c.text
                ))
                .with_examples());
            }
            None => break,
        }
    }
    Ok(w)
}

/// The verb and the stock words around a state phrase ("mark", "set the inventory of").
fn take_state_cues(w: &mut Words) {
    w.take_start(
        "mark|set|flag|make|update|change|list|switch|move|put|label|tag|show|get|turn|have",
    );
    w.take_start("we|i just|now|finally? got|have|'ve got?");
    for cue in [
        "the? stock|inventory status|state|flag|level of|for|on?",
        "the? inventory|stock|availability|status|flag|state of|for|on?",
    ] {
        w.take_start(cue);
    }
    // "set X inventory to ...": a bare "stock" at the end is left alone ("low on stock").
    for cue in [
        "stock|inventory status|state|flag|level",
        "inventory|availability|status",
    ] {
        w.take_end(cue);
    }
}

/// A state as a label before the products: "Out of stock: X", "Back in stock - X", "Low
/// stock alert: X".
fn take_state_label(w: &mut Words) -> Option<InventoryState> {
    vocab::REPORTED_STATES
        .iter()
        .chain(vocab::STATES)
        .find_map(|(pattern, state)| {
            w.take_start(&format!(
                "now|back|currently? {pattern} alert|update|notice|warning? :|-"
            ))
            .map(|_| *state)
        })
}

/// A state phrase at the end and the verbs of being before it ("has been discontinued").
fn take_state(w: &mut Words) -> Option<InventoryState> {
    let state = vocab::REPORTED_STATES
        .iter()
        .chain(vocab::STATES)
        .find_map(|(pattern, state)| w.take_end(pattern).map(|_| *state))?;
    for _ in 0..3 {
        w.take_end("is|are|was|were|has|have|had|got|went|gone|became|become|being|been|now|as|to|into|back|be|should|will|officially|just|finally|currently|temporarily|completely|totally|entirely|still|read|reads|say|says|show|shows|came|come|comes|once|again|marked|flagged|listed|labelled|labeled|needs|need|must|both|all|:|-|>");
    }
    Some(state)
}

const ACTIVATE_VERBS: &str = "activate|enable|start|resume|reactivate|restart|reinstate|relaunch|restore|launch|begin|reapply|run|rerun|revive";

/// "activate the promo on X", "put X on promo" (no value: the stored promo price is used, and
/// the plan refuses products that have none), "activate it" right after a promo clause.
fn activate(c: &Clause, ctx: &Ctx, values: &Values) -> Parsed {
    if values.percent || values.amount {
        return None;
    }
    let mut w = c.w.clone();
    // "turn the X promo back on".
    let turned = w.at_start("turn|switch|flip").is_some() && w.at_end("back? on").is_some();
    if turned {
        w.take_start("turn|switch|flip");
        w.take_end("back? on");
    }
    let frame = if turned
        || w.take_start(ACTIVATE_VERBS).is_some()
        || w.take_start("turn|switch|bring on|back").is_some()
    {
        let noun = w.take_find(&format!(
            "'s? the|its|their|a|an? old|previous|stored|saved|original|earlier|last|usual? {PROMO_NOUN}|promotional price|prices? on|for|of|again|back?"
        ));
        noun.is_some() || ctx.last_was_promo
    } else if w.take_start("put|place|set|get|bring|go|move").is_some() {
        w.take_end("at|with its|their|the old|previous|stored|saved|original|usual promo|sale? price|prices");
        w.take_end(&format!("back? on|onto a|the? {PROMO_NOUN}"))
            .is_some()
    } else {
        w.take_end(&format!("is|are back on a|the? {PROMO_NOUN}"))
            .is_some()
    };
    if !frame {
        return stored_price(c, ctx);
    }
    Some(
        c.target(&w, ctx)
            .map(|target| Intent::ActivatePromo { target }),
    )
}

/// Words that point at the promo price already stored.
const STORED: &str = "back|old|stored|saved|previous|original|usual|earlier";

/// "switch X back to its promo price", "bring X's sale price back", "use the stored promo
/// price for X": the stored promo price, active again.
fn stored_price(c: &Clause, ctx: &Ctx) -> Parsed {
    c.w.find(STORED)?;
    let mut w = c.w.clone();
    w.take_start("bring|switch|put|set|go|revert|return|use|apply|reapply|reuse|move|change")?;
    w.take_find(&format!(
        "back? to|on? 's? the|its|their? {STORED}? promo|promotional|sale|discount|discounted|special|offer price|prices|pricing for|on|of?"
    ))?;
    w.take_find("back");
    Some(
        c.target(&w, ctx)
            .map(|target| Intent::ActivatePromo { target }),
    )
}

/// "mark X as backordered": an inventory state that does not exist is refused by name.
fn unknown_state(c: &Clause) -> Parsed {
    let w = c.w.clone();
    let m = w
        .at_start("mark|flag|set|list|label|tag|change|update")
        .and_then(|_| w.find_last("as|to|into"))?;
    let cue = w
        .find("inventory|stock|status|availability|flag|state")
        .is_some();
    if !w.toks[m.start].is_word("as") && !cue {
        return None;
    }
    let asked: Vec<String> = w.toks[m.end..].iter().map(|t| c.token_text(t)).collect();
    if asked.is_empty() {
        return None;
    }
    Some(Err(Error::input(format!(
        "\"{}\" is not an inventory state; nothing was planned",
        asked.join(" ")
    ))
    .hint("the inventory states are: in stock, low stock, out of stock, discontinued, pre-order (or give a stock count: \"only 3 left\")")
    .with_examples()))
}
