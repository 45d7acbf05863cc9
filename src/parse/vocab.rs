//! The words the grammar knows, in one place: fillers, collection nouns, inventory states,
//! and the words that are never part of a product name. Nothing here is about one catalog.

use super::InventoryState;

/// Politeness and framing at the start of a clause ("could you please ...").
pub const LEADING_FILLERS: &[&str] = &[
    "hi|hey|hello team|all|there|folks|everyone|guys",
    "heads up :|,|-",
    "just so you know",
    "please? note|record|noting|recording that",
    "quick|inventory|stock|price|pricing|catalog|status? update|note|change|request|fyi :|-",
    "please|pls|kindly|ok|okay|hey|hi|hello|so|now|then|also|and|just|next|finally|additionally|afterwards|fyi|btw|psst|permanently",
    "alright|cheers|thanks :|,|!|-?",
    "if at? all? possible",
    "can|could|would|will you|we be able to",
    "would|do you mind",
    "mind",
    "can|could|would|will you|we please|kindly|possibly?",
    "i|we would|'d like|love|want you|someone|somebody to",
    "i|we would|'d like to",
    "i|we want|need to",
    "need to",
    "i|we think|believe|reckon|guess|feel that? we|you should|could|can|must",
    "i|we was|were|am|are hoping|wondering if? you|we could|can|would|might",
    "could|can|may i|we ask you to",
    "please|kindly do",
    "please be so kind as to",
    "be so kind as to",
    "if you could|can|would|please",
    "ensure that?",
    "see to it that",
    "see that|to",
    "it is|'s time to",
    "time to",
    "it would|'d|will be great|nice|good|ideal|lovely|awesome|perfect|helpful|best|better|wise to",
    "we|i ought|have|need|got to",
    "we|i should|must|could probably|definitely|really|also?",
    "let us",
    "lets",
    "go ahead and?",
    "make sure that|to|you?",
    "could|can|would|will someone|somebody|anyone please?",
    "i|we would|'d really? appreciate it if you could|would|can",
    "would|is it be? possible|ok|okay|alright|fine|good to",
    "do me a favour|favor and",
    "i|we want|need",
    "i|we would like",
    "we|i would love to|for?",
    "after that",
    "as well",
    ",",
];

/// A wish framed as a condition ("it would be great if X were 10% off"): courtesy only when the
/// clause says a price or a percentage, otherwise the "if" is a condition and is refused.
pub const WISH: &[&str] = &[
    "it would|'d|will be great|nice|good|ideal|lovely|awesome|perfect|helpful|best|wise if|to",
    "i|we would|'d really? love|like|prefer|appreciate it if",
    "how|what about",
];

/// Politeness and framing at the end of a clause.
pub const TRAILING_FILLERS: &[&str] = &[
    "please|thanks|now|asap|immediately|today|again|too|also|then|thx|yet|permanently",
    "thank you",
    "right now",
    "for me|us",
    "as well",
    "if you can|could|would|may|please",
    ", ta|cheers",
    ", that|which would|'d|will be great|good|nice|perfect|ideal|lovely|awesome|helpful|appreciated",
    "when|whenever you get|have a|the? chance|moment|minute|sec|second",
    "when you can",
    "going forward",
    "at the moment|present",
    "for the time being",
    "while stocks|supplies last",
    "until further notice",
    "this morning|afternoon|evening",
    "earlier today|on",
    "just now",
    "as of now|today|this morning",
    "as of",
    "overnight",
    "from now on",
    "for now",
    "right away",
    "effective immediately",
    "?",
    "!",
    ".",
    ",",
];

/// Nouns that mean "products" in general ("all shoes", "out-of-stock items").
pub const COLLECTION_NOUNS: &[&str] = &[
    "products", "product", "items", "item", "shoes", "shoe", "sneakers", "sneaker", "styles",
    "style", "models", "model", "skus", "sku", "pairs", "pair", "lines", "ones", "things", "stuff",
    "goods", "footwear", "listings", "articles",
];

/// Collection nouns that mean "products" in any catalog ("all items"); the others ("shoes",
/// "sneakers") may be a category of some catalog, so the resolver decides what they mean.
pub const GENERIC_NOUNS: &[&str] = &[
    "products", "product", "items", "item", "skus", "sku", "things", "stuff", "goods", "listings",
    "articles", "ones",
];

/// Words that make a phrase a category reference ("the Trail category").
pub const CATEGORY_NOUNS: &[&str] = &[
    "category",
    "categories",
    "collection",
    "collections",
    "line",
    "range",
    "department",
    "section",
    "segment",
];

/// Verbs of being left after a target by a declarative frame ("X ought to be 15% off", "it'd be
/// nice if X were 15% off"): they carry no meaning once the frame is read.
pub const COPULAS: &str = "is|are|was|were|be|been|being|become|becomes|became|get|gets|now|ought|should|must|could|would|will|to|needs|need|has|have|had|go|goes|going|went|finally|officially|currently|changes|changed|moves|moved|repriced|reset|priced|really|definitely|probably|actually|also|simply";

/// Phrases that mean the whole catalog wherever they stand ("across the board", "sitewide").
pub const WHOLE_CATALOG_PHRASES: &[&str] = &[
    "across|throughout the board|store|shop|site|catalog|catalogue|range",
    "sitewide|storewide|catalogwide|everywhere",
    "site|store|catalog wide",
    "on|in? everything|all we sell|carry|stock|offer|have",
    "the|our? entire|whole|full range|catalog|catalogue|store|shop|assortment|lineup",
];

/// Words that alone mean the whole catalog.
pub const WHOLE_CATALOG: &[&str] = &[
    "everything",
    "anything",
    "catalog",
    "catalogue",
    "store",
    "shop",
    "lineup",
    "assortment",
    "inventory",
];

/// Determiners and prepositions that may open a target phrase.
pub const DETERMINERS: &[&str] = &[
    "the",
    "all",
    "every",
    "each",
    "any",
    "our",
    "my",
    "your",
    "both",
    "entire",
    "whole",
    "full",
    "of",
    "for",
    "on",
    "to",
    "from",
    "a",
    "an",
    "these",
    "those",
    "current",
    "currently",
];

/// Words that refer back to products named earlier ("it", "them").
pub const BACK_REFERENCES: &[&str] = &[
    "it",
    "them",
    "they",
    "those",
    "these",
    "this",
    "that",
    "this one",
    "that one",
    "these ones",
    "those ones",
    "the same",
    "the same ones",
    "all of them",
    "both of them",
    "each of them",
    "all three",
    "all two",
    "both",
];

/// What the grammar never does: negations, conditions, exceptions, schedules, vague
/// quantities. A clause with one of these is refused, and the refusal names the word.
pub const UNSUPPORTED: &[&str] = &[
    "not",
    "no",
    "never",
    "if",
    "unless",
    "when",
    "whenever",
    "until",
    "till",
    "except",
    "excluding",
    "but",
    "or",
    "between",
    "instead",
    "maybe",
    "perhaps",
    "some",
    "few",
    "several",
    "most",
    "least",
    "random",
    "randomly",
    "top",
    "bottom",
    "best",
    "worst",
    "cheapest",
    "priciest",
    "expensive",
    "tomorrow",
    "yesterday",
    "tonight",
    "today",
    "week",
    "weeks",
    "weekend",
    "month",
    "months",
    "year",
    "years",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "midnight",
    "noon",
    "later",
    "soon",
    "ago",
];

/// Words that are never part of a product name: the unsupported ones, and the grammar's own
/// words. Seeing one in a target means the grammar did not understand the clause, so it
/// refuses instead of looking up a strange name.
pub fn is_reserved(word: &str) -> bool {
    UNSUPPORTED.contains(&word) || STRUCTURAL.contains(&word)
}

const STRUCTURAL: &[&str] = &[
    "than",
    "percent",
    "price",
    "prices",
    "priced",
    "promo",
    "promos",
    "promotion",
    "discount",
    "discounts",
    "stock",
    "by",
    "to",
    "at",
    "as",
    "is",
    "are",
    "was",
    "were",
    "be",
    "should",
    "would",
    "could",
    "can",
    "will",
    "please",
];

/// Inventory states as they are written, most specific first.
pub const STATES: &[(&str, InventoryState)] = &[
    (
        "available to|for pre order|orders",
        InventoryState::PreOrder,
    ),
    (
        "available to|for preorder|preorders",
        InventoryState::PreOrder,
    ),
    ("up|open for pre order|orders", InventoryState::PreOrder),
    ("on pre order|orders", InventoryState::PreOrder),
    ("on preorder|preorders", InventoryState::PreOrder),
    ("pre order|orders|ordered", InventoryState::PreOrder),
    ("preorder|preorders|preordered", InventoryState::PreOrder),
    ("back in stock", InventoryState::InStock),
    ("in stock", InventoryState::InStock),
    ("instock", InventoryState::InStock),
    ("restocked", InventoryState::InStock),
    ("out of stock|inventory", InventoryState::OutOfStock),
    ("sold|ran|run out", InventoryState::OutOfStock),
    ("oos|outofstock|soldout", InventoryState::OutOfStock),
    ("low on|in stock|inventory", InventoryState::LowStock),
    ("low stock|inventory", InventoryState::LowStock),
    ("running|getting|very low", InventoryState::LowStock),
    ("lowstock", InventoryState::LowStock),
    ("discontinued", InventoryState::Discontinued),
];

/// Inventory states as a report says them ("X is no longer made", "X is almost sold out"),
/// looked for before [`STATES`] so that the longer phrase wins. Only for writes: a filter
/// never reads these.
pub const REPORTED_STATES: &[(&str, InventoryState)] = &[
    (
        "stock|inventory|supply|supplies is|are|'s|was|has|have|now? empty|depleted|exhausted|zero|gone|nil",
        InventoryState::OutOfStock,
    ),
    (
        "stock|inventory|supply|supplies is|are|'s|was|now? running|getting? low|short|thin",
        InventoryState::LowStock,
    ),
    (
        "stock|shipment|shipments|delivery|deliveries|restock|order|orders has|have|just? arrived|landed|come|came in?",
        InventoryState::InStock,
    ),
    ("arrived|landed", InventoryState::InStock),
    ("replenished|refilled|restocked", InventoryState::InStock),
    (
        "has|have no stock|inventory left|remaining?",
        InventoryState::OutOfStock,
    ),
    ("fully|well|amply|properly stocked", InventoryState::InStock),
    (
        "has|have plenty|lots|loads|tons of stock|inventory",
        InventoryState::InStock,
    ),
    ("selling out fast|quickly|quick", InventoryState::LowStock),
    ("been delivered", InventoryState::InStock),
    ("no longer in stock", InventoryState::OutOfStock),
    (
        "no longer made|produced|manufactured|carried|stocked|offered|sold",
        InventoryState::Discontinued,
    ),
    ("no longer in production", InventoryState::Discontinued),
    (
        "no longer being made|produced|manufactured",
        InventoryState::Discontinued,
    ),
    ("out of production", InventoryState::Discontinued),
    ("retired|axed|eol", InventoryState::Discontinued),
    ("phased out", InventoryState::Discontinued),
    ("end of life|line", InventoryState::Discontinued),
    (
        "almost|nearly|practically sold|run|ran out",
        InventoryState::LowStock,
    ),
    (
        "almost|nearly|practically out of stock",
        InventoryState::LowStock,
    ),
    (
        "almost|nearly|practically gone|out",
        InventoryState::LowStock,
    ),
    ("running out|short|thin|dry", InventoryState::LowStock),
    ("in short supply", InventoryState::LowStock),
    ("scarce|dwindling", InventoryState::LowStock),
    ("all? gone", InventoryState::OutOfStock),
    ("none left|remaining", InventoryState::OutOfStock),
    (
        "only available for|on|as pre order|orders",
        InventoryState::PreOrder,
    ),
    ("pre order|orders only", InventoryState::PreOrder),
    (
        "can only be pre ordered|preordered",
        InventoryState::PreOrder,
    ),
    ("back in production", InventoryState::InStock),
    ("back on the? shelves|shelf", InventoryState::InStock),
    ("back into stock", InventoryState::InStock),
    ("is|are|'s back", InventoryState::InStock),
    ("unavailable", InventoryState::OutOfStock),
    (
        "is|are|was|to|as|getting|running|very|too|quite|pretty|now|both|all|: low",
        InventoryState::LowStock,
    ),
    ("available to buy|order|purchase", InventoryState::InStock),
    ("available for purchase|sale", InventoryState::InStock),
    ("can now? be pre ordered", InventoryState::PreOrder),
    ("can now? be preordered", InventoryState::PreOrder),
    ("available", InventoryState::InStock),
    ("can be bought|ordered|purchased", InventoryState::InStock),
    ("buyable|purchasable|orderable", InventoryState::InStock),
];

/// Is this word one of the collection nouns?
pub fn is_collection_noun(word: &str) -> bool {
    COLLECTION_NOUNS.contains(&word)
}

/// The words of a text as the grammar sees them (lower-case, split on anything that is not a
/// letter, digit or apostrophe). Used to compare names and categories.
pub fn key_words(text: &str) -> Vec<String> {
    text.replace(['\'', '\u{2019}'], "")
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            w.to_lowercase()
                .chars()
                .filter(|c| c.is_alphanumeric())
                .collect()
        })
        .collect()
}

/// A name or category as one comparable string ("Kids' Shoes" → "kids shoes").
pub fn key(text: &str) -> String {
    let mut out = String::new();
    key_into(text, &mut out);
    out
}

/// The characters of `key(text)`, computed on the fly.
fn key_chars(text: &str) -> impl Iterator<Item = char> + '_ {
    let (mut gap, mut started) = (false, false);
    text.chars()
        .filter(|c| *c != '\'' && *c != '\u{2019}')
        .flat_map(move |c| {
            let word = c.is_alphanumeric();
            let space = (word && gap && started).then_some(' ');
            if word {
                gap = false;
                started = true;
            } else {
                gap = true;
            }
            space.into_iter().chain(
                c.to_lowercase()
                    .filter(move |l| word && l.is_alphanumeric()),
            )
        })
}

/// Appends `key(text)` to `out` (reusing one buffer over many rows).
pub fn key_into(text: &str, out: &mut String) {
    out.extend(key_chars(text));
}

/// `key(text) == key`, without allocating (names are compared once per catalog row).
pub fn key_matches(text: &str, key: &str) -> bool {
    key_chars(text).eq(key.chars())
}

/// A plural word as singular, for category matching ("shoes" → "shoe", "accessories" →
/// "accessory", "kids" → "kid").
pub fn singular(word: &str) -> String {
    let w = word.to_lowercase();
    if let Some(s) = w.strip_suffix("ies").filter(|s| s.len() > 1) {
        return format!("{s}y");
    }
    // "knives" → "knife", "shelves" → "shelf" (both sides of a comparison go through here).
    if let Some(s) = w.strip_suffix("ives").filter(|s| s.len() > 1) {
        return format!("{s}ife");
    }
    if let Some(s) = w.strip_suffix("lves").filter(|s| s.len() > 1) {
        return format!("{s}lf");
    }
    for suffix in ["sses", "shes", "ches", "xes", "zes"] {
        if w.ends_with(suffix) {
            return w[..w.len() - 2].to_string();
        }
    }
    match w.strip_suffix('s') {
        Some(s) if !s.ends_with('s') && !s.is_empty() => s.to_string(),
        _ => w,
    }
}

/// Words that start a clause (after "and" or "," they split the request).
pub const CLAUSE_STARTS: &[&str] = &[
    "take",
    "knock",
    "give",
    "put",
    "place",
    "apply",
    "offer",
    "slap",
    "shave",
    "discount",
    "mark",
    "markdown",
    "set",
    "change",
    "update",
    "make",
    "adjust",
    "raise",
    "increase",
    "lower",
    "reduce",
    "cut",
    "decrease",
    "drop",
    "bump",
    "hike",
    "slash",
    "end",
    "stop",
    "cancel",
    "remove",
    "clear",
    "kill",
    "finish",
    "terminate",
    "deactivate",
    "disable",
    "activate",
    "enable",
    "reactivate",
    "resume",
    "restart",
    "discontinue",
    "restock",
    "flag",
    "add",
    "create",
    "show",
    "list",
    "display",
    "what",
    "which",
    "how",
    "notify",
    "email",
    "mail",
    "message",
    "tell",
    "let",
    "send",
    "ping",
    "alert",
    "inform",
    "then",
    "also",
    "please",
    "we",
    "delete",
    "erase",
    "wipe",
    "destroy",
    "purge",
];

/// Words the grammar uses somewhere besides the clause starts (cue nouns, connectors). A
/// refusal names the words of a clause that are not among these, as the ones it did not
/// understand.
const KNOWN: &[&str] = &[
    "down",
    "up",
    "new",
    "know",
    "off",
    "on",
    "at",
    "for",
    "to",
    "by",
    "of",
    "in",
    "from",
    "as",
    "is",
    "are",
    "be",
    "and",
    "with",
    "base",
    "regular",
    "promo",
    "promotion",
    "sale",
    "price",
    "prices",
    "percent",
    "pct",
    "stock",
    "inventory",
    "out",
    "low",
    "pre",
    "order",
    "team",
    "summary",
    "me",
    "have",
    "only",
    "left",
    "units",
    "pairs",
    "back",
    "again",
    "it",
    "them",
    "category",
    "everything",
    "all",
    "the",
    "a",
    "an",
    "do",
    "can",
    "image",
];

pub fn is_known(word: &str) -> bool {
    KNOWN.contains(&word)
        || CLAUSE_STARTS.contains(&word)
        || DETERMINERS.contains(&word)
        || COLLECTION_NOUNS.contains(&word)
        || CATEGORY_NOUNS.contains(&word)
        || WHOLE_CATALOG.contains(&word)
        || STRUCTURAL.contains(&word)
        || BACK_REFERENCES.contains(&word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_agree_however_they_are_computed() {
        for text in [
            "Kids' Shoes",
            "  Cloud   Runner ",
            "Cross-Trainer PRO",
            "Men's Runner",
            "Ünïcode Ä",
            "a--b",
            "",
        ] {
            let k = key(text);
            assert_eq!(k, key_words(text).join(" "), "{text}");
            assert!(key_matches(text, &k), "{text}");
            assert!(!key_matches(text, &format!("{k}x")), "{text}");
        }
        assert_eq!(key("Kids' Shoes"), "kids shoes");
        assert_eq!(singular("accessories"), "accessory");
        assert_eq!(singular("boxes"), "box");
        assert_eq!(singular("kids"), "kid");
        assert_eq!(singular("glass"), "glass");
        assert_eq!(singular("knives"), "knife");
        assert_eq!(singular("knife"), "knife");
        assert_eq!(singular("shelves"), "shelf");
    }
}
