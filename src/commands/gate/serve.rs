//! `changeset gate serve`: the start-up checks, then the HTTP service until a signal.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use crate::cli::GlobalArgs;
use crate::error::{Error, Result};
use crate::gate::config::GateConfig;
use crate::gate::server::{self, Gate};
use crate::gate::tls;
use crate::output;

/// Serves until Ctrl-C or SIGTERM; `tls` is the certificate and key files, when given.
pub(super) fn run(
    global: &GlobalArgs,
    config: &Path,
    listen: SocketAddr,
    allow_plain_http: bool,
    tls: Option<(&Path, &Path)>,
) -> Result<()> {
    // Every start-up check (TLS files, rules pin, credentials, key) before binding.
    let tls = match tls {
        Some((cert, key)) => Some(tls::server_config(cert, key)?),
        None => {
            server::check_listen(&listen, allow_plain_http)?;
            None
        }
    };
    let gate = Arc::new(Gate::new(GateConfig::load(config)?)?);
    crate::net::block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| Error::runtime(format!("cannot listen on {listen}: {e}")))?;
        let shutdown = shutdown_signal()?;
        let bound = listener
            .local_addr()
            .map_err(|e| Error::runtime(format!("the listening address: {e}")))?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        output::note(
            false,
            &format!("changeset gate listening on {scheme}://{bound}"),
        );
        match tls {
            Some(config) => {
                let listener = tls::TlsListener::new(listener, config)
                    .map_err(|e| Error::runtime(format!("the listening address: {e}")))?;
                server::serve(gate, listener, shutdown).await
            }
            None => server::serve(gate, listener, shutdown).await,
        }
    })?;
    output::note(global.quiet, "changeset gate stopped");
    Ok(())
}
/// Resolves on Ctrl-C or SIGTERM (what systemd and `kill` send). The handlers are installed
/// here, before the gate says it is listening, so an early SIGTERM still stops it cleanly.
#[cfg(unix)]
fn shutdown_signal() -> crate::error::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let install =
        |kind| signal(kind).map_err(|e| Error::runtime(format!("cannot handle signals: {e}")));
    let mut term = install(SignalKind::terminate())?;
    let mut int = install(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    })
}

#[cfg(not(unix))]
fn shutdown_signal() -> crate::error::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}
