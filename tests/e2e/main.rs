#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

//! End-to-end tests: the real example components, built by `host/build.rs`
//! from `subnets/`, run through the host library and the `arbiter` binary.
//! One integration binary, one module per area.

mod chain_cli;
mod chopsticks;
mod demo;
mod languages;
mod languages_hostile;
mod miner;
mod registry;
mod registry_rebuild;
mod registry_server;
mod sandbox;
mod score_cli;
mod spec461_node;
mod subtensor_online;
mod subtensor_online_hostile;
mod subtensor_sdk_vectors;
mod subtensor_spec461;
mod subtensor_timelock;
mod subtensor_validator;
mod subtensor_vectors;
mod support;
mod transcript;
mod transport;
mod validator;
mod validator_timelock;
mod verify_epoch;
mod weights_oracle;
mod weights_support;
mod weights_vectors;
mod yuma_vectors;
