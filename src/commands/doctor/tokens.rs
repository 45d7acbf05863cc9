//! Google tokens fetched the way a run fetches them: one Token Vault exchange per agent.

use super::Check;
use crate::env;
use crate::google::token::{Agent, EnvToken};
use crate::settings::Settings;

/// Fetches a Google token for each agent the way a run does (Token Vault, one exchange per
/// agent); each must cover the agent's scope.
pub(super) fn tokens(
    name: &'static str,
    settings: &Settings,
    agents: &[Agent],
    unused: &str,
) -> Check {
    if agents.is_empty() {
        return Check::skip(name, format!("not needed: {unused}"));
    }
    if EnvToken::from_env().is_some() {
        return Check::skip(
            name,
            format!(
                "{} replaces Token Vault (its scope shows when Google answers)",
                env::GOOGLE_ACCESS_TOKEN
            ),
        );
    }
    let mut source = crate::commands::context::tokens(settings);
    let mut granted = Vec::new();
    for agent in agents {
        match source.fetch(*agent) {
            Ok(t) => granted.push(format!(
                "{} ({})",
                agent.name(),
                t.grant
                    .granted_scope
                    .unwrap_or_else(|| agent.scope().to_string())
            )),
            Err(e) => return Check::error(name, e.context(format!("the {} agent", agent.name()))),
        }
    }
    Check::ok(
        name,
        format!("tokens cover each agent's scope: {}", granted.join("; ")),
    )
}
