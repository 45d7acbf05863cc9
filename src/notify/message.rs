//! The notification e-mail: an RFC 822 plain-text message summarising a sealed receipt.
//!
//! Everything that comes from the catalog or the request (keys, values, labels, the request
//! itself) goes through [`crate::pii::redact`], so no e-mail address or phone number from the
//! data reaches the mailbox; the recipients come from the config. Header values are built only
//! from checked ids, counts and checked addresses, so nothing can inject a header.

use crate::catalog::value::show;
use crate::error::{Error, Result};
use crate::receipt::{Check, Receipt, VerifiedChange};

/// Changes listed in full; the rest are counted (the receipt has them all).
const MAX_LISTED: usize = 50;
/// Longest value shown, in characters (keeps every line far below RFC 5322's 998).
const MAX_VALUE: usize = 120;

/// Refuses anything but a plain `local@domain` address.
pub fn check_address(address: &str) -> Result<()> {
    // The shape PII redaction recognises, with an ASCII-only local part on top, so that no
    // header-breaking or look-alike character reaches the To: line.
    let ok = crate::pii::is_address(address)
        && address.is_ascii()
        && address.split_once('@').is_some_and(|(local, _)| {
            local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._%+-".contains(c))
        });
    if ok {
        Ok(())
    } else {
        Err(Error::input(format!(
            "config: `{address}` in [notify] recipients is not an e-mail address"
        ))
        .hint("use plain addresses: recipients = [\"ops@example.com\"]"))
    }
}

/// Data from the catalog or the request, made safe to mail: PII redacted, one line, bounded.
fn clean(text: &str) -> String {
    let one_line: String = crate::pii::redact(text)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if one_line.chars().count() > MAX_VALUE {
        let cut: String = one_line.chars().take(MAX_VALUE).collect();
        format!("{cut}…")
    } else {
        one_line
    }
}

/// The whole message, CRLF line endings, 8-bit UTF-8 body.
pub fn compose(receipt: &Receipt, recipients: &[String]) -> Result<String> {
    for r in recipients {
        check_address(r)?;
    }
    // The subject and Message-ID carry the ids: only well-formed ones (no CR/LF) go in a header.
    crate::ids::check_plan(&receipt.plan_id)?;
    crate::ids::check_receipt(&receipt.id)?;
    let changes: Vec<&VerifiedChange> = receipt
        .operations
        .iter()
        .flat_map(|o| o.changes.iter())
        .collect();
    let products: std::collections::BTreeSet<&str> =
        changes.iter().map(|c| c.key.as_str()).collect();
    let head = header(receipt, recipients, changes.len(), products.len());
    let mut body = summary(receipt, &changes, products.len());
    listing(receipt, changes.len(), &mut body);
    body.push(String::new());
    body.push(format!(
        "Check it: `changeset audit show {}` must show the receipt hash above, and `changeset audit verify` must pass.",
        receipt.id
    ));
    Ok(format!(
        "{}\r\n\r\n{}\r\n",
        head.join("\r\n"),
        body.join("\r\n")
    ))
}

fn header(
    receipt: &Receipt,
    recipients: &[String],
    changes: usize,
    products: usize,
) -> Vec<String> {
    let date = receipt
        .finished_at
        .parse::<jiff::Timestamp>()
        .ok()
        .and_then(|t| jiff::fmt::rfc2822::to_string(&t.to_zoned(jiff::tz::TimeZone::UTC)).ok());
    let mut head = vec![
        format!("To: {}", recipients.join(", ")),
        format!(
            "Subject: changeset {} {}: {changes} change(s) on {products} product(s)",
            clean(receipt.outcome.name()),
            receipt.plan_id,
        ),
        format!(
            "Message-ID: <{}.{}@changeset.invalid>",
            receipt.id, receipt.plan_id
        ),
        "MIME-Version: 1.0".to_string(),
        "Content-Type: text/plain; charset=UTF-8".to_string(),
        "Content-Transfer-Encoding: 8bit".to_string(),
    ];
    if let Some(date) = date {
        head.insert(0, format!("Date: {date}"));
    }
    head
}

/// The body's summary lines, up to the "Changes:" heading.
fn summary(receipt: &Receipt, changes: &[&VerifiedChange], products: usize) -> Vec<String> {
    let count = |k: Check| changes.iter().filter(|c| c.check == k).count();
    vec![
        format!("changeset applied plan {}.", receipt.plan_id),
        String::new(),
        format!("Request:      {}", clean(&receipt.request)),
        format!(
            "Source:       {} {}{}",
            receipt.source.kind,
            clean(&receipt.source.uri),
            receipt
                .source
                .tab
                .as_deref()
                .map(|t| format!(" / {}", clean(t)))
                .unwrap_or_default()
        ),
        format!(
            "Outcome:      {} · {} change(s) on {products} product(s) · read-back {} pass, {} warning, {} fail",
            receipt.outcome,
            changes.len(),
            count(Check::Pass),
            count(Check::Warning),
            count(Check::Fail)
        ),
        format!(
            "Approval:     {} (tier {})",
            receipt.approval.method, receipt.tier
        ),
        format!("Receipt:      {}", receipt.id),
        format!("Receipt hash: {}", receipt.hash),
        format!("Plan hash:    {}", receipt.plan_hash),
        String::new(),
        "Changes:".to_string(),
    ]
}

/// The first MAX_LISTED changes, by operation, and how many more the receipt holds.
fn listing(receipt: &Receipt, total: usize, body: &mut Vec<String>) {
    let mut listed = 0;
    for op in &receipt.operations {
        if op.changes.is_empty() {
            continue;
        }
        body.push(format!("  {} {}: {}", op.id, op.action, clean(&op.label)));
        for c in &op.changes {
            if listed == MAX_LISTED {
                break;
            }
            listed += 1;
            body.push(format!(
                "    {} {}: {} -> {} [{}]",
                clean(&c.key),
                clean(&c.field),
                clean(&show(&c.before)),
                clean(&show(&c.after)),
                match c.check {
                    Check::Pass => "pass",
                    Check::Warning => "warning",
                    Check::Fail => "fail",
                }
            ));
        }
    }
    if total > listed {
        body.push(format!(
            "  … and {} more change(s), all in the receipt",
            total - listed
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked() {
        assert!(check_address("ops@example.com").is_ok());
        assert!(check_address("a.b+c@x-y.example").is_ok());
        for bad in [
            "",
            "ops",
            "ops@",
            "@example.com",
            "a@b",
            "a b@example.com",
            "x@example.com\r\nBcc: y@z.com",
            "a,b@example.com",
        ] {
            assert!(check_address(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn data_is_redacted_and_kept_on_one_line() {
        assert_eq!(
            clean("mail jane@example.com\r\nBcc: x"),
            "mail [email]  Bcc: x"
        );
        assert_eq!(clean("call +1 555 123 4567"), "call [phone]");
        assert_eq!(clean(&"x".repeat(500)).chars().count(), MAX_VALUE + 1);
    }
}
