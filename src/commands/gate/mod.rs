//! `changeset gate check-config | keygen | serve`.

mod check_config;
mod serve;

use crate::audit::checkpoint::{self, SigningKey};
use crate::cli::{GateCommand, GlobalArgs};
use crate::error::Result;
use crate::output;

pub fn run(global: &GlobalArgs, cmd: GateCommand) -> Result<u8> {
    let config = global
        .config
        .clone()
        .unwrap_or_else(|| std::path::PathBuf::from("gate.toml"));
    match cmd {
        GateCommand::Serve {
            listen,
            allow_plain_http,
            tls_cert,
            tls_key,
        } => serve::run(
            global,
            &config,
            listen,
            allow_plain_http,
            tls_cert.as_deref().zip(tls_key.as_deref()),
        )?,
        GateCommand::Status { .. } | GateCommand::Cancel { .. } => {
            unreachable!("the requester's commands run in via_gate.rs")
        }
        GateCommand::Keygen { name, out } => {
            let key = SigningKey::generate(&name)?;
            let public = checkpoint::write_key_files(&out, &key)?;
            output::key_written(global.quiet, &out, &public, &key.verifier().text())?;
        }
        GateCommand::CheckConfig { format } => check_config::run(&config, &format)?,
    }
    Ok(0)
}
