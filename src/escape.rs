//! Printing data safely: control characters from catalog cells, requests and files are shown,
//! never obeyed, in every table, prompt, message and header.

/// Text from a catalog, a request or a file, made safe to print: every control character (C0,
/// DEL, C1: ANSI escapes, CR, LF, backspace...) is shown as a visible escape such as `\x1b`, so
/// it can neither repaint the terminal nor start a forged line in a prompt, table or header.
pub fn escape(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn control_characters_are_shown_not_obeyed() {
        assert_eq!(escape("Trail Runner"), "Trail Runner");
        assert_eq!(escape("a\r\nb"), "a\\r\\nb");
        assert_eq!(escape("\u{1b}[2Jx"), "\\x1b[2Jx");
        assert_eq!(escape("\u{9b}31m\u{7f}"), "\\x9b31m\\x7f");
        assert_eq!(escape("prix: 10 €"), "prix: 10 €");
    }
}
