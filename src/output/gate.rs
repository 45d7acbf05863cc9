//! How an apply at the gate looks: the line said when it is sent, the spinner's label while it
//! waits (approvers and time left), and `gate status` / `gate cancel`. `now` is passed in
//! (Unix seconds) so the time left is the caller's clock and tests can fix it.

use crate::escape::escape;
use crate::gate::api::{AnswerState, ApplyStatus, ApplyView};

/// Said once after the gate accepted an apply: who must approve, and what their device shows.
pub fn announcement(view: &ApplyView, now: i64) -> String {
    if view.required == 0 {
        return format!(
            "The gate accepted {} (tier {}, no approval needed) and applies it.",
            escape(&view.id),
            view.tier
        );
    }
    let shown = view
        .binding_message
        .as_deref()
        .map(|m| format!("; their device shows \"{}\"", escape(m)))
        .unwrap_or_default();
    let asked: Vec<String> = view.approvers.iter().map(|a| escape(&a.sub)).collect();
    format!(
        "The gate sent {} (tier {}) for approval: {} needed from {}{shown}; {}.",
        escape(&view.id),
        view.tier,
        view.required,
        asked.join(", "),
        time_left(&view.expires_at, now)
    )
}

/// The spinner's label while the apply is not final.
pub fn waiting(view: &ApplyView, now: i64) -> String {
    match view.status {
        ApplyStatus::Approved => format!("Approved; the gate is writing {}", escape(&view.id)),
        _ => format!(
            "Waiting for approval at the gate: {} ({} of {} approved) · {}",
            approvers(view),
            approved(view),
            view.required,
            time_left(&view.expires_at, now)
        ),
    }
}

/// The spinner's label while the gate does not answer (a restart keeps the apply).
pub fn gate_down(url: &str, seconds: u64) -> String {
    format!(
        "The gate at {} is not answering ({seconds} s); asking again",
        escape(url)
    )
}

/// `gate status` and `gate cancel`: the apply, one fact a line.
pub fn apply(view: &ApplyView, now: i64) -> String {
    let mut out = format!("Apply {}  {}\n", escape(&view.id), view.status);
    let mut line = |label: &str, value: String| out.push_str(&format!("  {label:<10} {value}\n"));
    line(
        "plan",
        format!("{} ({})", escape(&view.plan_id), escape(&view.plan_hash)),
    );
    line(
        "tier",
        match view.required {
            0 => format!("{} (no approval needed)", view.tier),
            n => format!("{} ({n} approval(s) needed)", view.tier),
        },
    );
    line("requester", escape(&view.requester));
    if !view.approvers.is_empty() {
        line("approvers", approvers(view));
    }
    if !view.status.is_final() {
        line(
            "expires",
            format!(
                "{} ({})",
                escape(&view.expires_at),
                time_left(&view.expires_at, now)
            ),
        );
    }
    if let Some(r) = &view.receipt {
        line("receipt", format!("{} ({})", escape(&r.id), r.outcome));
    }
    if let Some(e) = &view.error {
        line("why", escape(&e.error_description));
    }
    out
}

fn approved(view: &ApplyView) -> usize {
    view.approvers
        .iter()
        .filter(|a| a.state == AnswerState::Approved)
        .count()
}

/// `auth0|alice ✓, auth0|bob …`: each approver with their answer so far.
fn approvers(view: &ApplyView) -> String {
    if view.approvers.is_empty() {
        return "(no approver)".to_string();
    }
    view.approvers
        .iter()
        .map(|a| {
            let mark = match a.state {
                AnswerState::Pending => "…",
                AnswerState::Approved => "✓",
                AnswerState::Denied => "✗ denied",
                AnswerState::Expired => "expired",
            };
            format!("{} {mark}", escape(&a.sub))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `4:05 left`, `expired`, or the raw time when it cannot be read.
fn time_left(expires_at: &str, now: i64) -> String {
    match expires_at.parse::<jiff::Timestamp>() {
        Ok(at) if at.as_second() > now => {
            let left = at.as_second() - now;
            format!("{}:{:02} left", left / 60, left % 60)
        }
        Ok(_) => "expired".to_string(),
        Err(_) => format!("until {}", escape(expires_at)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::api::ApproverView;

    fn view(status: ApplyStatus) -> ApplyView {
        ApplyView {
            id: "A-1".into(),
            status,
            plan_id: "P-1".into(),
            plan_hash: "sha256:ab".into(),
            tier: 3,
            required: 2,
            approvers: vec![
                ApproverView {
                    sub: "auth0|alice".into(),
                    state: AnswerState::Approved,
                },
                ApproverView {
                    sub: "auth0|bob".into(),
                    state: AnswerState::Pending,
                },
            ],
            binding_message: Some("Approve P-1 ab12".into()),
            expires_at: "2026-12-01T00:05:05Z".into(),
            requester: "auth0|user-1".into(),
            receipt: None,
            error: None,
        }
    }

    #[test]
    fn the_wait_names_the_approvers_and_the_time_left() {
        let now: i64 = "2026-12-01T00:00:00Z"
            .parse::<jiff::Timestamp>()
            .unwrap()
            .as_second();
        let v = view(ApplyStatus::PendingApproval);
        assert_eq!(
            waiting(&v, now),
            "Waiting for approval at the gate: auth0|alice ✓, auth0|bob … (1 of 2 approved) · 5:05 left"
        );
        assert_eq!(
            announcement(&v, now),
            "The gate sent A-1 (tier 3) for approval: 2 needed from auth0|alice, auth0|bob; their device shows \"Approve P-1 ab12\"; 5:05 left."
        );
        assert!(waiting(&v, now + 400).ends_with("expired"));
        assert_eq!(
            waiting(&view(ApplyStatus::Approved), now),
            "Approved; the gate is writing A-1"
        );
        assert_eq!(
            apply(&v, now),
            "Apply A-1  pending_approval
  plan       P-1 (sha256:ab)
  tier       3 (2 approval(s) needed)
  requester  auth0|user-1
  approvers  auth0|alice ✓, auth0|bob …
  expires    2026-12-01T00:05:05Z (5:05 left)
"
        );
    }
}
