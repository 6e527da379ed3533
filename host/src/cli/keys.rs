//! `arbiter keys new|show`: sr25519 keys in the Bittensor wallet format,
//! and the key options the publishing commands share.
//!
//! A key is a file (`--out`/`--key <file>`) or a hotkey of a Bittensor
//! wallet (`--wallet <name> --hotkey <name>`, in `--wallets-dir`, by
//! default `~/.bittensor/wallets`): JSON with `secretSeed` (or
//! `secretPhrase`), as the Bittensor SDK writes it. `new` never overwrites
//! a file and makes it readable by its owner only.
//!
//! JSON output (`--output json`): `{"ss58": "<address>", "public_key":
//! "0x<hex>", "file": "<path>"}`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use arbiter_registry::Keypair;
use arbiter_registry::keys::hotkey_file;
use serde::Serialize;

use super::{Output, print_json};

/// Arguments of `arbiter keys`.
#[derive(Debug, clap::Args)]
pub struct KeysArgs {
    #[command(subcommand)]
    command: KeysCommand,
}

#[derive(Debug, clap::Subcommand)]
enum KeysCommand {
    /// Make a new random key and write it to a file or a wallet hotkey.
    New(NewArgs),
    /// Show a key's SS58 address and public key.
    Show(ShowArgs),
}

#[derive(Debug, clap::Args)]
struct NewArgs {
    /// Write the key to this file.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["wallet", "hotkey"])]
    out: Option<PathBuf>,
    #[command(flatten)]
    wallet: WalletArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    output: Output,
}

#[derive(Debug, clap::Args)]
struct ShowArgs {
    /// The key file.
    #[arg(conflicts_with_all = ["wallet", "hotkey"])]
    file: Option<PathBuf>,
    #[command(flatten)]
    wallet: WalletArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    output: Output,
}

/// A hotkey of a Bittensor wallet.
#[derive(Debug, Clone, clap::Args)]
pub struct WalletArgs {
    /// The wallet name.
    #[arg(long, requires = "hotkey")]
    wallet: Option<String>,
    /// The hotkey name.
    #[arg(long, requires = "wallet")]
    hotkey: Option<String>,
    /// The wallets directory (default: `~/.bittensor/wallets`).
    #[arg(long, value_name = "DIR")]
    wallets_dir: Option<PathBuf>,
}

impl WalletArgs {
    /// The key file `file`, or else the wallet hotkey's; an error naming
    /// both options when neither is given.
    pub fn key_path(&self, file: Option<&PathBuf>, option: &str) -> anyhow::Result<PathBuf> {
        if let Some(file) = file {
            return Ok(file.clone());
        }
        let (Some(wallet), Some(hotkey)) = (&self.wallet, &self.hotkey) else {
            bail!("say which key: {option} or --wallet <name> --hotkey <name>");
        };
        let dir = match &self.wallets_dir {
            Some(dir) => dir.clone(),
            None => directories::BaseDirs::new()
                .context("no home directory; pass --wallets-dir")?
                .home_dir()
                .join(".bittensor/wallets"),
        };
        Ok(hotkey_file(&dir, wallet, hotkey)?)
    }
}

/// A key to sign with: `--key <file>` or a wallet hotkey.
#[derive(Debug, Clone, clap::Args)]
pub struct KeyArgs {
    /// The signing key file (Bittensor wallet format).
    #[arg(long = "key", value_name = "FILE", conflicts_with_all = ["wallet", "hotkey"])]
    file: Option<PathBuf>,
    #[command(flatten)]
    wallet: WalletArgs,
}

impl KeyArgs {
    /// Loads the key.
    pub fn load(&self) -> anyhow::Result<Keypair> {
        let path = self.wallet.key_path(self.file.as_ref(), "--key <file>")?;
        Ok(Keypair::load(&path)?)
    }
}

#[derive(Debug, Serialize)]
struct Shown {
    ss58: String,
    public_key: String,
    file: PathBuf,
}

pub fn execute(args: KeysArgs) -> anyhow::Result<ExitCode> {
    let (key, file, output, verb) = match args.command {
        KeysCommand::New(args) => {
            let file = args.wallet.key_path(args.out.as_ref(), "--out <file>")?;
            let key = Keypair::generate()?;
            key.save(&file)?;
            (key, file, args.output, "new key")
        }
        KeysCommand::Show(args) => {
            let file = args.wallet.key_path(args.file.as_ref(), "<file>")?;
            (Keypair::load(&file)?, file, args.output, "key")
        }
    };
    let shown = Shown {
        ss58: key.public().ss58(),
        public_key: key.public().to_hex(),
        file,
    };
    match output {
        Output::Json => print_json(&shown)?,
        Output::Text => {
            println!("{verb:<8} {}", shown.file.display());
            println!("ss58     {}", shown.ss58);
            println!("public   {}", shown.public_key);
        }
    }
    Ok(ExitCode::SUCCESS)
}
