//! The one integration-test binary: one module per area (`cargo test --test it`).

// Tests may print what they measure.
#![allow(clippy::print_stdout, clippy::print_stderr, clippy::exit)]

mod idp;
mod support;

/// The fake Google server lives with the other loopback servers in tests/support/.
#[path = "../support/google/mod.rs"]
mod fake_google;

/// A fake OpenAI-compatible chat-completions endpoint.
#[path = "../support/llm/mod.rs"]
mod fake_llm;

/// A throwaway PostgreSQL cluster, started once per test run.
#[path = "../support/postgres.rs"]
mod pg;

mod answers;
mod architecture;
mod audit_log;
mod audit_postgres;
mod auth;
mod ci_example;
mod ciba;
mod cli_surface;
mod core_flow;
mod csv_bytes;
mod doctor;
mod gate;
mod gate_client;
mod gate_load;
mod gate_ops;
mod gate_resilience;
mod integrity;
mod keychain;
mod licences;
mod parse_fuzz;
mod parse_llm;
mod parse_refusals;
mod rules;
mod scale;
mod sheets;
mod show;
mod suggestions;
mod vault;
