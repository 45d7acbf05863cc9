//! The catalog fingerprint's hasher: SHA-256 fed through a 64 KiB buffer, with a fast path for
//! plain CSV records, whose JSON array is their text with each comma turned into `","`.

use sha2::{Digest, Sha256};

const BUFFER: usize = 64 * 1024;

pub struct Hasher {
    sha: Sha256,
    buf: Box<[u8]>,
    /// How much of `buf` is filled.
    len: usize,
}

impl Hasher {
    pub fn new() -> Self {
        Hasher {
            sha: Sha256::new(),
            buf: vec![0; BUFFER].into_boxed_slice(),
            len: 0,
        }
    }

    /// Room for `bytes` more in the buffer, hashing what it holds if needed; false when they
    /// would not fit even in an empty buffer.
    fn room(&mut self, bytes: usize) -> bool {
        if self.len + bytes > BUFFER {
            self.sha.update(&self.buf[..self.len]);
            self.len = 0;
        }
        bytes <= BUFFER
    }

    pub fn put(&mut self, bytes: &[u8]) {
        if self.room(bytes.len()) {
            self.buf[self.len..self.len + bytes.len()].copy_from_slice(bytes);
            self.len += bytes.len();
        } else {
            self.sha.update(bytes);
        }
    }

    /// A JSON array of strings. For arrays of strings, JCS is exactly serde_json's compact form
    /// (no whitespace, the same minimal escapes).
    pub fn strings<'a>(&mut self, cells: impl Iterator<Item = &'a str>) {
        self.put(b"[");
        for (i, cell) in cells.enumerate() {
            if i > 0 {
                self.put(b",");
            }
            serde_json::to_writer(&mut *self, cell).expect("hashing cannot fail");
        }
        self.put(b"]");
    }

    /// A plain record (no quote) as the JSON array of its comma-separated cells.
    pub fn record(&mut self, record: &str) {
        let bytes = record.as_bytes();
        // serde_json escapes only control characters, quotes and backslashes; a plain record
        // has no quote. Checked without an early exit, so that it vectorises.
        let escapes = bytes
            .iter()
            .fold(false, |any, &b| any | (b < 0x20) | (b == b'\\'));
        if escapes {
            return self.strings(record.split(','));
        }
        // At most three bytes out for each byte in (a comma becomes `","`), plus `["` and `"]`.
        if !self.room(3 * bytes.len() + 4) {
            return self.strings(record.split(','));
        }
        // Straight into the buffer, a cell at a time: one check of room per record.
        let out = &mut self.buf[self.len..self.len + 3 * bytes.len() + 4];
        out[..2].copy_from_slice(b"[\"");
        let mut at = 2;
        let mut from = 0;
        for comma in memchr::memchr_iter(b',', bytes) {
            out[at..at + comma - from].copy_from_slice(&bytes[from..comma]);
            at += comma - from;
            out[at..at + 3].copy_from_slice(b"\",\"");
            at += 3;
            from = comma + 1;
        }
        out[at..at + bytes.len() - from].copy_from_slice(&bytes[from..]);
        at += bytes.len() - from;
        out[at..at + 2].copy_from_slice(b"\"]");
        self.len += at + 2;
    }

    pub fn finish(mut self) -> String {
        self.sha.update(&self.buf[..self.len]);
        format!("sha256:{}", hex::encode(self.sha.finalize()))
    }
}

impl std::io::Write for Hasher {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.put(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
