//! A1 notation: column letters, quoted tab names, and the ranges Google sends back.
//!
//! Tab names are always quoted, with embedded quotes doubled (`'Jon''s Data'!A1`): an unquoted
//! name that looks like a cell (`CRM26`) is read as one (reference `google-apis.md` section 2).

/// The letters of a 0-based column index: 0 → A, 25 → Z, 26 → AA, 701 → ZZ, 702 → AAA.
pub fn column(index: usize) -> String {
    let mut n = index + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(b'A' + u8::try_from(rem).expect("below 26"));
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).expect("ASCII letters")
}

/// The 0-based index of column letters (case-insensitive); None for anything else.
pub fn column_index(letters: &str) -> Option<usize> {
    if letters.is_empty() || letters.len() > 4 {
        return None;
    }
    let mut n = 0usize;
    for b in letters.bytes() {
        if !b.is_ascii_alphabetic() {
            return None;
        }
        n = n * 26 + usize::from(b.to_ascii_uppercase() - b'A' + 1);
    }
    Some(n - 1)
}

/// A tab name quoted for A1 notation.
pub fn quote(tab: &str) -> String {
    format!("'{}'", tab.replace('\'', "''"))
}

/// One cell: `'Tab'!D7` (column 0-based, row 1-based).
pub fn cell(tab: &str, col: usize, row: u32) -> String {
    format!("{}!{}{row}", quote(tab), column(col))
}

/// Part of one column: `'Tab'!D5:D900`.
pub fn column_span(tab: &str, col: usize, first: u32, last: u32) -> String {
    let c = column(col);
    format!("{}!{c}{first}:{c}{last}", quote(tab))
}

/// One column from a row to the end of the sheet: `'Tab'!A2:A`.
pub fn column_from(tab: &str, col: usize, first: u32) -> String {
    let c = column(col);
    format!("{}!{c}{first}:{c}", quote(tab))
}

/// One row across columns: `'Tab'!A1:H1`.
pub fn row_span(tab: &str, row: u32, last_col: usize) -> String {
    format!("{}!A{row}:{}{row}", quote(tab), column(last_col))
}

/// A range as Google writes it in responses (`'Tab'!A1002:H1003`, `Tab!A5`, `Tab`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Range {
    pub tab: String,
    /// (0-based column, 1-based row) of the top-left cell; None for a whole tab.
    pub start: Option<(usize, Option<u32>)>,
    /// The bottom-right cell, when the range has one.
    pub end: Option<(usize, Option<u32>)>,
}

/// Parses a range with a tab; None when it is not one.
pub fn parse(text: &str) -> Option<Range> {
    let (tab, rest) = if let Some(quoted) = text.strip_prefix('\'') {
        let mut tab = String::new();
        let mut chars = quoted.char_indices().peekable();
        let mut end = None;
        while let Some((i, c)) = chars.next() {
            if c == '\'' {
                if chars.peek().map(|(_, n)| *n) == Some('\'') {
                    chars.next();
                    tab.push('\'');
                } else {
                    end = Some(i + 1);
                    break;
                }
            } else {
                tab.push(c);
            }
        }
        (tab, &quoted[end?..])
    } else {
        match text.split_once('!') {
            Some((tab, _)) => (tab.to_string(), &text[tab.len()..]),
            None => (text.to_string(), ""),
        }
    };
    if tab.is_empty() {
        return None;
    }
    if rest.is_empty() {
        return Some(Range {
            tab,
            start: None,
            end: None,
        });
    }
    let cells = rest.strip_prefix('!')?;
    let (a, b) = match cells.split_once(':') {
        Some((a, b)) => (a, Some(b)),
        None => (cells, None),
    };
    Some(Range {
        tab,
        start: Some(cell_ref(a)?),
        end: match b {
            Some(b) => Some(cell_ref(b)?),
            None => None,
        },
    })
}

/// `D7` → (3, Some(7)); `D` → (3, None).
fn cell_ref(text: &str) -> Option<(usize, Option<u32>)> {
    let split = text
        .find(|c: char| c.is_ascii_digit())
        .unwrap_or(text.len());
    let (letters, digits) = text.split_at(split);
    let col = column_index(letters)?;
    let row = if digits.is_empty() {
        None
    } else {
        Some(digits.parse::<u32>().ok().filter(|r| *r > 0)?)
    };
    Some((col, row))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_round_trip() {
        for (i, l) in [(0, "A"), (25, "Z"), (26, "AA"), (701, "ZZ"), (702, "AAA")] {
            assert_eq!(column(i), l);
            assert_eq!(column_index(l), Some(i));
        }
        assert_eq!(column_index("a1"), None);
        assert_eq!(column_index(""), None);
    }

    #[test]
    fn tabs_are_always_quoted_and_quotes_doubled() {
        assert_eq!(cell("CRM26", 3, 7), "'CRM26'!D7");
        assert_eq!(cell("Jon's Data", 0, 1), "'Jon''s Data'!A1");
        assert_eq!(column_span("P", 4, 2, 9), "'P'!E2:E9");
        assert_eq!(column_from("P", 0, 2), "'P'!A2:A");
        assert_eq!(row_span("P", 1, 7), "'P'!A1:H1");
    }

    #[test]
    fn parses_ranges_google_returns() {
        let r = parse("'Jon''s Data'!A1002:H1003").unwrap();
        assert_eq!(r.tab, "Jon's Data");
        assert_eq!(r.start, Some((0, Some(1002))));
        assert_eq!(r.end, Some((7, Some(1003))));
        let r = parse("Products!D7").unwrap();
        assert_eq!(
            (r.tab.as_str(), r.start, r.end),
            ("Products", Some((3, Some(7))), None)
        );
        assert_eq!(parse("Products").unwrap().start, None);
        assert_eq!(parse("'Products'!A:A").unwrap().end, Some((0, None)));
        assert!(parse("'unterminated!A1").is_none());
        assert!(parse("P!A0").is_none());
        assert!(parse("P!1A").is_none());
        assert!(parse("").is_none());
    }
}
