//! The client of `arbiter chain serve` (see [`super::server`] for the API):
//! the same [`Chain`] as the in-process devnet, over HTTP, plus the devnet's
//! admin calls.
//!
//! Calls are signed locally; the nonce is read from the server before each
//! call (one extra round trip on loopback), and a call refused for a stale
//! nonce (another process used the same key) is signed again once.

use std::time::Duration;

use arbiter_registry::{Keypair, PublicKey};
use async_trait::async_trait;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::devnet::calls::{Call, SignedCall};
use super::server::{AddStake, Advance, CreateSubnet, ErrorBody, SetHyperparameters};
use super::{
    Axon, BlockInfo, Chain, ChainError, Commitment, Hyperparameters, Metagraph, Receipt, Result,
    RevealCall, WeightsCall,
};

/// How long a request may take, past any wait it asks the server for.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A devnet served over HTTP.
#[derive(Debug, Clone)]
pub struct DevnetClient {
    base: String,
    http: reqwest::Client,
}

impl DevnetClient {
    /// A client of the devnet at `url` (e.g. `http://127.0.0.1:9944`).
    pub fn new(url: &str) -> Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(transport)?;
        Ok(Self {
            base: url.trim_end_matches('/').to_string(),
            http,
        })
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .map_err(transport)?;
        decode(response).await
    }

    async fn send<B: Serialize, T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &B,
    ) -> Result<T> {
        let response = self
            .http
            .request(method, format!("{}{path}", self.base))
            .json(body)
            .send()
            .await
            .map_err(transport)?;
        decode(response).await
    }

    /// The devnet's genesis hash.
    pub async fn genesis(&self) -> Result<[u8; 32]> {
        #[derive(serde::Deserialize)]
        struct Genesis {
            #[serde(with = "super::hex32")]
            genesis: [u8; 32],
        }
        Ok(self.get::<Genesis>("/v1/genesis").await?.genesis)
    }

    async fn nonce(&self, account: &PublicKey) -> Result<u64> {
        #[derive(serde::Deserialize)]
        struct Nonce {
            nonce: u64,
        }
        Ok(self
            .get::<Nonce>(&format!("/v1/nonce/{account}"))
            .await?
            .nonce)
    }

    /// Signs and submits `call`.
    pub async fn submit(&self, key: &Keypair, call: &Call) -> Result<Receipt> {
        let genesis = self.genesis().await?;
        let mut retried = false;
        loop {
            let nonce = self.nonce(&key.public()).await?;
            let signed = SignedCall::sign(key, &genesis, nonce, call)?;
            match self
                .send(reqwest::Method::POST, "/v1/submit", &signed)
                .await
            {
                Err(ChainError::BadSignature { reason })
                    if !retried && reason.contains("nonce") =>
                {
                    retried = true;
                }
                other => return other,
            }
        }
    }

    /// Admin: creates a subnet.
    pub async fn create_subnet(&self, body: &CreateSubnet) -> Result<()> {
        self.send::<_, serde_json::Value>(reqwest::Method::POST, "/v1/admin/subnets", body)
            .await
            .map(drop)
    }

    /// Admin: replaces a subnet's hyperparameters.
    pub async fn set_hyperparameters(&self, netuid: u16, body: &SetHyperparameters) -> Result<()> {
        let path = format!("/v1/admin/subnets/{netuid}/hyperparameters");
        self.send::<_, serde_json::Value>(reqwest::Method::PUT, &path, body)
            .await
            .map(drop)
    }

    /// Admin: adds stake.
    pub async fn add_stake(&self, body: &AddStake) -> Result<()> {
        self.send::<_, serde_json::Value>(reqwest::Method::POST, "/v1/admin/stake", body)
            .await
            .map(drop)
    }

    /// Admin: produces blocks.
    pub async fn advance(&self, blocks: u64) -> Result<BlockInfo> {
        self.send(
            reqwest::Method::POST,
            "/v1/admin/advance",
            &Advance { blocks },
        )
        .await
    }
}

async fn decode<T: DeserializeOwned>(response: reqwest::Response) -> Result<T> {
    let status = response.status();
    let bytes = response.bytes().await.map_err(transport)?;
    if status.is_success() {
        return serde_json::from_slice(&bytes).map_err(|e| ChainError::Transport {
            reason: format!("unexpected answer from the devnet: {e}"),
        });
    }
    match serde_json::from_slice::<ErrorBody>(&bytes) {
        Ok(body) => Err(body.error),
        Err(_) => Err(ChainError::Transport {
            reason: format!(
                "HTTP {status}: {}",
                String::from_utf8_lossy(&bytes)
                    .chars()
                    .take(200)
                    .collect::<String>()
            ),
        }),
    }
}

fn transport(error: reqwest::Error) -> ChainError {
    ChainError::Transport {
        reason: error.to_string(),
    }
}

#[async_trait]
impl Chain for DevnetClient {
    async fn head(&self) -> Result<BlockInfo> {
        self.get("/v1/head").await
    }

    async fn wait_for_block(&self, after: u64, timeout: Duration) -> Result<BlockInfo> {
        let millis = timeout.as_millis().min(u128::from(u64::MAX)) as u64;
        let response = self
            .http
            .get(format!(
                "{}/v1/blocks/wait?after={after}&timeout_ms={millis}",
                self.base
            ))
            .timeout(timeout + REQUEST_TIMEOUT)
            .send()
            .await
            .map_err(transport)?;
        decode(response).await
    }

    async fn hyperparameters(&self, netuid: u16) -> Result<Hyperparameters> {
        self.get(&format!("/v1/subnets/{netuid}/hyperparameters"))
            .await
    }

    async fn metagraph(&self, netuid: u16) -> Result<Metagraph> {
        self.get(&format!("/v1/subnets/{netuid}/metagraph")).await
    }

    async fn weights(&self, netuid: u16, mechid: u8, uid: u16) -> Result<Vec<(u16, u16)>> {
        self.get(&format!("/v1/subnets/{netuid}/weights/{mechid}/{uid}"))
            .await
    }

    async fn commitment(&self, netuid: u16, hotkey: &PublicKey) -> Result<Option<Commitment>> {
        self.get(&format!("/v1/subnets/{netuid}/commitments/{hotkey}"))
            .await
    }

    async fn weight_commits(&self, netuid: u16, hotkey: &PublicKey) -> Result<Vec<[u8; 32]>> {
        let hashes: Vec<String> = self
            .get(&format!("/v1/subnets/{netuid}/commits/{hotkey}"))
            .await?;
        hashes
            .iter()
            .map(|text| {
                let mut hash = [0u8; 32];
                text.strip_prefix("0x")
                    .and_then(|digits| hex::decode_to_slice(digits, &mut hash).ok())
                    .map(|()| hash)
                    .ok_or_else(|| ChainError::Transport {
                        reason: format!("not a commit hash: {text}"),
                    })
            })
            .collect()
    }

    async fn set_weights(&self, signer: &Keypair, call: &WeightsCall) -> Result<Receipt> {
        self.submit(signer, &Call::SetWeights(call.clone())).await
    }

    async fn commit_weights(
        &self,
        signer: &Keypair,
        netuid: u16,
        mechid: u8,
        hash: [u8; 32],
    ) -> Result<Receipt> {
        let call = Call::CommitWeights {
            netuid,
            mechid,
            hash,
        };
        self.submit(signer, &call).await
    }

    async fn reveal_weights(&self, signer: &Keypair, reveal: &RevealCall) -> Result<Receipt> {
        self.submit(signer, &Call::RevealWeights(reveal.clone()))
            .await
    }

    async fn set_commitment(&self, signer: &Keypair, netuid: u16, data: &[u8]) -> Result<Receipt> {
        let call = Call::SetCommitment {
            netuid,
            data: data.to_vec(),
        };
        self.submit(signer, &call).await
    }

    async fn serve_axon(&self, signer: &Keypair, netuid: u16, axon: &Axon) -> Result<Receipt> {
        let call = Call::ServeAxon {
            netuid,
            axon: axon.clone(),
        };
        self.submit(signer, &call).await
    }
}
