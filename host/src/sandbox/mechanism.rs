//! A loaded mechanism and its five calls.
//!
//! Every call runs in a fresh instance, made from the pre-instantiated
//! template in a few microseconds, inside a fresh store: its own virtual
//! WASI (seeded from the call's context), its own log, limiter, fuel and
//! deadline. Nothing survives between calls except what the caller passes
//! in, so a call's result depends only on its arguments. Only the export
//! call is metered: instantiation fuel depends on how the OS initialises
//! memory, so fuel is reset just before the call.
//!
//! Every output is checked against the contract before it is returned, and
//! a call that fails in any way returns a typed [`Failure`]; the caller's
//! state is never touched, because calls take it by reference and return
//! the new state as a separate value.

use std::sync::Arc;

use arbiter_registry::ContentHash;
use wasmtime::Store;

use super::bindings::{Context, Info, Payloads, Responses, SubnetPre, Weight};
use super::engine::EpochTicker;
use super::limits::Limits;
use super::log::{CallLog, LogSink};
use super::outcome::{Failure, HostFault};
use super::store::StoreData;
use super::{Shared, wasi, wire};

/// The result of one call: the value or the failure, the fuel the export
/// call used (only for calls that returned: fuel after a trap is not
/// exact), and what the mechanism logged.
#[derive(Debug, Clone)]
pub struct Call<T> {
    /// What the call produced.
    pub result: Result<T, Failure>,
    /// Fuel the export call consumed, for calls that returned.
    pub fuel_used: Option<u64>,
    /// The call's log.
    pub log: CallLog,
}

/// The longest `name` or `version` a mechanism may report.
const MAX_INFO_TEXT: usize = 128;

/// A mechanism, admitted and ready to call. Cheap to clone.
#[derive(Clone)]
pub struct Mechanism {
    shared: Arc<Shared>,
    pre: SubnetPre<StoreData>,
    hash: ContentHash,
    limits: Limits,
}

/// The seed and time the WASI of calls without a context (`describe`, `init`)
/// sees.
const NO_CONTEXT_SEED: [u8; 32] = [0; 32];

impl Mechanism {
    pub(super) fn new(
        shared: Arc<Shared>,
        pre: SubnetPre<StoreData>,
        hash: ContentHash,
        limits: Limits,
    ) -> Self {
        Self {
            shared,
            pre,
            hash,
            limits,
        }
    }

    /// The BLAKE3 hash of the component's bytes.
    pub fn hash(&self) -> ContentHash {
        self.hash
    }

    /// The limits its calls run under.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Instantiates the component in a fresh store without calling it: the
    /// fixed cost every call pays, for benchmarks and health checks.
    pub fn instantiate_only(&self) -> Result<(), Failure> {
        self.call(&NO_CONTEXT_SEED, 0, |_, _| Ok(Ok(()))).result
    }
    /// Static facts about the mechanism (its `describe` export).
    pub fn describe(&self) -> Call<Info> {
        self.call(&NO_CONTEXT_SEED, 0, |m, store| {
            let info = m.arbiter_mechanism_mechanism().call_describe(store)?;
            Ok(check_info(&info).map(|()| info))
        })
    }

    /// The initial state for `config`.
    pub fn init(&self, config: &[u8]) -> Call<Vec<u8>> {
        let max = self.limits.output_bytes;
        self.call(&NO_CONTEXT_SEED, 0, |m, store| {
            let result = m.arbiter_mechanism_mechanism().call_init(store, config)?;
            Ok(result
                .map_err(Failure::from_mechanism)
                .and_then(|state| check_state(state, max)))
        })
    }

    /// The queries for the step described by `ctx`.
    pub fn challenge(&self, ctx: &Context, state: &[u8]) -> Call<Payloads> {
        let max = self.limits.output_bytes;
        self.call_in(ctx, |m, store| {
            let result = m
                .arbiter_mechanism_mechanism()
                .call_challenge(store, ctx, state)?;
            Ok(result.map_err(Failure::from_mechanism).and_then(|queries| {
                wire::check_payloads(&queries, ctx, max)
                    .map(|()| queries)
                    .map_err(|reason| Failure::InvalidOutput { reason })
            }))
        })
    }

    /// The state after scoring `responses` to `queries`.
    pub fn score(
        &self,
        ctx: &Context,
        state: &[u8],
        queries: &Payloads,
        responses: &Responses,
    ) -> Call<Vec<u8>> {
        let max = self.limits.output_bytes;
        self.call_in(ctx, |m, store| {
            let result = m
                .arbiter_mechanism_mechanism()
                .call_score(store, ctx, state, queries, responses)?;
            Ok(result
                .map_err(Failure::from_mechanism)
                .and_then(|state| check_state(state, max)))
        })
    }

    /// The epoch's weights.
    pub fn weights(&self, ctx: &Context, state: &[u8]) -> Call<Vec<Weight>> {
        self.call_in(ctx, |m, store| {
            let result = m
                .arbiter_mechanism_mechanism()
                .call_weights(store, ctx, state)?;
            Ok(result.map_err(Failure::from_mechanism).and_then(|weights| {
                wire::check_weights(&weights, ctx)
                    .map(|()| weights)
                    .map_err(|reason| Failure::InvalidOutput { reason })
            }))
        })
    }

    fn call_in<T>(
        &self,
        ctx: &Context,
        body: impl FnOnce(
            &super::bindings::Subnet,
            &mut Store<StoreData>,
        ) -> wasmtime::Result<Result<T, Failure>>,
    ) -> Call<T> {
        let Ok(seed) = <[u8; 32]>::try_from(ctx.seed.as_slice()) else {
            return Call {
                result: Err(Failure::HostFault(HostFault::Other {
                    message: format!("the context seed has {} bytes, not 32", ctx.seed.len()),
                })),
                fuel_used: None,
                log: CallLog::default(),
            };
        };
        self.call(&seed, ctx.block_time_ms, body)
    }

    /// Runs `body` against a fresh instance in a fresh store.
    fn call<T>(
        &self,
        seed: &[u8; 32],
        block_time_ms: u64,
        body: impl FnOnce(
            &super::bindings::Subnet,
            &mut Store<StoreData>,
        ) -> wasmtime::Result<Result<T, Failure>>,
    ) -> Call<T> {
        fresh_call(
            &self.shared,
            &self.limits,
            seed,
            block_time_ms,
            |store| self.pre.instantiate(store),
            body,
        )
    }
}

/// The call machinery mechanisms and solvers share: runs `body` against a
/// fresh instance (made by `instantiate`) in a fresh store with its own
/// virtual WASI (seeded from `seed`, clocks at `block_time_ms`), log,
/// limiter, fuel and deadline, and classifies whatever happens into a
/// [`Call`].
pub(super) fn fresh_call<I, T>(
    shared: &Shared,
    limits: &Limits,
    seed: &[u8; 32],
    block_time_ms: u64,
    instantiate: impl FnOnce(&mut Store<StoreData>) -> wasmtime::Result<I>,
    body: impl FnOnce(&I, &mut Store<StoreData>) -> wasmtime::Result<Result<T, Failure>>,
) -> Call<T> {
    let log = LogSink::new(limits.log_bytes);
    let wasi = wasi::virtual_wasi(seed, block_time_ms, &log);
    let mut store = Store::new(&shared.engine, StoreData::new(*limits, wasi, log.clone()));
    store.limiter(|data| &mut data.limiter);
    store.set_epoch_deadline(EpochTicker::ticks_for(limits.wall_clock_ms));
    store.epoch_deadline_trap();

    let budget = limits.fuel_per_call;
    let run = |store: &mut Store<StoreData>| -> wasmtime::Result<Result<(T, u64), Failure>> {
        store.set_fuel(budget)?;
        let instance = instantiate(&mut *store)?;
        store.set_fuel(budget)?;
        let value = body(&instance, store)?;
        let used = budget.saturating_sub(store.get_fuel()?);
        Ok(value.map(|value| (value, used)))
    };
    let (result, fuel_used) = match run(&mut store) {
        Ok(Ok((value, used))) => (Ok(value), Some(used)),
        Ok(Err(failure)) => (Err(failure), None),
        Err(error) => {
            let hit = store.data().limiter.hit();
            (Err(Failure::classify(&error, hit, limits)), None)
        }
    };
    Call {
        result,
        fuel_used,
        log: log.snapshot(),
    }
}

fn check_state(state: Vec<u8>, max: u64) -> Result<Vec<u8>, Failure> {
    if state.len() as u64 > max {
        return Err(Failure::InvalidOutput {
            reason: format!(
                "state is {} bytes, over the output limit of {max}",
                state.len()
            ),
        });
    }
    Ok(state)
}

fn check_info(info: &Info) -> Result<(), Failure> {
    let invalid = |reason: String| Err(Failure::InvalidOutput { reason });
    if info.name.is_empty() || info.name.len() > MAX_INFO_TEXT {
        return invalid(format!("name must be 1 to {MAX_INFO_TEXT} bytes"));
    }
    if info.version.is_empty() || info.version.len() > MAX_INFO_TEXT {
        return invalid(format!("version must be 1 to {MAX_INFO_TEXT} bytes"));
    }
    if info.steps_per_epoch == 0 {
        return invalid("steps-per-epoch must be at least 1".into());
    }
    Ok(())
}
