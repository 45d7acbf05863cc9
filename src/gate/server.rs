//! The gate's HTTP service on axum: liveness, metrics, and the authenticated routes that
//! exist so far (public keys and the signed checkpoint of the gate's log).
//!
//! Every `/v1/` route checks the bearer token and its route scope before doing anything; a
//! refusal is a JSON body `{"error", "error_description"}` with the RFC 6750 `WWW-Authenticate`
//! header, so clients can tell "log in again" (401) from "ask for access" (403).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use secrecy::SecretString;

use super::api::{self, ApplyStatus};
use super::config::GateConfig;
use super::record::Record;
use super::token::{Rejection, Requester, SCOPE_AUDIT, Verifier};
use super::{applies, plans, receipts, runner};
use crate::audit::log;
use crate::auth::Tenant;
use crate::auth::ciba::Ciba;
use crate::error::{Error, Result};

/// Plain HTTP is for loopback, or behind a proxy that terminates TLS (`--allow-plain-http`).
pub fn check_listen(addr: &SocketAddr, allow_plain_http: bool) -> Result<()> {
    if addr.ip().is_loopback() || allow_plain_http {
        return Ok(());
    }
    Err(Error::usage(format!(
        "refusing to serve plain HTTP on {addr}: bearer tokens would travel in clear"
    ))
    .hint("listen on 127.0.0.1, or pass --allow-plain-http when a proxy in front terminates TLS"))
}

/// Database connections the gate uses at once (and keeps open between uses).
pub const STORE_CONNECTIONS: usize = 8;

/// What every handler and every apply's task shares.
pub struct Gate {
    pub config: GateConfig,
    verifier: Verifier,
    /// The gate's CIBA client.
    pub ciba: Ciba,
    metrics: Mutex<BTreeMap<(&'static str, u16), u64>>,
    /// Applies that entered each status since start, and the approval latencies seen.
    applies: Mutex<BTreeMap<ApplyStatus, u64>>,
    approval_seconds: Mutex<(f64, u64)>,
    /// Woken whenever an apply changes (long polls and tasks re-check).
    pub changed: tokio::sync::Notify,
    /// Apply id -> the requester's access token and its expiry: memory only, never stored.
    tokens: Mutex<HashMap<String, (SecretString, i64)>>,
    /// Applies a task drives, and applies being written, in this process.
    drivers: Mutex<HashSet<String>>,
    writers: Mutex<HashSet<String>>,
    /// Set once the server stopped taking requests: no write starts after it.
    stopping: std::sync::atomic::AtomicBool,
    /// Idle audit store connections, and the permits to use one.
    stores: Mutex<Vec<Box<dyn crate::audit::AuditStore>>>,
    pub store_permits: Arc<tokio::sync::Semaphore>,
}

fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Gate {
    pub fn new(config: GateConfig) -> Result<Gate> {
        let verifier = Verifier::new(&config.issuer(), &config.audience)?;
        let tenant = Tenant {
            base_url: config.tenant_url.clone(),
            client_id: config.ciba_client.client_id.clone(),
            audience: Some(config.audience.clone()),
        };
        let ciba = Ciba::new(tenant, config.ciba_client.clone())?;
        Ok(Gate {
            config,
            verifier,
            ciba,
            metrics: Mutex::new(BTreeMap::new()),
            applies: Mutex::new(BTreeMap::new()),
            approval_seconds: Mutex::new((0.0, 0)),
            changed: tokio::sync::Notify::new(),
            tokens: Mutex::new(HashMap::new()),
            drivers: Mutex::new(HashSet::new()),
            writers: Mutex::new(HashSet::new()),
            stopping: std::sync::atomic::AtomicBool::new(false),
            stores: Mutex::new(Vec::new()),
            store_permits: Arc::new(tokio::sync::Semaphore::new(STORE_CONNECTIONS)),
        })
    }

    pub fn idle_store(&self) -> Option<Box<dyn crate::audit::AuditStore>> {
        locked(&self.stores).pop()
    }

    pub fn return_store(&self, store: Box<dyn crate::audit::AuditStore>) {
        let mut idle = locked(&self.stores);
        if idle.len() < STORE_CONNECTIONS {
            idle.push(store);
        }
    }

    pub fn claim_driver(&self, id: &str) -> bool {
        locked(&self.drivers).insert(id.to_string())
    }

    pub fn release_driver(&self, id: &str) {
        locked(&self.drivers).remove(id);
    }

    pub fn claim_writer(&self, id: &str) -> bool {
        locked(&self.writers).insert(id.to_string())
    }

    pub fn release_writer(&self, id: &str) {
        locked(&self.writers).remove(id);
    }

    /// True once the gate is shutting down (checked by a write after it claimed its apply, so
    /// [`Gate::finish_writes`] either sees the claim or the write sees this).
    pub fn stopping(&self) -> bool {
        self.stopping.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Starts no more writes and waits, up to `limit`, for those in flight to record their
    /// outcome: a write already sent to the source must not be left unrecorded when the
    /// runtime (and every task on it) ends.
    pub async fn finish_writes(&self, limit: std::time::Duration) {
        self.stopping
            .store(true, std::sync::atomic::Ordering::SeqCst);
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let left = locked(&self.writers).len();
            if left == 0 {
                return;
            }
            if tokio::time::Instant::now() >= deadline {
                tracing::warn!("stopping with {left} write(s) still in flight");
                return;
            }
            tracing::info!("waiting for {left} write(s) in flight");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    /// Keeps the requester's token for the apply's write (a later one replaces an earlier).
    pub fn remember_token(&self, id: &str, requester: &Requester) {
        locked(&self.tokens).insert(
            id.to_string(),
            (requester.token.clone(), requester.expires_at),
        );
    }

    /// The requester's token for the apply if it is valid until at least `until`.
    pub fn requester_token(&self, id: &str, until: i64) -> Option<SecretString> {
        locked(&self.tokens)
            .get(id)
            .filter(|(_, exp)| *exp >= until)
            .map(|(t, _)| t.clone())
    }

    pub fn forget_token(&self, id: &str) {
        locked(&self.tokens).remove(id);
    }

    /// Counts an apply entering its current status (and, when approved, how long it took).
    pub fn entered(&self, r: &Record) {
        *locked(&self.applies).entry(r.status()).or_default() += 1;
        if r.status() == ApplyStatus::Approved
            && let Some(at) = r.approved_at
        {
            let mut l = locked(&self.approval_seconds);
            l.0 += (at - r.created_at).max(0) as f64;
            l.1 += 1;
        }
    }

    pub fn count(&self, route: &'static str, status: StatusCode) {
        let mut m = self.metrics.lock().unwrap_or_else(|e| e.into_inner());
        *m.entry((route, status.as_u16())).or_default() += 1;
    }

    /// The requester, or the refusal to send.
    pub async fn authorize(
        &self,
        route: &'static str,
        headers: &HeaderMap,
        scope: &str,
    ) -> std::result::Result<Requester, Response> {
        let authorization = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        self.verifier
            .verify(authorization, scope, crate::auth::unix_now())
            .await
            .map_err(|rejection| {
                let status =
                    StatusCode::from_u16(rejection.status()).unwrap_or(StatusCode::UNAUTHORIZED);
                self.count(route, status);
                refusal(&rejection, scope)
            })
    }
}

fn refusal(rejection: &Rejection, scope: &str) -> Response {
    let status = StatusCode::from_u16(rejection.status()).unwrap_or(StatusCode::UNAUTHORIZED);
    let body = serde_json::json!({
        "error": rejection.code(),
        "error_description": rejection.message(),
    });
    let mut response = (status, axum::Json(body)).into_response();
    if !matches!(rejection, Rejection::Unavailable(_)) {
        let challenge = format!("Bearer error=\"{}\", scope=\"{scope}\"", rejection.code());
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
    }
    response
}

pub fn failure(error: &Error) -> Response {
    let body = serde_json::json!({ "error": "server_error", "error_description": error.message });
    (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(body)).into_response()
}

pub fn router(gate: Arc<Gate>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/v1/keys", get(keys))
        .route("/v1/checkpoint", get(checkpoint))
        .route(api::PLANS, post(plans::create))
        .route(api::APPLIES, post(applies::create))
        .route(
            "/v1/applies/{id}",
            get(applies::status).delete(applies::cancel),
        )
        .route(api::RECEIPTS, get(receipts::receipts))
        .route("/v1/receipts/{id}", get(receipts::receipt))
        .with_state(gate)
}

/// How long a stopping gate waits for the writes in flight (under systemd's TimeoutStopSec=90
/// in examples/gate/changeset-gate.service).
pub const WRITES_GRACE: std::time::Duration = std::time::Duration::from_secs(60);

/// Serves until `shutdown` resolves, then finishes the requests in flight and the writes in
/// flight (pending approvals stay stored: the next start resumes them). `listener` is a plain
/// TCP listener or `tls::TlsListener`.
pub async fn serve<L>(
    gate: Arc<Gate>,
    listener: L,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()>
where
    L: axum::serve::Listener,
    L::Addr: std::fmt::Debug,
{
    // Applies left waiting by an earlier run (or another gate) are driven again.
    match runner::resume_all(&gate).await {
        Ok(0) => {}
        Ok(n) => tracing::info!("resumed {n} open apply(s)"),
        Err(e) => tracing::warn!("could not resume the open applies: {}", e.message),
    }
    let served = axum::serve(listener, router(Arc::clone(&gate)))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| Error::runtime(format!("the gate's HTTP server failed: {e}")));
    gate.finish_writes(WRITES_GRACE).await;
    served
}

async fn healthz(State(gate): State<Arc<Gate>>) -> &'static str {
    gate.count("/healthz", StatusCode::OK);
    "ok\n"
}

/// Prometheus text format: requests by route and status.
async fn metrics(State(gate): State<Arc<Gate>>) -> Response {
    gate.count("/metrics", StatusCode::OK);
    let m = gate.metrics.lock().unwrap_or_else(|e| e.into_inner());
    let mut text = String::from(
        "# HELP changeset_gate_requests_total HTTP requests answered, by route and status.\n\
         # TYPE changeset_gate_requests_total counter\n",
    );
    for ((route, status), n) in m.iter() {
        text.push_str(&format!(
            "changeset_gate_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}\n"
        ));
    }
    drop(m);
    text.push_str(
        "# HELP changeset_gate_applies_total Applies that entered each status since start.\n\
         # TYPE changeset_gate_applies_total counter\n",
    );
    for (status, n) in locked(&gate.applies).iter() {
        text.push_str(&format!(
            "changeset_gate_applies_total{{status=\"{status}\"}} {n}\n"
        ));
    }
    let (attempts, retries) = crate::google::http::counts();
    text.push_str(&format!(
        "# HELP changeset_gate_google_requests_total Requests sent to Google APIs.\n\
         # TYPE changeset_gate_google_requests_total counter\n\
         changeset_gate_google_requests_total {attempts}\n\
         # HELP changeset_gate_google_retries_total Google requests retried (429, 5xx, lost).\n\
         # TYPE changeset_gate_google_retries_total counter\n\
         changeset_gate_google_retries_total {retries}\n"
    ));
    let (sum, count) = *locked(&gate.approval_seconds);
    text.push_str(&format!(
        "# HELP changeset_gate_approval_seconds From an apply's request to its last approval.\n\
         # TYPE changeset_gate_approval_seconds summary\n\
         changeset_gate_approval_seconds_sum {sum}\n\
         changeset_gate_approval_seconds_count {count}\n"
    ));
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

/// The verifier key of the gate's signing key (receipts and checkpoints).
async fn keys(State(gate): State<Arc<Gate>>, headers: HeaderMap) -> Response {
    const ROUTE: &str = "/v1/keys";
    if let Err(refused) = gate.authorize(ROUTE, &headers, SCOPE_AUDIT).await {
        return refused;
    }
    gate.count(ROUTE, StatusCode::OK);
    axum::Json(serde_json::json!({
        "keys": [gate.config.signing_key.verifier().text()],
    }))
    .into_response()
}

/// The signed checkpoint (C2SP tlog-checkpoint) of the gate's audit log.
async fn checkpoint(State(gate): State<Arc<Gate>>, headers: HeaderMap) -> Response {
    const ROUTE: &str = "/v1/checkpoint";
    if let Err(refused) = gate.authorize(ROUTE, &headers, SCOPE_AUDIT).await {
        return refused;
    }
    let location = gate.config.audit_location();
    let origin = gate.config.signing_key.name.clone();
    // The stores are blocking (rusqlite, postgres' blocking face): off the async threads.
    let result = tokio::task::spawn_blocking(move || {
        let mut store = crate::audit::open(&location)?;
        log::checkpoint(store.as_mut(), &origin)
    })
    .await
    .map_err(|e| Error::runtime(format!("the checkpoint task failed: {e}")))
    .and_then(|r| r);
    match result {
        Ok(cp) => {
            gate.count(ROUTE, StatusCode::OK);
            (
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                cp.sign(&gate.config.signing_key),
            )
                .into_response()
        }
        Err(e) => {
            gate.count(ROUTE, StatusCode::INTERNAL_SERVER_ERROR);
            failure(&e)
        }
    }
}
