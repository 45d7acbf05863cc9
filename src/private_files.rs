//! Files that only the user may read: the audit database with its journal, lock files (0600),
//! and temporary files that are created fresh (never opened through a symlink or over a file
//! someone planted at the name). The data directory itself is `crate::private_dir`.

use std::fs::{File, OpenOptions};
use std::path::Path;

use crate::error::{Error, IoContext, Result};

/// Makes an existing file readable and writable by the user only.
pub fn restrict(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if path.exists() {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                .io_context("setting the permissions of", path)?;
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// The mode bits when group or others have any access (unix); None when private.
pub fn group_or_other_access(meta: &std::fs::Metadata) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        (mode & 0o077 != 0).then_some(mode)
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        None
    }
}

/// The mode of a secret file (key, client secret) that others could read, or None when only its
/// owner can. The one exception is a systemd credential (`LoadCredential=`): systemd writes it
/// 0400 and grants the service's user read access with an ACL, whose mask `stat` shows as group
/// read (mode 0440) although no group can read it. So a file directly in `$CREDENTIALS_DIRECTORY`
/// may show group read; any other bit, or write for group, still refuses it.
pub fn readable_by_others(path: &Path) -> std::io::Result<Option<u32>> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)?.permissions().mode() & 0o777;
        if mode & 0o077 == 0 || (mode & 0o037 == 0 && is_systemd_credential(path)) {
            return Ok(None);
        }
        Ok(Some(mode))
    }
    #[cfg(not(unix))]
    {
        std::fs::metadata(path)?;
        Ok(None)
    }
}

/// Whether `path` is a regular file directly inside the service's credentials directory.
#[cfg(unix)]
fn is_systemd_credential(path: &Path) -> bool {
    let Some(dir) = crate::env::var("CREDENTIALS_DIRECTORY") else {
        return false;
    };
    let real = |p: &Path| std::fs::canonicalize(p).ok();
    match (real(path), real(Path::new(&dir))) {
        (Some(file), Some(dir)) => {
            file.parent() == Some(dir.as_path())
                && std::fs::symlink_metadata(&file).is_ok_and(|m| m.is_file())
        }
        _ => false,
    }
}

/// Refuses a secret file that others could read (`what` names it in the error).
pub fn check_owner_only(what: &str, path: &Path) -> Result<()> {
    match readable_by_others(path).io_context(&format!("reading {what}"), path)? {
        None => Ok(()),
        Some(mode) => Err(Error::input(format!(
            "{what} `{}` is readable by other users (mode {mode:o})",
            path.display()
        ))
        .hint(format!("chmod 600 {}", path.display()))),
    }
}

/// Opens (creating 0600 if needed) a file that is read and written in place: a lock file.
pub fn open(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).truncate(false).write(true);
    private(&mut options);
    options.open(path)
}

/// Creates a new file that must not exist yet (0600 unless `mode` says otherwise). With
/// `create_new` the open fails on anything already at the path, a symlink included, so a
/// planted link cannot redirect the write.
pub fn create_new(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    private(&mut options);
    options.open(path)
}

/// A temporary name beside `path` that nobody can guess in advance.
pub fn temp_name(path: &Path, what: &str) -> std::path::PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(
        ".{name}.{what}-{}",
        crate::ids::random("", 8).to_ascii_lowercase()
    ))
}

fn private(options: &mut OpenOptions) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = options;
}
