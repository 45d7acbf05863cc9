//! Request text → tokens: lower-case words, SKUs, prices, percentages, counts and punctuation.
//!
//! One pass over the text, so lexing is linear. Every token keeps its byte span in the
//! normalised text, so product names and new-product names can be quoted exactly as typed.

use rust_decimal::Decimal;

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A lower-case word (hyphenated words arrive as separate words: "out-of-stock").
    Word,
    /// A product key: letters and digits joined by dashes ("STR-001"), as typed.
    Sku,
    /// An amount written with a currency marker ("$99", "99 dollars").
    Money,
    /// A bare number ("109.99", "3", "-15").
    Number,
    /// A percentage ("20%", "20 percent", "15 pct").
    Percent,
    /// One punctuation character.
    Punct,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub kind: Kind,
    /// Words lower-case; SKUs as typed; numbers as typed; punctuation as the character.
    pub text: String,
    /// The numeric value of Money, Number and Percent tokens.
    pub value: Option<Decimal>,
    /// Byte span in the normalised request.
    pub start: usize,
    pub end: usize,
}

impl Token {
    pub fn is_word(&self, w: &str) -> bool {
        self.kind == Kind::Word && self.text == w
    }

    pub fn is_punct(&self, c: char) -> bool {
        self.kind == Kind::Punct && self.text.len() == c.len_utf8() && self.text.starts_with(c)
    }

    pub fn is_numeric(&self) -> bool {
        matches!(self.kind, Kind::Money | Kind::Number)
    }
}

/// Typographic quotes, dashes and spaces become their ASCII forms; byte offsets of the result
/// are what token spans refer to.
pub fn normalise(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{2018}' | '\u{2019}' | '\u{02BC}' | '`' => '\'',
            '\u{201C}' | '\u{201D}' => '"',
            '\u{2010}' | '\u{2011}' | '\u{2012}' => '-',
            '\u{2013}' | '\u{2014}' => ';',
            c if c.is_whitespace() => ' ',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect()
}

/// Lexes normalised text (see [`normalise`]).
pub fn lex(text: &str) -> Vec<Token> {
    let mut raw = Vec::new();
    let mut offset = 0;
    for chunk in text.split(' ') {
        if !chunk.is_empty() {
            chunk_tokens(chunk, offset, &mut raw);
        }
        offset += chunk.len() + 1;
    }
    let mut toks = combine(raw);
    base_verbs_after_courtesy(&mut toks);
    toks
}

/// "would you mind ending ...", "what about putting ...": the gerund after a courtesy word is
/// the verb of the request, so it is read as its base form ("end", "put").
fn base_verbs_after_courtesy(toks: &mut [Token]) {
    for i in 1..toks.len() {
        if !(toks[i - 1].is_word("mind") || toks[i - 1].is_word("about")) {
            continue;
        }
        let t = &mut toks[i];
        let Some(stem) = t.text.strip_suffix("ing").filter(|_| t.kind == Kind::Word) else {
            continue;
        };
        let bytes = stem.as_bytes();
        let undoubled = (bytes.len() > 2 && bytes[bytes.len() - 1] == bytes[bytes.len() - 2])
            .then(|| &stem[..stem.len() - 1]);
        let candidates = [
            Some(stem.to_string()),
            undoubled.map(str::to_string),
            Some(format!("{stem}e")),
        ];
        if let Some(verb) = candidates
            .into_iter()
            .flatten()
            .find(|v| super::vocab::CLAUSE_STARTS.contains(&v.as_str()))
        {
            t.text = verb;
        }
    }
}

const LEADING_PUNCT: &[char] = &['(', '[', '{', '"', '\'', '<', '*', '#', '/', ':', ',', ';'];
const TRAILING_PUNCT: &[char] = &[
    ',', ';', ':', '.', '!', '?', ')', ']', '}', '"', '\'', '>', '*', '/',
];

/// One whitespace-free chunk: peel punctuation off both ends, then classify the core.
fn chunk_tokens(chunk: &str, offset: usize, out: &mut Vec<Token>) {
    // "sku=HL-166", "name=Tea": a field and its value, each lexed on its own.
    if chunk.len() > 1
        && let Some(at) = chunk.find('=')
    {
        if at > 0 {
            chunk_tokens(&chunk[..at], offset, out);
        }
        out.push(punct('=', offset + at));
        if at + 1 < chunk.len() {
            chunk_tokens(&chunk[at + 1..], offset + at + 1, out);
        }
        return;
    }
    let mut start = 0;
    let mut end = chunk.len();
    let mut leading = Vec::new();
    while let Some(c) = chunk[start..end].chars().next() {
        // "$" and "-" start prices ("$99", "-15"); a lone dash is punctuation.
        if LEADING_PUNCT.contains(&c) || (c == '-' && end - start == 1) {
            leading.push(punct(c, offset + start));
            start += c.len_utf8();
        } else {
            break;
        }
    }
    let mut trailing = Vec::new();
    while let Some(c) = chunk[start..end].chars().next_back() {
        let is_kids_apostrophe = c == '\'' && chunk[start..end - 1].ends_with('s');
        if (c != '\'' || is_kids_apostrophe) && TRAILING_PUNCT.contains(&c) {
            end -= c.len_utf8();
            if c != '\'' {
                trailing.push(punct(c, offset + end));
            }
        } else {
            break;
        }
    }
    out.extend(leading);
    if start < end {
        core_tokens(&chunk[start..end], offset + start, out);
    }
    out.extend(trailing.into_iter().rev());
}

fn punct(c: char, at: usize) -> Token {
    Token {
        kind: Kind::Punct,
        text: c.to_string(),
        value: None,
        start: at,
        end: at + c.len_utf8(),
    }
}

fn core_tokens(core: &str, at: usize, out: &mut Vec<Token>) {
    if let Some(token) = number_token(core, at) {
        out.push(token);
        return;
    }
    let (stem, possessive) = match core.strip_suffix("'s").or_else(|| core.strip_suffix("'S")) {
        Some(stem) if is_sku(stem) => (stem, true),
        _ => (core, false),
    };
    if is_sku(stem) {
        out.push(Token {
            kind: Kind::Sku,
            text: stem.to_string(),
            value: None,
            start: at,
            end: at + stem.len(),
        });
        if possessive {
            out.push(Token {
                kind: Kind::Word,
                text: "'s".to_string(),
                value: None,
                start: at + stem.len(),
                end: at + core.len(),
            });
        }
        return;
    }
    if core.chars().count() == 1 && "&+=/".contains(core) {
        out.push(punct(core.chars().next().unwrap_or('&'), at));
        return;
    }
    // "20pct" and "20percent" are percentages glued together.
    let lower = core.to_ascii_lowercase();
    for unit in ["percent", "pct"] {
        if let Some(n) = lower.strip_suffix(unit)
            && let Some(mut t) = number_token(n, at)
            && t.kind == Kind::Number
        {
            t.kind = Kind::Percent;
            t.end = at + core.len();
            out.push(t);
            return;
        }
    }
    words(core, at, out);
}

/// "$99", "$1,299.00", "-15", "$-15", "-$15", "20%", "109.99".
fn number_token(core: &str, at: usize) -> Option<Token> {
    let mut s = core;
    let mut negative = false;
    let mut money = false;
    for _ in 0..2 {
        if let Some(rest) = s.strip_prefix('-') {
            negative = true;
            s = rest;
        } else if let Some(rest) = s.strip_prefix('$') {
            money = true;
            s = rest;
        }
    }
    let mut percent = false;
    if let Some(rest) = s.strip_suffix('%') {
        percent = true;
        s = rest;
    }
    if !money && let Some(rest) = s.strip_suffix('$') {
        money = true;
        s = rest;
    }
    let valid = !s.is_empty()
        && s.bytes().any(|b| b.is_ascii_digit())
        && s.bytes()
            .all(|b| b.is_ascii_digit() || b == b',' || b == b'.')
        && s.bytes().filter(|b| *b == b'.').count() <= 1
        && !s.starts_with(',')
        && !s.ends_with(',')
        && !s.ends_with('.');
    if !valid || (money && percent) {
        return None;
    }
    let cleaned: String = s.chars().filter(|c| *c != ',').collect();
    let mut value = cleaned.parse::<Decimal>().ok()?;
    if negative {
        value = -value;
    }
    Some(Token {
        kind: if percent {
            Kind::Percent
        } else if money {
            Kind::Money
        } else {
            Kind::Number
        },
        text: core.to_string(),
        value: Some(value),
        start: at,
        end: at + core.len(),
    })
}

/// A product key: letters and digits joined by dashes or underscores, with at least one digit
/// and one letter ("STR-001", "ab_12-x"). Nothing about any particular catalog's prefix.
pub fn is_sku(word: &str) -> bool {
    let parts: Vec<&str> = word.split(['-', '_']).collect();
    parts.len() >= 2
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric()))
        && word.bytes().any(|b| b.is_ascii_digit())
        && word.bytes().any(|b| b.is_ascii_alphabetic())
}

/// Contractions that hide a verb ("what's" = "what is"); other "'s" is a possessive.
const IS_CONTRACTIONS: &[&str] = &[
    "what",
    "that",
    "it",
    "there",
    "here",
    "who",
    "where",
    "how",
    "which",
    "everything",
];

fn words(core: &str, at: usize, out: &mut Vec<Token>) {
    let mut pos = 0;
    for piece in core.split(['-', '_', '/', '+', '&', '=']) {
        let piece_at = at + pos;
        pos += piece.len() + 1;
        if piece_at > at
            && let Some(sep) = core[piece_at - at - 1..piece_at - at].chars().next()
            && "/+&=".contains(sep)
        {
            out.push(punct(sep, piece_at - 1));
        }
        if piece.is_empty() {
            continue;
        }
        let lower = piece.to_lowercase();
        for text in expand(&lower) {
            out.push(Token {
                kind: Kind::Word,
                text: text.to_string(),
                value: None,
                start: piece_at,
                end: piece_at + piece.len(),
            });
        }
    }
}

/// The words a lower-cased piece stands for: contractions spelled out ("can't" = "can not",
/// "we're" = "we are"), a possessive as its stem and a marker word, anything else as itself.
fn expand(lower: &str) -> Vec<&str> {
    if let Some(stem) = lower.strip_suffix("n't") {
        let stem = match stem {
            "ca" => "can",
            "wo" => "will",
            "sha" => "shall",
            s => s,
        };
        return vec![stem, "not"];
    }
    let Some((stem, tail)) = lower.split_once('\'') else {
        return vec![lower];
    };
    match contraction(stem, tail) {
        Some(e) => vec![stem, e],
        // A possessive ("Cloud Runner's", "Kids'"): the stem, then a marker word.
        None if tail == "s" => vec![stem, "'s"],
        None if tail.is_empty() => vec![stem],
        None => vec![lower],
    }
}

/// The word a contraction's tail stands for ("'re" = "are"), if it is one.
fn contraction(stem: &str, tail: &str) -> Option<&'static str> {
    match tail {
        "re" => Some("are"),
        "ve" => Some("have"),
        "ll" => Some("will"),
        "d" => Some("would"),
        "m" => Some("am"),
        "s" if stem == "let" => Some("us"),
        "s" if IS_CONTRACTIONS.contains(&stem) => Some("is"),
        _ => None,
    }
}

/// Number words for counts and percentages ("three pairs", "twenty percent").
pub fn number_word(word: &str) -> Option<u32> {
    const WORDS: [&str; 21] = [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
        "twenty",
    ];
    const TENS: [(&str, u32); 7] = [
        ("thirty", 30),
        ("forty", 40),
        ("fifty", 50),
        ("sixty", 60),
        ("seventy", 70),
        ("eighty", 80),
        ("ninety", 90),
    ];
    if let Some(i) = WORDS.iter().position(|w| *w == word) {
        return u32::try_from(i).ok();
    }
    TENS.iter().find(|(w, _)| *w == word).map(|(_, n)| *n)
}

/// Joins what belongs together: "20 percent" and "twenty-five percent" → Percent, "99 dollars"
/// and "usd 99" → Money, "minus 15" → a negative number.
fn combine(raw: Vec<Token>) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let mut t = raw[i].clone();
        i += 1;
        spelled_number(&raw, &mut t, &mut i);
        minus(&raw, &mut t, &mut i);
        currency_prefix(&raw, &mut t, &mut i);
        unit_suffix(&raw, &mut t, &mut i);
        out.push(t);
    }
    out
}

/// Number words: "twenty five" / "twenty-five" → 25, only where a count or a percentage follows,
/// so "this one" stays words. `i` is the index after `t`.
fn spelled_number(raw: &[Token], t: &mut Token, i: &mut usize) {
    if t.kind != Kind::Word {
        return;
    }
    let Some(n) = number_word(&t.text) else {
        return;
    };
    let mut value = n;
    let mut end = t.end;
    let mut j = *i;
    if n >= 20
        && n % 10 == 0
        && let Some(u) = raw
            .get(j)
            .filter(|u| u.kind == Kind::Word)
            .and_then(|u| number_word(&u.text))
            .filter(|u| (1..10).contains(u))
    {
        value += u;
        end = raw[j].end;
        j += 1;
    }
    if raw.get(j).is_some_and(|u| is_unit_word(&u.text)) {
        *t = Token {
            kind: Kind::Number,
            text: value.to_string(),
            value: Some(Decimal::from(value)),
            start: t.start,
            end,
        };
        *i = j;
    }
}

/// "minus 15" → -15.
fn minus(raw: &[Token], t: &mut Token, i: &mut usize) {
    if t.is_word("minus")
        && let Some(next) = raw.get(*i).filter(|n| n.is_numeric())
    {
        let mut n = next.clone();
        n.value = n.value.map(|v| -v);
        n.start = t.start;
        *t = n;
        *i += 1;
    }
}

/// "usd 99" / "$ 99" → Money.
fn currency_prefix(raw: &[Token], t: &mut Token, i: &mut usize) {
    if (t.is_word("usd") || t.is_word("$"))
        && let Some(next) = raw.get(*i).filter(|n| n.kind == Kind::Number)
    {
        let mut n = next.clone();
        n.kind = Kind::Money;
        n.start = t.start;
        *t = n;
        *i += 1;
    }
}

/// "20 percent" / "20 per cent" → Percent, "99 dollars" → Money.
fn unit_suffix(raw: &[Token], t: &mut Token, i: &mut usize) {
    if t.kind != Kind::Number {
        return;
    }
    let next = raw.get(*i).map(|n| n.text.as_str());
    let after = raw.get(*i + 1).map(|n| n.text.as_str());
    let (kind, len) = match (next, after) {
        (Some("percent" | "pct" | "%" | "percentage"), _) => (Kind::Percent, 1),
        (Some("per"), Some("cent")) => (Kind::Percent, 2),
        (Some("dollars" | "dollar" | "bucks" | "usd"), _) => (Kind::Money, 1),
        _ => return,
    };
    t.kind = kind;
    t.end = raw[*i + len - 1].end;
    *i += len;
}

fn is_unit_word(word: &str) -> bool {
    matches!(
        word,
        "percent"
            | "pct"
            | "%"
            | "per"
            | "pairs"
            | "pair"
            | "units"
            | "unit"
            | "pieces"
            | "left"
            | "remaining"
            | "items"
            | "in"
            | "dollars"
            | "dollar"
            | "bucks"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(Kind, String)> {
        lex(&normalise(text))
            .into_iter()
            .map(|t| (t.kind, t.text))
            .collect()
    }

    fn value(text: &str) -> Vec<Option<Decimal>> {
        lex(&normalise(text)).into_iter().map(|t| t.value).collect()
    }

    #[test]
    fn prices_percentages_and_skus() {
        assert_eq!(
            kinds("put STR-001 on 20% off, $1,299.00!"),
            vec![
                (Kind::Word, "put".into()),
                (Kind::Sku, "STR-001".into()),
                (Kind::Word, "on".into()),
                (Kind::Percent, "20%".into()),
                (Kind::Word, "off".into()),
                (Kind::Punct, ",".into()),
                (Kind::Money, "$1,299.00".into()),
                (Kind::Punct, "!".into()),
            ]
        );
        assert_eq!(value("$89.50")[0], Some(Decimal::new(8950, 2)));
        assert_eq!(value("-15")[0], Some(Decimal::from(-15)));
        assert_eq!(value("-$15")[0], Some(Decimal::from(-15)));
        assert_eq!(kinds("15 pct")[0].0, Kind::Percent);
        assert_eq!(kinds("twenty-five percent")[0].0, Kind::Percent);
        assert_eq!(value("twenty-five percent")[0], Some(Decimal::from(25)));
        assert_eq!(kinds("20 per cent").len(), 1);
        assert_eq!(kinds("99 dollars")[0].0, Kind::Money);
        assert_eq!(kinds("five dollars")[0], (Kind::Money, "5".into()));
        assert_eq!(kinds("$ 99")[0].0, Kind::Money);
        assert_eq!(kinds("20 %")[0].0, Kind::Percent);
    }

    #[test]
    fn words_hyphens_and_contractions() {
        let words: Vec<String> = kinds("What's out-of-stock? don't kids' STR-001's")
            .into_iter()
            .map(|(_, t)| t)
            .collect();
        assert_eq!(
            words,
            [
                "what", "is", "out", "of", "stock", "?", "do", "not", "kids", "STR-001", "'s"
            ]
        );
        assert_eq!(kinds("this one").len(), 2);
        assert_eq!(kinds("three pairs")[0].0, Kind::Number);
    }

    #[test]
    fn sku_shapes_are_generic() {
        assert!(is_sku("STR-001"));
        assert!(is_sku("abc-12-x"));
        assert!(is_sku("TRK_0042"));
        assert!(!is_sku("pre-order"));
        assert!(!is_sku("-12"));
        assert!(!is_sku("12"));
    }
}
