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
