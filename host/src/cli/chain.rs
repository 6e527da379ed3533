//! `arbiter chain …`: run the devnet as a server and talk to it.
//!
//! `serve` runs the devnet in this process (state in `--data`, blocks every
//! `--block-time-ms` or only on `advance` with `--manual`) behind the HTTP
//! API of `arbiter_host::chain::server`. Every other subcommand talks to a
//! served devnet at `--chain` (default `http://127.0.0.1:9944`); `status`
//! and `metagraph` also to a Subtensor node (`--chain ws://…` or `wss://…`).
//!
//! JSON output (`--output json`): `status` prints `{"head": BlockInfo,
//! "genesis": "0x…"}`; `metagraph` prints the `Metagraph` (neurons with
//! uid, hotkey, coldkey, stake, validator_permit, active, registered_at,
//! last_update, axon, incentive, dividends, consensus, validator_trust
//! (u16, /65535) and emission (rao)); `advance` prints the new head.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use arbiter_host::chain::client::DevnetClient;
use arbiter_host::chain::devnet::calls::Call;
use arbiter_host::chain::devnet::{Devnet, Genesis};
use arbiter_host::chain::server::{AddStake, CreateSubnet, SetHyperparameters};
use arbiter_host::chain::{Chain, Hyperparameters, Metagraph};
use arbiter_host::subtensor::Subtensor;
use arbiter_registry::{Keypair, PublicKey};
use clap::Subcommand;

use super::{Output, print_json};

/// The devnet's default address.
pub const DEFAULT_CHAIN: &str = "http://127.0.0.1:9944";

/// Arguments of `arbiter chain`.
#[derive(Debug, clap::Args)]
pub struct ChainArgs {
    #[command(subcommand)]
    command: ChainCommand,
}

#[derive(Debug, Subcommand)]
enum ChainCommand {
    /// Run the devnet as an HTTP server.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:9944")]
        listen: SocketAddr,
        /// Directory of the devnet's state (created if new).
        #[arg(long)]
        data: PathBuf,
        /// Milliseconds per block.
        #[arg(long, default_value_t = 12_000)]
        block_time_ms: u64,
        /// Produce blocks only on `arbiter chain advance`.
        #[arg(long)]
        manual: bool,
        /// Hex seed of the genesis hash of a new devnet (random if absent).
        #[arg(long)]
        genesis_seed: Option<String>,
    },
    /// The head block and genesis hash.
    Status {
        #[command(flatten)]
        target: Target,
    },
    /// A subnet's metagraph.
    Metagraph {
        /// The subnet.
        #[arg(long)]
        netuid: u16,
        #[command(flatten)]
        target: Target,
    },
    /// Admin: create a subnet owned by a hotkey.
    CreateSubnet {
        /// The netuid.
        #[arg(long)]
        netuid: u16,
        /// The owner's hotkey (SS58 or 0x hex).
        #[arg(long)]
        owner: PublicKey,
        /// The owner's coldkey (default: the hotkey).
        #[arg(long)]
        owner_coldkey: Option<PublicKey>,
        /// Hyperparameters as JSON (fields not given keep their defaults).
        #[arg(long, value_name = "FILE")]
        hyperparameters: Option<PathBuf>,
        #[command(flatten)]
        target: Target,
    },
    /// Admin: replace a subnet's hyperparameters.
    SetHyperparameters {
        /// The netuid.
        #[arg(long)]
        netuid: u16,
        /// Hyperparameters as JSON (fields not given take their defaults).
        #[arg(long, value_name = "FILE")]
        hyperparameters: PathBuf,
        /// A new immunity period, in blocks.
        #[arg(long)]
        immunity_period: Option<u64>,
        #[command(flatten)]
        target: Target,
    },
    /// Register a hotkey (signed by it) on a subnet.
    Register {
        /// The subnet.
        #[arg(long)]
        netuid: u16,
        /// The hotkey's key file (Bittensor wallet format).
        #[arg(long)]
        key: PathBuf,
        /// The owning coldkey (default: the hotkey).
        #[arg(long)]
        coldkey: Option<PublicKey>,
        #[command(flatten)]
        target: Target,
    },
    /// Admin: add stake to a hotkey.
    Stake {
        /// The subnet.
        #[arg(long)]
        netuid: u16,
        /// The hotkey (SS58 or 0x hex).
        #[arg(long)]
        hotkey: PublicKey,
        /// Rao to add (1 TAO = 10^9 rao).
        #[arg(long)]
        rao: u64,
        #[command(flatten)]
        target: Target,
    },
    /// Admin: produce blocks now.
    Advance {
        /// How many.
        #[arg(long, default_value_t = 1)]
        blocks: u64,
        #[command(flatten)]
        target: Target,
    },
}

/// Which devnet, and how to print.
#[derive(Debug, clap::Args)]
struct Target {
    /// The chain: a devnet's `http://` URL, or for `status` and
    /// `metagraph` also a Subtensor node's `ws://`/`wss://` endpoint.
    #[arg(long, default_value = DEFAULT_CHAIN)]
    chain: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    output: Output,
}

impl Target {
    fn client(&self) -> anyhow::Result<DevnetClient> {
        Ok(DevnetClient::new(&self.chain)?)
    }
}

pub fn execute(args: ChainArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(run(args.command))?;
    Ok(ExitCode::SUCCESS)
}

async fn run(command: ChainCommand) -> anyhow::Result<()> {
    match command {
        ChainCommand::Serve {
            listen,
            data,
            block_time_ms,
            manual,
            genesis_seed,
        } => serve(listen, data, block_time_ms, manual, genesis_seed).await,
        ChainCommand::Status { target } => {
            // One connection for both answers.
            let (head, genesis) = if arbiter_host::chain::is_subtensor(&target.chain) {
                let node = Subtensor::connect(&target.chain).await?;
                (node.head().await?, node.node().genesis())
            } else {
                let devnet = target.client()?;
                (devnet.head().await?, devnet.genesis().await?)
            };
            let genesis = format!("0x{}", hex::encode(genesis));
            match target.output {
                Output::Json => {
                    print_json(&serde_json::json!({ "head": head, "genesis": genesis }))
                }
                Output::Text => {
                    println!("block    {} (0x{})", head.number, hex::encode(head.hash));
                    println!("genesis  {genesis}");
                    Ok(())
                }
            }
        }
        ChainCommand::Metagraph { netuid, target } => {
            let chain = arbiter_host::chain::connect(&target.chain).await?;
            let metagraph = chain.metagraph(netuid).await?;
            match target.output {
                Output::Json => print_json(&metagraph),
                Output::Text => {
                    print_metagraph(&metagraph);
                    Ok(())
                }
            }
        }
        ChainCommand::CreateSubnet {
            netuid,
            owner,
            owner_coldkey,
            hyperparameters,
            target,
        } => {
            let body = CreateSubnet {
                netuid,
                owner,
                owner_coldkey: owner_coldkey.unwrap_or(owner),
                hyperparameters: read_hyperparameters(hyperparameters.as_ref())?,
            };
            target.client()?.create_subnet(&body).await?;
            println!("created subnet {netuid}, owned by {owner}");
            Ok(())
        }
        ChainCommand::SetHyperparameters {
            netuid,
            hyperparameters,
            immunity_period,
            target,
        } => {
            let body = SetHyperparameters {
                hyperparameters: read_hyperparameters(Some(&hyperparameters))?,
                immunity_period,
            };
            target.client()?.set_hyperparameters(netuid, &body).await?;
            println!("subnet {netuid}: hyperparameters replaced");
            Ok(())
        }
        ChainCommand::Register {
            netuid,
            key,
            coldkey,
            target,
        } => {
            let key = Keypair::load(&key)?;
            let call = Call::Register {
                netuid,
                coldkey: coldkey.unwrap_or(key.public()),
            };
            let client = target.client()?;
            let receipt = client.submit(&key, &call).await?;
            let uid = client.metagraph(netuid).await?.uid_of(&key.public());
            println!(
                "registered {} on subnet {netuid} at block {} (uid {})",
                key.public(),
                receipt.block,
                uid.map_or("?".to_string(), |u| u.to_string())
            );
            Ok(())
        }
        ChainCommand::Stake {
            netuid,
            hotkey,
            rao,
            target,
        } => {
            let body = AddStake {
                netuid,
                hotkey,
                rao,
            };
            target.client()?.add_stake(&body).await?;
            println!("staked {rao} rao to {hotkey} on subnet {netuid}");
            Ok(())
        }
        ChainCommand::Advance { blocks, target } => {
            let head = target.client()?.advance(blocks).await?;
            match target.output {
                Output::Json => print_json(&head),
                Output::Text => {
                    println!("block {}", head.number);
                    Ok(())
                }
            }
        }
    }
}

fn read_hyperparameters(path: Option<&PathBuf>) -> anyhow::Result<Hyperparameters> {
    let Some(path) = path else {
        return Ok(Hyperparameters::default());
    };
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text)
        .with_context(|| format!("{} is not valid hyperparameters", path.display()))
}

async fn serve(
    listen: SocketAddr,
    data: PathBuf,
    block_time_ms: u64,
    manual: bool,
    genesis_seed: Option<String>,
) -> anyhow::Result<()> {
    let seed = genesis_seed
        .map(|text| -> anyhow::Result<[u8; 32]> {
            let mut seed = [0u8; 32];
            hex::decode_to_slice(text.trim_start_matches("0x"), &mut seed)
                .context("--genesis-seed must be 64 hex digits")?;
            Ok(seed)
        })
        .transpose()?;
    let genesis = Genesis {
        block_time_ms,
        seed,
        ..Genesis::default()
    };
    let devnet = Arc::new(
        Devnet::open(&data, &genesis)
            .with_context(|| format!("cannot open the devnet in {}", data.display()))?,
    );
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let blocks =
        (!manual).then(|| devnet.spawn_block_production(Duration::from_millis(block_time_ms)));
    tracing::info!(%listen, data = %data.display(), manual, "devnet serving");
    eprintln!("devnet listening on http://{}", listener.local_addr()?);
    let app = arbiter_host::chain::server::router(Arc::clone(&devnet));
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    if let Some(blocks) = blocks {
        blocks.abort();
    }
    Ok(())
}

/// Prints a metagraph as a table; u16 proportions as fractions of 1.
pub fn print_metagraph(metagraph: &Metagraph) {
    println!(
        "subnet {} at block {} (epoch {}, owner {})",
        metagraph.netuid, metagraph.block.number, metagraph.epoch_index, metagraph.owner
    );
    println!(
        "{:>4}  {:<48}  {:>14}  {:>4}  {:>9}  {:>9}  {:>9}  {:>9}  {:>14}",
        "uid",
        "hotkey",
        "stake (TAO)",
        "vp",
        "incentive",
        "dividends",
        "consensus",
        "v-trust",
        "emission (rao)"
    );
    let fraction = |x: u16| f64::from(x) / 65_535.0;
    for n in &metagraph.neurons {
        println!(
            "{:>4}  {:<48}  {:>14.3}  {:>4}  {:>9.4}  {:>9.4}  {:>9.4}  {:>9.4}  {:>14}",
            n.uid,
            n.hotkey.to_string(),
            n.stake as f64 / 1e9,
            if n.validator_permit { "yes" } else { "" },
            fraction(n.incentive),
            fraction(n.dividends),
            fraction(n.consensus),
            fraction(n.validator_trust),
            n.emission
        );
    }
}
