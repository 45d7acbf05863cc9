//! Applying a plan: approval gate, executor (stale check, one batch write, read-back,
//! rollback on failed verification), and the receipt.

pub mod approval;
pub mod ciba;
pub mod executor;
pub mod rar;
pub mod recover;
pub mod tty;
