//! The validator's whole epoch loop on a CRv4 subnet: the demo's network
//! (devnet, registry, miners on loopback) behind a chain that reports
//! commit-reveal version 4 and takes timelocked commits in the devnet's
//! place. The devnet has no drand beacon and no CRv4 runtime runs here, so
//! this stand-in is the one part that is not real; the Subtensor backend's
//! own CRv4 path is tested against the spec-461 stand-in node
//! (`subtensor_spec461`).
//!
//! Each epoch's weights must leave as exactly one timelocked commit, of
//! the weights its transcript records, with a seed of its own; nothing by
//! `set_weights` or hash commits, nothing to reveal; and the commitment
//! still names each epoch's transcript.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use arbiter_host::chain::client::DevnetClient;
use arbiter_host::chain::{
    Axon, BlockInfo, COMMIT_REVEAL_TIMELOCK, Chain, ChainError, Commitment, Hyperparameters,
    Metagraph, Receipt, Result, RevealCall, TimelockedCommit, WeightsCall,
};
use arbiter_host::demo::{DemoOptions, NETUID, Network};
use arbiter_host::subtensor::timelock::encrypt_commit;
use arbiter_host::transcript::{Transcript, parse_commitment};
use arbiter_host::validator::metrics::Metrics;
use arbiter_host::validator::{self, ValidatorConfig};
use arbiter_registry::{Keypair, PublicKey};
use async_trait::async_trait;

use crate::support::sandbox;

/// The round every stand-in commit is encrypted to.
const ROUND: u64 = 1000;

/// A timelocked commit as the stand-in keeps it: by whom, of what, with
/// which seed, and what it made.
type Kept = (PublicKey, WeightsCall, [u8; 32], TimelockedCommit);

/// The devnet, but with CRv4: timelocked commits are kept (with their
/// seeds, to check them) instead of opened, as no beacon is here.
struct Timelocked {
    devnet: Arc<DevnetClient>,
    commits: Mutex<Vec<Kept>>,
    other_weight_calls: Mutex<usize>,
}

impl Timelocked {
    fn refuse(&self) -> Result<Receipt> {
        *self.other_weight_calls.lock().unwrap() += 1;
        Err(ChainError::InvalidRequest {
            reason: "a CRv4 subnet takes only timelocked commits".into(),
        })
    }
}

#[async_trait]
impl Chain for Timelocked {
    async fn head(&self) -> Result<BlockInfo> {
        self.devnet.head().await
    }

    async fn wait_for_block(&self, after: u64, timeout: Duration) -> Result<BlockInfo> {
        self.devnet.wait_for_block(after, timeout).await
    }

    async fn hyperparameters(&self, netuid: u16) -> Result<Hyperparameters> {
        Ok(Hyperparameters {
            commit_reveal_enabled: true,
            commit_reveal_version: COMMIT_REVEAL_TIMELOCK,
            ..self.devnet.hyperparameters(netuid).await?
        })
    }

    async fn metagraph(&self, netuid: u16) -> Result<Metagraph> {
        self.devnet.metagraph(netuid).await
    }

    async fn weights(&self, netuid: u16, mechid: u8, uid: u16) -> Result<Vec<(u16, u16)>> {
        self.devnet.weights(netuid, mechid, uid).await
    }

    async fn commitment(&self, netuid: u16, hotkey: &PublicKey) -> Result<Option<Commitment>> {
        self.devnet.commitment(netuid, hotkey).await
    }

    async fn weight_commits(&self, netuid: u16, hotkey: &PublicKey) -> Result<Vec<[u8; 32]>> {
        self.devnet.weight_commits(netuid, hotkey).await
    }

    async fn set_weights(&self, _: &Keypair, _: &WeightsCall) -> Result<Receipt> {
        self.refuse()
    }

    async fn commit_weights(&self, _: &Keypair, _: u16, _: u8, _: [u8; 32]) -> Result<Receipt> {
        self.refuse()
    }

    async fn reveal_weights(&self, _: &Keypair, _: &RevealCall) -> Result<Receipt> {
        self.refuse()
    }

    async fn commit_timelocked_weights(
        &self,
        signer: &Keypair,
        call: &WeightsCall,
        seed: [u8; 32],
    ) -> Result<TimelockedCommit> {
        let commit = TimelockedCommit {
            block: self.devnet.head().await?.number,
            commit: encrypt_commit(
                signer.public().0,
                &call.uids,
                &call.values,
                call.version_key,
                ROUND,
                seed,
            )
            .unwrap(),
            reveal_round: ROUND,
        };
        self.commits
            .lock()
            .unwrap()
            .push((signer.public(), call.clone(), seed, commit.clone()));
        Ok(commit)
    }

    async fn timelocked_commits(
        &self,
        _: u16,
        _: u8,
        hotkey: &PublicKey,
    ) -> Result<Vec<TimelockedCommit>> {
        Ok(self
            .commits
            .lock()
            .unwrap()
            .iter()
            .filter(|(signer, ..)| signer == hotkey)
            .map(|(.., commit)| commit.clone())
            .collect())
    }

    async fn set_commitment(&self, signer: &Keypair, netuid: u16, data: &[u8]) -> Result<Receipt> {
        self.devnet.set_commitment(signer, netuid, data).await
    }

    async fn serve_axon(&self, signer: &Keypair, netuid: u16, axon: &Axon) -> Result<Receipt> {
        self.devnet.serve_axon(signer, netuid, axon).await
    }
}

#[test]
fn each_epoch_leaves_as_one_timelocked_commit_of_its_transcripts_weights() {
    let dir = tempfile::tempdir().unwrap();
    let options = DemoOptions {
        miner_qualities: vec![0.5, 1.0],
        validator_stakes: vec![500],
        ..DemoOptions::new(dir.path().join("net"))
    };
    let sandbox = sandbox();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let metrics = Arc::new(Metrics::default());
    let (network, chain) = runtime.block_on(async {
        let network = Network::start(&options, &sandbox).await.unwrap();
        let chain = Arc::new(Timelocked {
            devnet: Arc::clone(&network.client),
            commits: Mutex::default(),
            other_weight_calls: Mutex::default(),
        });
        let config = ValidatorConfig::load(&network.validator_configs[0]).unwrap();
        let mut validator =
            validator::from_config(&config, Arc::clone(&chain) as _, &sandbox, metrics.clone())
                .await
                .unwrap();
        validator.run(Some(2)).await.unwrap();
        (network, chain)
    });

    assert_eq!(*chain.other_weight_calls.lock().unwrap(), 0);
    assert!(
        metrics
            .render()
            .contains("arbiter_submissions_refused_total 0")
    );
    let commits = chain.commits.lock().unwrap().clone();
    assert_eq!(commits.len(), 2, "one commit per epoch");
    assert_ne!(commits[0].2, commits[1].2, "a seed is never reused");
    let (validator_uid, hotkey) = network.validators[0];
    assert!(commits.iter().all(|(signer, ..)| *signer == hotkey));

    // The last epoch's commitment names its transcript, whose weights
    // record holds exactly what was committed.
    let commitment = runtime
        .block_on(network.client.commitment(NETUID, &hotkey))
        .unwrap()
        .expect("a commitment");
    let (_, root, _) = parse_commitment(&commitment.data).expect("arb1");
    let transcript = Transcript::load(
        &network
            .dir
            .join("validator-1/transcripts")
            .join(format!("{}.arbt", hex::encode(root))),
    )
    .unwrap();
    let recorded = transcript.decode().unwrap().weights;
    let last = &commits[1].1;
    assert_eq!(
        (&last.uids, &last.values),
        (&recorded.uids, &recorded.values)
    );
    assert!(!last.uids.is_empty() && !last.uids.contains(&validator_uid));
    runtime.block_on(network.stop()).unwrap();
}
