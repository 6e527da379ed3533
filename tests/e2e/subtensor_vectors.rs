//! The Subtensor encoder against the official Python SDK's recorded bytes
//! (`tests/fixtures/subtensor`): call data, signer payloads, and signed
//! extrinsics with an injected signature and their hashes, for the runtime
//! (spec 461) the SDK recorded them on; and the validator's own calls on
//! finney's runtime (spec 365) as well, through the `arbiter subtensor`
//! command a user runs.

use std::process::Command;

use arbiter_host::chain::Rule;
use arbiter_host::subtensor::transaction::Signable;
use arbiter_host::subtensor::{
    CommitmentData, EncodeError, Mortality, RuntimeMetadata, SubtensorCall, TransactionParams,
};
use serde_json::Value;

use crate::support::{arbiter_bin, repo_path};

fn golden() -> Value {
    let path = repo_path("tests/fixtures/subtensor/golden_bittensor_11.3.0.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A file of `tests/fixtures/subtensor`.
pub(crate) fn metadata_path(name: &str) -> std::path::PathBuf {
    repo_path(&format!("tests/fixtures/subtensor/{name}"))
}

/// Spec 461, the runtime the golden vectors were recorded on.
fn spec_461() -> RuntimeMetadata {
    RuntimeMetadata::from_file(&metadata_path("golden_v15_spec461.scale")).unwrap()
}

fn finney() -> RuntimeMetadata {
    RuntimeMetadata::from_file(&metadata_path("finney_v16_spec365.scale")).unwrap()
}

pub(crate) fn unhex(value: &Value) -> Vec<u8> {
    let text = value.as_str().unwrap();
    hex::decode(text.strip_prefix("0x").unwrap_or(text)).unwrap()
}

pub(crate) fn array<const N: usize>(value: &Value) -> [u8; N] {
    unhex(value).try_into().unwrap()
}

/// The chain parameters and extension values of one golden entry.
fn params(golden: &Value, entry: &Value) -> TransactionParams {
    let network = &golden["network"];
    let mortality = match &entry["era"] {
        Value::String(immortal) => {
            assert_eq!(immortal, "00");
            Mortality::Immortal
        }
        era => Mortality::Mortal {
            period: era["period"].as_u64().unwrap(),
            birth_block: era["current"].as_u64().unwrap(),
            // The SDK signs against the hash of the block it read the era
            // from: recorded with the signer payloads, and the metadata's
            // block for the extrinsics.
            birth_hash: array(
                entry
                    .get("era_birth_block_hash")
                    .unwrap_or(&golden["metadata"]["block_hash"]),
            ),
        },
    };
    TransactionParams {
        genesis_hash: array(&network["genesis_hash"]),
        spec_version: network["spec_version"].as_u64().unwrap() as u32,
        transaction_version: network["transaction_version"].as_u64().unwrap() as u32,
        nonce: entry["nonce"].as_u64().unwrap(),
        tip: entry["tip"].as_u64().unwrap().into(),
        mortality,
    }
}

#[test]
fn the_fixtures_are_the_recorded_ones() {
    let sums = std::fs::read_to_string(metadata_path("SHA256SUMS")).unwrap();
    for line in sums.lines() {
        let (sum, name) = line.split_once("  ").unwrap();
        let bytes = std::fs::read(metadata_path(name)).unwrap();
        let actual = sha2_hex(&bytes);
        assert_eq!(actual, sum, "{name} changed");
    }
}

fn sha2_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[test]
fn the_recorded_metadata_is_the_fixtures_own() {
    // The `.scale` file is the golden fixture's `v15_hex`, unwrapped: the
    // wrapped form loads to the same runtime.
    let golden = golden();
    let wrapped = golden["metadata"]["v15_hex"].as_str().unwrap().as_bytes();
    let from_hex = RuntimeMetadata::from_bytes(wrapped).unwrap();
    let call = SubtensorCall::SetWeights {
        netuid: 1,
        uids: vec![0, 1],
        values: vec![100, 200],
        version_key: 0,
    };
    assert_eq!(
        call.encode(&from_hex).unwrap(),
        call.encode(&spec_461()).unwrap()
    );
}

#[test]
fn set_weights_call_data_is_the_sdks() {
    let golden = golden();
    let recorded = golden["calls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["function"] == "set_weights")
        .unwrap();
    let p = &recorded["params"];
    let u16s = |v: &Value| -> Vec<u16> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap() as u16)
            .collect()
    };
    let call = SubtensorCall::SetWeights {
        netuid: p["netuid"].as_u64().unwrap() as u16,
        uids: u16s(&p["dests"]),
        values: u16s(&p["weights"]),
        version_key: p["version_key"].as_u64().unwrap(),
    };
    let expected = unhex(&recorded["data_hex"]);
    assert_eq!(call.encode(&spec_461()).unwrap(), expected);
    // finney's runtime has the same pallet and call indices.
    assert_eq!(call.encode(&finney()).unwrap(), expected);
}

#[test]
fn every_recorded_call_decodes_and_encodes_back_to_its_bytes() {
    let golden = golden();
    let metadata = spec_461();
    for recorded in golden["calls"].as_array().unwrap() {
        let bytes = unhex(&recorded["data_hex"]);
        let payload = Signable::decode_call(&metadata, &bytes).unwrap();
        let encoded = subxt::ext::frame_decode::extrinsics::encode_call_data(
            payload.pallet_name(),
            payload.call_name(),
            payload.call_data(),
            metadata.subxt(),
            metadata.subxt().types(),
        )
        .unwrap();
        assert_eq!(encoded, bytes, "{}", recorded["function"]);
    }
}

#[test]
fn signer_payloads_are_the_sdks() {
    let golden = golden();
    let metadata = spec_461();
    let entries = golden["signature_payloads"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "one immortal, one mortal");
    for entry in entries {
        let call = Signable::decode_call(&metadata, &unhex(&entry["call_data_hex"])).unwrap();
        let signable = Signable::new(&metadata, call, params(&golden, entry));
        assert_eq!(
            hex::encode(signable.signer_payload().unwrap()),
            hex::encode(unhex(&entry["payload_hex"])),
            "era {}",
            entry["era"]
        );
    }
}

#[test]
fn signed_extrinsics_and_their_hashes_are_the_sdks() {
    let golden = golden();
    let metadata = spec_461();
    for entry in golden["extrinsics"].as_array().unwrap() {
        let call = Signable::decode_call(&metadata, &unhex(&entry["call_data_hex"])).unwrap();
        let signable = Signable::new(&metadata, call, params(&golden, entry));
        let signed = signable
            .signed(
                array(&entry["public_key_hex"]),
                array(&entry["signature_hex"]),
            )
            .unwrap();
        assert_eq!(
            hex::encode(&signed.bytes),
            hex::encode(unhex(&entry["extrinsic_hex"])),
            "era {}",
            entry["era"]
        );
        assert_eq!(signed.hash, array(&entry["extrinsic_hash"]));
    }
}

#[test]
fn a_real_signature_verifies_over_the_signer_payload() {
    let key = arbiter_registry::Keypair::dev("subtensor-signer").unwrap();
    let params = TransactionParams {
        genesis_hash: [0x45; 32],
        spec_version: 461,
        transaction_version: 1,
        nonce: 3,
        tip: 0,
        mortality: Mortality::Immortal,
    };
    let call = SubtensorCall::SetWeights {
        netuid: 3,
        uids: vec![0, 1, 2],
        values: vec![1, 2, 65535],
        version_key: 9,
    };
    let signable = Signable::new(&spec_461(), call.payload().unwrap(), params);
    let signed = signable.sign(&key).unwrap();
    // The signature follows the address (00 ‖ public key) and the
    // signature kind (01 = sr25519).
    let payload = signable.signer_payload().unwrap();
    let at = signed
        .bytes
        .windows(33)
        .position(|w| w[0] == 0 && w[1..] == key.public().0)
        .unwrap();
    assert_eq!(signed.bytes[at + 33], 1, "an sr25519 signature follows");
    let signature: [u8; 64] = signed.bytes[at + 34..at + 98].try_into().unwrap();
    assert!(
        key.public()
            .verify(&payload, &arbiter_registry::Signature(signature))
    );
}

#[test]
fn refused_before_encoding_with_the_chains_rule() {
    let metadata = spec_461();
    let too_long = SubtensorCall::SetCommitment {
        netuid: 1,
        data: CommitmentData::Raw(vec![7; 129]),
    };
    assert!(matches!(
        too_long.encode(&metadata),
        Err(EncodeError::Refused(Rule::CommitmentTooLarge { len: 129 }))
    ));
    let unequal = SubtensorCall::RevealWeights {
        netuid: 1,
        uids: vec![0, 1],
        values: vec![5],
        salt: vec![1],
        version_key: 0,
    };
    assert!(matches!(
        unequal.encode(&metadata),
        Err(EncodeError::Refused(Rule::WeightVecNotEqualSize {
            uids: 2,
            values: 1
        }))
    ));
}

/// `arbiter subtensor ...`: stdout and exit code.
fn cli(args: &[&str]) -> (String, String, i32) {
    let out = Command::new(arbiter_bin())
        .arg("subtensor")
        .args(args)
        .output()
        .unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
        out.status.code().unwrap(),
    )
}

#[test]
fn the_command_prints_the_sdks_call_data() {
    let metadata = metadata_path("golden_v15_spec461.scale");
    let metadata = metadata.to_str().unwrap();
    let (out, err, code) = cli(&[
        "encode",
        "--metadata",
        metadata,
        "set-weights",
        "--netuid",
        "1",
        "--uids",
        "0,1",
        "--values",
        "100,200",
        "--version-key",
        "0",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "0x070001000800000100086400c8000000000000000000\n");
}

#[test]
fn the_command_encodes_every_validator_call_on_both_runtimes() {
    for metadata in ["golden_v15_spec461.scale", "finney_v16_spec365.scale"] {
        let metadata = metadata_path(metadata);
        let metadata = metadata.to_str().unwrap();
        let hash = format!("0x{}", "ab".repeat(32));
        for (call, prefix) in [
            (
                vec!["commit-weights", "--netuid", "2", "--hash", &hash],
                format!("0x07600200{}", "ab".repeat(32)),
            ),
            (
                vec![
                    "reveal-weights",
                    "--netuid",
                    "2",
                    "--uids",
                    "0,5",
                    "--values",
                    "65535,1",
                    "--salt",
                    "9",
                    "--version-key",
                    "7",
                ],
                "0x07610200080000050008ffff0100040900".to_string() + "0700000000000000",
            ),
            (
                vec!["set-commitment", "--netuid", "2", "--raw", "0x616263"],
                // Commitments (18) set_commitment (0): netuid, one field, Raw3.
                "0x120002000404616263".to_string(),
            ),
            (
                vec!["set-commitment", "--netuid", "2", "--sha256", &hash],
                // Sha256 is `Data` variant 131 (0x83).
                format!("0x120002000483{}", "ab".repeat(32)),
            ),
        ] {
            let mut args = vec!["encode", "--metadata", metadata];
            args.extend(call.iter().copied());
            let (out, err, code) = cli(&args);
            assert_eq!(code, 0, "{call:?} {err}");
            assert_eq!(out.trim(), prefix, "{call:?} on {metadata}");
        }
    }
}

#[test]
fn the_command_refuses_an_oversized_commitment_with_the_rule() {
    let metadata = metadata_path("golden_v15_spec461.scale");
    let raw = "00".repeat(129);
    let (out, err, code) = cli(&[
        "encode",
        "--metadata",
        metadata.to_str().unwrap(),
        "set-commitment",
        "--netuid",
        "1",
        "--raw",
        &raw,
    ]);
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(err.contains("CommitmentTooLarge: 129 bytes"), "{err}");
}

#[test]
fn the_command_refuses_garbage_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("garbage.scale");
    std::fs::write(&path, b"not metadata at all").unwrap();
    let (_, err, code) = cli(&[
        "encode",
        "--metadata",
        path.to_str().unwrap(),
        "set-weights",
        "--netuid",
        "1",
        "--uids",
        "0",
        "--values",
        "1",
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("not runtime metadata"), "{err}");
}

#[test]
fn the_commit_hash_command_matches_the_library() {
    let alice = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";
    let (out, err, code) = cli(&[
        "commit-hash",
        "--hotkey",
        alice,
        "--netuid",
        "1",
        "--uids",
        "0,5",
        "--values",
        "65535,1",
        "--salt",
        "1,2,3,4,5,6,7,8",
        "--version-key",
        "7",
    ]);
    assert_eq!(code, 0, "{err}");
    let expected = arbiter_host::chain::commit_hash::commit_hash(
        &alice.parse().unwrap(),
        1,
        0,
        &[0, 5],
        &[65535, 1],
        &[1, 2, 3, 4, 5, 6, 7, 8],
        7,
    );
    assert_eq!(out.trim(), format!("0x{}", hex::encode(expected)));
}

/// The golden runtime-API answer of `api.method`.
fn runtime_call<'g>(golden: &'g Value, method: &str) -> &'g Value {
    golden["runtime_calls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["method"] == method)
        .unwrap()
}

/// Every field of `ours` equals the SDK's decoded field of the same name.
fn assert_fields_match(ours: &Value, sdk: &Value, skip: &[&str]) {
    let ours = ours.as_object().unwrap();
    assert!(ours.len() > 10);
    for (name, value) in ours {
        if !skip.contains(&name.as_str()) {
            assert_eq!(value, &sdk[name], "{name}");
        }
    }
}

#[test]
fn the_metagraph_decodes_as_the_sdk_decoded_it() {
    let golden = golden();
    let call = runtime_call(&golden, "get_neurons_lite");
    let neurons =
        arbiter_host::subtensor::runtime_api::neurons_lite(&spec_461(), &unhex(&call["raw_hex"]))
            .unwrap();
    let sdk = call["decoded"].as_array().unwrap();
    assert_eq!(neurons.len(), sdk.len());
    for (ours, sdk) in neurons.iter().zip(sdk) {
        assert_fields_match(&serde_json::to_value(ours).unwrap(), sdk, &["stake"]);
        let staked: u64 = sdk["stake"]
            .as_array()
            .unwrap()
            .iter()
            .map(|entry| entry[1].as_u64().unwrap())
            .sum();
        assert_eq!(ours.stake, staked);
    }
}

#[test]
fn hyperparameters_decode_as_the_sdk_decoded_them() {
    let golden = golden();
    let call = runtime_call(&golden, "get_subnet_hyperparams");
    let ours = arbiter_host::subtensor::runtime_api::subnet_hyperparams(
        &spec_461(),
        &unhex(&call["raw_hex"]),
    )
    .unwrap()
    .unwrap();
    assert_fields_match(&serde_json::to_value(&ours).unwrap(), &call["decoded"], &[]);
    // `None` (no such subnet) is an answer, not an error.
    let none = arbiter_host::subtensor::runtime_api::subnet_hyperparams(&spec_461(), &[0]);
    assert_eq!(none.unwrap(), None);
}

#[test]
fn truncated_or_padded_answers_are_refused() {
    let golden = golden();
    let raw = unhex(&runtime_call(&golden, "get_neurons_lite")["raw_hex"]);
    let metadata = spec_461();
    for bad in [&raw[..raw.len() - 1], &[raw.as_slice(), &[0]].concat()[..]] {
        let error = arbiter_host::subtensor::runtime_api::neurons_lite(&metadata, bad).unwrap_err();
        assert!(
            error.to_string().contains("cannot decode the answer"),
            "{error}"
        );
    }
}

/// Spec 218 (V14 metadata), the real runtime `raonet.json` embeds.
fn spec_218() -> RuntimeMetadata {
    RuntimeMetadata::from_file(&metadata_path("raonet_v14_spec218.scale")).unwrap()
}

#[test]
fn an_old_runtime_encodes_what_it_has_and_names_what_it_lacks() {
    let weights = SubtensorCall::SetWeights {
        netuid: 1,
        uids: vec![0, 1],
        values: vec![100, 200],
        version_key: 0,
    };
    // `netuid` is a plain u16 in spec 218 and a newtype in 461: same bytes.
    assert_eq!(
        weights.encode(&spec_218()).unwrap(),
        weights.encode(&spec_461()).unwrap()
    );
    // Spec 218 predates mechanisms: refused, naming the call, not misencoded.
    let mechanism = SubtensorCall::SetMechanismWeights {
        netuid: 1,
        mechid: 1,
        uids: vec![0],
        values: vec![1],
        version_key: 0,
    };
    let error = mechanism.encode(&spec_218()).unwrap_err();
    assert!(matches!(error, EncodeError::Call { .. }), "{error:?}");
    assert!(
        error.to_string().contains("set_mechanism_weights"),
        "{error}"
    );
}
