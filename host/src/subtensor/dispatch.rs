//! Subtensor's dispatch errors, named and turned into the host's typed
//! refusals.
//!
//! A refused call shows up as `System.ExtrinsicFailed { dispatch_error }`;
//! a `Module` error carries the pallet's index and the error's index,
//! which the runtime's metadata names (`SubtensorModule`,
//! `SettingWeightsTooFast`). Names the devnet also reports become the same
//! [`Rule`], with the numbers a caller needs (how many blocks to wait, the
//! version key required) read from the chain by the backend; any other
//! name stays a [`ChainError::Dispatch`] carrying both names.

use subxt::ext::scale_value::{At, Value, ValueDef};

use super::RuntimeMetadata;
use super::value;
use crate::chain::{ChainError, Rule};

/// `(pallet, error)` of a `DispatchError` value: the names of a `Module`
/// error, or `("DispatchError", variant)` for the others (`BadOrigin`, ...).
pub fn name(metadata: &RuntimeMetadata, error: &Value<u32>) -> Option<(String, String)> {
    let ValueDef::Variant(variant) = &error.value else {
        return None;
    };
    if variant.name != "Module" {
        return Some(("DispatchError".into(), variant.name.clone()));
    }
    let module = variant.values.values().next()?;
    let pallet_index = u8::try_from(module.at("index")?.as_u128()?).ok()?;
    let error_index = *value::bytes(module.at("error")?).first()?;
    let pallet = metadata.subxt().pallet_by_error_index(pallet_index)?;
    let name = pallet.error_variant_by_index(error_index)?.name.clone();
    Some((pallet.name().to_string(), name))
}

/// What the backend knows about a refused call, to fill in a [`Rule`].
#[derive(Debug, Default, Clone)]
pub struct Context {
    /// The subnet.
    pub netuid: u16,
    /// The signer's hotkey, SS58.
    pub hotkey: String,
    /// The signer's uid, if registered.
    pub uid: Option<u16>,
    /// The version key sent.
    pub version_key: u64,
    /// The version key the subnet requires.
    pub required_version_key: u64,
    /// Blocks until the signer may set weights again.
    pub retry_in_blocks: u64,
    /// The uids sent.
    pub uids: Vec<u16>,
    /// How many values were sent.
    pub values: usize,
    /// The subnet's size.
    pub subnet_n: u16,
    /// The fewest weights the subnet takes.
    pub min_allowed_weights: u16,
    /// The largest share of one weight, /65535.
    pub max_weights_limit: u16,
}

impl Context {
    /// The first uid sent twice.
    fn duplicate_uid(&self) -> u16 {
        let mut seen = std::collections::HashSet::new();
        self.uids
            .iter()
            .copied()
            .find(|uid| !seen.insert(*uid))
            .unwrap_or_default()
    }

    /// The first uid sent that the subnet does not have.
    fn invalid_uid(&self) -> u16 {
        self.uids
            .iter()
            .copied()
            .find(|uid| *uid >= self.subnet_n)
            .unwrap_or_default()
    }
}

/// The host's error for the dispatch error `pallet::error`.
pub fn to_error(pallet: &str, error: &str, context: &Context) -> ChainError {
    let rule = match (pallet, error) {
        ("SubtensorModule", "SettingWeightsTooFast") => Rule::SettingWeightsTooFast {
            retry_in_blocks: context.retry_in_blocks,
        },
        ("SubtensorModule", "CommittingWeightsTooFast") => Rule::CommittingWeightsTooFast {
            retry_in_blocks: context.retry_in_blocks,
        },
        ("SubtensorModule", "IncorrectWeightVersionKey") => Rule::IncorrectWeightVersionKey {
            given: context.version_key,
            required: context.required_version_key,
        },
        ("SubtensorModule", "HotKeyNotRegisteredInSubNet" | "HotKeyNotRegisteredInNetwork") => {
            Rule::HotKeyNotRegisteredInSubNet {
                hotkey: context.hotkey.clone(),
                netuid: context.netuid,
            }
        }
        ("SubtensorModule", "NeuronNoValidatorPermit") => Rule::NeuronNoValidatorPermit {
            uid: context.uid.unwrap_or_default(),
        },
        ("SubtensorModule", "WeightVecNotEqualSize") => Rule::WeightVecNotEqualSize {
            uids: context.uids.len(),
            values: context.values,
        },
        ("SubtensorModule", "UidsLengthExceedUidsInSubNet") => Rule::UidsLengthExceedUidsInSubNet {
            given: context.uids.len(),
            subnet_n: context.subnet_n,
        },
        ("SubtensorModule", "DuplicateUids") => Rule::DuplicateUids {
            uid: context.duplicate_uid(),
        },
        ("SubtensorModule", "UidVecContainInvalidOne") => Rule::UidVecContainInvalidOne {
            uid: context.invalid_uid(),
        },
        ("SubtensorModule", "WeightVecLengthIsLow") => Rule::WeightVecLengthIsLow {
            given: context.values,
            required: usize::from(context.subnet_n.min(context.min_allowed_weights)),
        },
        ("SubtensorModule", "MaxWeightExceeded") => Rule::MaxWeightExceeded {
            limit: context.max_weights_limit,
        },
        ("SubtensorModule", "CommitRevealEnabled") => Rule::CommitRevealEnabled,
        ("SubtensorModule", "CommitRevealDisabled") => Rule::CommitRevealDisabled,
        ("SubtensorModule", "TooManyUnrevealedCommits") => Rule::TooManyUnrevealedCommits,
        ("SubtensorModule", "NoWeightsCommitFound") => Rule::NoWeightsCommitFound,
        ("SubtensorModule", "InvalidRevealCommitHashNotMatch") => {
            Rule::InvalidRevealCommitHashNotMatch
        }
        ("SubtensorModule", "ExpiredWeightCommit") => Rule::ExpiredWeightCommit,
        ("SubtensorModule", "RevealTooEarly") => Rule::RevealTooEarly { retry_in_epochs: 1 },
        ("SubtensorModule", "CanNotSetRootNetworkWeights") => Rule::CanNotSetRootNetworkWeights,
        ("SubtensorModule", "SubNetworkDoesNotExist" | "SubnetNotExists") => {
            return ChainError::NoSuchSubnet {
                netuid: context.netuid,
            };
        }
        _ => {
            return ChainError::Dispatch {
                pallet: pallet.to_string(),
                error: error.to_string(),
            };
        }
    };
    ChainError::Rule(rule)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_devnet_knows_become_its_rules() {
        let context = Context {
            netuid: 2,
            retry_in_blocks: 7,
            version_key: 1,
            required_version_key: 5,
            ..Context::default()
        };
        assert_eq!(
            to_error("SubtensorModule", "SettingWeightsTooFast", &context),
            ChainError::Rule(Rule::SettingWeightsTooFast { retry_in_blocks: 7 })
        );
        assert_eq!(
            to_error("SubtensorModule", "IncorrectWeightVersionKey", &context),
            ChainError::Rule(Rule::IncorrectWeightVersionKey {
                given: 1,
                required: 5
            })
        );
        assert_eq!(
            to_error("SubtensorModule", "SubNetworkDoesNotExist", &context),
            ChainError::NoSuchSubnet { netuid: 2 }
        );
    }

    #[test]
    fn weight_vector_refusals_name_the_offending_uid_and_the_limit() {
        let context = Context {
            uids: vec![4, 1, 9, 1, 12],
            values: 5,
            subnet_n: 10,
            min_allowed_weights: 64,
            max_weights_limit: 30_000,
            ..Context::default()
        };
        let rule = |name| to_error("SubtensorModule", name, &context);
        assert_eq!(
            rule("DuplicateUids"),
            ChainError::Rule(Rule::DuplicateUids { uid: 1 })
        );
        assert_eq!(
            rule("UidVecContainInvalidOne"),
            ChainError::Rule(Rule::UidVecContainInvalidOne { uid: 12 })
        );
        assert_eq!(
            rule("WeightVecLengthIsLow"),
            ChainError::Rule(Rule::WeightVecLengthIsLow {
                given: 5,
                required: 10
            })
        );
        assert_eq!(
            rule("MaxWeightExceeded"),
            ChainError::Rule(Rule::MaxWeightExceeded { limit: 30_000 })
        );
        assert_eq!(
            rule("UidsLengthExceedUidsInSubNet"),
            ChainError::Rule(Rule::UidsLengthExceedUidsInSubNet {
                given: 5,
                subnet_n: 10
            })
        );
    }

    #[test]
    fn other_names_are_kept() {
        let error = to_error(
            "Commitments",
            "AccountNotAllowedCommit",
            &Context::default(),
        );
        assert_eq!(
            error.to_string(),
            "refused by the chain: Commitments::AccountNotAllowedCommit"
        );
    }
}
