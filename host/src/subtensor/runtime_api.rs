//! Subtensor's runtime-API answers decoded into typed values: the
//! metagraph (`NeuronInfoRuntimeApi.get_neurons_lite`) and a subnet's
//! hyperparameters (`SubnetInfoRuntimeApi.get_subnet_hyperparams`).
//!
//! Bytes are decoded against the runtime's own output type (from its
//! metadata), then fields are picked by name, so a runtime that adds,
//! reorders or compacts fields still decodes, and one that drops a field
//! the host needs is refused with the field's name rather than misread.

use serde::Serialize;
use subxt::ext::scale_value::{self, At, Composite, Value, ValueDef};

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
    let mut input = bytes;
    let value = scale_value::scale::decode_as_type(&mut input, output, metadata.subxt().types())
        .map_err(|e| malformed(method, &e.to_string()))?;
    if !input.is_empty() {
        return Err(malformed(
            method,
            &format!("{} bytes left over", input.len()),
        ));
    }
    Ok(value)
}

fn malformed(method: &str, reason: &str) -> EncodeError {
    EncodeError::Call {
        call: method.to_string(),
        reason: format!("cannot decode the answer: {reason}"),
    }
}

fn field<'v>(value: &'v Value<u32>, name: &str) -> Result<&'v Value<u32>, EncodeError> {
    value
        .at(name)
        .ok_or_else(|| malformed(name, "the runtime's answer lacks this field"))
}

/// The items of a sequence.
fn items<'v>(value: &'v Value<u32>, name: &str) -> Result<Vec<&'v Value<u32>>, EncodeError> {
    match &value.value {
        ValueDef::Composite(composite) => Ok(composite.values().collect()),
        _ => Err(malformed(name, "not a sequence")),
    }
}

/// An unsigned field (plain or compact), checked to fit `T`.
fn int<T: TryFrom<u128>>(value: &Value<u32>, name: &str) -> Result<T, EncodeError> {
    number(field(value, name)?, name)
}

fn number<T: TryFrom<u128>>(value: &Value<u32>, name: &str) -> Result<T, EncodeError> {
    let raw = unwrap_newtype(value)
        .as_u128()
        .ok_or_else(|| malformed(name, "not an unsigned integer"))?;
    T::try_from(raw).map_err(|_| malformed(name, &format!("{raw} is out of range")))
}

fn flag(value: &Value<u32>, name: &str) -> Result<bool, EncodeError> {
    unwrap_newtype(field(value, name)?)
        .as_bool()
        .ok_or_else(|| malformed(name, "not a bool"))
}

/// A newtype's inner value (`NetUid(u16)`, `AlphaBalance(u64)`, ...).
fn unwrap_newtype(value: &Value<u32>) -> &Value<u32> {
    match &value.value {
        ValueDef::Composite(composite) if composite.len() == 1 => {
            composite.values().next().map_or(value, unwrap_newtype)
        }
        _ => value,
    }
}

/// An `AccountId32`: 32 bytes, however deeply the runtime wraps them.
fn account(value: &Value<u32>, name: &str) -> Result<PublicKey, EncodeError> {
    let mut bytes = Vec::with_capacity(32);
    collect_bytes(value, &mut bytes);
    let bytes: [u8; 32] = bytes
        .try_into()
        .map_err(|_| malformed(name, "not a 32-byte account"))?;
    Ok(PublicKey(bytes))
}

fn collect_bytes(value: &Value<u32>, out: &mut Vec<u8>) {
    match &value.value {
        ValueDef::Composite(Composite::Named(fields)) => {
            fields.iter().for_each(|(_, v)| collect_bytes(v, out));
        }
        ValueDef::Composite(Composite::Unnamed(values)) => {
            values.iter().for_each(|v| collect_bytes(v, out));
        }
        _ => out.extend(value.as_u128().and_then(|b| u8::try_from(b).ok())),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_are_read_through_any_wrapping() {
        let bytes = (0..32u8).map(|b| Value::u128(b.into()));
        let wrapped = Value::unnamed_composite([Value::unnamed_composite(bytes)]);
        let key = account(&wrapped.map_context(|_| 0u32), "hotkey").unwrap();
        assert_eq!(key.0[31], 31);
        let short = Value::unnamed_composite([Value::u128(1)]).map_context(|_| 0u32);
        assert!(account(&short, "hotkey").is_err());
    }

    #[test]
    fn numbers_out_of_range_are_refused_with_their_name() {
        let n = Value::named_composite([("uid", Value::u128(70_000))]).map_context(|_| 0u32);
        let error = int::<u16>(&n, "uid").unwrap_err();
        assert!(error.to_string().contains("uid"), "{error}");
        assert!(
            error.to_string().contains("70000 is out of range"),
            "{error}"
        );
    }
}
