//! Arbiter's validator host: runs Bittensor incentive mechanisms, written
//! as WebAssembly components, in a deterministic sandbox.
//!
//! - [`sandbox`]: the engine, admission checks, virtual WASI, limits,
//!   compiled cache and typed call outcomes.
//! - [`chain`]: the chain trait, the embedded devnet and Yuma Consensus.
//! - [`weights`]: float weights to the u16 vector the Bittensor SDK submits,
//!   and the chain's own checks of it.
//! - [`publishing`]: the registry's admission checks, reproducible
//!   rebuilds and the checks of `arbiter verify`.
//! - [`transport`]: signed queries from validators to miners over HTTP,
//!   and the miner's checks of who is asking.
//! - [`miner`]: the reference miner, which answers with a solver component.
//! - [`validator`]: the validator loop behind `arbiter validate`.
//! - [`transcript`]: the hash-chained record of an epoch, and its commitment.
//! - [`replay`]: re-running a transcript to prove which code produced the
//!   committed weights.
//! - [`verify_epoch`]: an epoch checked end to end from the chain: the
//!   commitment, the transcript, the mechanism and the weights.
//! - [`demo`]: `arbiter demo`, the whole system on one machine.
//! - [`subtensor`]: the real Bittensor chain: calls, signer payloads and
//!   signed transactions encoded byte for byte as the Python SDK does.
//! - [`round`]: recorded rounds (context, queries, responses) that
//!   `arbiter score` replays against a mechanism.

pub mod chain;
pub mod demo;
pub mod miner;
pub mod publishing;
pub mod replay;
pub mod round;
pub mod sandbox;
pub mod subtensor;
pub mod transcript;
pub mod transport;
pub mod validator;
pub mod verify_epoch;
pub mod weights;
