//! The `Mechanism` implementation: config, state, challenge, score, weights.

use arbiter_sdk::numeric::{ema, normalize_l1};
use arbiter_sdk::{Context, Error, Info, Mechanism, Queries, Responses, Weight};

use crate::corpus::{entries, reference_for};
use crate::scoring::reward;

/// The mechanism.
pub struct TextMatch;

/// What text-match keeps between calls.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    /// EMA weight of a new score.
    pub alpha: f64,
    /// Miners asked per step (0: all).
    pub queries_per_step: u32,
    /// Each uid's moving average of rewards, indexed by uid.
    pub ema: Vec<f64>,
}

arbiter_sdk::impl_codec!(State {
    alpha,
    queries_per_step,
    ema
});

/// The EMA weight of a new score unless configured.
pub const DEFAULT_ALPHA: f64 = 0.1;

impl State {
    fn from_config(config: &[u8]) -> Result<Self, Error> {
        let mut state = State {
            alpha: DEFAULT_ALPHA,
            queries_per_step: 0,
            ema: Vec::new(),
        };
        let text = std::str::from_utf8(config)
            .map_err(|_| Error::InvalidConfig("configuration is not UTF-8".into()))?;
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let invalid = || Error::InvalidConfig(format!("cannot read `{line}`"));
            let (key, value) = line.split_once('=').ok_or_else(invalid)?;
            match key.trim() {
                "alpha" => {
                    state.alpha = value.trim().parse().map_err(|_| invalid())?;
                    if !(state.alpha > 0.0 && state.alpha <= 1.0) {
                        return Err(Error::InvalidConfig("alpha must be in (0, 1]".into()));
                    }
                }
                "queries_per_step" => {
                    state.queries_per_step = value.trim().parse().map_err(|_| invalid())?;
                }
                other => return Err(Error::InvalidConfig(format!("unknown key `{other}`"))),
            }
        }
        Ok(state)
    }
}

/// The uids to query: everyone but the validator, or a seeded sample of
/// `queries_per_step` of them in ascending order.
fn miners(ctx: &Context, state: &State, rng: &mut arbiter_sdk::rng::Rng) -> Vec<u16> {
    let all: Vec<u16> = ctx
        .neurons()
        .iter()
        .map(|n| n.uid)
        .filter(|&uid| uid != ctx.validator_uid())
        .collect();
    let k = state.queries_per_step as usize;
    if k == 0 || k >= all.len() {
        return all;
    }
    let mut picked: Vec<u16> = rng
        .sample(all.len(), k)
        .into_iter()
        .map(|i| all[i])
        .collect();
    picked.sort_unstable();
    picked
}

impl Mechanism for TextMatch {
    type State = State;

    fn describe() -> Info {
        Info::new("text-match", env!("CARGO_PKG_VERSION"))
            .query_timeout_ms(8_000)
            .max_response_bytes(4096)
            .steps_per_epoch(10)
    }

    fn init(config: &[u8]) -> Result<State, Error> {
        State::from_config(config)
    }

    fn challenge(ctx: &Context, state: &State) -> Result<Queries, Error> {
        let corpus = entries();
        let mut rng = ctx.rng();
        let mut queries = Queries::new();
        for uid in miners(ctx, state, &mut rng) {
            let entry = corpus[rng.below(corpus.len() as u64) as usize];
            queries.push_str(uid, entry.question);
        }
        Ok(queries)
    }

    fn score(ctx: &Context, mut state: State, responses: &Responses) -> Result<State, Error> {
        state.ema.resize(ctx.uid_count(), 0.0);
        for neuron in ctx.neurons().iter().filter(|n| n.replaced) {
            state.ema[usize::from(neuron.uid)] = 0.0;
        }
        let corpus = entries();
        for response in responses.iter() {
            let reference = reference_for(&corpus, response.query).ok_or_else(|| {
                Error::InvalidInput(format!(
                    "uid {} was asked a question not in the corpus",
                    response.uid
                ))
            })?;
            let slot = state
                .ema
                .get_mut(usize::from(response.uid))
                .ok_or_else(|| {
                    Error::InvalidInput(format!("uid {} is not in the metagraph", response.uid))
                })?;
            *slot = ema(*slot, reward(&response.reply, reference), state.alpha);
        }
        Ok(state)
    }

    fn weights(ctx: &Context, state: &State) -> Result<Vec<Weight>, Error> {
        let uids: Vec<u16> = ctx
            .neurons()
            .iter()
            .map(|n| n.uid)
            .filter(|&uid| uid != ctx.validator_uid())
            .collect();
        let scores: Vec<f64> = uids
            .iter()
            .map(|&uid| state.ema.get(usize::from(uid)).copied().unwrap_or(0.0))
            .collect();
        let normalised = normalize_l1(&scores);
        Ok(uids
            .into_iter()
            .zip(normalised)
            .filter(|&(_, value)| value > 0.0)
            .map(|(uid, value)| Weight { uid, value })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arbiter_sdk::{Neuron, Reply};

    fn context(n: u16, seed: u8) -> Context {
        let neurons = (0..n)
            .map(|uid| Neuron {
                uid,
                stake: if uid == 0 { 1_000_000 } else { 0 },
                validator_permit: uid == 0,
                active: true,
                replaced: false,
            })
            .collect();
        Context::for_tests(1, 0, 0, [seed; 32], neurons)
    }

    #[test]
    fn config_is_parsed_and_checked() {
        let state = TextMatch::init(b"alpha = 0.25\nqueries_per_step=3\n").ok();
        assert_eq!(
            state.map(|s| (s.alpha, s.queries_per_step)),
            Some((0.25, 3))
        );
        assert!(TextMatch::init(b"alpha=2").is_err());
        assert!(TextMatch::init(b"beta=1").is_err());
        assert!(TextMatch::init(&[0xff]).is_err());
    }

    #[test]
    fn challenge_is_seeded_and_skips_the_validator() -> Result<(), Error> {
        let state = TextMatch::init(b"")?;
        let a = TextMatch::challenge(&context(8, 1), &state)?;
        let b = TextMatch::challenge(&context(8, 1), &state)?;
        let c = TextMatch::challenge(&context(8, 2), &state)?;
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.len(), 7);
        Ok(())
    }

    #[test]
    fn good_answers_earn_more_weight() -> Result<(), Error> {
        let ctx = context(4, 3);
        let corpus = entries();
        let question = corpus[0].question.as_bytes();
        let responses = Responses::for_tests([
            (1, question, Reply::Ok(corpus[0].reference.as_bytes()), 10),
            (2, question, Reply::Ok(b"gold"), 10),
            (3, question, Reply::Timeout, 8000),
        ]);
        let state = TextMatch::score(&ctx, TextMatch::init(b"")?, &responses)?;
        let weights = TextMatch::weights(&ctx, &state)?;
        assert_eq!(weights.len(), 2);
        assert!(weights[0].value > weights[1].value);
        assert!((weights.iter().map(|w| w.value).sum::<f64>() - 1.0).abs() < 1e-12);
        Ok(())
    }

    #[test]
    fn replaced_uids_lose_their_history() -> Result<(), Error> {
        let mut state = TextMatch::init(b"")?;
        state.ema = vec![0.0, 0.5, 0.5];
        let mut ctx_neurons: Vec<Neuron> = context(3, 0).neurons().to_vec();
        ctx_neurons[2].replaced = true;
        let ctx = Context::for_tests(1, 0, 0, [0; 32], ctx_neurons);
        let state = TextMatch::score(&ctx, state, &Responses::for_tests([]))?;
        assert_eq!(state.ema, vec![0.0, 0.5, 0.0]);
        Ok(())
    }
}
