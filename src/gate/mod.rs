//! The approval gate: a service that alone holds the confidential clients,
//! the pinned rules and the approver policy, so a requester (an agent, a CI job) cannot approve
//! its own writes.

pub mod api;
pub mod applies;
pub mod client;
pub mod config;
pub mod pipeline;
pub mod plans;
pub mod policy;
pub mod receipts;
pub mod record;
pub mod runner;
pub mod server;
pub mod sources;
pub mod tls;
pub mod token;
