//! Files that only the user may read: the audit database with its journal, lock files (0600),
//! and temporary files that are created fresh (never opened through a symlink or over a file
//! someone planted at the name). The data directory itself is `crate::private_dir`.

use std::fs::{File, OpenOptions};
use std::path::Path;

use crate::error::{IoContext, Result};

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
