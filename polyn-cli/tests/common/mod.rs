//! What the tests that drive `polyn` against a server share: the command
//! with only the settings given, running it, reading its JSON, and a
//! runtime for the setup they do with async-nats.

// Every test file compiles this module and uses a part of it.
#![allow(dead_code)]

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

/// `polyn` in `dir`, with only the settings given.
pub(crate) fn polyn(dir: &Path, server: Option<&str>) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_polyn"));
    command
        .current_dir(dir)
        .env_clear()
        .env("POLYN_DOMAIN", "com.acme")
        .env("POLYN_SOURCE_ROOT", "svc");
    if let Some(server) = server {
        command.env("NATS_URL", server);
    }
    command
}

/// Runs it: exit status, stdout and stderr.
pub(crate) fn run(command: &mut Command, args: &[&str]) -> (bool, String, String) {
    let output = command.args(args).output().expect("polyn runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Its stdout, read as JSON.
pub(crate) fn json(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|err| panic!("{err}: {stdout}"))
}

/// A runtime for the setup done over async-nats.
pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}
