//! The parts on this machine: config file, data directory, audit log and credential store.

use super::Check;
use crate::audit::{Location, PostgresStore};
use crate::auth::store;
use crate::env;
use crate::private_dir;
use crate::private_files::group_or_other_access;
use crate::settings::Settings;

pub fn config(settings: &Settings) -> Check {
    match &settings.config_path {
        Some(path) => Check::ok("config", format!("{} parses", path.display())),
        None => Check::ok("config", "no config file; defaults and environment in use"),
    }
}

pub fn data_dir(settings: &Settings) -> Check {
    let dir = &settings.data_dir;
    let Ok(meta) = std::fs::metadata(dir) else {
        return if private_dir::can_create(dir) {
            Check::ok(
                "data directory",
                format!("{} (created 0700 on first use)", dir.display()),
            )
        } else {
            Check::fail(
                "data directory",
                format!("{} does not exist and cannot be created", dir.display()),
                format!(
                    "create it with `mkdir -p -m 700 {}`, or set {} to a writable directory",
                    dir.display(),
                    env::DATA_DIR
                ),
            )
        };
    };
    if !meta.is_dir() {
        return Check::fail(
            "data directory",
            format!("{} is not a directory", dir.display()),
            format!("set {} to a directory", env::DATA_DIR),
        );
    }
    match group_or_other_access(&meta) {
        Some(mode) => Check::fail(
            "data directory",
            format!(
                "{} is mode {mode:o}: others can read the audit log and any credential file",
                dir.display()
            ),
            format!("chmod 700 {}", dir.display()),
        ),
        None => Check::ok("data directory", format!("{} (0700)", dir.display())),
    }
}

/// The audit log: a local `audit.db` (its directory is checked above), or a shared PostgreSQL
/// log, connected to without changing anything.
pub fn audit_log(settings: &Settings) -> Check {
    const NAME: &str = "audit log";
    match settings.audit_location() {
        Location::Sqlite(dir) => {
            Check::ok(NAME, format!("{} (local)", dir.join("audit.db").display()))
        }
        Location::Postgres(url) => match PostgresStore::probe(&url) {
            Ok((shown, Some(count))) => Check::ok(NAME, format!("{shown}: {count} receipt(s)")),
            Ok((shown, None)) => Check::ok(
                NAME,
                format!("{shown}: reachable; the tables are created on first use"),
            ),
            Err(e) => Check::error(NAME, e),
        },
    }
}

pub fn credential_store(settings: &Settings) -> Check {
    const NAME: &str = "credential store";
    if env::var(env::REFRESH_TOKEN).is_some() {
        return Check::ok(
            NAME,
            format!("{} (environment; wins over any store)", env::REFRESH_TOKEN),
        );
    }
    let file = store::credential_file(&settings.data_dir);
    if let Ok(meta) = std::fs::metadata(&file)
        && let Some(mode) = group_or_other_access(&meta)
    {
        return Check::fail(
            NAME,
            format!(
                "{} is mode {mode:o}: others can read the login",
                file.display()
            ),
            format!("chmod 600 {}", file.display()),
        );
    }
    let wants_file = matches!(store::requested(None), Ok(Some(store::Choice::File)));
    match store::keychain_usable() {
        Ok(()) if !wants_file => Check::ok(
            NAME,
            "OS keychain (a probe entry was written, read and deleted)",
        ),
        _ if wants_file || file.exists() => {
            Check::ok(NAME, format!("file {} (0600)", file.display()))
        }
        Ok(()) => unreachable!("handled above"),
        // A machine without a keychain (CI, containers, SSH) is normal: the file store and the
        // environment still work, so this is not a failure.
        Err(why) => Check::ok(
            NAME,
            format!("no OS keychain ({why}); the 0600 file store is available"),
        )
        .hint(format!(
            "log in with `changeset login --credential-store file`, or set {} in CI",
            env::REFRESH_TOKEN
        )),
    }
}
