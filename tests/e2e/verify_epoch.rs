//! `arbiter verify epoch:<netuid>/<validator>/<epoch>` against a live
//! devnet, after a real validator ran two epochs in process (filing its
//! transcripts in the registry): the honest epoch verifies end to end, from
//! a local copy of the transcript or from the registry alone, and every way
//! the chain and the transcripts
//! can disagree is named: an older epoch than the one committed, the
//! committed weights changed on chain, a commitment pointing at another
//! epoch's transcript or at none, another validator's transcript, and a
//! transcript file stored under another transcript's root.

use std::path::Path;
use std::process::Command;

use arbiter_host::chain::{Chain as _, WeightsCall};
use arbiter_host::demo::NETUID;
use arbiter_host::transcript::{Transcript, commitment, parse_commitment};
use arbiter_registry::{Keypair, PublicKey};

use crate::support::arbiter_bin;
use crate::validator::{InProcess, run_in_process};

/// `arbiter verify <epoch> --output json` against the network, looking for
/// transcripts in `transcripts` before the registry: its exit code and
/// report.
fn verify(net: &InProcess, epoch: &str, transcripts: Option<&Path>) -> (i32, serde_json::Value) {
    let mut command = Command::new(arbiter_bin());
    command
        .args(["verify", epoch, "--output", "json", "--no-cache", "--chain"])
        .arg(&net.network.chain_url)
        .arg("--registry")
        .arg(&net.network.registry_url);
    if let Some(dir) = transcripts {
        command.arg("--transcripts").arg(dir);
    }
    let out = command.output().expect("arbiter verify runs");
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "not JSON:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().expect("an exit code"), report)
}

fn problems(report: &serde_json::Value) -> String {
    report["problems"].to_string()
}

/// The validator's current commitment: mechanism, root, epoch.
fn committed(net: &InProcess, hotkey: &PublicKey) -> ([u8; 32], [u8; 32], u64) {
    let commitment = net
        .runtime
        .block_on(net.network.client.commitment(NETUID, hotkey))
        .expect("chain")
        .expect("a commitment");
    parse_commitment(&commitment.data).expect("an Arbiter commitment")
}

fn set_commitment(net: &InProcess, key: &Keypair, data: &[u8]) {
    net.runtime
        .block_on(net.network.client.set_commitment(key, NETUID, data))
        .expect("the commitment is accepted");
}

#[test]
fn an_epoch_verifies_from_the_chain_and_every_broken_link_is_named() {
    // Two validators; the first runs. No weights rate limit, so the test
    // can change the weights on chain afterwards.
    let net = run_in_process(&[500, 300], |h| h.weights_set_rate_limit = 0, 2);
    let (first, first_hotkey) = (
        Keypair::dev("demo/validator-1").expect("key"),
        net.network.validators[0].1,
    );
    let (second, second_hotkey) = (
        Keypair::dev("demo/validator-2").expect("key"),
        net.network.validators[1].1,
    );
    assert_eq!(first.public(), first_hotkey);
    assert_eq!(second.public(), second_hotkey);
    let transcripts = net.network.dir.join("validator-1/transcripts");
    let (mechanism, root, epoch) = committed(&net, &first_hotkey);
    let this_epoch = format!("epoch:{NETUID}/{first_hotkey}/{epoch}");

    // The honest epoch.
    let (code, report) = verify(&net, &this_epoch, Some(&transcripts));
    assert_eq!(
        (code, &report["verified"]),
        (0, &serde_json::json!(true)),
        "{report}"
    );
    assert_eq!(report["commitment"]["root"], hex::encode(root));
    assert_eq!(report["mechanism"]["verified"], true);
    assert_eq!(report["replay"]["chain_checked"], true);

    // The demo's validators file their transcripts in the registry, where
    // the transcript is found by its root alone.
    let (code, report) = verify(&net, &this_epoch, None);
    assert_eq!(code, 0, "{report}");

    // Filing it again by hand changes nothing; what is not a transcript is
    // refused.
    let file = transcripts.join(format!("{}.arbt", hex::encode(root)));
    let registry = net.network.registry_url.as_str();
    let publish = |file: &Path| {
        Command::new(arbiter_bin())
            .arg("publish-transcript")
            .arg(file)
            .args(["--registry", registry, "--output", "json", "--no-cache"])
            .output()
            .expect("arbiter publish-transcript runs")
    };
    let filed = publish(&file);
    assert!(
        filed.status.success(),
        "{}",
        String::from_utf8_lossy(&filed.stderr)
    );
    let filed: serde_json::Value = serde_json::from_slice(&filed.stdout).expect("JSON");
    assert_eq!(filed["root"], format!("blake3:{}", hex::encode(root)));
    let replayed = Command::new(arbiter_bin())
        .args(["replay", &format!("blake3:{}", hex::encode(root))])
        .args(["--registry", registry, "--no-cache", "--chain"])
        .arg(&net.network.chain_url)
        .output()
        .expect("arbiter replay runs");
    assert!(
        replayed.status.success(),
        "{}",
        String::from_utf8_lossy(&replayed.stdout)
    );
    let garbage = net.network.dir.join("not-a-transcript.arbt");
    std::fs::write(&garbage, b"ARBT\x01\0\0\0garbage").expect("written");
    let refused = publish(&garbage);
    assert!(!refused.status.success());

    // An older epoch: the chain only holds the latest commitment.
    let (code, report) = verify(
        &net,
        &format!("epoch:{NETUID}/{first_hotkey}/{}", epoch - 1),
        Some(&transcripts),
    );
    assert_eq!(code, 1);
    assert!(problems(&report).contains("cannot be checked"), "{report}");

    // The other epoch's transcript, and the file of this one.
    let older = std::fs::read_dir(&transcripts)
        .expect("transcripts")
        .map(|e| Transcript::load(&e.expect("entry").path()).expect("loads"))
        .find(|t| t.root() != root)
        .expect("the first epoch's transcript");

    // A transcript file stored under this epoch's root but holding the
    // other epoch's transcript.
    let swapped = tempfile::tempdir().expect("temp dir");
    std::fs::copy(
        transcripts.join(format!("{}.arbt", hex::encode(older.root()))),
        swapped.path().join(format!("{}.arbt", hex::encode(root))),
    )
    .expect("copied");
    let (code, report) = verify(&net, &this_epoch, Some(swapped.path()));
    assert_eq!(code, 1);
    assert!(
        problems(&report).contains(&format!(
            "is transcript blake3:{}",
            hex::encode(older.root())
        )),
        "{report}"
    );

    // Another validator's commitment pointing at the first one's transcript.
    set_commitment(&net, &second, &commitment(&mechanism, &root, epoch));
    let (code, report) = verify(
        &net,
        &format!("epoch:{NETUID}/{second_hotkey}/{epoch}"),
        Some(&transcripts),
    );
    assert_eq!(code, 1);
    assert!(
        problems(&report).contains(&format!("the transcript is {first_hotkey}'s")),
        "{report}"
    );

    // The first validator's commitment moved to the other epoch's
    // transcript, then to a transcript nobody has.
    set_commitment(&net, &first, &commitment(&mechanism, &older.root(), epoch));
    let (code, report) = verify(&net, &this_epoch, Some(&transcripts));
    assert_eq!(code, 1);
    assert!(
        problems(&report).contains("not what was committed"),
        "{report}"
    );
    set_commitment(&net, &first, &commitment(&mechanism, &[7; 32], epoch));
    let (code, report) = verify(&net, &this_epoch, Some(&transcripts));
    assert_eq!(code, 1);
    assert!(problems(&report).contains("cannot be had"), "{report}");

    // Back to the honest commitment, but the weights on chain changed.
    set_commitment(&net, &first, &commitment(&mechanism, &root, epoch));
    assert_eq!(verify(&net, &this_epoch, Some(&transcripts)).0, 0);
    let uid = net.network.validators[0].0;
    let stored = net
        .runtime
        .block_on(net.network.client.weights(NETUID, 0, uid))
        .expect("chain");
    let uids: Vec<u16> = stored.iter().map(|(uid, _)| *uid).collect();
    let values: Vec<u16> = (1..=uids.len()).map(|i| (i * 1000) as u16).collect();
    net.runtime
        .block_on(net.network.client.set_weights(
            &first,
            &WeightsCall {
                netuid: NETUID,
                mechid: 0,
                uids,
                values,
                version_key: 0,
            },
        ))
        .expect("the edited weights are accepted");
    let edited = net
        .runtime
        .block_on(net.network.client.weights(NETUID, 0, uid))
        .expect("chain");
    assert_ne!(edited, stored, "the edit must change the weights on chain");
    let (code, report) = verify(&net, &this_epoch, Some(&transcripts));
    assert_eq!(code, 1);
    let replay = &report["replay"];
    assert_eq!(replay["ok"], false, "{report}");
    assert!(
        replay["differences"].to_string().contains("chain"),
        "{report}"
    );
    assert!(
        !replay["weight_differences"]
            .as_array()
            .expect("list")
            .is_empty(),
        "{report}"
    );

    net.runtime.block_on(net.network.stop()).expect("stops");
}
