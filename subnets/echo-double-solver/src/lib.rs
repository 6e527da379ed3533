//! `echo-double-solver`: the reference miner of `echo-double`.
//!
//! A query is a decimal number as text; the correct reply is twice that
//! number as text. With probability `quality` the solver replies correctly;
//! otherwise it replies with a number a little above the right one (by 1
//! to 9, chosen from the seed), which `echo-double` scores 0. A request
//! that is not a decimal number is refused.
//!
//! Doubling is done in 128 bits, so no request a `u64` can hold overflows.

use arbiter_sdk::solver::{SolveError, Solver, Task};

/// The largest amount a wrong answer is off by.
pub const MAX_ERROR: u64 = 9;

/// The solver.
pub struct EchoDoubleSolver;

impl Solver for EchoDoubleSolver {
    fn solve(task: &Task<'_>) -> Result<Vec<u8>, SolveError> {
        let number: u64 = task.text()?.parse().map_err(|_| {
            SolveError::InvalidRequest("an echo-double query is a decimal number".into())
        })?;
        let doubled = u128::from(number) * 2;
        let mut attempt = task.attempt();
        let answer = if attempt.correct {
            doubled
        } else {
            doubled + 1 + u128::from(attempt.rng.below(MAX_ERROR))
        };
        Ok(answer.to_string().into_bytes())
    }
}

#[cfg(target_arch = "wasm32")]
arbiter_sdk::export_solver!(EchoDoubleSolver);

#[cfg(test)]
mod tests {
    use super::*;

    fn solve(request: &[u8], quality: f64, seed: u8) -> Result<Vec<u8>, SolveError> {
        EchoDoubleSolver::solve(&Task::new(request, quality, [seed; 32]))
    }

    #[test]
    fn a_perfect_miner_doubles_and_a_hopeless_one_never_does() {
        for seed in 0..50 {
            assert_eq!(solve(b"21", 1.0, seed), Ok(b"42".to_vec()));
            let wrong = solve(b"21", 0.0, seed).unwrap();
            let wrong: u64 = std::str::from_utf8(&wrong).unwrap().parse().unwrap();
            assert!((43..=42 + MAX_ERROR).contains(&wrong), "{wrong}");
        }
    }

    #[test]
    fn quality_is_the_share_of_correct_answers_and_the_draw_is_repeatable() {
        let correct = (0..=255u8)
            .filter(|&seed| solve(b"1000", 0.5, seed) == Ok(b"2000".to_vec()))
            .count();
        assert!((96..=160).contains(&correct), "{correct} of 256");
        assert_eq!(solve(b"7", 0.5, 3), solve(b"7", 0.5, 3));
    }

    #[test]
    fn huge_numbers_do_not_overflow_and_garbage_is_refused() {
        assert_eq!(
            solve(u64::MAX.to_string().as_bytes(), 1.0, 0),
            Ok((u128::from(u64::MAX) * 2).to_string().into_bytes())
        );
        assert!(matches!(
            solve(b"twenty-one", 1.0, 0),
            Err(SolveError::InvalidRequest(_))
        ));
        assert!(matches!(
            solve(&[0xff], 1.0, 0),
            Err(SolveError::InvalidRequest(_))
        ));
    }
}
