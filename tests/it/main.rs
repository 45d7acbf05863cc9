//! The one integration-test binary: one module per area (`cargo test --test it`).

mod idp;
mod support;

/// The fake Google server lives with the other loopback servers in tests/support/.
#[path = "../support/google/mod.rs"]
mod fake_google;

mod auth;
mod ciba;
mod cli_surface;
mod core_flow;
mod licences;
mod rules;
mod parse_fuzz;
mod parse_refusals;
mod sheets;
mod vault;
