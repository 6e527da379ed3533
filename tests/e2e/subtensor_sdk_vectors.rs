//! The Subtensor encoder against vectors this project generated with the
//! official SDK (`tests/fixtures/subtensor/sdk_vectors.py`, bittensor
//! 11.3.0; CI regenerates them and compares): every call a validator makes,
//! signer payloads and signed extrinsics (immortal and mortal), weight-commit
//! hashes, and the SDK's float-to-u16 `normalize`.

use arbiter_host::chain::commit_hash::commit_hash;
use arbiter_host::subtensor::transaction::Signable;
use arbiter_host::subtensor::{
    CommitmentData, Mortality, RuntimeMetadata, SubtensorCall, TransactionParams,
};
use arbiter_host::weights::normalize;
use serde_json::Value;

use crate::subtensor_vectors::{array, metadata_path, unhex};
use crate::support::repo_path;

fn vectors() -> Value {
    let path = repo_path("tests/fixtures/subtensor/sdk_vectors.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The runtimes the SDK could load (it refuses V16 metadata).
fn supported_runtimes(vectors: &Value) -> Vec<&Value> {
    let runtimes: Vec<&Value> = vectors["runtimes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["supported"] == true)
        .collect();
    assert!(!runtimes.is_empty());
    runtimes
}

fn metadata(runtime: &Value) -> RuntimeMetadata {
    let file = runtime["metadata_file"].as_str().unwrap();
    RuntimeMetadata::from_file(&metadata_path(file)).unwrap()
}

fn u16s(value: &Value) -> Vec<u16> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|x| u16::try_from(x.as_u64().unwrap()).unwrap())
        .collect()
}

fn int<T: TryFrom<u64>>(value: &Value) -> T {
    T::try_from(value.as_u64().unwrap()).ok().unwrap()
}

/// The call an SDK vector describes, built from its recorded inputs.
fn call(recorded: &Value) -> SubtensorCall {
    let p = &recorded["params"];
    match recorded["function"].as_str().unwrap() {
        "set_weights" => SubtensorCall::SetWeights {
            netuid: int(&p["netuid"]),
            uids: u16s(&p["dests"]),
            values: u16s(&p["weights"]),
            version_key: int(&p["version_key"]),
        },
        "set_mechanism_weights" => SubtensorCall::SetMechanismWeights {
            netuid: int(&p["netuid"]),
            mechid: int(&p["mecid"]),
            uids: u16s(&p["dests"]),
            values: u16s(&p["weights"]),
            version_key: int(&p["version_key"]),
        },
        "commit_weights" => SubtensorCall::CommitWeights {
            netuid: int(&p["netuid"]),
            hash: array(&p["commit_hash"]),
        },
        "reveal_weights" => SubtensorCall::RevealWeights {
            netuid: int(&p["netuid"]),
            uids: u16s(&p["uids"]),
            values: u16s(&p["values"]),
            salt: u16s(&p["salt"]),
            version_key: int(&p["version_key"]),
        },
        "commit_timelocked_weights" => SubtensorCall::CommitTimelockedWeights {
            netuid: int(&p["netuid"]),
            commit: unhex(&p["commit"]),
            reveal_round: int(&p["reveal_round"]),
            commit_reveal_version: int(&p["commit_reveal_version"]),
        },
        "commit_timelocked_mechanism_weights" => SubtensorCall::CommitTimelockedMechanismWeights {
            netuid: int(&p["netuid"]),
            mechid: int(&p["mecid"]),
            commit: unhex(&p["commit"]),
            reveal_round: int(&p["reveal_round"]),
            commit_reveal_version: int(&p["commit_reveal_version"]),
        },
        "set_commitment" => {
            let field = &p["info"]["fields"][0][0];
            let (kind, bytes) = field.as_object().unwrap().iter().next().unwrap();
            let data = match kind.as_str() {
                "Sha256" => CommitmentData::Sha256(array(bytes)),
                raw => {
                    let bytes = unhex(bytes);
                    assert_eq!(raw, format!("Raw{}", bytes.len()));
                    CommitmentData::Raw(bytes)
                }
            };
            SubtensorCall::SetCommitment {
                netuid: int(&p["netuid"]),
                data,
            }
        }
        other => panic!("no vector builder for {other}"),
    }
}

#[test]
fn every_validator_call_encodes_as_the_sdk_does() {
    let vectors = vectors();
    for runtime in supported_runtimes(&vectors) {
        let metadata = metadata(runtime);
        let calls = runtime["calls"].as_array().unwrap();
        assert_eq!(calls.len(), 11);
        for recorded in calls {
            assert_eq!(
                hex::encode(call(recorded).encode(&metadata).unwrap()),
                hex::encode(unhex(&recorded["call_data_hex"])),
                "{}",
                recorded["name"]
            );
        }
    }
}

#[test]
fn signed_weights_are_the_sdks_byte_for_byte() {
    let vectors = vectors();
    for runtime in supported_runtimes(&vectors) {
        let metadata = metadata(runtime);
        let calls = runtime["calls"].as_array().unwrap();
        for entry in runtime["extrinsics"].as_array().unwrap() {
            let recorded = calls.iter().find(|c| c["name"] == entry["call"]).unwrap();
            let mortality = match &entry["era"] {
                Value::String(_) => Mortality::Immortal,
                era => Mortality::Mortal {
                    period: int(&era["period"]),
                    birth_block: int(&era["current"]),
                    birth_hash: array(&entry["era_block_hash"]),
                },
            };
            let params = TransactionParams {
                genesis_hash: array(&runtime["genesis_hash"]),
                spec_version: int(&runtime["spec_version"]),
                transaction_version: int(&runtime["transaction_version"]),
                nonce: int(&entry["nonce"]),
                tip: int::<u64>(&entry["tip"]).into(),
                mortality,
            };
            let signable = Signable::new(&metadata, call(recorded).payload().unwrap(), params);
            let name = &entry["name"];
            assert_eq!(
                hex::encode(signable.signer_payload().unwrap()),
                hex::encode(unhex(&entry["signed_bytes_hex"])),
                "{name}"
            );
            let signed = signable
                .signed(
                    array(&entry["public_key_hex"]),
                    array(&entry["signature_hex"]),
                )
                .unwrap();
            assert_eq!(
                hex::encode(&signed.bytes),
                hex::encode(unhex(&entry["extrinsic_hex"])),
                "{name}"
            );
            assert_eq!(signed.hash, array(&entry["extrinsic_hash"]), "{name}");
        }
    }
}

#[test]
fn weight_commit_hashes_are_the_sdks() {
    let vectors = vectors();
    let cases = vectors["weight_commit_hashes"]["cases"].as_array().unwrap();
    assert!(cases.len() >= 3);
    for case in cases {
        let hotkey = case["hotkey"].as_str().unwrap().parse().unwrap();
        let hash = commit_hash(
            &hotkey,
            int(&case["netuid"]),
            int(&case["mecid"]),
            &u16s(&case["uids"]),
            &u16s(&case["values"]),
            &u16s(&case["salt"]),
            int(&case["version_key"]),
        );
        assert_eq!(hash, array::<32>(&case["commit_hash"]), "{}", case["name"]);
    }
}

#[test]
fn float_weights_quantise_as_the_sdk_does() {
    let vectors = vectors();
    let cases = vectors["normalize"]["cases"].as_array().unwrap();
    for case in cases {
        let uids = u16s(&case["uids"]);
        let weights: Vec<f64> = case["weights"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w.as_f64().unwrap())
            .collect();
        let out = normalize(&uids, &weights).unwrap();
        let uids: Vec<i64> = out.uids.iter().map(|&u| i64::from(u)).collect();
        assert_eq!(
            (uids, out.values.clone()),
            (
                case["out_uids"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|u| u.as_i64().unwrap())
                    .collect::<Vec<_>>(),
                u16s(&case["out_values"])
            ),
            "{case}"
        );
    }
}
