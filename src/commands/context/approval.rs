//! Who approves, and how: the method the config and flags select, and its approver.

use std::time::Duration;

use crate::apply::approval::Approver;
use crate::apply::ciba::CibaApprover;
use crate::apply::tty::Terminal;
use crate::auth;
use crate::error::{Error, Result};
use crate::policy::ApprovalMethod;
use crate::settings::Settings;

/// Which method asks for approval: the config's `approval.method`, else `ciba` when Auth0 and
/// the confidential application are configured, else `tty`. `--approval` may choose a stronger
/// method than that, never a weaker one: `tty` is refused where `ciba` is selected.
pub fn approval_method(
    settings: &Settings,
    explicit: Option<ApprovalMethod>,
) -> Result<ApprovalMethod> {
    let selected = match settings.config.approval.method {
        None if auth::Tenant::configured(&settings.config.auth0)
            && auth::client::Role::Ciba.configured() =>
        {
            ApprovalMethod::Ciba
        }
        None => ApprovalMethod::Tty,
        Some(method) => method,
    };
    match explicit {
        Some(ApprovalMethod::Tty) if selected == ApprovalMethod::Ciba => Err(Error::usage(
            "--approval tty is refused: the configuration selects ciba, and a flag may choose a stronger approval, never a weaker one",
        )
        .hint("approve on your device (CIBA), or change approval.method in the config file")),
        Some(m) => Ok(m),
        None => Ok(selected),
    }
}

/// The approver of a method, with the run's options; `wait` bounds an out-of-band wait.
pub fn approver(
    settings: &Settings,
    method: ApprovalMethod,
    wait: Option<Duration>,
) -> Box<dyn Approver> {
    let auth0 = &settings.config.auth0;
    match method {
        ApprovalMethod::Tty => Box::new(Terminal {
            can_prompt: settings.can_prompt,
            yes: settings.yes,
            auth0_configured: auth::Tenant::configured(auth0),
        }),
        ApprovalMethod::Ciba => {
            let conf = &settings.config.approval;
            Box::new(CibaApprover {
                auth0: auth0.clone(),
                login: settings.login(),
                approvers: conf.approvers.clone(),
                tier3: conf.tier3,
                expiry: conf.expiry(false),
                stronger_expiry: conf.expiry(true),
                rich_details: conf.rich_details,
                wait,
                quiet: settings.quiet,
                can_prompt: settings.can_prompt,
            })
        }
    }
}
