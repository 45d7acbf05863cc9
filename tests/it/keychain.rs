//! The OS keychain for real (issue 17): login -> whoami -> logout against gnome-keyring's Secret
//! Service on a private session bus, checked from outside with `secret-tool`. scripts/test.sh
//! installs the tools; without them this test fails and says so, it never skips.

#![cfg(target_os = "linux")]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::idp::{self, Idp, cmd};
use crate::support::{TestEnv, run};

/// The password the test keyring is created and unlocked with.
const KEYRING_PASSWORD: &str = "test-keyring-password";

/// A `dbus-run-session` holding an unlocked gnome-keyring, in a temp HOME so that no real keyring
/// is touched. Dropping it closes the session's stdin: the bus and the keyring daemon end with it.
struct KeyringSession {
    child: Child,
    bus: String,
    _home: tempfile::TempDir,
}

impl KeyringSession {
    fn start() -> KeyringSession {
        for (tool, package) in [
            ("dbus-run-session", "dbus"),
            ("gnome-keyring-daemon", "gnome-keyring"),
            ("secret-tool", "libsecret-tools"),
        ] {
            if let Err(e) = Command::new(tool)
                .arg("--version")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
            {
                panic!(
                    "`{tool}` cannot run ({e}): the keychain test needs Debian's `{package}`; \
                     scripts/test.sh installs it (apt-get install -y gnome-keyring dbus libsecret-tools)"
                );
            }
        }
        let home = tempfile::tempdir().expect("temp dir");
        // --unlock creates the login keyring with this password (it reads it from stdin), then
        // --start brings up the Secret Service on the session bus; `cat` keeps the session open.
        let script = format!(
            "printf %s '{KEYRING_PASSWORD}' | gnome-keyring-daemon --unlock >/dev/null \
             && gnome-keyring-daemon --start --components=secrets >/dev/null \
             && echo \"READY $DBUS_SESSION_BUS_ADDRESS\" && exec cat >/dev/null"
        );
        let mut child = Command::new("dbus-run-session")
            .args(["--", "sh", "-c", &script])
            .env("HOME", home.path())
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("XDG_RUNTIME_DIR", home.path())
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start dbus-run-session");
        let stdout = child.stdout.take().expect("session stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(bus) = line.strip_prefix("READY ") {
                    let _ = tx.send(bus.to_string());
                }
            }
        });
        match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(bus) => KeyringSession {
                child,
                bus,
                _home: home,
            },
            Err(_) => {
                let _ = child.kill();
                let out = child.wait_with_output().expect("session output");
                panic!(
                    "gnome-keyring did not start on a private session bus: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
    }

    /// `secret-tool ARGS` on this session's bus.
    fn secret_tool(&self, args: &[&str]) -> Output {
        Command::new("secret-tool")
            .args(args)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus)
            .stdin(Stdio::null())
            .output()
            .expect("run secret-tool")
    }

    /// The secret of changeset's item for this tenant, if the keyring holds one.
    fn changeset_item(&self, idp: &Idp) -> Option<String> {
        let user = format!("{}@{}", idp::PUBLIC_CLIENT, idp.issuer());
        let out = self.secret_tool(&["lookup", "service", "changeset", "username", &user]);
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Every item changeset keeps in the keyring, whatever its user attribute.
    fn changeset_items(&self) -> String {
        let out = self.secret_tool(&["search", "--all", "service", "changeset"]);
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    }

    /// `changeset` against the IdP with no store requested and this session's bus reachable.
    fn changeset(&self, env: &TestEnv, idp: &Idp) -> assert_cmd::Command {
        let mut c = cmd(env, idp);
        c.env_remove("CHANGESET_CREDENTIAL_STORE")
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus);
        c
    }
}

impl Drop for KeyringSession {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

#[test]
fn login_whoami_and_logout_keep_the_login_in_the_secret_service_and_nowhere_else() {
    let keyring = KeyringSession::start();
    let env = TestEnv::new();
    let idp = Idp::start();

    let (code, _, stderr) = std::thread::scope(|s| {
        s.spawn(|| idp.settle_device_when_pending(true));
        run(keyring.changeset(&env, &idp).arg("login"))
    });
    assert_eq!(code, 0, "login: {stderr}");

    // The item is in the keyring, seen from outside changeset, and holds the issued login.
    let secret = keyring.changeset_item(&idp).unwrap_or_else(|| {
        panic!(
            "no keychain item after login: {}",
            keyring.changeset_items()
        )
    });
    let stored: Value = serde_json::from_str(&secret).expect("the item holds the login as JSON");
    let refresh = stored["refresh_token"].as_str().expect("a refresh token");
    assert!(
        idp.issued_secrets().iter().any(|t| t == refresh),
        "the item holds the refresh token the IdP issued"
    );
    assert_eq!(stored["user"]["sub"], idp::USER);
    // No credential file, and no token anywhere else in the data directory or the output.
    assert!(!env.data_dir().join("credentials.json").exists());
    idp.assert_no_leak(&env, &stderr, &[]);

    let (code, stdout, stderr) = run(keyring
        .changeset(&env, &idp)
        .args(["whoami", "--format", "json"]));
    assert_eq!(code, 0, "whoami: {stderr}");
    let who: Value = serde_json::from_str(&stdout).expect("whoami JSON");
    assert_eq!(who["store"], "keychain", "{who}");
    assert_eq!(who["user"]["sub"], idp::USER);

    let (code, _, stderr) = run(keyring.changeset(&env, &idp).arg("logout"));
    assert_eq!(code, 0, "logout: {stderr}");
    assert!(stderr.contains("keychain"), "{stderr}");
    assert_eq!(
        keyring.changeset_item(&idp),
        None,
        "the item outlived logout"
    );
    assert!(
        !keyring.changeset_items().contains("changeset"),
        "an item is left: {}",
        keyring.changeset_items()
    );
    assert_eq!(
        idp.refresh_error(refresh).as_deref(),
        Some("invalid_grant"),
        "logout revoked the refresh token"
    );
    assert!(!env.data_dir().join("credentials.json").exists());

    // Logged out everywhere: the next command asks for a login (exit 4).
    let (code, _, stderr) = run(keyring.changeset(&env, &idp).arg("whoami"));
    assert_eq!(code, 4, "{stderr}");
}
