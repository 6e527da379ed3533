//! `text-match-solver`: the reference miner of `text-match`.
//!
//! A query is a question from `text-match`'s corpus. With probability
//! `quality` the solver replies with the corpus's reference answer (token
//! F1 1); otherwise with a partial answer, the reference's first `k` words
//! for a `k` drawn from the seed between 1 and half the words (token F1 at
//! most 2/3). A question outside the corpus gets "I do not know." (F1 0
//! against any reference); a request that is not UTF-8 is refused.

use arbiter_sdk::rng::Rng;
use arbiter_sdk::solver::{SolveError, Solver, Task};

use corpus::{entries, reference_for};

/// `text-match`'s corpus: that crate's own `corpus` module, compiled from
/// its source file (which embeds the same `corpus.tsv`), so the solver
/// knows exactly the questions and reference answers the mechanism uses.
/// The module is included rather than the crate depended on because a
/// WebAssembly build that links the `text-match` crate also links its
/// mechanism exports, and this component would then be a mechanism too.
#[path = "../../text-match/src/corpus.rs"]
pub mod corpus;

/// The reply to a question the solver has no answer for.
pub const UNKNOWN: &str = "I do not know.";

/// The solver.
pub struct TextMatchSolver;

impl Solver for TextMatchSolver {
    fn solve(task: &Task<'_>) -> Result<Vec<u8>, SolveError> {
        let question = task.text()?;
        let Some(reference) = reference_for(&entries(), question.as_bytes()) else {
            return Ok(UNKNOWN.as_bytes().to_vec());
        };
        let attempt = task.attempt();
        let answer = if attempt.correct {
            reference.to_string()
        } else {
            partial(reference, attempt.rng)
        };
        Ok(answer.into_bytes())
    }
}

/// The first `k` words of `reference`, `k` uniform in `1..=words/2`; for a
/// one-word reference, [`UNKNOWN`].
fn partial(reference: &str, mut rng: Rng) -> String {
    let words: Vec<&str> = reference.split_whitespace().collect();
    let half = words.len() / 2;
    if half == 0 {
        return UNKNOWN.to_string();
    }
    let k = 1 + rng.below(half as u64) as usize;
    words[..k].join(" ")
}

#[cfg(target_arch = "wasm32")]
arbiter_sdk::export_solver!(TextMatchSolver);

#[cfg(test)]
mod tests {
    use super::*;
    use arbiter_sdk::Reply;
    use text_match::scoring::reward;

    fn solve(question: &str, quality: f64, seed: u8) -> String {
        let reply = TextMatchSolver::solve(&Task::new(question.as_bytes(), quality, [seed; 32]));
        String::from_utf8(reply.unwrap()).unwrap()
    }

    #[test]
    fn a_perfect_miner_scores_one_and_a_poor_one_scores_partly() {
        for entry in entries() {
            let good = solve(entry.question, 1.0, 1);
            assert_eq!(good, entry.reference);
            for seed in 0..8 {
                let poor = solve(entry.question, 0.0, seed);
                let score = reward(&Reply::Ok(poor.as_bytes()), entry.reference);
                assert!(score < 0.7, "{poor:?} scores {score}");
            }
        }
    }

    #[test]
    fn unknown_questions_and_garbage() {
        assert_eq!(solve("What is the airspeed of a swallow?", 1.0, 0), UNKNOWN);
        assert!(matches!(
            TextMatchSolver::solve(&Task::new(&[0xff, 0xfe], 1.0, [0; 32])),
            Err(SolveError::InvalidRequest(_))
        ));
    }

    #[test]
    fn the_same_task_gives_the_same_reply() {
        let question = entries()[3].question;
        assert_eq!(solve(question, 0.5, 9), solve(question, 0.5, 9));
    }
}
