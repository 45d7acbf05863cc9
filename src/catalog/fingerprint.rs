//! The catalog fingerprint's hasher: SHA-256 fed through a 64 KiB buffer, with a fast path for
//! plain CSV records, whose JSON array is their text with each comma turned into `","`.

use sha2::{Digest, Sha256};

const BUFFER: usize = 64 * 1024;

pub struct Hasher {
    sha: Sha256,
    buf: Vec<u8>,
}

impl Hasher {
    pub fn new() -> Self {
        Hasher {
            sha: Sha256::new(),
            buf: Vec::with_capacity(BUFFER),
        }
    }

    pub fn put(&mut self, bytes: &[u8]) {
        if self.buf.len() + bytes.len() > BUFFER {
            self.sha.update(&self.buf);
            self.buf.clear();
        }
        if bytes.len() > BUFFER {
            self.sha.update(bytes);
        } else {
            self.buf.extend_from_slice(bytes);
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
        self.put(b"[\"");
        let mut from = 0;
        for comma in memchr::memchr_iter(b',', bytes) {
            self.put(&bytes[from..comma]);
            self.put(b"\",\"");
            from = comma + 1;
        }
        self.put(&bytes[from..]);
        self.put(b"\"]");
    }

    pub fn finish(mut self) -> String {
        self.sha.update(&self.buf);
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
