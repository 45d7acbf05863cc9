//! The one integration-test binary: one module per area (`cargo test --test it`).

mod support;

mod cli_surface;
mod core_flow;
