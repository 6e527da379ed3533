//! How one reply is scored.

use arbiter_sdk::Reply;
use arbiter_sdk::text::token_overlap;

/// A reply may be up to this many times as long as the reference (in
/// tokens) before the length penalty applies.
pub const LENGTH_ALLOWANCE: usize = 2;

/// The reward for `reply` to a question whose reference answer is
/// `reference`, in [0, 1]: token F1 times the length penalty for an answer
/// in UTF-8, 0 for anything else.
///
/// The length penalty is 1 up to [`LENGTH_ALLOWANCE`] × the reference's
/// token count, then `allowance / reply_tokens`, so that padding an answer
/// with the whole corpus does not pay.
pub fn reward(reply: &Reply<'_>, reference: &str) -> f64 {
    let Some(answer) = reply.text() else {
        return 0.0;
    };
    let overlap = token_overlap(answer, reference);
    let f1 = overlap.f1();
    if f1 == 0.0 {
        return 0.0;
    }
    let allowance = LENGTH_ALLOWANCE * overlap.reference_len;
    let length = overlap.candidate_len;
    if length <= allowance {
        f1
    } else {
        f1 * (allowance as f64 / length as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REFERENCE: &str = "Jupiter is the largest planet in the solar system.";

    #[test]
    fn exact_answer_scores_one_and_failures_score_zero() {
        assert_eq!(reward(&Reply::Ok(REFERENCE.as_bytes()), REFERENCE), 1.0);
        assert_eq!(reward(&Reply::Timeout, REFERENCE), 0.0);
        assert_eq!(
            reward(&Reply::BadSignature(REFERENCE.as_bytes()), REFERENCE),
            0.0
        );
        assert_eq!(reward(&Reply::Ok(&[0xff, 0xfe]), REFERENCE), 0.0);
    }

    #[test]
    fn partial_answers_score_between() {
        let r = reward(&Reply::Ok(b"Jupiter"), REFERENCE);
        assert!(r > 0.0 && r < 1.0);
    }

    #[test]
    fn padding_is_penalised() {
        let padded = format!("{REFERENCE} {}", "filler ".repeat(100));
        let r = reward(&Reply::Ok(padded.as_bytes()), REFERENCE);
        assert!(r < 0.1, "{r}");
    }
}
