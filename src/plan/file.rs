//! Reading and writing plan files. A reader accepts any minor addition (unknown fields are
//! ignored) and rejects a higher major `format_version`.

use std::path::Path;

use super::{FORMAT_VERSION, Plan};
use crate::error::{Error, IoContext, Result};

/// Plan files larger than this are refused before parsing.
const MAX_PLAN_BYTES: u64 = 256 * 1024 * 1024;

pub fn read(path: &Path) -> Result<Plan> {
    let meta = std::fs::metadata(path).io_context("reading the plan", path)?;
    if meta.len() > MAX_PLAN_BYTES {
        return Err(Error::input(format!(
            "`{}` is too large to be a plan file",
            path.display()
        )));
    }
    let text = std::fs::read_to_string(path).io_context("reading the plan", path)?;
    parse(&text).map_err(|e| e.context(format!("`{}`", path.display())))
}

pub fn parse(text: &str) -> Result<Plan> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        Error::input(format!("not a plan file (invalid JSON: {e})"))
            .hint("make one with `changeset plan \"...\" -o plan.json`")
    })?;
    let version = value.get("format_version").and_then(|v| v.as_u64());
    match version {
        Some(v) if v == u64::from(FORMAT_VERSION) => {}
        Some(v) if v > u64::from(FORMAT_VERSION) => {
            return Err(Error::input(format!(
                "the plan has format_version {v}, newer than this changeset understands ({FORMAT_VERSION})"
            ))
            .hint("upgrade changeset, or plan again with this version"));
        }
        _ => return Err(Error::input("not a plan file (no valid format_version)")),
    }
    let plan: Plan = serde_json::from_value(value)
        .map_err(|e| Error::input(format!("the plan file is malformed: {e}")))?;
    check_ids(&plan)?;
    Ok(plan)
}

/// The ids a plan carries into prompts, binding messages, headers and the journal.
pub fn check_ids(plan: &Plan) -> Result<()> {
    crate::ids::check_plan(&plan.id)?;
    if let Some(r) = &plan.rollback_of {
        crate::ids::check_receipt(r)?;
    }
    Ok(())
}

/// Serialised straight into the file (a large plan is never held as one string).
pub fn write(path: &Path, plan: &Plan) -> Result<()> {
    use std::io::Write;
    let file = std::fs::File::create(path).io_context("writing the plan", path)?;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, file);
    serde_json::to_writer_pretty(&mut out, plan)
        .map_err(std::io::Error::from)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush())
        .io_context("writing the plan", path)
}
