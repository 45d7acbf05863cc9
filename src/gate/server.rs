//! The gate's HTTP service on axum: liveness, metrics, and the authenticated routes that
//! exist so far (public keys and the signed checkpoint of the gate's log).
//!
//! Every `/v1/` route checks the bearer token and its route scope before doing anything; a
//! refusal is a JSON body `{"error", "error_description"}` with the RFC 6750 `WWW-Authenticate`
//! header, so clients can tell "log in again" (401) from "ask for access" (403).

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::config::GateConfig;
use super::token::{Rejection, Requester, SCOPE_AUDIT, Verifier};
use crate::audit::log;
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

/// What every handler shares.
pub struct Gate {
    config: GateConfig,
    verifier: Verifier,
    metrics: Mutex<BTreeMap<(&'static str, u16), u64>>,
}

impl Gate {
    pub fn new(config: GateConfig) -> Result<Gate> {
        let verifier = Verifier::new(&config.issuer(), &config.audience)?;
        Ok(Gate {
            config,
            verifier,
            metrics: Mutex::new(BTreeMap::new()),
        })
    }

    fn count(&self, route: &'static str, status: StatusCode) {
        let mut m = self.metrics.lock().unwrap_or_else(|e| e.into_inner());
        *m.entry((route, status.as_u16())).or_default() += 1;
    }

    /// The requester, or the refusal to send.
    async fn authorize(
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

fn failure(error: &Error) -> Response {
    let body = serde_json::json!({ "error": "server_error", "error_description": error.message });
    (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(body)).into_response()
}

pub fn router(gate: Arc<Gate>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/v1/keys", get(keys))
        .route("/v1/checkpoint", get(checkpoint))
        .with_state(gate)
}

/// Serves until `shutdown` resolves, then finishes the requests in flight. `listener` is a
/// plain TCP listener or `tls::TlsListener`.
pub async fn serve<L>(
    gate: Arc<Gate>,
    listener: L,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()>
where
    L: axum::serve::Listener,
    L::Addr: std::fmt::Debug,
{
    axum::serve(listener, router(gate))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| Error::runtime(format!("the gate's HTTP server failed: {e}")))
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
