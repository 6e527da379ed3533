//! The devnet's transactions and how they are signed.
//!
//! A [`SignedCall`] carries a call as the exact JSON text that was signed,
//! the signer's SS58 address, its account nonce and an sr25519 signature
//! over `"arbiter/devnet/call/v1\0" ‖ genesis hash ‖ nonce (u64 LE) ‖ call
//! text`. The genesis hash stops a call signed for one devnet from replaying
//! on another; the nonce (which must equal the account's next nonce, and
//! then advances even if a chain rule refuses the call, as in Substrate)
//! stops replays on the same one.

use arbiter_registry::{Keypair, PublicKey, Signature};
use serde::{Deserialize, Serialize};

use crate::chain::{Axon, ChainError, RevealCall, WeightsCall, hex_bytes, hex32};

/// A transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "call", rename_all = "snake_case")]
pub enum Call {
    /// `set_weights`.
    SetWeights(WeightsCall),
    /// `commit_weights`.
    CommitWeights {
        /// The subnet.
        netuid: u16,
        /// The mechanism.
        #[serde(default)]
        mechid: u8,
        /// The commit hash.
        #[serde(with = "hex32")]
        hash: [u8; 32],
    },
    /// `reveal_weights`.
    RevealWeights(RevealCall),
    /// `Commitments.set_commitment` with one `Raw` field.
    SetCommitment {
        /// The subnet.
        netuid: u16,
        /// The data (at most 128 bytes).
        #[serde(with = "hex_bytes")]
        data: Vec<u8>,
    },
    /// `serve_axon`.
    ServeAxon {
        /// The subnet.
        netuid: u16,
        /// Where the signer serves.
        axon: Axon,
    },
    /// Registers the signer's hotkey on a subnet (free on the devnet),
    /// owned by `coldkey`.
    Register {
        /// The subnet.
        netuid: u16,
        /// The owning coldkey.
        coldkey: PublicKey,
    },
}

/// A call with its signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedCall {
    /// The signer.
    pub signer: PublicKey,
    /// The signer's account nonce.
    pub nonce: u64,
    /// The call, as the JSON text that was signed.
    pub call: String,
    /// The signature.
    pub signature: Signature,
}

const DOMAIN: &[u8] = b"arbiter/devnet/call/v1\0";

fn message(genesis: &[u8; 32], nonce: u64, call: &str) -> Vec<u8> {
    let mut message = Vec::with_capacity(DOMAIN.len() + 40 + call.len());
    message.extend_from_slice(DOMAIN);
    message.extend_from_slice(genesis);
    message.extend_from_slice(&nonce.to_le_bytes());
    message.extend_from_slice(call.as_bytes());
    message
}

impl SignedCall {
    /// Signs `call` with `key` for the devnet with `genesis`.
    pub fn sign(
        key: &Keypair,
        genesis: &[u8; 32],
        nonce: u64,
        call: &Call,
    ) -> Result<Self, ChainError> {
        let call = serde_json::to_string(call).map_err(|e| ChainError::InvalidRequest {
            reason: e.to_string(),
        })?;
        let signature = key.sign(&message(genesis, nonce, &call));
        Ok(Self {
            signer: key.public(),
            nonce,
            call,
            signature,
        })
    }

    /// Checks the signature and parses the call.
    pub fn open(&self, genesis: &[u8; 32]) -> Result<Call, ChainError> {
        if !self
            .signer
            .verify(&message(genesis, self.nonce, &self.call), &self.signature)
        {
            return Err(ChainError::BadSignature {
                reason: format!("the signature is not {}'s over this call", self.signer),
            });
        }
        serde_json::from_str(&self.call).map_err(|e| ChainError::InvalidRequest {
            reason: format!("not a devnet call: {e}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tampering_breaks_the_signature() -> Result<(), Box<dyn std::error::Error>> {
        let key = Keypair::dev("validator")?;
        let genesis = [1; 32];
        let call = Call::SetCommitment {
            netuid: 1,
            data: vec![1, 2, 3],
        };
        let signed = SignedCall::sign(&key, &genesis, 0, &call)?;
        assert_eq!(signed.open(&genesis)?, call);

        let mut other_devnet = signed.clone();
        assert!(other_devnet.open(&[2; 32]).is_err());
        other_devnet.nonce = 1;
        assert!(other_devnet.open(&genesis).is_err());
        let mut edited = signed.clone();
        edited.call = edited.call.replace("[1,2,3]", "[1,2,4]");
        edited.call = edited.call.replace("0x010203", "0x010204");
        assert!(matches!(
            edited.open(&genesis),
            Err(ChainError::BadSignature { .. })
        ));
        let mut impostor = signed;
        impostor.signer = Keypair::dev("other")?.public();
        assert!(impostor.open(&genesis).is_err());
        Ok(())
    }
}
