//! `changeset rollback <receipt-id>`: plan the inverse of an applied changeset, then approve
//! and apply it like any other plan (same stale checks, scoring and approval).

use crate::cli::RollbackArgs;
use crate::error::Result;
use crate::output;
use crate::plan::{Draft, file};
use crate::policy::RuleSet;
use crate::receipt::Receipt;
use crate::receipt::inverse;
use crate::settings::Settings;

use super::context;

pub fn run(settings: &Settings, args: &RollbackArgs) -> Result<u8> {
    let rules = RuleSet::load(settings.rules_path.as_deref())?;
    let receipt = {
        let mut store = crate::audit::open(&settings.audit_location())?;
        let body = store.find(&args.receipt)?;
        Receipt::verify_text(&body).map_err(|e| e.context(format!("receipt `{}`", args.receipt)))?
    };
    let spec = settings.source_of(&receipt.source)?;
    let mut source = context::open_source(settings, &spec)?;
    let catalog = source.read()?;
    let operations = inverse::operations(&receipt, &catalog)?;
    let request = format!("rollback of {} ({})", receipt.id, receipt.request);
    let draft = Draft {
        source: source.describe(),
        catalog: &catalog,
        request: &request,
        operations,
        rollback_of: Some(receipt.id.clone()),
    };
    let scoring = context::scoring(settings, &rules, &[])?;
    let plan = crate::plan::assemble(scoring, draft, || catalog.fingerprint())?;
    if let Some(path) = &args.out {
        file::write(path, &plan)?;
        output::plan(settings.json(), &plan)?;
        output::note(
            settings.quiet,
            &format!(
                "Saved rollback plan {} to {}; apply it with: changeset apply {}",
                plan.id,
                path.display(),
                path.display()
            ),
        );
        return Ok(0);
    }
    let method = context::approval_method(settings, args.approval)?;
    let approver = context::approver(settings, method, None);
    context::execute(settings, &rules, &plan, &spec, approver.as_ref(), None, &[])
}
