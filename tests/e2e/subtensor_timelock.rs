//! The CRv4 module through its public API, offline: drand quicknet round
//! 1000's published signature opens what is encrypted to that round.

use arbiter_host::subtensor::timelock::{
    DRAND_QUICKNET_GENESIS_SECS, EpochSchedule, Error, WeightsPayload, decrypt_commit,
    encrypt_commit, first_reveal_block, reveal_round,
};
use sha2::{Digest, Sha256};
use subxt::ext::codec::{Decode, Encode};

/// Drand quicknet round 1000's signature, as published by drand (and
/// hardcoded in the `timelock` crate's own tests).
pub const ROUND_1000_SIGNATURE: &str = "b44679b9a59af2ec876b1a6b1ad52ea9b1615fc3982b19576350f93447cb1125e342b73a8dd2bacbe47e4b6b63ed5e39";

const HOTKEY: [u8; 32] = {
    let mut key = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        key[i] = i as u8;
        i += 1;
    }
    key
};
const UIDS: [u16; 5] = [0, 1, 7, 255, 4095];
const VALUES: [u16; 5] = [65535, 0, 1, 32768, 12345];
const VERSION_KEY: u64 = 843_000;
const SEED: [u8; 32] = [0x42; 32];

fn signature() -> Vec<u8> {
    hex::decode(ROUND_1000_SIGNATURE).unwrap()
}

fn commit(round: u64, seed: [u8; 32]) -> Vec<u8> {
    encrypt_commit(HOTKEY, &UIDS, &VALUES, VERSION_KEY, round, seed).unwrap()
}

/// The SCALE encoding of the payload, spelled out: compact lengths (n << 2
/// for n < 64), little-endian integers, fields in the chain's order.
fn expected_plaintext() -> Vec<u8> {
    let mut bytes = vec![32 << 2];
    bytes.extend(HOTKEY);
    bytes.push(5 << 2);
    bytes.extend(UIDS.iter().flat_map(|u| u.to_le_bytes()));
    bytes.push(5 << 2);
    bytes.extend(VALUES.iter().flat_map(|v| v.to_le_bytes()));
    bytes.extend(VERSION_KEY.to_le_bytes());
    bytes
}

#[test]
fn round_1000_signature_opens_a_commit_to_round_1000() {
    let plaintext = decrypt_commit(&commit(1000, SEED), &signature()).unwrap();
    assert_eq!(plaintext, expected_plaintext());
    assert_eq!(
        WeightsPayload::decode(&mut &plaintext[..]).unwrap(),
        WeightsPayload {
            hotkey: HOTKEY.to_vec(),
            uids: UIDS.to_vec(),
            values: VALUES.to_vec(),
            version_key: VERSION_KEY,
        }
    );
}

#[test]
fn another_rounds_signature_does_not_open_it() {
    assert_eq!(
        decrypt_commit(&commit(1001, SEED), &signature()),
        Err(Error::DecryptionFailed)
    );
}

#[test]
fn a_tampered_commit_does_not_open() {
    let mut ciphertext = commit(1000, SEED);
    // A byte of the AES-GCM ciphertext (after the 96-byte IBE point, the two
    // 40-byte IBE vectors and the body's two length prefixes).
    ciphertext[96 + 40 + 40 + 8 + 8 + 3] ^= 1;
    assert_eq!(
        decrypt_commit(&ciphertext, &signature()),
        Err(Error::DecryptionFailed)
    );
}

#[test]
fn malformed_inputs_are_told_apart() {
    let ciphertext = commit(1000, SEED);
    assert_eq!(
        decrypt_commit(&ciphertext[..200], &signature()),
        Err(Error::MalformedCiphertext)
    );
    // A compressed G1 encoding whose x coordinate exceeds the field modulus.
    let mut not_a_point = [0xff; 48];
    not_a_point[0] = 0x9f;
    assert_eq!(
        decrypt_commit(&ciphertext, &not_a_point),
        Err(Error::MalformedSignature)
    );
    assert_eq!(
        decrypt_commit(&ciphertext, &signature()[..47]),
        Err(Error::MalformedSignature)
    );
}

#[test]
fn same_seed_same_bytes_other_seed_or_round_other_bytes() {
    let first = commit(1000, SEED);
    assert_eq!(first, commit(1000, SEED));
    assert_ne!(first, commit(1000, [0x43; 32]));
    assert_ne!(first, commit(1001, SEED));
}

#[test]
fn commit_has_the_sdks_layout_and_pinned_bytes() {
    let ciphertext = commit(1000, SEED);
    let body = 8 + (expected_plaintext().len() + 16) + 8 + 12; // AESOutput{ciphertext+tag, nonce}
    // IBE header {u: G2, v: Vec, w: Vec}, body: Vec, cipher_suite: Vec;
    // arkworks prefixes each Vec with its u64 little-endian length.
    assert_eq!(
        ciphertext.len(),
        96 + (8 + 32) + (8 + 32) + (8 + body) + (8 + 8)
    );
    assert!(ciphertext.ends_with(b"\x08\0\0\0\0\0\0\0AES_GCM_"));
    // These exact bytes decrypt with the SDK (interop.py, check (a)); a change
    // here means the randomness or the format moved.
    assert_eq!(
        hex::encode(Sha256::digest(&ciphertext)),
        "bd5b3c38955b8262453af17f4e19a108eb99eaaa60733fa00dbfae0a1dbad038"
    );
}

#[test]
fn payload_encoding_is_the_spelled_out_scale() {
    let payload = WeightsPayload {
        hotkey: HOTKEY.to_vec(),
        uids: UIDS.to_vec(),
        values: VALUES.to_vec(),
        version_key: VERSION_KEY,
    };
    assert_eq!(payload.encode(), expected_plaintext());
}

fn schedule(
    last_epoch_block: u64,
    pending_epoch_at: u64,
    subnet_epoch_index: u64,
    tempo: u16,
    blocks_since_last_step: u64,
    current_block: u64,
) -> EpochSchedule {
    EpochSchedule {
        last_epoch_block,
        pending_epoch_at,
        subnet_epoch_index,
        tempo,
        blocks_since_last_step,
        current_block,
    }
}

#[test]
fn first_reveal_block_matches_the_sdk_vectors() {
    // bittensor-core's epoch_schedule_vectors.rs.
    assert_eq!(
        first_reveal_block(&schedule(10, 0, 0, 0, 0, 10), 1),
        Err(Error::TempoIsZero)
    );
    assert_eq!(
        first_reveal_block(&schedule(10, 0, 0, 50, 0, 10), 1),
        Ok(60)
    );
    assert_eq!(
        first_reveal_block(&schedule(80, 95, 0, 20, 0, 91), 1),
        Ok(95)
    );
    // An epoch due in the commit's own block counts for the commit's epoch.
    assert_eq!(
        first_reveal_block(&schedule(100, 0, 0, 50, 49, 149), 1),
        Ok(200)
    );
    assert_eq!(
        first_reveal_block(&schedule(100, 0, 0, 50, 0, 120), 2),
        Ok(200)
    );
}

#[test]
fn reveal_round_matches_the_sdk_at_a_frozen_clock() {
    // bittensor_core 0.1.5's get_encrypted_commit_v2 with its clock frozen at
    // 2025-01-01T00:00:00Z by libfaketime (interop.py computes these live).
    let now = 1_735_689_600.0;
    let cases = [
        (schedule(10, 0, 0, 50, 0, 10), 1, 12.0, 14_295_623),
        (schedule(80, 95, 0, 20, 0, 91), 1, 12.0, 14_295_439),
        (
            schedule(6_000_000, 0, 16_000, 360, 200, 6_000_200),
            1,
            12.0,
            14_296_063,
        ),
        (schedule(1_000, 0, 10, 99, 5, 1_005), 3, 0.25, 14_295_435),
        (schedule(500, 0, 2, 100, 60_000, 550), 2, 12.5, 14_296_261),
        (schedule(100, 130, 4, 360, 0, 100), 1, 12.0, 14_295_543),
        (schedule(0, 0, 0, 360, 0, 0), 1, 12.0, 14_296_863),
    ];
    for (state, periods, block_time, round) in cases {
        assert_eq!(
            reveal_round(&state, periods, block_time, now),
            Ok(round),
            "{state:?}"
        );
    }
}

#[test]
fn reveal_round_follows_the_documented_formula() {
    // Reveal block 60, ingest block 63: 53 blocks of 12 s after block 10.
    let state = schedule(10, 0, 0, 50, 0, 10);
    let genesis = DRAND_QUICKNET_GENESIS_SECS as f64;
    let at = |now: f64| reveal_round(&state, 1, 12.0, now).unwrap();
    assert_eq!(at(genesis + 3000.0 - 636.0), 1000);
    assert_eq!(at(genesis + 3000.0 - 636.0 - 0.001), 999);
    assert_eq!(at(genesis + 3003.0 - 636.0 - 0.001), 1000);
    assert_eq!(at(genesis + 3003.0 - 636.0), 1001);
    // Before genesis the SDK clamps to round 1.
    assert_eq!(at(0.0), 1);
    assert_eq!(
        reveal_round(&schedule(5, 0, 0, 0, 0, 7), 1, 12.0, 0.0),
        Err(Error::TempoIsZero)
    );
}

/// `tests/fixtures/subtensor/timelock_vectors.json`: the host still makes
/// the ciphertext the SDK was shown to open (`regenerate.sh --check` runs
/// the SDK on it), and opens the one the SDK made.
#[test]
fn commits_interoperate_with_the_official_sdk() {
    let path = crate::support::repo_path("tests/fixtures/subtensor/timelock_vectors.json");
    let vectors: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let bytes = |name: &str| hex::decode(vectors[name].as_str().unwrap()).unwrap();
    let numbers = |name: &str| -> Vec<u16> {
        vectors[name]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as u16)
            .collect()
    };
    let made = encrypt_commit(
        bytes("hotkey").try_into().unwrap(),
        &numbers("uids"),
        &numbers("values"),
        vectors["version_key"].as_u64().unwrap(),
        vectors["round"].as_u64().unwrap(),
        bytes("seed").try_into().unwrap(),
    )
    .unwrap();
    assert_eq!(hex::encode(&made), vectors["rust_ciphertext"]);
    let opened = decrypt_commit(&bytes("sdk_ciphertext"), &bytes("signature")).unwrap();
    assert_eq!(opened, bytes("payload"));
}

/// `arbiter subtensor encode … commit-timelocked-weights` encrypts and
/// encodes in one step: for the vectors' inputs, the call carries exactly
/// the ciphertext the SDK was shown to open.
#[test]
fn the_cli_encodes_a_timelocked_commit() {
    let path = crate::support::repo_path("tests/fixtures/subtensor/timelock_vectors.json");
    let vectors: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let metadata = crate::support::repo_path("tests/fixtures/subtensor/golden_v15_spec461.scale");
    let output = crate::registry::arbiter(&[
        "subtensor",
        "encode",
        "--metadata",
        metadata.to_str().unwrap(),
        "commit-timelocked-weights",
        "--netuid",
        "2",
        "--uids",
        "0,1,7,255,4095",
        "--values",
        "65535,0,1,32768,12345",
        "--version-key",
        "843000",
        "--hotkey",
        &format!("0x{}", vectors["hotkey"].as_str().unwrap()),
        "--reveal-round",
        "1000",
        "--seed",
        &format!("0x{}", vectors["seed"].as_str().unwrap()),
    ]);
    crate::registry::assert_exit(&output, 0);
    let printed = String::from_utf8(output.stdout).unwrap();
    let ciphertext = vectors["rust_ciphertext"].as_str().unwrap();
    // SubtensorModule (7), commit_timelocked_weights (0x71), netuid 2,
    // compact length 307 (cd04), the ciphertext, round 1000, version 4.
    let expected = format!("0x07710200cd04{ciphertext}e8030000000000000400");
    assert_eq!(printed.trim(), expected);
}
