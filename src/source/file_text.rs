//! A file read whole as UTF-8 text on both cores: each core reads half of the file into its
//! part of one buffer of the file's size (the kernel's copy and the page faults of the fresh
//! buffer are most of a read) and checks that its half is UTF-8. Read, never mapped: a file
//! changed under a mapping is undefined behaviour.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::str::Utf8Error;

/// Files below this are read on one core: a thread costs more than it saves.
const PARALLEL_FROM: usize = 1 << 20;

#[derive(Debug, PartialEq, Eq)]
pub enum Text {
    Utf8(String),
    /// Not UTF-8 from this byte on.
    NotUtf8 {
        valid_up_to: usize,
    },
}

/// The file at `path`, `len` bytes long when looked at (re-read on one core if that changed).
pub fn read(path: &Path, len: usize) -> io::Result<Text> {
    if len < PARALLEL_FROM {
        return Ok(checked(std::fs::read(path)?));
    }
    // Zeroed by calloc, which maps it lazily: the reads fault its pages in, nothing is written
    // twice. (Huge pages, `MADV_HUGEPAGE`, were measured slower: clearing 2 MiB pages costs more.)
    let mut bytes = vec![0u8; len];
    let half = len / 2;
    let (first, second) = bytes.split_at_mut(half);
    let (first, second) = std::thread::scope(|s| {
        let second = s.spawn(|| read_part(path, half, second).map(|()| Second::check(second)));
        let first = read_part(path, 0, first).map(|()| std::str::from_utf8(first).map(drop));
        (first, second.join().expect("reading a file does not panic"))
    });
    let (Ok(first), Ok(second)) = (first, second) else {
        return Ok(checked(std::fs::read(path)?));
    };
    if File::open(path)?.metadata()?.len() != len as u64 {
        return Ok(checked(std::fs::read(path)?));
    }
    if !halves_are_utf8(&bytes, half, first, second) {
        return Ok(checked(bytes));
    }
    // SAFETY: both halves are UTF-8 and the second starts at a character boundary (checked
    // just above), so the whole buffer is.
    Ok(Text::Utf8(unsafe { String::from_utf8_unchecked(bytes) }))
}

/// The bytes as text, or where they stop being UTF-8.
fn checked(bytes: Vec<u8>) -> Text {
    match String::from_utf8(bytes) {
        Ok(text) => Text::Utf8(text),
        Err(e) => Text::NotUtf8 {
            valid_up_to: e.utf8_error().valid_up_to(),
        },
    }
}

/// Fills `part` from the file's bytes at `offset`.
fn read_part(path: &Path, offset: usize, part: &mut [u8]) -> io::Result<()> {
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(offset as u64))?;
    file.read_exact(part)
}

/// The UTF-8 check of the second half: it may start inside a character, whose (at most three)
/// continuation bytes are checked with the end of the first half.
struct Second {
    continuation: usize,
    rest_is_utf8: bool,
}

impl Second {
    fn check(part: &[u8]) -> Second {
        let continuation = part
            .iter()
            .take(4)
            .take_while(|&&b| b & 0xC0 == 0x80)
            .count();
        Second {
            continuation,
            rest_is_utf8: continuation < 4 && std::str::from_utf8(&part[continuation..]).is_ok(),
        }
    }
}

/// Whether `bytes`, cut at `half`, is UTF-8 given its halves' checks: the first half is, or
/// ends with the start of a character that the second half's continuation bytes complete.
fn halves_are_utf8(
    bytes: &[u8],
    half: usize,
    first: Result<(), Utf8Error>,
    second: Second,
) -> bool {
    second.rest_is_utf8
        && match first {
            Ok(()) => second.continuation == 0,
            Err(e) if e.error_len().is_none() => {
                std::str::from_utf8(&bytes[e.valid_up_to()..half + second.continuation]).is_ok()
            }
            Err(_) => false,
        }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `halves_are_utf8` for `bytes` cut at every position.
    fn at_every_cut(bytes: &[u8]) -> Vec<bool> {
        (0..=bytes.len())
            .map(|half| {
                let first = std::str::from_utf8(&bytes[..half]).map(drop);
                halves_are_utf8(bytes, half, first, Second::check(&bytes[half..]))
            })
            .collect()
    }

    #[test]
    fn halves_cut_anywhere_are_utf8_exactly_when_the_whole_is() {
        let valid = "aé€😀b,\n".as_bytes();
        assert!(at_every_cut(valid).iter().all(|&ok| ok));
        for bad in [
            &b"a\xC3(b"[..],
            b"\xE2\x82",
            b"ab\x80cd",
            b"\xF0\x9F\x98",
            b"a\x80\x80\x80\x80b",
        ] {
            assert!(at_every_cut(bad).iter().all(|&ok| !ok), "{bad:?}");
        }
    }

    #[test]
    fn a_file_read_in_halves_is_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.txt");
        let text = "é,😀\n".repeat(PARALLEL_FROM / 3);
        std::fs::write(&path, &text).unwrap();
        assert_eq!(read(&path, text.len()).unwrap(), Text::Utf8(text.clone()));
        let mut bytes = text.into_bytes();
        let bad = bytes.len() - 5;
        bytes[bad] = 0xFF;
        std::fs::write(&path, &bytes).unwrap();
        let found = read(&path, bytes.len()).unwrap();
        assert_eq!(found, Text::NotUtf8 { valid_up_to: bad });
    }
}
