//! The data records of a CSV text indexed on both cores: the text is cut at a line start near
//! its middle and each part is walked on its own core, the keys checked on the way. The cut is
//! right when the first walk arrives exactly at it; a cut inside a quoted multi-line cell is
//! not, and the first walk then carries on to the end alone. Either way the rows (and the first
//! malformed record) are those of one walk from the start.

use std::borrow::Cow;

use super::rows::{self, Index, Record, Rows};

/// Texts below this are walked on one core: a thread costs more than it saves.
const PARALLEL_FROM: usize = 1 << 20;

/// What the keys of the rows showed while they were indexed (see [`super::Catalog::new`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keys {
    /// The first row whose key is empty.
    pub empty: Option<usize>,
    /// Whether every key is greater than the one before.
    pub sorted: bool,
}

/// A record whose width differs from the header's: where the text has one is all the caller
/// needs, since the error is read again with the `csv` crate.
#[derive(Debug, PartialEq, Eq)]
pub struct Malformed;

/// The rows of `text` from `from` (after the header), each `width` cells wide, records whose
/// cells are all blank skipped; the keys in column `key` checked when there is one.
pub fn index(
    text: String,
    from: usize,
    width: usize,
    key: Option<usize>,
) -> Result<(Rows, Keys), (String, Malformed)> {
    let cut = (text.len() >= PARALLEL_FROM).then(|| line_after(&text, from.max(text.len() / 2)));
    match index_cut(&text, from, cut.flatten(), width, key) {
        Ok((index, keys)) => Ok((Rows::indexed(text, index), keys)),
        Err(e) => Err((text, e)),
    }
}

/// The first line start at or after `at`, if the text has one after it.
fn line_after(text: &str, at: usize) -> Option<usize> {
    memchr::memchr(b'\n', &text.as_bytes()[at..]).map(|i| at + i + 1)
}

/// [`index`] with the text cut at `cut`, or walked on one core without a cut. Any cut (at a
/// character boundary after `from`) gives the same result; one at a line start avoids a fall-back.
pub fn index_cut(
    text: &str,
    from: usize,
    cut: Option<usize>,
    width: usize,
    key: Option<usize>,
) -> Result<(Index, Keys), Malformed> {
    let Some(cut) = cut.filter(|&c| c >= from && c < text.len() && text.is_char_boundary(c)) else {
        let whole = walk(text, from, usize::MAX, width, key);
        return whole.result.map(|()| (whole.index, whole.keys.keys()));
    };
    let (first, second) = std::thread::scope(|s| {
        let second = s.spawn(|| walk(text, cut, usize::MAX, width, key));
        let first = walk(text, from, cut, width, key);
        (
            first,
            second.join().expect("walking CSV records does not panic"),
        )
    });
    first.result?;
    if !first.at_cut {
        return Ok((first.index, first.keys.keys()));
    }
    second.result?;
    let keys = first.keys.then(&second.keys, first.index.len());
    let mut index = first.index;
    index.append(second.index);
    Ok((index, keys))
}

/// One walk over records.
struct Walk<'a> {
    index: Index,
    keys: KeyWalk<'a>,
    /// Stopped at a malformed record.
    result: Result<(), Malformed>,
    /// Stopped at the cut: the rest of the rows are the other walk's.
    at_cut: bool,
}

/// Walks the records from `from` until one starts at or after `cut`. A record that runs over
/// the cut means the cut fell inside it: the walk then goes on to the end.
fn walk(text: &str, from: usize, cut: usize, width: usize, key: Option<usize>) -> Walk<'_> {
    let mut walk = Walk {
        index: Index::default(),
        keys: KeyWalk::default(),
        result: Ok(()),
        at_cut: false,
    };
    let mut cut = cut;
    let mut at = from;
    while let Some(record) = rows::next_record(text, at) {
        if record.start >= cut {
            walk.at_cut = true;
            break;
        }
        if record.next > cut {
            cut = usize::MAX;
        }
        at = record.next;
        if record.width(text) != width {
            walk.result = Err(Malformed);
            break;
        }
        if blank(text, &record) {
            continue;
        }
        if let Some(col) = key {
            walk.keys.see(walk.index.len(), key_of(text, &record, col));
        }
        walk.index.add(record);
    }
    walk
}

/// The key cell of a record (trimmed); it has the header's width, so the cell is there.
fn key_of<'a>(text: &'a str, record: &Record, col: usize) -> Cow<'a, str> {
    match &record.quoted {
        Some(cells) => Cow::Owned(cells[col].trim().to_string()),
        None => Cow::Borrowed(
            text[record.start..record.end]
                .split(',')
                .nth(col)
                .unwrap_or_default()
                .trim(),
        ),
    }
}

/// The keys seen by one walk.
#[derive(Default)]
struct KeyWalk<'a> {
    empty: Option<usize>,
    unsorted: bool,
    first: Option<Cow<'a, str>>,
    last: Option<Cow<'a, str>>,
}

impl<'a> KeyWalk<'a> {
    fn see(&mut self, row: usize, key: Cow<'a, str>) {
        if key.is_empty() && self.empty.is_none() {
            self.empty = Some(row);
        }
        match &self.last {
            None => self.first = Some(key.clone()),
            Some(last) => self.unsorted |= *last >= key,
        }
        self.last = Some(key);
    }

    fn keys(&self) -> Keys {
        Keys {
            empty: self.empty,
            sorted: !self.unsorted,
        }
    }

    /// The keys of this walk's rows followed by `next`'s (`rows` of them in this walk).
    fn then(&self, next: &KeyWalk<'_>, rows: usize) -> Keys {
        let in_order = match (&self.last, &next.first) {
            (Some(last), Some(first)) => last < first,
            _ => true,
        };
        Keys {
            empty: self.empty.or(next.empty.map(|r| r + rows)),
            sorted: !self.unsorted && !next.unsorted && in_order,
        }
    }
}

/// A record whose cells are all blank is skipped, like an empty line. Most records start with a
/// visible ASCII character, which settles it without splitting.
fn blank(text: &str, record: &Record) -> bool {
    match text.as_bytes()[record.start] {
        b',' | b' ' | b'\t' | 0x0b | 0x0c | b'"' | 0x80.. => {
            record.cells(text).all(|c| c.trim().is_empty())
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The rows, keys or error of walking `text` after its first record, cut at `cut` or not.
    fn indexed(text: &str, cut: Option<usize>) -> Result<(Rows, Keys), Malformed> {
        let Some(header) = rows::next_record(text, 0) else {
            return Ok((
                Rows::new(),
                Keys {
                    empty: None,
                    sorted: true,
                },
            ));
        };
        let width = header.width(text);
        index_cut(text, header.next, cut, width, Some(0))
            .map(|(index, keys)| (Rows::indexed(text.to_string(), index), keys))
    }

    proptest! {
        #[test]
        fn a_cut_anywhere_reads_what_one_walk_reads(
            text in proptest::string::string_regex("(a|b|c|,|\"|\r|\n|\r\n| |é){0,60}").unwrap()
        ) {
            let whole = indexed(&text, None);
            for cut in 0..=text.len() {
                prop_assert_eq!(&indexed(&text, Some(cut)), &whole, "cut at {}", cut);
            }
        }
    }

    #[test]
    fn a_cut_inside_a_multi_line_cell_falls_back_to_one_walk() {
        let text = "k,v\na,\"1\n2\nb,3\"\nc,4\nd,5\n";
        let cut = text.find("b,3").unwrap();
        let (rows, keys) = indexed(text, Some(cut)).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows.get(0, 1), Some("1\n2\nb,3"));
        assert_eq!(rows.get(2, 0), Some("d"));
        assert_eq!(
            keys,
            Keys {
                empty: None,
                sorted: true
            }
        );
    }

    #[test]
    fn a_malformed_record_after_the_cut_is_found_and_keys_are_checked_across_it() {
        let text = "k,v\na,1\nb,2\nc\nd,4\n";
        let cut = text.find("c\n").unwrap();
        assert_eq!(indexed(text, Some(cut)).unwrap_err(), Malformed);
        let text = "k,v\na,1\nc,2\nb,3\n,4\n";
        let cut = text.find("b,3").unwrap();
        let (_, keys) = indexed(text, Some(cut)).unwrap();
        assert_eq!(
            keys,
            Keys {
                empty: Some(3),
                sorted: false
            }
        );
    }
}
