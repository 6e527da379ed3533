//! `echo-double`: the Bittensor subnet template's mechanism, the smallest
//! complete example.
//!
//! Each step every miner but the validator is sent a number (decimal text,
//! drawn from the step's seed); the reward is 1 when the reply is exactly
//! twice that number (decimal text) and 0 otherwise. Rewards enter an
//! exponential moving average with α = 0.1, and the weights are the EMA
//! normalised to sum 1, as in the template's `forward` and `set_weights`.

use arbiter_sdk::numeric::{ema, normalize_l1};
use arbiter_sdk::{Context, Error, Info, Mechanism, Queries, Responses, Weight};

/// The weight of a new reward in the moving average (the template's).
pub const ALPHA: f64 = 0.1;

/// Queries are numbers below this.
pub const QUERY_RANGE: u64 = 1_000_000;

/// The mechanism.
pub struct EchoDouble;

impl Mechanism for EchoDouble {
    /// Each uid's moving average of rewards, indexed by uid.
    type State = Vec<f64>;

    fn describe() -> Info {
        Info::new("echo-double", env!("CARGO_PKG_VERSION"))
            .query_timeout_ms(2_000)
            .max_response_bytes(64)
    }

    fn init(config: &[u8]) -> Result<Vec<f64>, Error> {
        if !config.is_empty() {
            return Err(Error::InvalidConfig(
                "echo-double takes no configuration".into(),
            ));
        }
        Ok(Vec::new())
    }

    fn challenge(ctx: &Context, _scores: &Vec<f64>) -> Result<Queries, Error> {
        let mut rng = ctx.rng();
        let mut queries = Queries::new();
        for neuron in ctx
            .neurons()
            .iter()
            .filter(|n| n.uid != ctx.validator_uid())
        {
            queries.push_str(neuron.uid, &rng.below(QUERY_RANGE).to_string());
        }
        Ok(queries)
    }

    fn score(
        ctx: &Context,
        mut scores: Vec<f64>,
        responses: &Responses,
    ) -> Result<Vec<f64>, Error> {
        scores.resize(ctx.uid_count(), 0.0);
        for neuron in ctx.neurons().iter().filter(|n| n.replaced) {
            scores[usize::from(neuron.uid)] = 0.0;
        }
        for response in responses.iter() {
            let query: u64 = std::str::from_utf8(response.query)
                .ok()
                .and_then(|q| q.parse().ok())
                .ok_or_else(|| Error::InvalidInput("a query is not a number".into()))?;
            let correct = response.reply.text() == Some((2 * query).to_string().as_str());
            let slot = scores.get_mut(usize::from(response.uid)).ok_or_else(|| {
                Error::InvalidInput(format!("uid {} is not in the metagraph", response.uid))
            })?;
            *slot = ema(*slot, if correct { 1.0 } else { 0.0 }, ALPHA);
        }
        Ok(scores)
    }

    fn weights(ctx: &Context, scores: &Vec<f64>) -> Result<Vec<Weight>, Error> {
        let uids: Vec<u16> = ctx
            .neurons()
            .iter()
            .map(|n| n.uid)
            .filter(|&uid| uid != ctx.validator_uid())
            .collect();
        let values: Vec<f64> = uids
            .iter()
            .map(|&uid| scores.get(usize::from(uid)).copied().unwrap_or(0.0))
            .collect();
        Ok(uids
            .into_iter()
            .zip(normalize_l1(&values))
            .filter(|&(_, value)| value > 0.0)
            .map(|(uid, value)| Weight { uid, value })
            .collect())
    }
}

#[cfg(target_arch = "wasm32")]
arbiter_sdk::export!(EchoDouble);

#[cfg(test)]
mod tests {
    use super::*;
    use arbiter_sdk::{Neuron, Reply};

    fn context() -> Context {
        let neurons = (0..3)
            .map(|uid| Neuron {
                uid,
                stake: 0,
                validator_permit: uid == 0,
                active: true,
                replaced: false,
            })
            .collect();
        Context::for_tests(1, 0, 0, [9; 32], neurons)
    }

    #[test]
    fn doubling_is_rewarded_and_anything_else_is_not() -> Result<(), Error> {
        let ctx = context();
        let responses = Responses::for_tests([
            (1, &b"21"[..], Reply::Ok(b"42"), 3),
            (2, b"21", Reply::Ok(b"43"), 3),
        ]);
        let scores = EchoDouble::score(&ctx, EchoDouble::init(b"")?, &responses)?;
        assert_eq!(scores, vec![0.0, ALPHA, 0.0]);
        let weights = EchoDouble::weights(&ctx, &scores)?;
        assert_eq!(weights, vec![Weight { uid: 1, value: 1.0 }]);
        Ok(())
    }
}
