//! The [`Solver`] trait a reference miner implements, and the
//! [`export_solver!`](crate::export_solver) macro that turns an
//! implementation into a component of the `arbiter:mechanism/miner` world.
//!
//! A solver goes with one subnet's mechanism: it answers that mechanism's
//! queries, correctly with probability `quality` and wrongly or partially
//! otherwise, so that `arbiter miner serve` gives demos and tests miners of
//! known, different quality. Like a mechanism it must be deterministic: all
//! randomness comes from the task's seed, through [`Task::attempt`], whose
//! first draw is the quality draw every solver makes the same way (one
//! [`Rng::next_f64`] of the seed's stream, correct when below `quality`).

use crate::rng::Rng;

/// Why a solver did not answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SolveError {
    /// The request is not a query of this solver's subnet. The miner
    /// refuses it and shows the text to the caller.
    InvalidRequest(String),
}

/// One query to answer: the request bytes, the quality the miner is meant
/// to have, and the call's seed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Task<'a> {
    request: &'a [u8],
    quality: f64,
    seed: [u8; 32],
}

/// The outcome of the quality draw (see [`Task::attempt`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// Whether this answer is to be correct.
    pub correct: bool,
    /// The seed's random stream after the quality draw, for anything else
    /// the solver chooses (such as which wrong answer to give).
    pub rng: Rng,
}

impl<'a> Task<'a> {
    /// A task, as the host sends it (also for native unit tests).
    pub fn new(request: &'a [u8], quality: f64, seed: [u8; 32]) -> Self {
        Self {
            request,
            quality,
            seed,
        }
    }

    /// The request bytes: a query payload of the subnet's mechanism.
    pub fn request(&self) -> &'a [u8] {
        self.request
    }

    /// The request as UTF-8 text, or [`SolveError::InvalidRequest`].
    pub fn text(&self) -> Result<&'a str, SolveError> {
        std::str::from_utf8(self.request)
            .map_err(|_| SolveError::InvalidRequest("the request is not UTF-8 text".into()))
    }

    /// How good the miner is meant to be, from 0 to 1.
    pub fn quality(&self) -> f64 {
        self.quality
    }

    /// The quality draw: the first [`Rng::next_f64`] of the seed's stream
    /// decides, correct when it is below `quality` (so quality 1 is always
    /// correct, 0 and NaN never). The rest of the stream comes back with it.
    ///
    /// ```
    /// # use arbiter_sdk::solver::Task;
    /// assert!(Task::new(b"21", 1.0, [5; 32]).attempt().correct);
    /// assert!(!Task::new(b"21", 0.0, [5; 32]).attempt().correct);
    /// ```
    pub fn attempt(&self) -> Attempt {
        let mut rng = Rng::from_seed(&self.seed);
        let correct = rng.next_f64() < self.quality;
        Attempt { correct, rng }
    }
}

/// A reference miner's solver for one subnet.
///
/// It must be deterministic: draw randomness only through
/// [`Task::attempt`].
///
/// ```
/// use arbiter_sdk::solver::{SolveError, Solver, Task};
///
/// struct Shout;
///
/// impl Solver for Shout {
///     fn solve(task: &Task<'_>) -> Result<Vec<u8>, SolveError> {
///         let text = task.text()?;
///         let attempt = task.attempt();
///         Ok(if attempt.correct { text.to_uppercase() } else { text.to_string() }.into_bytes())
///     }
/// }
/// arbiter_sdk::export_solver!(Shout);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an Arbiter solver",
    label = "`export_solver!` needs a type that implements `arbiter_sdk::solver::Solver`",
    note = "add `impl arbiter_sdk::solver::Solver for {Self} {{ fn solve(task: &Task<'_>) -> Result<Vec<u8>, SolveError> {{ ... }} }}`"
)]
pub trait Solver {
    /// The reply to `task`'s request.
    fn solve(task: &Task<'_>) -> Result<Vec<u8>, SolveError>;
}

/// Exports a [`Solver`] implementation as the component's
/// `arbiter:mechanism/solver` interface. Use it once, at the crate root.
#[macro_export]
macro_rules! export_solver {
    ($solver:ty) => {
        const _: () = {
            struct __ArbiterSolverExports;

            impl $crate::solver::__private::Guest for __ArbiterSolverExports {
                fn solve(
                    request: ::std::vec::Vec<u8>,
                    quality: f64,
                    seed: ::std::vec::Vec<u8>,
                ) -> ::std::result::Result<
                    ::std::vec::Vec<u8>,
                    $crate::solver::__private::WitSolveError,
                > {
                    $crate::solver::__private::solve::<$solver>(request, quality, seed)
                }
            }

            $crate::solver_wit::__export_solver_world!(
                __ArbiterSolverExports with_types_in $crate::solver_wit
            );
        };
    };
}

/// The glue [`export_solver!`](crate::export_solver) expands to. Not part
/// of the API.
#[doc(hidden)]
pub mod __private {
    use super::{SolveError, Solver, Task};

    pub use crate::solver_wit::exports::arbiter::mechanism::solver::{
        Guest, SolveError as WitSolveError,
    };

    pub fn solve<S: Solver>(
        request: Vec<u8>,
        quality: f64,
        seed: Vec<u8>,
    ) -> Result<Vec<u8>, WitSolveError> {
        crate::log::install_panic_hook();
        // The host always sends 32 bytes; anything else leaves zeros, which
        // is still deterministic.
        let mut seed32 = [0u8; 32];
        if let Some(bytes) = seed.get(..32) {
            seed32.copy_from_slice(bytes);
        }
        S::solve(&Task::new(&request, quality, seed32)).map_err(|error| match error {
            SolveError::InvalidRequest(message) => WitSolveError::InvalidRequest(message),
        })
    }
}
