//! A reference miner's solver (the `arbiter:mechanism/miner` world), loaded
//! and run by the same [`Sandbox`] as mechanisms.
//!
//! A solver is held to the mechanism rules: the same engine, linker,
//! limits and virtual WASI, admission with the same allow-list (checking
//! the `solver` export instead of `mechanism`), and a fresh instance per
//! call through the same call machinery ([`super::mechanism::fresh_call`]),
//! so a solver's reply depends only on its request, quality and seed, and
//! every way a call can go wrong ends in a typed [`Failure`].
//!
//! The solver's own refusal (`invalid-request`) is not a failure of the
//! call: the call returned, and its value says the request was refused.

use std::sync::Arc;

use arbiter_registry::ContentHash;

use super::admission::{self, AdmissionError};
use super::limits::Limits;
use super::mechanism::{Call, fresh_call};
use super::outcome::Failure;
use super::solver_bindings::{MinerPre, SolveError};
use super::store::StoreData;
use super::{Sandbox, Shared};

/// The clock a solver's virtual WASI reads: a solver has no block, so its
/// clocks stand at the Unix epoch.
const SOLVER_TIME_MS: u64 = 0;

/// What a solver's call returned: the reply, or the solver's refusal of the
/// request.
pub type Answer = Result<Vec<u8>, SolveError>;

/// A solver, admitted and ready to call. Cheap to clone.
#[derive(Clone)]
pub struct Solver {
    shared: Arc<Shared>,
    pre: MinerPre<StoreData>,
    hash: ContentHash,
    limits: Limits,
}

impl Solver {
    /// The BLAKE3 hash of the component's bytes.
    pub fn hash(&self) -> ContentHash {
        self.hash
    }

    /// The limits its calls run under.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The reply to `request` by a miner of `quality` (0 to 1), with the
    /// call's randomness from `seed`. A reply longer than the limits'
    /// `output_bytes` is [`Failure::InvalidOutput`].
    pub fn solve(&self, request: &[u8], quality: f64, seed: &[u8; 32]) -> Call<Answer> {
        let max = self.limits.output_bytes;
        fresh_call(
            &self.shared,
            &self.limits,
            seed,
            SOLVER_TIME_MS,
            |store| self.pre.instantiate(store),
            |miner, store| {
                let answer = miner
                    .arbiter_mechanism_solver()
                    .call_solve(store, request, quality, seed)?;
                Ok(check_reply(answer, max))
            },
        )
    }
}

fn check_reply(answer: Answer, max: u64) -> Result<Answer, Failure> {
    match answer {
        Ok(reply) if reply.len() as u64 > max => Err(Failure::InvalidOutput {
            reason: format!(
                "the reply is {} bytes, over the output limit of {max}",
                reply.len()
            ),
        }),
        answer => Ok(answer),
    }
}

impl Sandbox {
    /// Admits the solver component `bytes` under `limits` and makes it
    /// ready to call. The last admission check instantiates it once, which
    /// proves it instantiates under its limits.
    pub fn load_solver(&self, bytes: &[u8], limits: Limits) -> Result<Solver, AdmissionError> {
        admission::check_bytes(bytes, &limits)?;
        let hash = ContentHash::of(bytes);
        let (component, _) = self.compile(&hash, bytes)?;
        admission::check_solver_component(&self.shared.engine, &component, &limits)?;
        let pre = self
            .shared
            .linker
            .instantiate_pre(&component)
            .and_then(MinerPre::new)
            .map_err(|e| AdmissionError::SolverWorldMismatch {
                detail: format!("{e:#}"),
            })?;
        let solver = Solver {
            shared: Arc::clone(&self.shared),
            pre,
            hash,
            limits,
        };
        fresh_call(
            &solver.shared,
            &solver.limits,
            &[0; 32],
            SOLVER_TIME_MS,
            |store| solver.pre.instantiate(store),
            |_, _| Ok(Ok(())),
        )
        .result
        .map_err(AdmissionError::InstantiationFailed)?;
        Ok(solver)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_over_the_output_limit_are_invalid_but_refusals_pass() {
        assert_eq!(check_reply(Ok(vec![1, 2]), 2), Ok(Ok(vec![1, 2])));
        assert!(matches!(
            check_reply(Ok(vec![1, 2, 3]), 2),
            Err(Failure::InvalidOutput { .. })
        ));
        let refusal = SolveError::InvalidRequest("no".into());
        assert_eq!(check_reply(Err(refusal.clone()), 0), Ok(Err(refusal)));
    }
}
