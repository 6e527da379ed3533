//! Timelocked commit-reveal v4 (CRv4) weight commits for Bittensor.
//!
//! Under CRv4 a validator does not send its weights in the clear: it sends
//! `commit_timelocked_mechanism_weights(netuid, mecid, commit, reveal_round,
//! commit_reveal_version = 4)`, where `commit` is its weights encrypted to a
//! future round of the drand "quicknet" beacon. Once that round's BLS
//! signature is published (and ingested by the chain's drand pallet), the
//! chain decrypts the commit itself and applies the weights; nobody, the
//! committer included, can read them earlier.
//!
//! This module reproduces, byte for byte, what the official Python SDK's
//! native module (`bittensor_core` 0.1.5, `get_encrypted_commit_v2`; Rust
//! source `sdk/bittensor-core/src/timelock/{mod,epoch_schedule,constants}.rs`
//! in RaoFoundation/subtensor) produces, with two deliberate differences
//! that make it deterministic:
//!
//! - the SDK reads the wall clock inside the reveal-round computation;
//!   [`reveal_round`] takes "now" as an argument, so a host can use the
//!   chain's block timestamp instead;
//! - the SDK draws the encryption's randomness from the OS; [`encrypt_commit`]
//!   draws it only from a caller-given 32-byte seed (ChaCha20), so the same
//!   inputs always give the same ciphertext.
//!
//! The wire formats are the SDK's and the chain's: the plaintext is the SCALE
//! encoding of [`WeightsPayload`], and the commit is a `timelock` 0.0.1
//! `TLECiphertext<TinyBLS381>` (Boneh-Franklin IBE header + AES-256-GCM body)
//! in arkworks' compressed serialization, with no envelope around it.

use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use parity_scale_codec::{Decode, Encode};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use sha2::{Digest, Sha256};
use timelock::curves::drand::TinyBLS381;
use timelock::ibe::fullident::Identity;
use timelock::stream_ciphers::AESGCMStreamCipherProvider;
use timelock::tlock::{TLECiphertext, tld, tle};
use w3f_bls::EngineBLS;

/// The drand quicknet beacon's public key: a compressed BLS12-381 G2 point
/// (chain hash `52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971`).
pub const DRAND_QUICKNET_PUBLIC_KEY: [u8; 96] = [
    0x83, 0xcf, 0x0f, 0x28, 0x96, 0xad, 0xee, 0x7e, 0xb8, 0xb5, 0xf0, 0x1f, //
    0xca, 0xd3, 0x91, 0x22, 0x12, 0xc4, 0x37, 0xe0, 0x07, 0x3e, 0x91, 0x1f, //
    0xb9, 0x00, 0x22, 0xd3, 0xe7, 0x60, 0x18, 0x3c, 0x8c, 0x4b, 0x45, 0x0b, //
    0x6a, 0x0a, 0x6c, 0x3a, 0xc6, 0xa5, 0x77, 0x6a, 0x2d, 0x10, 0x64, 0x51, //
    0x0d, 0x1f, 0xec, 0x75, 0x8c, 0x92, 0x1c, 0xc2, 0x2b, 0x0e, 0x17, 0xe6, //
    0x3a, 0xaf, 0x4b, 0xcb, 0x5e, 0xd6, 0x63, 0x04, 0xde, 0x9c, 0xf8, 0x09, //
    0xbd, 0x27, 0x4c, 0xa7, 0x3b, 0xab, 0x4a, 0xf5, 0xa6, 0xe9, 0xc7, 0x6a, //
    0x4b, 0xc0, 0x9e, 0x76, 0xea, 0xe8, 0x99, 0x1e, 0xf5, 0xec, 0xe4, 0x5a, //
];

/// Unix time (seconds) of drand quicknet round 1.
pub const DRAND_QUICKNET_GENESIS_SECS: u64 = 1_692_803_367;

/// Seconds between drand quicknet rounds.
pub const DRAND_QUICKNET_PERIOD_SECS: u64 = 3;

/// The `commit_reveal_version` of a CRv4 commit.
pub const COMMIT_REVEAL_VERSION: u16 = 4;

/// Blocks the SDK adds after the reveal block, so that the targeted drand
/// pulse has already been ingested by the chain when the reveal runs.
pub const SECURITY_BLOCK_OFFSET: u64 = 3;

/// The SDK assumes the commit lands in the block after the head it read.
const COMMIT_INCLUSION_BLOCK_OFFSET: u64 = 1;

/// The chain's upper bound on a subnet's tempo (about 7 days of 12 s blocks).
const MAX_TEMPO: u64 = 50_400;

/// The plaintext of a CRv4 commit, as the chain decodes it after the reveal
/// round (SCALE, fields in this order).
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct WeightsPayload {
    /// The committing hotkey's public key.
    pub hotkey: Vec<u8>,
    /// The UIDs weighted.
    pub uids: Vec<u16>,
    /// The weight of each UID, in the same order.
    pub values: Vec<u16>,
    /// The validator's weights version key.
    pub version_key: u64,
}

/// A subnet's epoch schedule at the chain head the commit is built against,
/// read from storage at that block (`LastEpochBlock`, `PendingEpochAt`,
/// `SubnetEpochIndex`, `Tempo`, `BlocksSinceLastStep`, each 0 when absent).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EpochSchedule {
    /// The block the subnet's last epoch ran in.
    pub last_epoch_block: u64,
    /// The block of an owner-triggered pending epoch, 0 if none.
    pub pending_epoch_at: u64,
    /// How many epochs the subnet has run.
    pub subnet_epoch_index: u64,
    /// Blocks per epoch.
    pub tempo: u16,
    /// Blocks since the subnet's last epoch step.
    pub blocks_since_last_step: u64,
    /// The chain head's block number.
    pub current_block: u64,
}

/// Why a reveal round could not be computed or a commit not made or opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The subnet's tempo is 0: it runs no epochs, so nothing is revealed.
    #[error("tempo is zero; the subnet runs no epochs")]
    TempoIsZero,
    /// No reveal block was found within `(reveal_period_epochs + 1) ×
    /// MAX_TEMPO` blocks of the commit (the SDK's simulation bound).
    #[error("no reveal block within the simulation bound")]
    RevealBlockNotFound,
    /// The timelock scheme refused to encrypt (it refuses only payloads
    /// beyond AES-GCM's limit, far above any weight vector).
    #[error("the timelock encryption failed")]
    EncryptionFailed,
    /// The commit is not a compressed timelock ciphertext.
    #[error("not a compressed timelock ciphertext")]
    MalformedCiphertext,
    /// The round signature is not a compressed BLS12-381 G1 point.
    #[error("not a compressed BLS12-381 G1 signature")]
    MalformedSignature,
    /// The signature is not the one of the commit's round, or the commit was
    /// altered.
    #[error("the signature does not open this ciphertext")]
    DecryptionFailed,
}

/// Whether the chain runs the subnet's epoch in `block`, given the schedule
/// as `run_coinbase` sees it (the chain's `should_run_epoch`).
fn epoch_runs(schedule: &EpochSchedule, block: u64) -> bool {
    if schedule.tempo == 0 {
        return false;
    }
    if schedule.pending_epoch_at > 0 && block >= schedule.pending_epoch_at {
        return true;
    }
    if schedule.blocks_since_last_step > MAX_TEMPO {
        return true;
    }
    block.saturating_sub(schedule.last_epoch_block) >= u64::from(schedule.tempo)
}

/// The epoch index the chain's reveal step uses in `block`: it runs before
/// `run_coinbase`, but counts an epoch due in that block as already run.
fn epoch_index_before_coinbase(schedule: &EpochSchedule, block: u64) -> u64 {
    schedule
        .subnet_epoch_index
        .saturating_add(u64::from(epoch_runs(schedule, block)))
}

/// The schedule after `run_coinbase` in `block` (the part of it that moves
/// the epoch state; like the SDK, it ignores `MaxEpochsPerBlock` deferral).
fn after_coinbase(schedule: &EpochSchedule, block: u64) -> EpochSchedule {
    let mut next = EpochSchedule {
        blocks_since_last_step: schedule.blocks_since_last_step.saturating_add(1),
        current_block: block,
        ..*schedule
    };
    if epoch_runs(&next, block) {
        next.last_epoch_block = block;
        next.pending_epoch_at = 0;
        next.subnet_epoch_index = next.subnet_epoch_index.saturating_add(1);
        next.blocks_since_last_step = 0;
    }
    next
}

/// The first block in which the chain reveals a commit sent against
/// `schedule` (SDK `predict_first_reveal_block`).
///
/// The commit is assumed to land in block `current_block + 1`; its epoch is
/// the reveal step's epoch index there, and it is revealed in the first
/// block whose reveal-step epoch index is `reveal_period_epochs` more,
/// found by replaying the chain's epoch schedule block by block.
pub fn first_reveal_block(
    schedule: &EpochSchedule,
    reveal_period_epochs: u64,
) -> Result<u64, Error> {
    if schedule.tempo == 0 {
        return Err(Error::TempoIsZero);
    }
    let commit_block = schedule
        .current_block
        .saturating_add(COMMIT_INCLUSION_BLOCK_OFFSET);
    let target_epoch =
        epoch_index_before_coinbase(schedule, commit_block).saturating_add(reveal_period_epochs);
    let bound = reveal_period_epochs
        .saturating_mul(MAX_TEMPO)
        .saturating_add(MAX_TEMPO);
    let mut state = *schedule;
    for block in commit_block..=commit_block.saturating_add(bound) {
        if epoch_index_before_coinbase(&state, block) == target_epoch {
            return Ok(block);
        }
        state = after_coinbase(&state, block);
    }
    Err(Error::RevealBlockNotFound)
}

/// The drand quicknet round a commit sent now against `schedule` must be
/// encrypted to, exactly as the SDK's `get_encrypted_commit_v2` chooses it
/// but with "now" given (`now_unix_secs`, e.g. the head block's timestamp in
/// milliseconds / 1000) instead of read from the wall clock:
///
/// ```text
/// ingest_block = first_reveal_block(schedule, reveal_period_epochs) + SECURITY_BLOCK_OFFSET (3)
/// target_secs  = now_unix_secs + (ingest_block - current_block) * block_time_secs
/// round        = max(1, floor((target_secs - 1_692_803_367) / 3))
/// ```
///
/// The arithmetic is the SDK's, in `f64`, rounding included: `floor` of the
/// elapsed periods, where drand numbers the round current at `target_secs`
/// one higher; so the round is published 3 to 6 s before `target_secs`, the
/// SDK's estimate of when the ingest block is produced.
pub fn reveal_round(
    schedule: &EpochSchedule,
    reveal_period_epochs: u64,
    block_time_secs: f64,
    now_unix_secs: f64,
) -> Result<u64, Error> {
    let ingest_block =
        first_reveal_block(schedule, reveal_period_epochs)?.saturating_add(SECURITY_BLOCK_OFFSET);
    let blocks_until_ingest = ingest_block.saturating_sub(schedule.current_block);
    let target_secs = now_unix_secs + blocks_until_ingest as f64 * block_time_secs;
    let periods =
        (target_secs - DRAND_QUICKNET_GENESIS_SECS as f64) / DRAND_QUICKNET_PERIOD_SECS as f64;
    // `as` saturates: a time before genesis gives 0, raised to round 1.
    Ok((periods.floor() as u64).max(1))
}

/// The drand quicknet public key as the timelock scheme's group element.
fn quicknet_public_key() -> Result<<TinyBLS381 as EngineBLS>::PublicKeyGroup, Error> {
    <TinyBLS381 as EngineBLS>::PublicKeyGroup::deserialize_compressed(
        &DRAND_QUICKNET_PUBLIC_KEY[..],
    )
    .map_err(|_| Error::EncryptionFailed)
}

/// The IBE identity of a drand quicknet round: sha256 of the round number,
/// big-endian, which is the message drand signs for that round.
fn round_identity(round: u64) -> Identity {
    Identity::new(b"", vec![Sha256::digest(round.to_be_bytes()).to_vec()])
}

/// The CRv4 commit of these weights: the SCALE-encoded [`WeightsPayload`]
/// timelock-encrypted to drand quicknet round `reveal_round`, serialized as
/// the chain and the SDK expect (compressed `TLECiphertext`).
///
/// All randomness (the AES key, the IBE scalar, the AES-GCM nonce) is drawn
/// from a ChaCha20 generator seeded with `ephemeral_seed`, in the order the
/// SDK draws it from the OS. The seed must be secret and never reused: it
/// alone decrypts the commit. `uids` and `values` should be of equal length:
/// like the SDK, this does not check it, leaving it to the chain's weight
/// checks at reveal.
pub fn encrypt_commit(
    hotkey: [u8; 32],
    uids: &[u16],
    values: &[u16],
    version_key: u64,
    reveal_round: u64,
    ephemeral_seed: [u8; 32],
) -> Result<Vec<u8>, Error> {
    let payload = WeightsPayload {
        hotkey: hotkey.to_vec(),
        uids: uids.to_vec(),
        values: values.to_vec(),
        version_key,
    };
    let mut rng = ChaCha20Rng::from_seed(ephemeral_seed);
    let mut secret_key = [0u8; 32];
    rng.fill_bytes(&mut secret_key);
    let ciphertext = tle::<TinyBLS381, AESGCMStreamCipherProvider, _>(
        quicknet_public_key()?,
        secret_key,
        &payload.encode(),
        round_identity(reveal_round),
        rng,
    )
    .map_err(|_| Error::EncryptionFailed)?;
    let mut bytes = Vec::with_capacity(ciphertext.compressed_size());
    ciphertext
        .serialize_compressed(&mut bytes)
        .map_err(|_| Error::EncryptionFailed)?;
    Ok(bytes)
}

/// Opens a commit with the drand quicknet signature of its round (48 bytes,
/// compressed G1, as drand publishes it in hex), returning the plaintext:
/// for a commit from [`encrypt_commit`], the SCALE-encoded [`WeightsPayload`].
///
/// Like the SDK, it reads one ciphertext from the start of `ciphertext` and
/// ignores anything after it.
pub fn decrypt_commit(ciphertext: &[u8], round_signature: &[u8]) -> Result<Vec<u8>, Error> {
    let ciphertext = TLECiphertext::<TinyBLS381>::deserialize_compressed(ciphertext)
        .map_err(|_| Error::MalformedCiphertext)?;
    let signature =
        <TinyBLS381 as EngineBLS>::SignatureGroup::deserialize_compressed(round_signature)
            .map_err(|_| Error::MalformedSignature)?;
    tld::<TinyBLS381, AESGCMStreamCipherProvider>(ciphertext, signature)
        .map_err(|_| Error::DecryptionFailed)
}
