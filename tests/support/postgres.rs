//! A throwaway PostgreSQL cluster for the shared-audit-log tests: `initdb` into a temp dir (as
//! the unprivileged `nobody` when the tests run as root, since PostgreSQL refuses to run as
//! root), started once per test run on a free loopback port with its socket in the temp dir,
//! trust authentication on 127.0.0.1 only. TLS is on, with a server certificate for 127.0.0.1
//! issued by a throwaway CA (openssl, which Debian's postgresql package brings); the role
//! `tlsonly` may connect over TLS only, so a test can tell TLS was really used. A watchdog stops
//! the server and removes the directory as soon as the test process ends, however it ends.
//! If the cluster cannot start, every test that needs it fails with the reason.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

pub struct Cluster {
    port: u16,
    ca: PathBuf,
}

static CLUSTER: OnceLock<Result<Cluster, String>> = OnceLock::new();
static NEXT_DB: AtomicU32 = AtomicU32::new(0);

/// A new, empty database on the cluster, as a `postgres://` URL (plain TCP: the test server
/// has no TLS, and `sslmode=disable` is what a client on loopback would say).
pub fn database() -> String {
    let cluster = match CLUSTER.get_or_init(start) {
        Ok(c) => c,
        Err(why) => panic!("the test PostgreSQL cluster could not start: {why}"),
    };
    let name = format!(
        "audit_{}_{}",
        std::process::id(),
        NEXT_DB.fetch_add(1, Ordering::SeqCst)
    );
    let mut admin = postgres::Client::connect(&cluster.url("postgres"), postgres::NoTls)
        .expect("connect to the test cluster");
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("create a test database");
    cluster.url(&name)
}

fn running() -> &'static Cluster {
    database();
    CLUSTER.get().unwrap().as_ref().unwrap()
}

/// The port of the running cluster (for tests that need a URL with other parameters).
pub fn port() -> u16 {
    running().port
}

/// The CA certificate (PEM) that issued the server's certificate.
pub fn ca_cert() -> PathBuf {
    running().ca.clone()
}

impl Cluster {
    fn url(&self, db: &str) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/{db}?sslmode=disable",
            self.port
        )
    }
}

/// The directory with initdb and pg_ctl: Debian's versioned directory (newest first), else PATH.
fn bin_dir() -> Result<PathBuf, String> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.path().join("bin"))
                .collect()
        })
        .unwrap_or_default();
    versions.retain(|d| d.join("initdb").exists());
    versions.sort_by_key(|d| {
        d.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    if let Some(dir) = versions.pop() {
        return Ok(dir);
    }
    std::env::var_os("PATH")
        .and_then(|path| std::env::split_paths(&path).find(|d| d.join("initdb").exists()))
        .ok_or_else(|| {
            "initdb was not found (in /usr/lib/postgresql/*/bin or PATH); scripts/test.sh installs Debian's `postgresql` package".to_string()
        })
}

fn output_of(cmd: &mut Command) -> Result<String, String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "{cmd:?} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn nobody_uid() -> Result<u32, String> {
    output_of(Command::new("id").args(["-u", "nobody"]))?
        .trim()
        .parse()
        .map_err(|e| format!("uid of nobody: {e}"))
}

/// A command run as the cluster's owner: `nobody` when we are root.
fn as_owner(root: bool, program: &Path) -> Command {
    if root {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "nobody", "--"]).arg(program);
        cmd
    } else {
        Command::new(program)
    }
}

fn start() -> Result<Cluster, String> {
    let bin = bin_dir()?;
    let root = output_of(Command::new("id").arg("-u"))?.trim() == "0";
    let dir = tempfile::Builder::new()
        .prefix("changeset-pg-")
        .tempdir()
        .map_err(|e| format!("temp dir: {e}"))?
        .keep();
    if root {
        let uid = nobody_uid()?;
        std::os::unix::fs::chown(&dir, Some(uid), None)
            .map_err(|e| format!("chown {}: {e}", dir.display()))?;
    }
    let data = dir.join("data");
    output_of(
        as_owner(root, &bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ])
            .current_dir(&dir),
    )?;
    std::fs::write(
        data.join("pg_hba.conf"),
        "local all all trust\n\
         hostssl all tlsonly 127.0.0.1/32 trust\n\
         hostnossl all tlsonly 127.0.0.1/32 reject\n\
         host all all 127.0.0.1/32 trust\n",
    )
    .map_err(|e| format!("writing pg_hba.conf: {e}"))?;
    let (ca, cert, key) = certificates(&dir, root)?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("finding a free port: {e}"))?
        .port();
    // Stop and remove the cluster when this process is gone (a normal end, a panic or a kill).
    let postmaster_pid = data.join("postmaster.pid");
    Command::new("sh")
        .arg("-c")
        .arg(format!(
            "while kill -0 {} 2>/dev/null; do sleep 1; done; \
             pid=$(head -n 1 '{}' 2>/dev/null); [ -n \"$pid\" ] && kill -QUIT \"$pid\"; \
             sleep 2; rm -rf '{}'",
            std::process::id(),
            postmaster_pid.display(),
            dir.display()
        ))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("starting the clean-up watchdog: {e}"))?;
    let log = dir.join("server.log");
    let started = output_of(
        as_owner(root, &bin.join("pg_ctl"))
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(&log)
            .args(["-w", "-t", "60", "-o"])
            .arg(format!(
                "-p {port} -k {} -c listen_addresses=127.0.0.1 -c max_connections=200 \
                 -c ssl=on -c ssl_cert_file={} -c ssl_key_file={}",
                dir.display(),
                cert.display(),
                key.display()
            ))
            .arg("start")
            .current_dir(&dir),
    );
    if let Err(why) = started {
        let log = std::fs::read_to_string(&log).unwrap_or_default();
        return Err(format!("{why}\nserver log:\n{log}"));
    }
    let cluster = Cluster { port, ca };
    postgres::Client::connect(&cluster.url("postgres"), postgres::NoTls)
        .and_then(|mut c| c.batch_execute("CREATE ROLE tlsonly LOGIN SUPERUSER"))
        .map_err(|e| format!("creating the TLS-only role: {e}"))?;
    Ok(cluster)
}

/// A CA and a server certificate for IP 127.0.0.1 signed by it: (ca.crt, server.crt, server.key).
fn certificates(dir: &Path, root: bool) -> Result<(PathBuf, PathBuf, PathBuf), String> {
    let openssl = |args: &[&str]| {
        output_of(Command::new("openssl").args(args).current_dir(dir))
            .map_err(|e| format!("{e} (openssl comes with Debian's postgresql package)"))
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    openssl(
        &[
            &["req", "-x509"][..],
            &ec,
            &[
                "-keyout",
                "ca.key",
                "-out",
                "ca.crt",
                "-days",
                "2",
                "-subj",
                "/CN=changeset test CA",
            ],
        ]
        .concat(),
    )?;
    openssl(
        &[
            &["req"][..],
            &ec,
            &[
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
                "-subj",
                "/CN=127.0.0.1",
            ],
        ]
        .concat(),
    )?;
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .map_err(|e| format!("writing server.ext: {e}"))?;
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "2",
        "-extfile",
        "server.ext",
    ])?;
    let key = dir.join("server.key");
    if root {
        // The server runs as nobody and insists its key is private to it.
        let uid = nobody_uid()?;
        std::os::unix::fs::chown(&key, Some(uid), None)
            .map_err(|e| format!("chown {}: {e}", key.display()))?;
    }
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| format!("chmod {}: {e}", key.display()))?;
    Ok((dir.join("ca.crt"), dir.join("server.crt"), key))
}
