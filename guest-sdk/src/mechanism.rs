//! The [`Mechanism`] trait a subnet implements, and the [`export!`] macro
//! that turns an implementation into the component's exports.
//!
//! The trait speaks in typed values: the state is any [`Codec`] type (the
//! SDK encodes it canonically, so the host can hash it), queries and replies
//! are per-miner views, weights are `(uid, value)` pairs. The macro writes
//! the glue to the flat wire shapes of the WIT contract.

use crate::codec::Codec;
use crate::context::Context;
use crate::exchange::{Queries, Responses};
use crate::wit::arbiter::mechanism::types as wit;

/// A mechanism's own failure. It is a deterministic verdict: the host
/// records it and keeps the previous state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The configuration given to `init` is not acceptable.
    InvalidConfig(String),
    /// The state cannot be decoded.
    InvalidState(String),
    /// The other arguments are inconsistent.
    InvalidInput(String),
}

impl From<crate::codec::CodecError> for Error {
    fn from(error: crate::codec::CodecError) -> Self {
        Error::InvalidState(error.to_string())
    }
}

impl From<Error> for wit::MechanismError {
    fn from(error: Error) -> Self {
        match error {
            Error::InvalidConfig(m) => wit::MechanismError::InvalidConfig(m),
            Error::InvalidState(m) => wit::MechanismError::InvalidState(m),
            Error::InvalidInput(m) => wit::MechanismError::InvalidInput(m),
        }
    }
}

/// Static facts about a mechanism.
///
/// ```
/// let info = arbiter_sdk::Info::new("my-subnet", "1.0.0").steps_per_epoch(10);
/// assert_eq!(info.query_timeout_ms, 12_000);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Info {
    /// A short name.
    pub name: String,
    /// The mechanism's version (semver).
    pub version: String,
    /// How long the host waits for each reply, in milliseconds.
    pub query_timeout_ms: u32,
    /// Replies longer than this are passed as [`Reply::Oversized`](crate::Reply::Oversized).
    pub max_response_bytes: u32,
    /// Query/score steps per epoch.
    pub steps_per_epoch: u32,
}

impl Info {
    /// Facts with the defaults: a 12 s query timeout (the Bittensor SDK's),
    /// 64 KiB replies, 4 steps per epoch.
    pub fn new(name: &str, version: &str) -> Self {
        Self {
            name: name.to_string(),
            version: version.to_string(),
            query_timeout_ms: 12_000,
            max_response_bytes: 64 << 10,
            steps_per_epoch: 4,
        }
    }

    /// Sets the query timeout.
    pub fn query_timeout_ms(mut self, millis: u32) -> Self {
        self.query_timeout_ms = millis;
        self
    }

    /// Sets the reply size limit.
    pub fn max_response_bytes(mut self, bytes: u32) -> Self {
        self.max_response_bytes = bytes;
        self
    }

    /// Sets the number of steps per epoch.
    pub fn steps_per_epoch(mut self, steps: u32) -> Self {
        self.steps_per_epoch = steps;
        self
    }
}

/// One entry of a weight vector.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weight {
    /// The uid rated.
    pub uid: u16,
    /// A finite, non-negative weight (the host normalises the vector).
    pub value: f64,
}

/// A subnet's incentive mechanism: a pure state machine over typed state.
///
/// Every function must be deterministic: use [`Context::rng`] for random
/// choices, the SDK's helpers for floats that must match across languages,
/// and `BTreeMap` rather than `HashMap` in state.
///
/// ```
/// use arbiter_sdk::{Context, Error, Info, Mechanism, Queries, Responses, Weight};
///
/// struct Constant;
///
/// impl Mechanism for Constant {
///     type State = u64;
///     fn describe() -> Info { Info::new("constant", "0.1.0") }
///     fn init(_config: &[u8]) -> Result<u64, Error> { Ok(0) }
///     fn challenge(_ctx: &Context, _state: &u64) -> Result<Queries, Error> { Ok(Queries::new()) }
///     fn score(_ctx: &Context, state: u64, _r: &Responses) -> Result<u64, Error> { Ok(state + 1) }
///     fn weights(ctx: &Context, _state: &u64) -> Result<Vec<Weight>, Error> {
///         Ok(ctx.neurons().iter().map(|n| Weight { uid: n.uid, value: 1.0 }).collect())
///     }
/// }
/// arbiter_sdk::export!(Constant);
/// ```
///
/// A signature that differs from the trait's is a compile error that names
/// the method:
///
/// ```compile_fail,E0053
/// use arbiter_sdk::{Context, Error, Info, Mechanism, Queries, Responses, Weight};
/// struct Wrong;
/// impl Mechanism for Wrong {
///     type State = u64;
///     fn describe() -> Info { Info::new("wrong", "0.1.0") }
///     fn init(_config: &[u8]) -> Result<u64, Error> { Ok(0) }
///     fn challenge(_ctx: &Context, _state: &u64) -> Result<Queries, Error> { Ok(Queries::new()) }
///     // `score` takes the state by value and returns the new one.
///     fn score(_ctx: &Context, state: &u64, _r: &Responses) -> Result<(), Error> { Ok(()) }
///     fn weights(_ctx: &Context, _state: &u64) -> Result<Vec<Weight>, Error> { Ok(vec![]) }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an Arbiter mechanism",
    label = "`export!` needs a type that implements `arbiter_sdk::Mechanism`",
    note = "add `impl arbiter_sdk::Mechanism for {Self} {{ ... }}` with describe, init, challenge, score and weights"
)]
pub trait Mechanism {
    /// The state kept between calls, encoded with the canonical codec.
    type State: Codec;

    /// Static facts about the mechanism.
    fn describe() -> Info;

    /// The initial state for the subnet's configuration bytes (empty for
    /// the defaults).
    fn init(config: &[u8]) -> Result<Self::State, Error>;

    /// The queries to send this step.
    fn challenge(ctx: &Context, state: &Self::State) -> Result<Queries, Error>;

    /// The new state after scoring this step's replies.
    fn score(
        ctx: &Context,
        state: Self::State,
        responses: &Responses,
    ) -> Result<Self::State, Error>;

    /// The weights to commit at the end of an epoch (empty: no opinion).
    fn weights(ctx: &Context, state: &Self::State) -> Result<Vec<Weight>, Error>;
}

/// Exports a [`Mechanism`] implementation as the component's
/// `arbiter:mechanism/mechanism` interface. Use it once, at the crate root.
#[macro_export]
macro_rules! export {
    ($mechanism:ty) => {
        const _: () = {
            struct __ArbiterExports;

            impl $crate::__private::Guest for __ArbiterExports {
                fn describe() -> $crate::__private::WitInfo {
                    $crate::__private::describe::<$mechanism>()
                }
                fn init(
                    config: ::std::vec::Vec<u8>,
                ) -> ::std::result::Result<::std::vec::Vec<u8>, $crate::__private::WitError>
                {
                    $crate::__private::init::<$mechanism>(config)
                }
                fn challenge(
                    ctx: $crate::__private::WitContext,
                    state: ::std::vec::Vec<u8>,
                ) -> ::std::result::Result<
                    $crate::__private::WitPayloads,
                    $crate::__private::WitError,
                > {
                    $crate::__private::challenge::<$mechanism>(ctx, state)
                }
                fn score(
                    ctx: $crate::__private::WitContext,
                    state: ::std::vec::Vec<u8>,
                    queries: $crate::__private::WitPayloads,
                    responses: $crate::__private::WitResponses,
                ) -> ::std::result::Result<::std::vec::Vec<u8>, $crate::__private::WitError>
                {
                    $crate::__private::score::<$mechanism>(ctx, state, queries, responses)
                }
                fn weights(
                    ctx: $crate::__private::WitContext,
                    state: ::std::vec::Vec<u8>,
                ) -> ::std::result::Result<
                    ::std::vec::Vec<$crate::__private::WitWeight>,
                    $crate::__private::WitError,
                > {
                    $crate::__private::weights::<$mechanism>(ctx, state)
                }
            }

    $crate::wit::__export_world!(__ArbiterExports with_types_in $crate::wit);
        };
    };
}

/// The glue [`export!`] expands to. Not part of the API.
#[doc(hidden)]
pub mod __private {
    use super::*;
    use crate::codec;

    pub use crate::wit::exports::arbiter::mechanism::mechanism::Guest;
    pub use wit::{
        Context as WitContext, Info as WitInfo, MechanismError as WitError,
        Payloads as WitPayloads, Responses as WitResponses, Weight as WitWeight,
    };

    fn encode<T: Codec>(state: &T) -> Result<Vec<u8>, WitError> {
        Ok(codec::to_bytes(state).map_err(Error::from)?)
    }

    pub fn describe<M: Mechanism>() -> WitInfo {
        crate::log::install_panic_hook();
        let info = M::describe();
        WitInfo {
            name: info.name,
            version: info.version,
            query_timeout_ms: info.query_timeout_ms,
            max_response_bytes: info.max_response_bytes,
            steps_per_epoch: info.steps_per_epoch,
        }
    }

    pub fn init<M: Mechanism>(config: Vec<u8>) -> Result<Vec<u8>, WitError> {
        crate::log::install_panic_hook();
        encode(&M::init(&config)?)
    }

    pub fn challenge<M: Mechanism>(
        ctx: WitContext,
        state: Vec<u8>,
    ) -> Result<WitPayloads, WitError> {
        crate::log::install_panic_hook();
        let state: M::State = codec::from_bytes(&state).map_err(Error::from)?;
        Ok(M::challenge(&Context::from_wit(ctx), &state)?.into_wit())
    }

    pub fn score<M: Mechanism>(
        ctx: WitContext,
        state: Vec<u8>,
        queries: WitPayloads,
        responses: WitResponses,
    ) -> Result<Vec<u8>, WitError> {
        crate::log::install_panic_hook();
        let state: M::State = codec::from_bytes(&state).map_err(Error::from)?;
        let responses = Responses::from_wit(queries, responses)?;
        encode(&M::score(&Context::from_wit(ctx), state, &responses)?)
    }

    pub fn weights<M: Mechanism>(
        ctx: WitContext,
        state: Vec<u8>,
    ) -> Result<Vec<WitWeight>, WitError> {
        crate::log::install_panic_hook();
        let state: M::State = codec::from_bytes(&state).map_err(Error::from)?;
        let weights = M::weights(&Context::from_wit(ctx), &state)?;
        Ok(weights
            .into_iter()
            .map(|w| WitWeight {
                uid: w.uid,
                value: w.value,
            })
            .collect())
    }
}
