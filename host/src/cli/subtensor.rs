//! `arbiter subtensor`: what the host would send to a real Subtensor,
//! computed offline, for inspection and for comparing with the Bittensor
//! SDK.
//!
//! - `encode --metadata <file> <call> ...` prints a call's SCALE call data
//!   as `0x…` for the runtime the metadata describes (the bytes the SDK's
//!   `compose_call(...).data` gives).
//!   `commit-timelocked-weights` encrypts the weights first (CRv4).
//! - `commit-hash ...` prints the weight-commit hash of commit-reveal, as
//!   the SDK's `generate_weight_hash` computes it.
//!
//! Arguments the chain would refuse whatever its state (uids and values of
//! different lengths, a commitment over 128 bytes) are refused here with
//! the chain's rule name and exit code 1.

use std::path::PathBuf;
use std::process::ExitCode;

use arbiter_host::chain::commit_hash::commit_hash;
use arbiter_host::subtensor::calls::check_lengths;
use arbiter_host::subtensor::{
    CommitmentData, EncodeError, RuntimeMetadata, SubtensorCall, timelock,
};
use arbiter_registry::PublicKey;
use clap::Subcommand;

/// Arguments of `arbiter subtensor`.
#[derive(Debug, clap::Args)]
pub struct SubtensorArgs {
    #[command(subcommand)]
    command: SubtensorCommand,
}

#[derive(Debug, Subcommand)]
enum SubtensorCommand {
    /// Print a call's SCALE call data (`0x…`) for a runtime.
    Encode {
        /// The runtime's metadata: SCALE (`meta…` or `Some(OpaqueMetadata)`)
        /// or the same as `0x` hex text.
        #[arg(long)]
        metadata: PathBuf,
        #[command(subcommand)]
        call: CallArgs,
    },
    /// Print the weight-commit hash of commit-reveal (`0x…`).
    CommitHash {
        /// The committing hotkey: SS58 or `0x` and 64 hex digits.
        #[arg(long)]
        hotkey: PublicKey,
        #[command(flatten)]
        weights: WeightArgs,
        /// The mechanism within the subnet.
        #[arg(long, default_value_t = 0)]
        mechid: u8,
        /// The salt, comma-separated u16s.
        #[arg(long, value_delimiter = ',')]
        salt: Vec<u16>,
    },
}

/// A subnet's weights, as every weight call takes them.
#[derive(Debug, clap::Args)]
struct WeightArgs {
    /// The subnet.
    #[arg(long)]
    netuid: u16,
    /// The uids, comma-separated.
    #[arg(long, value_delimiter = ',')]
    uids: Vec<u16>,
    /// Their u16 weights, comma-separated.
    #[arg(long, value_delimiter = ',')]
    values: Vec<u16>,
    /// The subnet's weights version key.
    #[arg(long, default_value_t = 0)]
    version_key: u64,
}

#[derive(Debug, Subcommand)]
enum CallArgs {
    /// `SubtensorModule.set_weights`.
    SetWeights(WeightArgs),
    /// `SubtensorModule.set_mechanism_weights`.
    SetMechanismWeights {
        #[command(flatten)]
        weights: WeightArgs,
        /// The mechanism within the subnet.
        #[arg(long)]
        mechid: u8,
    },
    /// `SubtensorModule.commit_weights`.
    CommitWeights {
        /// The subnet.
        #[arg(long)]
        netuid: u16,
        /// The commit hash, `0x` and 64 hex digits.
        #[arg(long, value_parser = parse_hash)]
        hash: [u8; 32],
    },
    /// `SubtensorModule.reveal_weights`.
    RevealWeights {
        #[command(flatten)]
        weights: WeightArgs,
        /// The salt, comma-separated u16s.
        #[arg(long, value_delimiter = ',')]
        salt: Vec<u16>,
    },
    /// CRv4: the weights encrypted to a drand quicknet round, as
    /// `SubtensorModule.commit_timelocked_weights` (or, with `--mechid`,
    /// `commit_timelocked_mechanism_weights`), commit-reveal version 4.
    CommitTimelockedWeights {
        #[command(flatten)]
        weights: WeightArgs,
        /// The committing hotkey: SS58 or `0x` and 64 hex digits.
        #[arg(long)]
        hotkey: PublicKey,
        /// The mechanism within the subnet.
        #[arg(long)]
        mechid: Option<u8>,
        /// The drand quicknet round to encrypt to.
        #[arg(long)]
        reveal_round: u64,
        /// The encryption's randomness, `0x` and 64 hex digits: secret, and
        /// never reused (it alone opens the commit).
        #[arg(long, value_parser = parse_hash)]
        seed: [u8; 32],
    },
    /// `Commitments.set_commitment` with one field.
    #[command(group = clap::ArgGroup::new("data").required(true))]
    SetCommitment {
        /// The subnet.
        #[arg(long)]
        netuid: u16,
        /// Raw bytes (hex, `0x` optional), at most 128.
        #[arg(long, group = "data", value_parser = parse_raw)]
        raw: Option<RawBytes>,
        /// A SHA-256 digest, `0x` and 64 hex digits.
        #[arg(long, group = "data", value_parser = parse_hash)]
        sha256: Option<[u8; 32]>,
    },
}

impl CallArgs {
    fn into_call(self) -> Result<SubtensorCall, timelock::Error> {
        Ok(match self {
            Self::SetWeights(w) => SubtensorCall::SetWeights {
                netuid: w.netuid,
                uids: w.uids,
                values: w.values,
                version_key: w.version_key,
            },
            Self::SetMechanismWeights { weights: w, mechid } => {
                SubtensorCall::SetMechanismWeights {
                    netuid: w.netuid,
                    mechid,
                    uids: w.uids,
                    values: w.values,
                    version_key: w.version_key,
                }
            }
            Self::CommitWeights { netuid, hash } => SubtensorCall::CommitWeights { netuid, hash },
            Self::RevealWeights { weights: w, salt } => SubtensorCall::RevealWeights {
                netuid: w.netuid,
                uids: w.uids,
                values: w.values,
                salt,
                version_key: w.version_key,
            },
            Self::SetCommitment {
                netuid,
                raw,
                sha256,
            } => SubtensorCall::SetCommitment {
                netuid,
                // clap's required group gives exactly one of the two.
                data: match sha256 {
                    Some(digest) => CommitmentData::Sha256(digest),
                    None => CommitmentData::Raw(raw.map(|r| r.0).unwrap_or_default()),
                },
            },
            Self::CommitTimelockedWeights {
                weights: w,
                hotkey,
                mechid,
                reveal_round,
                seed,
            } => {
                let commit = timelock::encrypt_commit(
                    hotkey.0,
                    &w.uids,
                    &w.values,
                    w.version_key,
                    reveal_round,
                    seed,
                )?;
                match mechid {
                    None => SubtensorCall::CommitTimelockedWeights {
                        netuid: w.netuid,
                        commit,
                        reveal_round,
                        commit_reveal_version: timelock::COMMIT_REVEAL_VERSION,
                    },
                    Some(mechid) => SubtensorCall::CommitTimelockedMechanismWeights {
                        netuid: w.netuid,
                        mechid,
                        commit,
                        reveal_round,
                        commit_reveal_version: timelock::COMMIT_REVEAL_VERSION,
                    },
                }
            }
        })
    }
}

/// Raw commitment bytes (a newtype: clap would read a `Vec` as a list of
/// values).
#[derive(Debug, Clone)]
struct RawBytes(Vec<u8>);

fn parse_raw(text: &str) -> Result<RawBytes, String> {
    parse_hex(text).map(RawBytes)
}

fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    hex::decode(text.strip_prefix("0x").unwrap_or(text)).map_err(|e| format!("bad hex: {e}"))
}

fn parse_hash(text: &str) -> Result<[u8; 32], String> {
    parse_hex(text)?
        .try_into()
        .map_err(|bytes: Vec<u8>| format!("{} bytes; a hash has 32", bytes.len()))
}

pub fn execute(args: SubtensorArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        SubtensorCommand::Encode { metadata, call } => {
            let metadata = RuntimeMetadata::from_file(&metadata)?;
            match call.into_call()?.encode(&metadata) {
                Ok(bytes) => {
                    println!("0x{}", hex::encode(bytes));
                    Ok(ExitCode::SUCCESS)
                }
                Err(refused @ EncodeError::Refused(_)) => {
                    eprintln!("{refused}");
                    Ok(ExitCode::from(1))
                }
                Err(other) => Err(other.into()),
            }
        }
        SubtensorCommand::CommitHash {
            hotkey,
            weights: w,
            mechid,
            salt,
        } => {
            if let Err(rule) = check_lengths(&w.uids, &w.values) {
                eprintln!("refused: {rule}");
                return Ok(ExitCode::from(1));
            }
            let hash = commit_hash(
                &hotkey,
                w.netuid,
                mechid,
                &w.uids,
                &w.values,
                &salt,
                w.version_key,
            );
            println!("0x{}", hex::encode(hash));
            Ok(ExitCode::SUCCESS)
        }
    }
}
