//! The approval gate of gate mode: it answers, and accepts the login.

use std::time::Duration;

use super::Check;
use crate::env;
use crate::settings::Settings;

/// The approval gate, when one is configured: its `/healthz` must answer 200, and an
/// authenticated route (`/v1/keys`) must accept the login's access token.
pub fn check(settings: &Settings) -> Check {
    const NAME: &str = "gate";
    let base = match settings.gate() {
        Ok(Some(url)) => url,
        Ok(None) => {
            return Check::skip(
                NAME,
                "not configured (approvals go to the terminal or CIBA)",
            );
        }
        Err(e) => return Check::error(NAME, e),
    };
    let url = format!("{base}/healthz");
    let answer = crate::net::block_on(async {
        reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| e.to_string())?
            .get(&url)
            .send()
            .await
            .map_err(|e| crate::auth::http::transport_message(&e))
            .map(|r| r.status())
    });
    match answer {
        Ok(status) if status.is_success() => {
            let gate = crate::gate::client::Gate::new(base.clone(), settings.login());
            match crate::net::block_on(gate.keys()) {
                Ok(_) => Check::ok(
                    NAME,
                    format!("{base} answers, and accepts this login (GET /v1/keys)"),
                ),
                Err(e) => Check::error(NAME, e.context(format!("{base} answers /healthz, but"))),
            }
        }
        Ok(status) => Check::fail(
            NAME,
            format!("{url} answers {status}"),
            "check the gate's logs (`changeset gate serve`)",
        ),
        Err(why) => Check::fail(
            NAME,
            format!("{url}: {why}"),
            format!("start the gate, or fix {} / `url` in [gate]", env::GATE_URL),
        ),
    }
}
