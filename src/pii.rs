//! Finds and redacts personal data (e-mail addresses, phone numbers) in free text, for the
//! `pii_detected` fact and for notification e-mails.

/// True when the text holds an e-mail address or a phone number.
pub fn contains(text: &str) -> bool {
    // An address needs an `@` and a phone number 7 digits: most cell values have neither, and
    // are settled without redacting them.
    let digits = text.bytes().filter(u8::is_ascii_digit).count();
    if digits < 7 && !text.contains('@') {
        return false;
    }
    redact(text) != text
}

/// The text with every e-mail address replaced by `[email]` and every phone number by `[phone]`.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for token in split_keep(text) {
        out.push_str(if is_email(token) { "[email]" } else { token });
    }
    redact_phones(&out)
}

/// Splits into whitespace and non-whitespace runs, keeping both.
fn split_keep(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut in_space = None;
    for (i, c) in text.char_indices() {
        let space = c.is_whitespace();
        if in_space.is_some_and(|s| s != space) {
            parts.push(&text[start..i]);
            start = i;
        }
        in_space = Some(space);
    }
    if start < text.len() {
        parts.push(&text[start..]);
    }
    parts
}

fn is_email(token: &str) -> bool {
    is_address(token.trim_matches(|c: char| !c.is_alphanumeric()))
}

/// `local@domain.tld`: a non-empty local part and a dotted domain of letters, digits and dashes.
pub fn is_address(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '.' || c == '-')
}

/// Replaces runs of 7 to 15 digits (with + ( ) - . and space separators) by `[phone]`.
fn redact_phones(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit()
            || (chars[i] == '+' || chars[i] == '(')
                && chars.get(i + 1).is_some_and(|c| c.is_ascii_digit())
        {
            let mut j = i;
            let mut digits = 0;
            while j < chars.len() && (chars[j].is_ascii_digit() || "+()-. ".contains(chars[j])) {
                digits += usize::from(chars[j].is_ascii_digit());
                j += 1;
            }
            // Give back trailing separators: the run ends on its last digit.
            while j > i && !chars[j - 1].is_ascii_digit() {
                j -= 1;
            }
            let run: String = chars[i..j].iter().collect();
            // A price like 1299.99 has one dot and two decimals; a phone number has no such tail.
            let looks_like_price = run.matches('.').count() == 1
                && run.rsplit('.').next().is_some_and(|t| t.len() <= 2);
            if (7..=15).contains(&digits) && !looks_like_price {
                out.push_str("[phone]");
            } else {
                out.push_str(&run);
            }
            i = j;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_emails_and_phones_but_not_prices() {
        assert_eq!(redact("mail jane.doe@example.com now"), "mail [email] now");
        assert_eq!(redact("call +1 (555) 123-4567"), "call [phone]");
        assert_eq!(redact("call 555-123-4567."), "call [phone].");
        assert_eq!(
            redact("price 1299.99 and 12 units"),
            "price 1299.99 and 12 units"
        );
        assert!(!contains("Classic Runner"));
    }
}
