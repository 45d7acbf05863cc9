//! The bridge from the synchronous CLI to async network code: each network step runs on a
//! short-lived current-thread tokio runtime.
//!
//! The CLI does one thing at a time, so a multi-threaded runtime would only cost start-up time.
//! Clients that pool connections (reqwest) must be created inside the future they serve: a pooled
//! connection belongs to the runtime that opened it and dies with it.

use std::future::Future;

/// Runs a future to completion on a fresh current-thread runtime (I/O and timers enabled).
pub fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread tokio runtime can always be built")
        .block_on(future)
}
