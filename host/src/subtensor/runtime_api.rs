//! Subtensor's runtime-API answers decoded into typed values: the
//! metagraph (`NeuronInfoRuntimeApi.get_neurons_lite`) and a subnet's
//! hyperparameters (`SubnetInfoRuntimeApi.get_subnet_hyperparams`).
//!
//! Bytes are decoded against the runtime's own output type (from its
//! metadata), then fields are picked by name, so a runtime that adds,
//! reorders or compacts fields still decodes, and one that drops a field
//! the host needs is refused with the field's name rather than misread.

use serde::Serialize;
use subxt::ext::scale_value::{At, Value, ValueDef};

use super::value::{account, decode, field, flag, int, items, malformed, number};
use super::{EncodeError, RuntimeMetadata};
use arbiter_registry::PublicKey;

/// One neuron as `get_neurons_lite` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NeuronLite {
    /// Its uid.
    pub uid: u16,
    /// Its subnet.
    pub netuid: u16,
    /// Its hotkey.
    pub hotkey: PublicKey,
    /// The coldkey that owns it.
    pub coldkey: PublicKey,
    /// Whether it is active.
    pub active: bool,
    /// Whether it holds a validator permit.
    pub validator_permit: bool,
    /// Its stake in rao, summed over the stake entries.
    pub stake: u64,
    /// Last epoch's rank, /65535.
    pub rank: u16,
    /// Last epoch's emission, in rao.
    pub emission: u64,
    /// Last epoch's incentive, /65535.
    pub incentive: u16,
    /// Last epoch's consensus, /65535.
    pub consensus: u16,
    /// Last epoch's trust, /65535.
    pub trust: u16,
    /// Last epoch's validator trust, /65535.
    pub validator_trust: u16,
    /// Last epoch's dividends, /65535.
    pub dividends: u16,
    /// The block it last set weights at.
    pub last_update: u64,
    /// Its pruning score.
    pub pruning_score: u16,
}

/// The hyperparameters of a subnet the validator acts on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubnetHyperparams {
    /// Blocks per epoch.
    pub tempo: u16,
    /// Consensus majority, /65535.
    pub kappa: u16,
    /// Blocks a new registration is immune from pruning.
    pub immunity_period: u16,
    /// The fewest weights a vector may have.
    pub min_allowed_weights: u16,
    /// The largest share one uid may get, /65535.
    pub max_weights_limit: u16,
    /// The version key `set_weights` must carry at least.
    pub weights_version: u64,
    /// Blocks between two weight settings of one hotkey.
    pub weights_rate_limit: u64,
    /// Blocks after which a validator that set no weights is inactive.
    pub activity_cutoff: u16,
    /// Validator permits: the top-k by stake.
    pub max_validators: u16,
    /// Bond EMA, /1e6.
    pub bonds_moving_avg: u64,
    /// Whether weights go through commit-reveal.
    pub commit_reveal_weights_enabled: bool,
    /// Epochs between a commit and its reveal.
    pub commit_reveal_period: u64,
    /// Whether liquid alpha is on.
    pub liquid_alpha_enabled: bool,
    /// Liquid alpha's lower bound, /65535.
    pub alpha_low: u16,
    /// Liquid alpha's upper bound, /65535.
    pub alpha_high: u16,
}

/// Decodes `get_neurons_lite`'s answer.
pub fn neurons_lite(
    metadata: &RuntimeMetadata,
    bytes: &[u8],
) -> Result<Vec<NeuronLite>, EncodeError> {
    let value = decode_output(metadata, "NeuronInfoRuntimeApi", "get_neurons_lite", bytes)?;
    items(&value, "get_neurons_lite")?
        .iter()
        .map(|n| {
            Ok(NeuronLite {
                uid: int(n, "uid")?,
                netuid: int(n, "netuid")?,
                hotkey: account(field(n, "hotkey")?, "hotkey")?,
                coldkey: account(field(n, "coldkey")?, "coldkey")?,
                active: flag(n, "active")?,
                validator_permit: flag(n, "validator_permit")?,
                stake: stake(field(n, "stake")?)?,
                rank: int(n, "rank")?,
                emission: int(n, "emission")?,
                incentive: int(n, "incentive")?,
                consensus: int(n, "consensus")?,
                trust: int(n, "trust")?,
                validator_trust: int(n, "validator_trust")?,
                dividends: int(n, "dividends")?,
                last_update: int(n, "last_update")?,
                pruning_score: int(n, "pruning_score")?,
            })
        })
        .collect()
}

/// Decodes `get_subnet_hyperparams`'s answer (`None` if the subnet does
/// not exist).
pub fn subnet_hyperparams(
    metadata: &RuntimeMetadata,
    bytes: &[u8],
) -> Result<Option<SubnetHyperparams>, EncodeError> {
    let value = decode_output(
        metadata,
        "SubnetInfoRuntimeApi",
        "get_subnet_hyperparams",
        bytes,
    )?;
    let ValueDef::Variant(option) = &value.value else {
        return Err(malformed("get_subnet_hyperparams", "not an Option"));
    };
    let h = match (option.name.as_str(), option.values.values().next()) {
        ("None", _) => return Ok(None),
        ("Some", Some(inner)) => inner,
        _ => return Err(malformed("get_subnet_hyperparams", "not an Option")),
    };
    Ok(Some(SubnetHyperparams {
        tempo: int(h, "tempo")?,
        kappa: int(h, "kappa")?,
        immunity_period: int(h, "immunity_period")?,
        min_allowed_weights: int(h, "min_allowed_weights")?,
        max_weights_limit: int(h, "max_weights_limit")?,
        weights_version: int(h, "weights_version")?,
        weights_rate_limit: int(h, "weights_rate_limit")?,
        activity_cutoff: int(h, "activity_cutoff")?,
        max_validators: int(h, "max_validators")?,
        bonds_moving_avg: int(h, "bonds_moving_avg")?,
        commit_reveal_weights_enabled: flag(h, "commit_reveal_weights_enabled")?,
        commit_reveal_period: int(h, "commit_reveal_period")?,
        liquid_alpha_enabled: flag(h, "liquid_alpha_enabled")?,
        alpha_low: int(h, "alpha_low")?,
        alpha_high: int(h, "alpha_high")?,
    }))
}

/// `bytes` decoded as the output type of `api.method`, every byte used.
fn decode_output(
    metadata: &RuntimeMetadata,
    api: &str,
    method: &str,
    bytes: &[u8],
) -> Result<Value<u32>, EncodeError> {
    let output = metadata
        .subxt()
        .runtime_api_trait_by_name(api)
        .and_then(|t| t.method_by_name(method))
        .map(|m| m.output_ty())
        .ok_or_else(|| malformed(method, &format!("the runtime has no {api}.{method}")))?;
    decode(metadata, output, bytes, method)
}

/// The stake entries `(coldkey, amount)`, summed.
fn stake(value: &Value<u32>) -> Result<u64, EncodeError> {
    items(value, "stake")?.iter().try_fold(0u64, |sum, entry| {
        let amount = entry
            .at(1)
            .ok_or_else(|| malformed("stake", "an entry without an amount"))?;
        let amount: u64 = number(amount, "stake")?;
        sum.checked_add(amount)
            .ok_or_else(|| malformed("stake", "the sum overflows"))
    })
}
