//! Where the login lives. Tried in this order:
//! 1. `CHANGESET_REFRESH_TOKEN` (CI): read from the environment, never written anywhere;
//! 2. the OS keychain, only if a probe write/read/delete works (headless Linux has none);
//! 3. an opt-in 0600 file in the data directory (`--credential-store file`);
//! 4. otherwise login stops with exit 4 and a hint naming options 1 and 3.
//!
//! A stored credential holds the refresh token, the current access token with its expiry (so
//! that concurrent commands share one refresh, see `session`), and who logged in.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::Tenant;
use crate::env;
use crate::error::{Error, IoContext, Result};

/// The signed-in user, from the validated ID token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub sub: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Unix seconds of the authentication (ID token `auth_time`, else the login time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
}

/// A login: tokens stay secret in memory; only the stores see them in clear.
#[derive(Debug, Clone)]
pub struct Credential {
    pub refresh_token: SecretString,
    pub access_token: Option<SecretString>,
    /// Unix seconds.
    pub access_expires_at: Option<i64>,
    pub scope: Option<String>,
    /// Unknown for a bare CHANGESET_REFRESH_TOKEN until the first refresh returns an ID token.
    pub user: Option<User>,
}

/// The serialised form, used only at the store boundary.
#[derive(Serialize, Deserialize)]
struct Stored {
    refresh_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    access_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    access_expires_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    user: Option<User>,
}

impl Stored {
    fn from(c: &Credential) -> Stored {
        Stored {
            refresh_token: c.refresh_token.expose_secret().to_string(),
            access_token: c
                .access_token
                .as_ref()
                .map(|t| t.expose_secret().to_string()),
            access_expires_at: c.access_expires_at,
            scope: c.scope.clone(),
            user: c.user.clone(),
        }
    }

    fn into_credential(self) -> Credential {
        Credential {
            refresh_token: SecretString::from(self.refresh_token),
            access_token: self.access_token.map(SecretString::from),
            access_expires_at: self.access_expires_at,
            scope: self.scope,
            user: self.user,
        }
    }
}

/// Which store holds the login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Env,
    Keychain,
    File,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Env => "env",
            Kind::Keychain => "keychain",
            Kind::File => "file",
        }
    }
}

/// A persistent store a login can be asked to go to (`--credential-store`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    Keychain,
    File,
}

/// A credential store. Implementations are keyed by the tenant (one login per tenant and app).
pub trait CredentialStore: Send + Sync {
    fn kind(&self) -> Kind;
    /// Where, for `whoami`: a path, a keychain entry name, or the variable name.
    fn location(&self) -> String;
    fn load(&self) -> Result<Option<Credential>>;
    fn save(&self, credential: &Credential) -> Result<()>;
    /// Deletes the login; Ok(false) when there was none.
    fn delete(&self) -> Result<bool>;
}

/// The store named by --credential-store or CHANGESET_CREDENTIAL_STORE, if any.
pub fn requested(flag: Option<Choice>) -> Result<Option<Choice>> {
    if flag.is_some() {
        return Ok(flag);
    }
    match env::var(env::CREDENTIAL_STORE).as_deref() {
        None => Ok(None),
        Some("file") => Ok(Some(Choice::File)),
        Some("keychain") => Ok(Some(Choice::Keychain)),
        Some(other) => Err(Error::input(format!(
            "{}: `{other}` is not one of keychain, file",
            env::CREDENTIAL_STORE
        ))),
    }
}

/// The store a new login goes to: the requested one, else the keychain when it works, else
/// exit 4 with the ways out. Decided before the device flow starts, so nobody logs in for nothing.
pub fn for_login(
    data_dir: &Path,
    tenant: &Tenant,
    flag: Option<Choice>,
) -> Result<Box<dyn CredentialStore>> {
    match requested(flag)? {
        Some(Choice::File) => Ok(Box::new(FileStore::new(data_dir, tenant))),
        Some(Choice::Keychain) | None => match keychain::open(tenant) {
            Ok(store) => Ok(Box::new(store)),
            Err(why) => Err(no_keychain(&why)),
        },
    }
}

fn no_keychain(why: &str) -> Error {
    Error::needs_auth(format!(
        "no OS keychain is usable here ({why}), so the login has nowhere safe to go"
    ))
    .hint(format!(
        "`changeset login --credential-store file` keeps it in a 0600 file in the data directory (or set {}=file)",
        env::CREDENTIAL_STORE
    ))
    .hint(format!(
        "in CI, set {} to a refresh token instead of logging in",
        env::REFRESH_TOKEN
    ))
}

/// The store that holds the current login: the environment, else the keychain (when usable and
/// holding one), else the file. None when not logged in.
pub fn current(data_dir: &Path, tenant: &Tenant) -> Result<Option<Box<dyn CredentialStore>>> {
    if let Some(token) = env::var(env::REFRESH_TOKEN) {
        tracing::debug!("using the refresh token from {}", env::REFRESH_TOKEN);
        return Ok(Some(Box::new(EnvStore::new(token))));
    }
    for store in persistent(data_dir, tenant)? {
        if store.load()?.is_some() {
            tracing::debug!(store = store.kind().name(), location = %store.location(), "found the login");
            return Ok(Some(store));
        }
    }
    Ok(None)
}

/// The persistent stores that may hold a login for this tenant (for `current` and `logout`):
/// the keychain when usable and not opted out of, and the file.
pub fn persistent(data_dir: &Path, tenant: &Tenant) -> Result<Vec<Box<dyn CredentialStore>>> {
    let mut stores: Vec<Box<dyn CredentialStore>> = Vec::new();
    if requested(None)? != Some(Choice::File)
        && let Ok(k) = keychain::open(tenant)
    {
        stores.push(Box::new(k));
    }
    stores.push(Box::new(FileStore::new(data_dir, tenant)));
    Ok(stores)
}

/// Whether the OS keychain works on this machine; Err says why not.
pub fn keychain_usable() -> std::result::Result<(), String> {
    keychain::usable()
}

/// The credential file of `--credential-store file`, in the data directory.
pub fn credential_file(data_dir: &Path) -> PathBuf {
    data_dir.join("credentials.json")
}

/// The error for "no login": exit 4 and what to do.
pub fn not_logged_in(tenant: &Tenant) -> Error {
    Error::needs_auth(format!("not logged in to {}", tenant.issuer()))
        .hint("run `changeset login`")
        .hint(format!(
            "in CI, set {} to a refresh token",
            env::REFRESH_TOKEN
        ))
}

// ---- 1. the environment ------------------------------------------------------------------

/// CHANGESET_REFRESH_TOKEN. Nothing is written back: a rotated token lives in this process
/// only (shared by every use in the process, so it is never presented twice).
pub struct EnvStore;

/// The variable's original value and the credential it has become in this process.
static ENV_CURRENT: Mutex<Option<(String, Credential)>> = Mutex::new(None);

impl EnvStore {
    pub fn new(token: String) -> EnvStore {
        let mut current = ENV_CURRENT.lock().expect("env store lock");
        if current
            .as_ref()
            .is_none_or(|(original, _)| *original != token)
        {
            let credential = Credential {
                refresh_token: SecretString::from(token.clone()),
                access_token: None,
                access_expires_at: None,
                scope: None,
                user: None,
            };
            *current = Some((token, credential));
        }
        EnvStore
    }
}

impl CredentialStore for EnvStore {
    fn kind(&self) -> Kind {
        Kind::Env
    }
    fn location(&self) -> String {
        env::REFRESH_TOKEN.to_string()
    }
    fn load(&self) -> Result<Option<Credential>> {
        Ok(ENV_CURRENT
            .lock()
            .expect("env store lock")
            .as_ref()
            .map(|(_, c)| c.clone()))
    }
    fn save(&self, credential: &Credential) -> Result<()> {
        if let Some((_, current)) = ENV_CURRENT.lock().expect("env store lock").as_mut() {
            *current = credential.clone();
        }
        Ok(())
    }
    fn delete(&self) -> Result<bool> {
        Ok(false)
    }
}

// ---- 3. the file -------------------------------------------------------------------------

/// `credentials.json` in the data directory, mode 0600, one entry per tenant.
pub struct FileStore {
    path: PathBuf,
    key: String,
}

impl FileStore {
    pub fn new(data_dir: &Path, tenant: &Tenant) -> FileStore {
        FileStore {
            path: credential_file(data_dir),
            key: tenant.store_key(),
        }
    }

    fn read_all(&self) -> Result<serde_json::Map<String, serde_json::Value>> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                Error::runtime(format!(
                    "the credential file `{}` is damaged: {e}",
                    self.path.display()
                ))
                .hint("delete it and run `changeset login --credential-store file`")
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Default::default()),
            Err(e) => Err(e)
                .io_context("reading the credential file", &self.path)
                .map(|()| Default::default()),
        }
    }

    fn write_all(&self, all: &serde_json::Map<String, serde_json::Value>) -> Result<()> {
        if all.is_empty() {
            return match std::fs::remove_file(&self.path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    Err(e).io_context("deleting the credential file", &self.path)
                }
                _ => Ok(()),
            };
        }
        let dir = self.path.parent().unwrap_or(Path::new("."));
        crate::private_dir::create(dir).io_context("creating the data directory", dir)?;
        let bytes = serde_json::to_vec_pretty(all)?;
        // Write a private temporary file, then rename: readers never see half a file and the
        // token is never readable by others, not even for a moment.
        let tmp = crate::private_files::temp_name(&self.path, "tmp");
        write_private(&tmp, &bytes).io_context("writing the credential file", &tmp)?;
        std::fs::rename(&tmp, &self.path).io_context("writing the credential file", &self.path)
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = crate::private_files::create_new(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

impl CredentialStore for FileStore {
    fn kind(&self) -> Kind {
        Kind::File
    }
    fn location(&self) -> String {
        self.path.display().to_string()
    }
    fn load(&self) -> Result<Option<Credential>> {
        let all = self.read_all()?;
        match all.get(&self.key) {
            None => Ok(None),
            Some(v) => serde_json::from_value::<Stored>(v.clone())
                .map(|s| Some(s.into_credential()))
                .map_err(|e| {
                    Error::runtime(format!(
                        "the credential file `{}` has a damaged entry: {e}",
                        self.path.display()
                    ))
                    .hint("run `changeset login --credential-store file` again")
                }),
        }
    }
    fn save(&self, credential: &Credential) -> Result<()> {
        let mut all = self.read_all()?;
        all.insert(
            self.key.clone(),
            serde_json::to_value(Stored::from(credential))?,
        );
        self.write_all(&all)
    }
    fn delete(&self) -> Result<bool> {
        let mut all = self.read_all()?;
        let had = all.remove(&self.key).is_some();
        if had {
            self.write_all(&all)?;
        }
        Ok(had)
    }
}

// ---- 2. the OS keychain ------------------------------------------------------------------

#[cfg(feature = "keychain")]
mod keychain {
    use std::sync::{Arc, OnceLock};
    use std::time::Duration;

    use super::{Credential, CredentialStore, Kind, Stored, Tenant};
    use crate::error::{Error, Result};

    const SERVICE: &str = "changeset";
    /// Windows Credential Manager caps a blob at 2560 bytes; past this the access token is
    /// left out (it is refreshed when needed) rather than the login failing.
    const MAX_BLOB: usize = 2000;
    /// A stuck D-Bus or an unanswered unlock prompt must not hang the CLI (gh does the same).
    const TIMEOUT: Duration = Duration::from_secs(3);

    /// Whether the OS keychain works here (a probe write, read and delete), for `doctor`.
    pub fn usable() -> std::result::Result<(), String> {
        platform()
    }

    /// The platform store, set up once per process; Err says why there is none.
    fn platform() -> std::result::Result<(), String> {
        static READY: OnceLock<std::result::Result<(), String>> = OnceLock::new();
        READY
            .get_or_init(|| {
                let store = within_timeout(new_store)?;
                keyring_core::set_default_store(store);
                // A probe round trip: some stores open fine and then fail every write.
                within_timeout(|| {
                    let probe =
                        keyring_core::Entry::new(SERVICE, &format!("probe-{}", std::process::id()))
                            .map_err(|e| e.to_string())?;
                    probe.set_password("probe").map_err(|e| e.to_string())?;
                    let back = probe.get_password().map_err(|e| e.to_string())?;
                    probe.delete_credential().map_err(|e| e.to_string())?;
                    if back == "probe" {
                        Ok(())
                    } else {
                        Err("the keychain returned something else than was stored".into())
                    }
                })
            })
            .clone()
    }

    #[cfg(target_os = "linux")]
    fn new_store() -> std::result::Result<Arc<keyring_core::CredentialStore>, String> {
        zbus_secret_service_keyring_store::Store::new()
            .map(|s| s as Arc<keyring_core::CredentialStore>)
            .map_err(|e| format!("Secret Service: {e}"))
    }

    #[cfg(target_os = "macos")]
    fn new_store() -> std::result::Result<Arc<keyring_core::CredentialStore>, String> {
        apple_native_keyring_store::keychain::Store::new()
            .map(|s| s as Arc<keyring_core::CredentialStore>)
            .map_err(|e| format!("Keychain: {e}"))
    }

    #[cfg(windows)]
    fn new_store() -> std::result::Result<Arc<keyring_core::CredentialStore>, String> {
        windows_native_keyring_store::Store::new()
            .map(|s| s as Arc<keyring_core::CredentialStore>)
            .map_err(|e| format!("Credential Manager: {e}"))
    }

    #[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
    fn new_store() -> std::result::Result<Arc<keyring_core::CredentialStore>, String> {
        Err("no keychain support on this platform".into())
    }

    /// Runs a keychain call on its own thread (the zbus store runs its own runtime, which must
    /// not nest in ours) and gives up after [`TIMEOUT`].
    fn within_timeout<T: Send + 'static>(
        f: impl FnOnce() -> std::result::Result<T, String> + Send + 'static,
    ) -> std::result::Result<T, String> {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(f());
        });
        rx.recv_timeout(TIMEOUT)
            .map_err(|_| format!("no answer within {} s", TIMEOUT.as_secs()))?
    }

    pub struct KeychainStore {
        user: String,
    }

    pub fn open(tenant: &Tenant) -> std::result::Result<KeychainStore, String> {
        platform()?;
        Ok(KeychainStore {
            user: tenant.store_key(),
        })
    }

    impl KeychainStore {
        fn call<T: Send + 'static>(
            &self,
            what: &str,
            f: impl FnOnce(keyring_core::Entry) -> keyring_core::Result<T> + Send + 'static,
        ) -> Result<Option<T>> {
            let user = self.user.clone();
            let result = within_timeout(move || {
                let entry = keyring_core::Entry::new(SERVICE, &user).map_err(|e| e.to_string())?;
                match f(entry) {
                    Ok(v) => Ok(Some(v)),
                    Err(keyring_core::Error::NoEntry) => Ok(None),
                    Err(e) => Err(e.to_string()),
                }
            });
            result.map_err(|why| {
                Error::runtime(format!("{what} the OS keychain: {why}")).hint(
                    "use `changeset login --credential-store file` if the keychain stays unusable",
                )
            })
        }
    }

    impl CredentialStore for KeychainStore {
        fn kind(&self) -> Kind {
            Kind::Keychain
        }
        fn location(&self) -> String {
            format!("{SERVICE} / {}", self.user)
        }
        fn load(&self) -> Result<Option<Credential>> {
            let Some(text) = self.call("reading from", |e| e.get_password())? else {
                return Ok(None);
            };
            serde_json::from_str::<Stored>(&text)
                .map(|s| Some(s.into_credential()))
                .map_err(|_| {
                    Error::runtime("the keychain entry for changeset is damaged")
                        .hint("run `changeset logout`, then `changeset login`")
                })
        }
        fn save(&self, credential: &Credential) -> Result<()> {
            let mut stored = Stored::from(credential);
            let mut text = serde_json::to_string(&stored)?;
            if text.len() > MAX_BLOB {
                stored.access_token = None;
                stored.access_expires_at = None;
                text = serde_json::to_string(&stored)?;
            }
            self.call("writing to", move |e| e.set_password(&text))
                .map(|_| ())
        }
        fn delete(&self) -> Result<bool> {
            Ok(self
                .call("deleting from", |e| e.delete_credential())?
                .is_some())
        }
    }
}

#[cfg(not(feature = "keychain"))]
mod keychain {
    use super::{Credential, CredentialStore, Kind, Tenant};
    use crate::error::Result;

    pub enum KeychainStore {}

    pub fn usable() -> std::result::Result<(), String> {
        Err("this build has no keychain support (cargo feature `keychain`)".into())
    }

    pub fn open(_tenant: &Tenant) -> std::result::Result<KeychainStore, String> {
        usable().map(|()| unreachable!("usable() always fails without the feature"))
    }

    impl CredentialStore for KeychainStore {
        fn kind(&self) -> Kind {
            match *self {}
        }
        fn location(&self) -> String {
            match *self {}
        }
        fn load(&self) -> Result<Option<Credential>> {
            match *self {}
        }
        fn save(&self, _: &Credential) -> Result<()> {
            match *self {}
        }
        fn delete(&self) -> Result<bool> {
            match *self {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant() -> Tenant {
        Tenant {
            base_url: "https://t.example".into(),
            client_id: "cli".into(),
            audience: None,
        }
    }

    fn credential(rt: &str) -> Credential {
        Credential {
            refresh_token: SecretString::from(rt.to_string()),
            access_token: Some(SecretString::from("at".to_string())),
            access_expires_at: Some(10),
            scope: Some("openid".into()),
            user: Some(User {
                sub: "auth0|u".into(),
                name: None,
                email: None,
                auth_time: None,
            }),
        }
    }

    #[test]
    fn file_store_round_trips_privately_and_deletes() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path(), &tenant());
        assert!(store.load().unwrap().is_none());
        store.save(&credential("rt-1")).unwrap();
        let back = store.load().unwrap().unwrap();
        assert_eq!(back.refresh_token.expose_secret(), "rt-1");
        assert_eq!(back.user.unwrap().sub, "auth0|u");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("credentials.json"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(store.delete().unwrap());
        assert!(!store.delete().unwrap());
        assert!(!dir.path().join("credentials.json").exists());
    }

    #[test]
    fn env_store_keeps_rotations_in_memory_only() {
        let store = EnvStore::new("from-env".into());
        store.save(&credential("rotated")).unwrap();
        assert_eq!(
            store.load().unwrap().unwrap().refresh_token.expose_secret(),
            "rotated"
        );
        assert!(!store.delete().unwrap());
    }
}
