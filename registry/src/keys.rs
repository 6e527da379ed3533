//! sr25519 keys as Bittensor uses them: SS58 addresses (prefix 42), and
//! hotkey files in the Bittensor wallet layout
//! (`~/.bittensor/wallets/<wallet>/hotkeys/<hotkey>`, JSON with
//! `secretSeed`, `secretPhrase` or only `privateKey`).
//!
//! The cryptography is `subxt-signer`'s (schnorrkel underneath, the
//! `substrate` signing context, keys expanded from a 32-byte mini secret in
//! Ed25519 mode), which is what Substrate and the Bittensor SDK do; a wallet
//! file holding only the expanded 64-byte `privateKey` is read with
//! schnorrkel itself, which subxt-signer does not expose for it. The SS58
//! encoding is `subxt-utils-accountid32`'s. Nothing here is hand-written
//! crypto.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use subxt_signer::sr25519;
use subxt_utils_accountid32::AccountId32;

/// Why a key could not be made, read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// Not an SS58 address or `0x` and 64 hex digits.
    #[error("not an SS58 address or 0x-prefixed 32-byte hex public key: {0:?}")]
    BadPublicKey(String),
    /// A key file that cannot be read.
    #[error("cannot read key file {path}: {reason}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A key file without a usable secret.
    #[error("key file {path} has no usable secret: {reason}")]
    NoSecret {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A key file whose address does not match its secret.
    #[error("key file {path} says its address is {claimed} but its secret gives {actual}")]
    AddressMismatch {
        /// The file.
        path: PathBuf,
        /// The address written in the file.
        claimed: String,
        /// The address of the secret.
        actual: String,
    },
    /// A seed the sr25519 library refuses.
    #[error("invalid sr25519 seed: {0}")]
    BadSeed(String),
    /// The operating system gave no randomness.
    #[error("no randomness for a new key: {0}")]
    Randomness(String),
    /// A wallet or hotkey name that is not a single file name.
    #[error("bad wallet or hotkey name {0:?}: it must be one file name (no `/`, `..` or NUL)")]
    BadWalletName(String),
    /// Writing a new key file failed.
    #[error("cannot write key file {path}: {reason}")]
    Unwritable {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// An sr25519 public key: a Bittensor hotkey or coldkey, the chain's
/// `AccountId32`. Written as its SS58 address.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PublicKey(pub [u8; 32]);

impl PublicKey {
    /// The SS58 address (prefix 42, as Bittensor uses).
    pub fn ss58(&self) -> String {
        AccountId32::from(self.0).to_string()
    }

    /// The raw bytes as `0x` and 64 hex digits.
    pub fn to_hex(&self) -> String {
        format!("0x{}", hex::encode(self.0))
    }

    /// Whether `signature` is this key's signature of `message`.
    pub fn verify(&self, message: &[u8], signature: &Signature) -> bool {
        sr25519::verify(
            &sr25519::Signature(signature.0),
            message,
            &sr25519::PublicKey(self.0),
        )
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.ss58())
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.ss58())
    }
}

impl FromStr for PublicKey {
    type Err = KeyError;

    /// Parses an SS58 address or `0x` and 64 hex digits.
    fn from_str(text: &str) -> Result<Self, KeyError> {
        let bad = || KeyError::BadPublicKey(text.chars().take(80).collect());
        if let Some(digits) = text.strip_prefix("0x") {
            let mut bytes = [0u8; 32];
            hex::decode_to_slice(digits, &mut bytes).map_err(|_| bad())?;
            return Ok(Self(bytes));
        }
        let account = AccountId32::from_str(text).map_err(|_| bad())?;
        Ok(Self(account.0))
    }
}

impl Serialize for PublicKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PublicKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// An sr25519 signature (64 bytes), written as `0x` and 128 hex digits.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature(pub [u8; 64]);

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature(0x{})", hex::encode(self.0))
    }
}

impl Serialize for Signature {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&format_args!("0x{}", hex::encode(self.0)))
    }
}

impl<'de> Deserialize<'de> for Signature {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let mut bytes = [0u8; 64];
        text.strip_prefix("0x")
            .and_then(|digits| hex::decode_to_slice(digits, &mut bytes).ok())
            .ok_or_else(|| serde::de::Error::custom("expected 0x and 128 hex digits"))?;
        Ok(Self(bytes))
    }
}

/// A secret key: signs manifests, weight commits and miner requests.
#[derive(Clone)]
pub struct Keypair {
    inner: Secret,
    /// The 32-byte mini secret it was expanded from, when known (so the key
    /// can be written back to a wallet file).
    seed: Option<[u8; 32]>,
}

/// The secret behind a [`Keypair`].
#[derive(Clone)]
enum Secret {
    /// Expanded from a mini secret (a seed or a phrase).
    Mini(sr25519::Keypair),
    /// Only the expanded secret key is known (a wallet's `privateKey`).
    Expanded(schnorrkel::Keypair),
}

/// The signing context of Substrate's sr25519 signatures.
const SIGNING_CONTEXT: &[u8] = b"substrate";

impl fmt::Debug for Keypair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Keypair({})", self.public())
    }
}

impl Keypair {
    /// A new random key.
    pub fn generate() -> Result<Self, KeyError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| KeyError::Randomness(e.to_string()))?;
        Self::from_seed(seed)
    }

    /// The key expanded from a 32-byte mini secret (a wallet's
    /// `secretSeed`).
    pub fn from_seed(seed: [u8; 32]) -> Result<Self, KeyError> {
        let inner = sr25519::Keypair::from_secret_key(seed)
            .map_err(|e| KeyError::BadSeed(e.to_string()))?;
        Ok(Self {
            inner: Secret::Mini(inner),
            seed: Some(seed),
        })
    }

    /// The key of a BIP-39 phrase (a wallet's `secretPhrase`), derived as
    /// Substrate does (from the phrase's entropy, empty password).
    pub fn from_phrase(phrase: &str) -> Result<Self, String> {
        let mnemonic =
            subxt_signer::bip39::Mnemonic::parse(phrase).map_err(|e| format!("bad phrase: {e}"))?;
        let inner = sr25519::Keypair::from_phrase(&mnemonic, None).map_err(|e| e.to_string())?;
        Ok(Self {
            inner: Secret::Mini(inner),
            seed: None,
        })
    }

    /// The key of a 64-byte expanded secret (a wallet's `privateKey`: the
    /// secret scalar and the signing nonce, schnorrkel's canonical layout,
    /// as the Python SDK writes it).
    pub fn from_private_key(bytes: &[u8; 64]) -> Result<Self, KeyError> {
        let secret = schnorrkel::SecretKey::from_bytes(bytes)
            .map_err(|e| KeyError::BadSeed(e.to_string()))?;
        Ok(Self {
            inner: Secret::Expanded(secret.to_keypair()),
            seed: None,
        })
    }

    /// The public key.
    pub fn public(&self) -> PublicKey {
        match &self.inner {
            Secret::Mini(key) => PublicKey(key.public_key().0),
            Secret::Expanded(key) => PublicKey(key.public.to_bytes()),
        }
    }

    /// Signs `message` (schnorrkel, `substrate` context).
    pub fn sign(&self, message: &[u8]) -> Signature {
        match &self.inner {
            Secret::Mini(key) => Signature(key.sign(message).0),
            Secret::Expanded(key) => Signature(
                key.sign(schnorrkel::signing_context(SIGNING_CONTEXT).bytes(message))
                    .to_bytes(),
            ),
        }
    }

    /// A deterministic key for tests and demos, from a name: the seed is
    /// the BLAKE3 of `"arbiter/dev-key/" ‖ name`. Never use it for value.
    pub fn dev(name: &str) -> Result<Self, KeyError> {
        let seed = blake3::hash(format!("arbiter/dev-key/{name}").as_bytes());
        Self::from_seed(*seed.as_bytes())
    }

    /// Reads a key file in the Bittensor wallet format: JSON with
    /// `secretSeed` (`0x` and 64 hex digits), `secretPhrase` or
    /// `privateKey` (`0x` and 128 hex digits), tried in that order; if it
    /// also has `ss58Address` or `publicKey`, they must match the secret.
    pub fn load(path: &Path) -> Result<Self, KeyError> {
        let text = std::fs::read_to_string(path).map_err(|e| KeyError::Unreadable {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        let file: WalletFile = serde_json::from_str(&text).map_err(|e| KeyError::Unreadable {
            path: path.to_path_buf(),
            reason: format!("not a wallet key file: {e}"),
        })?;
        let no_secret = |reason: String| KeyError::NoSecret {
            path: path.to_path_buf(),
            reason,
        };
        let key = match (&file.secret_seed, &file.secret_phrase, &file.private_key) {
            (Some(seed), _, _) => {
                let mut bytes = [0u8; 32];
                seed.strip_prefix("0x")
                    .and_then(|digits| hex::decode_to_slice(digits, &mut bytes).ok())
                    .ok_or_else(|| no_secret("secretSeed is not 0x and 64 hex digits".into()))?;
                Self::from_seed(bytes)?
            }
            (None, Some(phrase), _) => Self::from_phrase(phrase).map_err(no_secret)?,
            (None, None, Some(private)) => {
                let mut bytes = [0u8; 64];
                private
                    .strip_prefix("0x")
                    .and_then(|digits| hex::decode_to_slice(digits, &mut bytes).ok())
                    .ok_or_else(|| no_secret("privateKey is not 0x and 128 hex digits".into()))?;
                Self::from_private_key(&bytes)?
            }
            (None, None, None) => {
                return Err(no_secret(
                    "none of secretSeed, secretPhrase or privateKey".into(),
                ));
            }
        };
        let actual = key.public();
        let claims = [
            file.ss58_address.clone(),
            file.public_key
                .as_deref()
                .map(|hex| match hex.parse::<PublicKey>() {
                    Ok(public) => public.ss58(),
                    Err(_) => hex.to_string(),
                }),
        ];
        if let Some(claimed) = claims.into_iter().flatten().find(|c| *c != actual.ss58()) {
            return Err(KeyError::AddressMismatch {
                path: path.to_path_buf(),
                claimed,
                actual: actual.ss58(),
            });
        }
        Ok(key)
    }

    /// Writes the key as a Bittensor wallet key file (readable only by its
    /// owner), refusing to overwrite an existing file.
    pub fn save(&self, path: &Path) -> Result<(), KeyError> {
        let unwritable = |reason: String| KeyError::Unwritable {
            path: path.to_path_buf(),
            reason,
        };
        let seed = self
            .seed
            .ok_or_else(|| unwritable("the key was made from a phrase; keep the phrase".into()))?;
        let public = self.public();
        // The expanded key too, as the Python SDK writes it.
        let private = schnorrkel::MiniSecretKey::from_bytes(&seed)
            .map_err(|e| unwritable(e.to_string()))?
            .expand(schnorrkel::ExpansionMode::Ed25519)
            .to_bytes();
        let file = WalletFile {
            account_id: Some(public.to_hex()),
            public_key: Some(public.to_hex()),
            private_key: Some(format!("0x{}", hex::encode(private))),
            secret_phrase: None,
            secret_seed: Some(format!("0x{}", hex::encode(seed))),
            ss58_address: Some(public.ss58()),
        };
        let json = serde_json::to_string_pretty(&file).map_err(|e| unwritable(e.to_string()))?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| unwritable(e.to_string()))?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut out = options.open(path).map_err(|e| unwritable(e.to_string()))?;
        std::io::Write::write_all(&mut out, json.as_bytes()).map_err(|e| unwritable(e.to_string()))
    }
}

/// Where the Bittensor SDK keeps a wallet's hotkey:
/// `<home>/.bittensor/wallets/<wallet>/hotkeys/<hotkey>`.
pub fn wallet_hotkey_path(home: &Path, wallet: &str, hotkey: &str) -> PathBuf {
    home.join(".bittensor/wallets")
        .join(wallet)
        .join("hotkeys")
        .join(hotkey)
}

/// The hotkey file of `wallet`/`hotkey` in the wallets directory
/// `wallets_dir` (the Bittensor SDK's is `~/.bittensor/wallets`):
/// `<wallets_dir>/<wallet>/hotkeys/<hotkey>`. Each name must be a single
/// file name, so the path stays inside `wallets_dir`.
pub fn hotkey_file(wallets_dir: &Path, wallet: &str, hotkey: &str) -> Result<PathBuf, KeyError> {
    for name in [wallet, hotkey] {
        if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\\', '\0']) {
            return Err(KeyError::BadWalletName(name.chars().take(80).collect()));
        }
    }
    Ok(wallets_dir.join(wallet).join("hotkeys").join(hotkey))
}

/// The JSON of a Bittensor wallet key file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WalletFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    account_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    public_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    private_key: Option<String>,
    #[serde(default)]
    secret_phrase: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    secret_seed: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ss58_address: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Substrate's well-known development key: the phrase, seed and address
    /// of `//Alice`'s parent, from Substrate's documentation.
    const DEV_PHRASE: &str =
        "bottom drive obey lake curtain smoke basket hold race lonely fit walk";
    const DEV_ADDRESS: &str = "5DfhGyQdFobKM8NsWvEeAKk5EQQgYe9AydgJ7rMB6E1EqRzV";
    /// Alice's public key and address, as every Substrate tool prints them.
    const ALICE_HEX: &str = "0xd43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d";
    const ALICE_SS58: &str = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";

    #[test]
    fn ss58_matches_substrate() -> Result<(), KeyError> {
        let alice: PublicKey = ALICE_HEX.parse()?;
        assert_eq!(alice.ss58(), ALICE_SS58);
        assert_eq!(ALICE_SS58.parse::<PublicKey>()?, alice);
        Ok(())
    }

    #[test]
    fn a_phrase_gives_substrates_key() -> Result<(), String> {
        assert_eq!(
            Keypair::from_phrase(DEV_PHRASE)?.public().ss58(),
            DEV_ADDRESS
        );
        Ok(())
    }

    #[test]
    fn bad_addresses_are_refused() {
        for bad in [
            "",
            "0x1234",
            "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQZ",
            "not an address",
        ] {
            assert!(bad.parse::<PublicKey>().is_err(), "{bad}");
        }
    }

    #[test]
    fn signatures_verify_only_for_their_key_and_message() -> Result<(), KeyError> {
        let key = Keypair::dev("alice")?;
        let signature = key.sign(b"weights");
        assert!(key.public().verify(b"weights", &signature));
        assert!(!key.public().verify(b"weightz", &signature));
        assert!(!Keypair::dev("bob")?.public().verify(b"weights", &signature));
        Ok(())
    }

    #[test]
    fn wallet_names_stay_inside_the_wallets_directory() -> Result<(), KeyError> {
        let dir = Path::new("/w");
        assert_eq!(
            hotkey_file(dir, "validator", "default")?,
            Path::new("/w/validator/hotkeys/default")
        );
        for bad in ["", ".", "..", "../x", "a/b", "a\\b", "a\0b"] {
            assert!(matches!(
                hotkey_file(dir, bad, "default"),
                Err(KeyError::BadWalletName(_))
            ));
            assert!(hotkey_file(dir, "validator", bad).is_err());
        }
        Ok(())
    }

    #[test]
    fn wallet_files_round_trip_and_are_checked() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = wallet_hotkey_path(dir.path(), "validator", "default");
        let key = Keypair::generate()?;
        key.save(&path)?;
        assert_eq!(Keypair::load(&path)?.public(), key.public());
        assert!(matches!(key.save(&path), Err(KeyError::Unwritable { .. })));

        let phrase_file = dir.path().join("phrase");
        std::fs::write(
            &phrase_file,
            format!(r#"{{"secretPhrase": "{DEV_PHRASE}"}}"#),
        )?;
        assert_eq!(Keypair::load(&phrase_file)?.public().ss58(), DEV_ADDRESS);

        let lying = dir.path().join("lying");
        std::fs::write(
            &lying,
            format!(r#"{{"secretPhrase": "{DEV_PHRASE}", "ss58Address": "{ALICE_SS58}"}}"#),
        )?;
        assert!(matches!(
            Keypair::load(&lying),
            Err(KeyError::AddressMismatch { .. })
        ));
        let empty = dir.path().join("empty");
        std::fs::write(&empty, "{}")?;
        assert!(matches!(
            Keypair::load(&empty),
            Err(KeyError::NoSecret { .. })
        ));
        Ok(())
    }

    /// A hotkey file the Bittensor SDK 11.3.0 wrote
    /// (`serialized_keypair_to_keyfile_data(Keypair.create_from_seed(bytes([7] * 32)))`).
    const SDK_WALLET_FILE: &str = r#"{"secretSeed":"0x0707070707070707070707070707070707070707070707070707070707070707","ss58Address":"5EsNLFaGe9XK5LzWH3i6eC2Wqv6YqZS1442N1C4yeSdP6uxy","privateKey":"0xa535c7bfff6f541c20d5d8c4bd3ed35ca3a5800b091545d1c98f69493907050f9c7d6db3506d65dbac7c052aaee4857425210c9bc54030c826e54055983452a5","publicKey":"0x7c0f469d3bd340bae718203fa30ca071a5e37c751e891dbded837b213d45d91d","cryptoType":1,"accountId":"0x7c0f469d3bd340bae718203fa30ca071a5e37c751e891dbded837b213d45d91d"}"#;
    const SDK_ADDRESS: &str = "5EsNLFaGe9XK5LzWH3i6eC2Wqv6YqZS1442N1C4yeSdP6uxy";

    #[test]
    fn the_sdks_wallet_files_load_from_each_secret_alone() -> Result<(), Box<dyn std::error::Error>>
    {
        let dir = tempfile::tempdir()?;
        let full: serde_json::Value = serde_json::from_str(SDK_WALLET_FILE)?;
        let mut keys = vec![];
        for field in ["secretSeed", "privateKey"] {
            let path = dir.path().join(field);
            std::fs::write(&path, serde_json::json!({ field: full[field] }).to_string())?;
            let key = Keypair::load(&path)?;
            assert_eq!(key.public().ss58(), SDK_ADDRESS, "{field}");
            keys.push(key);
        }
        let whole = dir.path().join("whole");
        std::fs::write(&whole, SDK_WALLET_FILE)?;
        assert_eq!(Keypair::load(&whole)?.public().ss58(), SDK_ADDRESS);
        // A key read from `privateKey` alone signs as the seed's key does.
        let signature = keys[1].sign(b"weights");
        assert!(keys[0].public().verify(b"weights", &signature));
        Ok(())
    }

    #[test]
    fn saved_wallet_files_hold_the_sdks_private_key() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("hotkey");
        Keypair::from_seed([7; 32])?.save(&path)?;
        let ours: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path)?)?;
        let sdk: serde_json::Value = serde_json::from_str(SDK_WALLET_FILE)?;
        for field in [
            "privateKey",
            "publicKey",
            "secretSeed",
            "ss58Address",
            "accountId",
        ] {
            assert_eq!(ours[field], sdk[field], "{field}");
        }
        Ok(())
    }

    #[test]
    fn a_private_key_that_is_not_the_public_key_is_refused()
    -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let full: serde_json::Value = serde_json::from_str(SDK_WALLET_FILE)?;
        let lying = dir.path().join("lying");
        std::fs::write(
            &lying,
            serde_json::json!({ "privateKey": full["privateKey"], "publicKey": ALICE_HEX })
                .to_string(),
        )?;
        assert!(matches!(
            Keypair::load(&lying),
            Err(KeyError::AddressMismatch { .. })
        ));
        let short = dir.path().join("short");
        std::fs::write(&short, r#"{"privateKey": "0x1234"}"#)?;
        assert!(matches!(
            Keypair::load(&short),
            Err(KeyError::NoSecret { .. })
        ));
        Ok(())
    }
}
