//! The data directory holds the audit database, the journal and (opt-in) the credential file:
//! it is created readable by its owner only, and `doctor` flags one that is not.

use std::path::Path;

/// `mkdir -p` with mode 0700 for every directory it creates (existing ones are left as they are).
pub fn create(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Whether `dir` could be created: its nearest existing ancestor can be written, which is
/// tried (permission bits do not tell root's story).
pub fn can_create(dir: &Path) -> bool {
    dir.ancestors()
        .skip(1)
        .find(|p| p.is_dir())
        .is_some_and(writable)
}

fn writable(dir: &Path) -> bool {
    let probe = dir.join(format!(".changeset-doctor-{}", std::process::id()));
    std::fs::create_dir(&probe).is_ok() && std::fs::remove_dir(&probe).is_ok()
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn created_directories_are_private() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/b");
        super::create(&dir).unwrap();
        for d in [tmp.path().join("a"), dir] {
            let mode = std::fs::metadata(&d).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "{} is {mode:o}", d.display());
        }
    }
}
