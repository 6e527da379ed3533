//! Answers verified queries with a solver component: the reply to a query
//! is the solver's `solve(request, quality, seed)` with
//! `seed = BLAKE3(request signature)`, so each query gets its own draw and
//! anyone holding the signed request can recompute the reply.
//!
//! Solver calls are CPU work in the sandbox, so they run on tokio's
//! blocking pool, at most one per core at once (the rest wait), which also
//! keeps them within the sandbox's pool of instance slots.

use std::num::NonZero;
use std::sync::Arc;

use axum::http::StatusCode;
use tokio::sync::Semaphore;

use crate::sandbox::Solver;
use crate::sandbox::solver_bindings::SolveError;
use crate::transport::{Answerer, Refusal, VerifiedQuery};

/// Answers with a solver at a fixed quality.
pub struct SolverAnswerer {
    solver: Solver,
    quality: f64,
    calls: Arc<Semaphore>,
}

impl SolverAnswerer {
    /// Answers with `solver` at `quality` (0 to 1).
    pub fn new(solver: Solver, quality: f64) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, NonZero::get);
        Self {
            solver,
            quality,
            calls: Arc::new(Semaphore::new(cores)),
        }
    }
}

impl Answerer for SolverAnswerer {
    async fn answer(&self, query: VerifiedQuery) -> Result<Vec<u8>, Refusal> {
        let lost = || Refusal::new(StatusCode::SERVICE_UNAVAILABLE, "the miner is stopping");
        let _permit = Arc::clone(&self.calls)
            .acquire_owned()
            .await
            .map_err(|_| lost())?;
        let solver = self.solver.clone();
        let quality = self.quality;
        let seed = *blake3::hash(&query.signature.0).as_bytes();
        let call = tokio::task::spawn_blocking(move || solver.solve(&query.body, quality, &seed))
            .await
            .map_err(|_| lost())?;
        match call.result {
            Ok(Ok(reply)) => Ok(reply),
            Ok(Err(SolveError::InvalidRequest(reason))) => {
                Err(Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, reason))
            }
            Err(failure) => {
                tracing::warn!(%failure, "the solver failed");
                Err(Refusal::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("the solver failed: {failure}"),
                ))
            }
        }
    }
}
