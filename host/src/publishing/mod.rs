//! Publishing and verifying mechanisms: the host's half of the registry.
//!
//! The registry crate stores, signs and serves components but cannot judge
//! them: that needs wasmtime. This module hands it the sandbox's admission
//! checks ([`SandboxAdmission`]), and does what only a machine with a
//! toolchain can: detect the build's tool versions ([`toolchain`]),
//! rebuild a component from source in a clean directory and compare hashes
//! ([`rebuild`]), and run every check `arbiter verify` reports
//! ([`verify`]).

mod admission;
pub mod rebuild;
pub mod toolchain;
pub mod verify;

pub use admission::{SandboxAdmission, default_limits, host_limits};
