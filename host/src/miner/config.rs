//! The miner's configuration file (`arbiter miner serve --config miner.toml`),
//! read into a validated [`MinerConfig`] before any work starts.
//!
//! ```toml
//! # The devnet to mine on (default: the address `arbiter chain serve` uses,
//! # http://127.0.0.1:9944).
//! chain = "http://127.0.0.1:9944"
//! # The subnet (required).
//! netuid = 1
//! # The hotkey, a Bittensor wallet key file (required), e.g.
//! # ~/.bittensor/wallets/<wallet>/hotkeys/<hotkey>.
//! key = "miner-1.json"
//! # The coldkey that owns the hotkey when it registers (default: the hotkey).
//! # coldkey = "5F…"
//! # Where to listen (default 127.0.0.1:8091; port 0 picks a free port).
//! listen = "127.0.0.1:8091"
//! # The address validators are told (default: the listening ip and the
//! # port actually bound). Required when listening on 0.0.0.0 or [::].
//! # advertise_ip = "203.0.113.7"
//! # advertise_port = 8091
//! # The solver component to answer with (required).
//! solver = "../subnets/target/components/text-match-solver.wasm"
//! # How good the miner is: the probability of a correct answer, 0 to 1
//! # (default 1).
//! quality = 0.8
//! # The largest query accepted, in bytes (default 65536).
//! max_request_bytes = 65536
//! # Seconds between metagraph refreshes, which decide who may query
//! # (default 12, one block).
//! metagraph_refresh_secs = 12
//! ```
//!
//! Relative paths are relative to the directory of the configuration file.
//! Unknown keys are an error (a typo must not silently take a default).

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use arbiter_registry::PublicKey;
use serde::Deserialize;

use crate::transport::server::DEFAULT_MAX_REQUEST_BYTES;

/// Where a miner listens unless told otherwise (the Bittensor SDK's axon
/// port).
pub const DEFAULT_LISTEN: SocketAddr =
    SocketAddr::new(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 8091);

/// How often the metagraph is re-read unless told otherwise: one block at
/// the chain's 12 s block time, so a new validator permit takes effect
/// within a block.
pub const DEFAULT_METAGRAPH_REFRESH: Duration = Duration::from_secs(12);

/// A configuration that cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file is not valid TOML of the documented shape.
    #[error("{0}")]
    Syntax(String),
    /// A required key is absent.
    #[error("`{key}` is required: {what}")]
    Missing {
        /// The key.
        key: &'static str,
        /// What it is for.
        what: &'static str,
    },
    /// A value outside its range.
    #[error("`{key}` {rule}")]
    OutOfRange {
        /// The key.
        key: &'static str,
        /// The rule it breaks.
        rule: &'static str,
    },
    /// Listening on every interface without saying which address
    /// validators should use.
    #[error(
        "listening on {listen} needs `advertise_ip`: the address validators reach this miner at"
    )]
    NoAdvertisedIp {
        /// The listening address.
        listen: SocketAddr,
    },
}

/// The file as written: every key optional here, so a missing one gets a
/// clear error rather than serde's.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    chain: Option<String>,
    netuid: Option<u16>,
    key: Option<PathBuf>,
    coldkey: Option<PublicKey>,
    listen: Option<SocketAddr>,
    advertise_ip: Option<IpAddr>,
    advertise_port: Option<u16>,
    solver: Option<PathBuf>,
    quality: Option<f64>,
    max_request_bytes: Option<usize>,
    metagraph_refresh_secs: Option<u64>,
}

/// A validated miner configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct MinerConfig {
    /// The devnet's URL.
    pub chain: String,
    /// The subnet.
    pub netuid: u16,
    /// The hotkey file.
    pub key: PathBuf,
    /// The coldkey to register under (`None`: the hotkey).
    pub coldkey: Option<PublicKey>,
    /// Where to listen.
    pub listen: SocketAddr,
    /// The ip validators are told.
    pub advertise_ip: IpAddr,
    /// The port validators are told (`None`: the port bound).
    pub advertise_port: Option<u16>,
    /// The solver component file.
    pub solver: PathBuf,
    /// The probability of a correct answer.
    pub quality: f64,
    /// The largest query accepted, in bytes.
    pub max_request_bytes: usize,
    /// How often the metagraph is re-read.
    pub metagraph_refresh: Duration,
}

impl MinerConfig {
    /// Reads the TOML `text` of a file in `base` (relative paths are
    /// resolved against it); `default_chain` is the chain URL when the file
    /// names none.
    pub fn from_toml(text: &str, base: &Path, default_chain: &str) -> Result<Self, ConfigError> {
        let file: File = toml::from_str(text).map_err(|e| ConfigError::Syntax(e.to_string()))?;
        let missing = |key, what| ConfigError::Missing { key, what };
        let listen = file.listen.unwrap_or(DEFAULT_LISTEN);
        let advertise_ip = match file.advertise_ip {
            Some(ip) if ip.is_unspecified() => {
                return Err(ConfigError::OutOfRange {
                    key: "advertise_ip",
                    rule: "must be an address validators can reach, not 0.0.0.0 or ::",
                });
            }
            Some(ip) => ip,
            None if listen.ip().is_unspecified() => {
                return Err(ConfigError::NoAdvertisedIp { listen });
            }
            None => listen.ip(),
        };
        let quality = file.quality.unwrap_or(1.0);
        if !(0.0..=1.0).contains(&quality) {
            return Err(ConfigError::OutOfRange {
                key: "quality",
                rule: "must be between 0 and 1",
            });
        }
        let max_request_bytes = file.max_request_bytes.unwrap_or(DEFAULT_MAX_REQUEST_BYTES);
        if max_request_bytes == 0 {
            return Err(ConfigError::OutOfRange {
                key: "max_request_bytes",
                rule: "must be at least 1",
            });
        }
        let metagraph_refresh = file
            .metagraph_refresh_secs
            .map_or(DEFAULT_METAGRAPH_REFRESH, Duration::from_secs);
        if metagraph_refresh.is_zero() {
            return Err(ConfigError::OutOfRange {
                key: "metagraph_refresh_secs",
                rule: "must be at least 1",
            });
        }
        Ok(Self {
            chain: file.chain.unwrap_or_else(|| default_chain.to_string()),
            netuid: file
                .netuid
                .ok_or(missing("netuid", "the subnet to mine on"))?,
            key: base.join(
                file.key
                    .ok_or(missing("key", "the hotkey file (Bittensor wallet format)"))?,
            ),
            coldkey: file.coldkey,
            listen,
            advertise_ip,
            advertise_port: file.advertise_port,
            solver: base.join(
                file.solver
                    .ok_or(missing("solver", "the solver component to answer with"))?,
            ),
            quality,
            max_request_bytes,
            metagraph_refresh,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULT_CHAIN: &str = "http://127.0.0.1:9944";

    fn parse(text: &str) -> Result<MinerConfig, ConfigError> {
        MinerConfig::from_toml(text, Path::new("/etc/arbiter"), DEFAULT_CHAIN)
    }

    #[test]
    fn the_smallest_config_takes_the_defaults() -> Result<(), ConfigError> {
        let config = parse("netuid = 3\nkey = \"hot.json\"\nsolver = \"/opt/solver.wasm\"")?;
        assert_eq!(
            config,
            MinerConfig {
                chain: DEFAULT_CHAIN.into(),
                netuid: 3,
                key: "/etc/arbiter/hot.json".into(),
                coldkey: None,
                listen: DEFAULT_LISTEN,
                advertise_ip: DEFAULT_LISTEN.ip(),
                advertise_port: None,
                solver: "/opt/solver.wasm".into(),
                quality: 1.0,
                max_request_bytes: DEFAULT_MAX_REQUEST_BYTES,
                metagraph_refresh: DEFAULT_METAGRAPH_REFRESH,
            }
        );
        Ok(())
    }

    #[test]
    fn every_mistake_is_named() {
        let base = "netuid = 3\nkey = \"k\"\nsolver = \"s\"\n";
        assert_eq!(
            parse("key = \"k\"\nsolver = \"s\""),
            Err(ConfigError::Missing {
                key: "netuid",
                what: "the subnet to mine on"
            })
        );
        assert!(matches!(
            parse(&format!("{base}quality = 1.5")),
            Err(ConfigError::OutOfRange { key: "quality", .. })
        ));
        assert!(matches!(
            parse(&format!("{base}listen = \"0.0.0.0:8091\"")),
            Err(ConfigError::NoAdvertisedIp { .. })
        ));
        assert!(matches!(
            parse(&format!("{base}metagraph_refresh_secs = 0")),
            Err(ConfigError::OutOfRange { .. })
        ));
        let Err(ConfigError::Syntax(message)) = parse(&format!("{base}qualty = 0.5")) else {
            panic!("a misspelt key must be refused");
        };
        assert!(message.contains("qualty"), "{message}");
        assert!(matches!(
            parse("netuid = 70000"),
            Err(ConfigError::Syntax(_))
        ));
    }

    #[test]
    fn listening_everywhere_works_with_an_advertised_ip() -> Result<(), ConfigError> {
        let config = parse(
            "netuid = 3\nkey = \"k\"\nsolver = \"s\"\nlisten = \"0.0.0.0:0\"\nadvertise_ip = \"10.0.0.7\"\nadvertise_port = 9000",
        )?;
        assert_eq!(config.advertise_ip, "10.0.0.7".parse::<IpAddr>().unwrap());
        assert_eq!(config.advertise_port, Some(9000));
        Ok(())
    }
}
