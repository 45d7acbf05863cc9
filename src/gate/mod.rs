//! The approval gate: a service that alone holds the confidential clients,
//! the pinned rules and the approver policy, so a requester (an agent, a CI job) cannot approve
//! its own writes.

pub mod api;
pub mod config;
pub mod server;
pub mod tls;
pub mod token;
