//! Signer payloads and signed transactions for Subtensor, built offline.
//!
//! A transaction is the call plus the transaction extensions the runtime's
//! metadata lists (spec version, transaction version, genesis hash,
//! mortality, nonce, tip and Subtensor's zero-sized ones), signed with
//! sr25519. Given the same [`TransactionParams`] the bytes are the same on
//! every machine, which is what lets tests compare them with the Python
//! SDK's and lets a signature be injected for reproducible vectors.

use subxt::OfflineClient;
use subxt::config::substrate::{H256, SpecVersionForRange};
use subxt::config::{SubstrateConfig, SubstrateExtrinsicParamsBuilder};
use subxt::ext::scale_value::Composite;
use subxt::transactions::DynamicPayload;
use subxt::utils::{AccountId32, MultiSignature};

use super::{EncodeError, RuntimeMetadata};

/// How long a transaction stays valid.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Mortality {
    /// Valid forever (era `00`).
    #[default]
    Immortal,
    /// Valid for `period` blocks from `birth_block` (whose hash is
    /// `birth_hash`), as the SDK's `era={"period": p, "current": n}`.
    Mortal {
        /// Blocks of validity (rounded to a power of two by the encoding).
        period: u64,
        /// The block the period counts from.
        birth_block: u64,
        /// That block's hash.
        birth_hash: [u8; 32],
    },
}

/// Everything besides the call and the key that a signed transaction's
/// bytes depend on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TransactionParams {
    /// The chain's genesis hash.
    pub genesis_hash: [u8; 32],
    /// The runtime's spec version.
    pub spec_version: u32,
    /// The runtime's transaction version.
    pub transaction_version: u32,
    /// The signer's account nonce.
    pub nonce: u64,
    /// The tip, in rao.
    pub tip: u128,
    /// How long the transaction is valid.
    pub mortality: Mortality,
}

/// A signed transaction, ready to submit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedTransaction {
    /// Its SCALE bytes (length-prefixed, as submitted).
    pub bytes: Vec<u8>,
    /// Its hash (BLAKE2b-256 of `bytes`), as the chain reports it.
    pub hash: [u8; 32],
}

/// A call ready to be signed with given parameters.
pub struct Signable {
    metadata: RuntimeMetadata,
    call: DynamicPayload<Composite<()>>,
    params: TransactionParams,
}

impl Signable {
    /// `call` (a payload from [`super::SubtensorCall::payload`] or
    /// [`Signable::decode_call`]) for the runtime `metadata` describes.
    pub fn new(
        metadata: &RuntimeMetadata,
        call: DynamicPayload<Composite<()>>,
        params: TransactionParams,
    ) -> Self {
        Self {
            metadata: metadata.clone(),
            call,
            params,
        }
    }

    /// Call data as a payload, decoded against `metadata`: any call of the
    /// runtime, not only the ones [`super::SubtensorCall`] names.
    pub fn decode_call(
        metadata: &RuntimeMetadata,
        call_data: &[u8],
    ) -> Result<DynamicPayload<Composite<()>>, EncodeError> {
        // Decoding needs only the metadata; the chain parameters are unused.
        client(metadata, &TransactionParams::default(), 0)?
            .tx()
            .from_call_data_bytes(call_data)
            .map_err(|e| EncodeError::Call {
                call: "call data".into(),
                reason: e.to_string(),
            })
    }

    /// The bytes the signer signs (hashed with BLAKE2b-256 first when
    /// longer than 256 bytes, as Substrate does).
    pub fn signer_payload(&self) -> Result<Vec<u8>, EncodeError> {
        self.with_signable(|signable| signable.signer_payload())
    }

    /// The transaction signed by `public` with `signature` (an sr25519
    /// signature over [`Self::signer_payload`]).
    pub fn signed(
        &self,
        public: [u8; 32],
        signature: [u8; 64],
    ) -> Result<SignedTransaction, EncodeError> {
        self.with_signable(|signable| finish(signable, public, signature))
    }

    /// The transaction signed with `key`.
    pub fn sign(&self, key: &arbiter_registry::Keypair) -> Result<SignedTransaction, EncodeError> {
        self.with_signable(|signable| {
            let signature = key.sign(&signable.signer_payload()?).0;
            finish(signable, key.public().0, signature)
        })
    }

    /// Runs `f` on subxt's signable transaction for this call and these
    /// parameters, mapping its errors.
    fn with_signable<R>(
        &self,
        f: impl FnOnce(&mut SubxtSignable<'_>) -> Result<R, subxt::error::ExtrinsicError>,
    ) -> Result<R, EncodeError> {
        let error = |e: &dyn std::fmt::Display| EncodeError::Call {
            call: format!("{}.{}", self.call.pallet_name(), self.call.call_name()),
            reason: e.to_string(),
        };
        let birth_block = match self.params.mortality {
            Mortality::Immortal => 0,
            Mortality::Mortal { birth_block, .. } => birth_block,
        };
        let builder = SubstrateExtrinsicParamsBuilder::<SubstrateConfig>::new()
            .nonce(self.params.nonce)
            .tip(self.params.tip);
        let builder = match self.params.mortality {
            Mortality::Immortal => builder.immortal(),
            Mortality::Mortal {
                period,
                birth_block,
                birth_hash,
            } => builder.mortal_from_unchecked(period, birth_block, H256(birth_hash)),
        };
        let tx = client(&self.metadata, &self.params, birth_block)?.tx();
        let mut signable = tx
            .create_signable_offline(&self.call, builder.build())
            .map_err(|e| error(&e))?;
        f(&mut signable).map_err(|e| error(&e))
    }
}

/// subxt's signable transaction for one call and set of parameters.
type SubxtSignable<'call> = subxt::transactions::SignableTransaction<
    'call,
    SubstrateConfig,
    subxt::client::OfflineClientAtBlockImpl<SubstrateConfig>,
    DynamicPayload<Composite<()>>,
>;

/// `signable` signed by `public` with `signature`.
fn finish(
    signable: &mut SubxtSignable<'_>,
    public: [u8; 32],
    signature: [u8; 64],
) -> Result<SignedTransaction, subxt::error::ExtrinsicError> {
    let signed = signable.sign_with_account_and_signature(
        &AccountId32(public),
        &MultiSignature::Sr25519(signature),
    )?;
    Ok(SignedTransaction {
        bytes: signed.encoded().to_vec(),
        hash: signed.hash().0,
    })
}

/// An offline subxt client for one runtime version, at `block`.
fn client(
    metadata: &RuntimeMetadata,
    params: &TransactionParams,
    block: u64,
) -> Result<subxt::client::OfflineClientAtBlock<SubstrateConfig>, EncodeError> {
    let config = SubstrateConfig::builder()
        .set_genesis_hash(H256(params.genesis_hash))
        .set_metadata_for_spec_versions([(params.spec_version, metadata.0.clone())])
        .set_spec_version_for_block_ranges([SpecVersionForRange {
            block_range: 0..u64::MAX,
            spec_version: params.spec_version,
            transaction_version: params.transaction_version,
        }])
        .build();
    OfflineClient::new_with_config(config)
        .at_block(block)
        .map_err(|e| EncodeError::Metadata(e.to_string()))
}
