//! A tiny pattern language over tokens, used by the clause grammar to find and consume phrases.
//!
//! A pattern is space-separated elements: `a|b|c` (one of these words), `$` (a price: money or
//! a bare number), `%` (a percentage), `#` (a count: a number or a number word), `@` (a SKU),
//! or one punctuation character (`,` `:` `=`). A trailing `?` makes an element optional.
//! Matching is anchored at one position and backtracks only over the optional elements of the
//! (short, constant) pattern, so finding a pattern is linear in the number of tokens.

use std::ops::Range;

use rust_decimal::Decimal;

use super::lexer::{Kind, Token, number_word};

#[derive(Debug)]
enum Element<'p> {
    Words(Vec<&'p str>),
    Price,
    Percent,
    Count,
    Sku,
    Punct(&'p str),
}

#[derive(Debug)]
struct Part<'p> {
    element: Element<'p>,
    optional: bool,
}

fn compile(pattern: &str) -> Vec<Part<'_>> {
    pattern
        .split_whitespace()
        .map(|raw| {
            let (body, optional) = match raw.strip_suffix('?') {
                Some(b) if !b.is_empty() => (b, true),
                _ => (raw, false),
            };
            let element = match body {
                "$" => Element::Price,
                "%" => Element::Percent,
                "#" => Element::Count,
                "@" => Element::Sku,
                p if p.len() == 1 && !p.as_bytes()[0].is_ascii_alphanumeric() => Element::Punct(p),
                words => Element::Words(words.split('|').collect()),
            };
            Part { element, optional }
        })
        .collect()
}

impl Element<'_> {
    fn matches(&self, t: &Token) -> bool {
        match self {
            // Alternatives may include punctuation ("to|=|:").
            Element::Words(ws) => {
                matches!(t.kind, Kind::Word | Kind::Punct) && ws.contains(&t.text.as_str())
            }
            Element::Price => t.is_numeric(),
            Element::Percent => t.kind == Kind::Percent,
            Element::Count => {
                t.kind == Kind::Number || (t.kind == Kind::Word && number_word(&t.text).is_some())
            }
            Element::Sku => t.kind == Kind::Sku,
            Element::Punct(p) => t.kind == Kind::Punct && t.text == *p,
        }
    }

    fn captures(&self) -> bool {
        matches!(
            self,
            Element::Price | Element::Percent | Element::Count | Element::Sku
        )
    }
}

thread_local! {
    static STEPS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// How many pattern elements this thread has tried to match so far. Tests use it to check that
/// parsing does work proportional to the request's length (a deterministic stand-in for time).
#[doc(hidden)]
pub fn match_steps() -> u64 {
    STEPS.with(std::cell::Cell::get)
}

/// Where a pattern matched: the token range and the indices of its captured values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    pub start: usize,
    pub end: usize,
    pub caps: Vec<usize>,
}

/// Tokens with a "used" mark each: phrases are found among unused tokens and then consumed, so
/// what is left at the end is exactly what the grammar did not account for.
#[derive(Debug, Clone)]
pub struct Words<'a> {
    pub toks: &'a [Token],
    used: Vec<bool>,
}

impl<'a> Words<'a> {
    pub fn new(toks: &'a [Token]) -> Self {
        Words {
            toks,
            used: vec![false; toks.len()],
        }
    }

    pub fn is_used(&self, i: usize) -> bool {
        self.used[i]
    }

    fn match_here(&self, parts: &[Part], i: usize, caps: &mut Vec<usize>) -> Option<usize> {
        let Some((part, rest)) = parts.split_first() else {
            return Some(i);
        };
        STEPS.with(|s| s.set(s.get() + 1));
        if i < self.toks.len() && !self.used[i] && part.element.matches(&self.toks[i]) {
            let captured = part.element.captures();
            if captured {
                caps.push(i);
            }
            if let Some(end) = self.match_here(rest, i + 1, caps) {
                return Some(end);
            }
            if captured {
                caps.pop();
            }
        }
        if part.optional {
            return self.match_here(rest, i, caps);
        }
        None
    }

    fn match_at(&self, parts: &[Part], i: usize) -> Option<Match> {
        let mut caps = Vec::new();
        let end = self.match_here(parts, i, &mut caps)?;
        (end > i).then_some(Match {
            start: i,
            end,
            caps,
        })
    }

    /// The first (leftmost) match among unused tokens.
    pub fn find(&self, pattern: &str) -> Option<Match> {
        let parts = compile(pattern);
        (0..self.toks.len()).find_map(|i| self.match_at(&parts, i))
    }

    /// Every match, by start position (overlapping ones included).
    pub fn find_every(&self, pattern: &str) -> Vec<Match> {
        let parts = compile(pattern);
        (0..self.toks.len())
            .filter_map(|i| self.match_at(&parts, i))
            .collect()
    }

    /// The last (rightmost-starting) match.
    pub fn find_last(&self, pattern: &str) -> Option<Match> {
        let parts = compile(pattern);
        (0..self.toks.len())
            .rev()
            .find_map(|i| self.match_at(&parts, i))
    }

    /// A match starting at the first unused token.
    pub fn at_start(&self, pattern: &str) -> Option<Match> {
        let first = self.used.iter().position(|u| !u)?;
        self.match_at(&compile(pattern), first)
    }

    /// A match ending at the last unused token.
    pub fn at_end(&self, pattern: &str) -> Option<Match> {
        let last = self.used.iter().rposition(|u| !u)?;
        let parts = compile(pattern);
        // Only the last few start positions can reach the end: patterns are short.
        let from = last.saturating_sub(parts.len());
        (from..=last)
            .filter_map(|i| self.match_at(&parts, i))
            .find(|m| m.end == last + 1)
    }

    pub fn take(&mut self, m: &Match) {
        self.take_range(m.start, m.end);
    }

    pub fn take_range(&mut self, start: usize, end: usize) {
        for u in &mut self.used[start..end] {
            *u = true;
        }
    }

    /// Consumes every non-overlapping match, left to right, in one pass.
    pub fn take_all(&mut self, pattern: &str) -> Vec<Match> {
        let parts = compile(pattern);
        let mut found = Vec::new();
        let mut i = 0;
        while i < self.toks.len() {
            match self.match_at(&parts, i) {
                Some(m) => {
                    self.take(&m);
                    i = m.end;
                    found.push(m);
                }
                None => i += 1,
            }
        }
        found
    }

    /// Finds the leftmost match and consumes it.
    pub fn take_find(&mut self, pattern: &str) -> Option<Match> {
        let m = self.find(pattern)?;
        self.take(&m);
        Some(m)
    }

    /// Consumes a match at the first unused token.
    pub fn take_start(&mut self, pattern: &str) -> Option<Match> {
        let m = self.at_start(pattern)?;
        self.take(&m);
        Some(m)
    }

    /// Consumes a match ending at the last unused token.
    pub fn take_end(&mut self, pattern: &str) -> Option<Match> {
        let m = self.at_end(pattern)?;
        self.take(&m);
        Some(m)
    }

    /// Consumes matches at the start as long as there are any (leading fillers).
    pub fn take_all_start(&mut self, pattern: &str) {
        while self.take_start(pattern).is_some() {}
    }

    pub fn take_all_end(&mut self, pattern: &str) {
        while self.take_end(pattern).is_some() {}
    }

    /// The value of a captured token (numbers and number words).
    pub fn value(&self, i: usize) -> Decimal {
        let t = &self.toks[i];
        t.value
            .or_else(|| number_word(&t.text).map(Decimal::from))
            .unwrap_or_default()
    }

    /// Maximal runs of unused tokens.
    pub fn runs(&self) -> Vec<Range<usize>> {
        let mut runs = Vec::new();
        let mut start = None;
        for (i, used) in self.used.iter().enumerate() {
            match (used, start) {
                (false, None) => start = Some(i),
                (true, Some(s)) => {
                    runs.push(s..i);
                    start = None;
                }
                _ => {}
            }
        }
        if let Some(s) = start {
            runs.push(s..self.used.len());
        }
        runs
    }

    /// The unused tokens.
    pub fn unused(&self) -> impl Iterator<Item = &Token> {
        self.toks
            .iter()
            .zip(&self.used)
            .filter(|(_, u)| !**u)
            .map(|(t, _)| t)
    }

    pub fn all_used(&self) -> bool {
        self.used.iter().all(|u| *u)
    }

    /// True when some unused token is this word.
    pub fn has(&self, word: &str) -> bool {
        self.unused().any(|t| t.is_word(word))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::lexer::{lex, normalise};

    fn toks(text: &str) -> Vec<Token> {
        lex(&normalise(text))
    }

    #[test]
    fn optional_elements_and_captures() {
        let t = toks("set the promo price of STR-001 to $109.99");
        let mut w = Words::new(&t);
        let m = w
            .take_find("set|change the? promo|sale price of|for|on?")
            .unwrap();
        assert_eq!((m.start, m.end), (0, 5));
        let v = w.take_find("to|at $").unwrap();
        assert_eq!(w.value(v.caps[0]), Decimal::new(10999, 2));
        assert_eq!(w.runs(), vec![5..6]);
    }

    #[test]
    fn anchors() {
        let t = toks("please mark STR-001 out of stock now");
        let mut w = Words::new(&t);
        w.take_all_start("please|kindly");
        w.take_all_end("now|please");
        assert!(w.take_end("out of stock").is_some());
        assert!(w.take_start("mark").is_some());
        assert_eq!(w.unused().count(), 1);
    }
}
