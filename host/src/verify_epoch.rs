//! An epoch checked end to end from the chain: `arbiter verify
//! epoch:<netuid>/<validator>/<epoch>`.
//!
//! A validator's commitment on chain names a mechanism and a transcript
//! root for an epoch. From that alone this finds the transcript by its root
//! (in a local directory, else in the registry),
//! checks it is the one committed (its root, validator, subnet and epoch),
//! checks the mechanism in the registry (manifest signature, hashes,
//! admission: [`crate::publishing::verify`]), and replays the transcript
//! against the chain ([`crate::replay`]: every state, the weights, and the
//! weights the chain holds). Each link that does not hold is named.
//!
//! The chain keeps only a validator's latest commitment and weights, so
//! the epoch a validator committed last is the one that can be checked this
//! way; an older one is refused with that reason.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use arbiter_registry::{ContentHash, PublicKey, Reference, Registry};
use serde::Serialize;

use crate::chain::{Chain, ChainError};
use crate::publishing::SandboxAdmission;
use crate::publishing::verify::{Options, Subject, Verification, verify};
use crate::replay::{ReplayError, Report, replay};
use crate::sandbox::Sandbox;
use crate::transcript::{parse_commitment, published};

/// Which epoch: `epoch:<netuid>/<validator hotkey>/<epoch>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EpochRef {
    /// The subnet.
    pub netuid: u16,
    /// The validator's hotkey.
    pub validator: PublicKey,
    /// The epoch.
    pub epoch: u64,
}

impl FromStr for EpochRef {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || format!("{text:?} is not epoch:<netuid>/<validator hotkey>/<epoch>");
        let rest = text.strip_prefix("epoch:").ok_or_else(bad)?;
        let mut parts = rest.split('/');
        let (Some(netuid), Some(validator), Some(epoch), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        Ok(Self {
            netuid: netuid.parse().map_err(|_| bad())?,
            validator: validator.parse().map_err(|_| bad())?,
            epoch: epoch.parse().map_err(|_| bad())?,
        })
    }
}

impl fmt::Display for EpochRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "epoch:{}/{}/{}", self.netuid, self.validator, self.epoch)
    }
}

/// What the chain's commitment says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Committed {
    /// The mechanism's BLAKE3.
    pub mechanism: ContentHash,
    /// The transcript root, hex.
    pub root: String,
    /// The epoch.
    pub epoch: u64,
}

/// Everything [`verify_epoch`] found.
#[derive(Debug, Clone, Serialize)]
pub struct EpochVerification {
    /// The epoch asked about.
    pub subject: String,
    /// The validator's commitment, if it has an Arbiter one.
    pub commitment: Option<Committed>,
    /// The links that do not hold, in the order they were checked.
    pub problems: Vec<String>,
    /// The check of the committed mechanism, if it was reached.
    pub mechanism: Option<Verification>,
    /// The replay of the committed transcript, if it was reached.
    pub replay: Option<Report>,
    /// Whether every link holds.
    pub verified: bool,
}

/// Where the evidence is.
pub struct Sources<'a> {
    /// The chain holding the commitment and the weights.
    pub chain: &'a dyn Chain,
    /// A directory of transcripts named by root (`<root>.arbt`), looked in
    /// before the registry.
    pub transcripts: Option<&'a Path>,
    /// The registry holding the mechanism (and perhaps the transcript).
    pub registry: &'a Registry,
    /// The host's admission checks.
    pub admission: &'a SandboxAdmission,
    /// The sandbox the replay runs in.
    pub sandbox: &'a Sandbox,
}

/// Why an epoch could not be checked at all (as opposed to a link that
/// does not hold, which is a problem in the result).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EpochError {
    /// The chain could not be asked.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// The registry could not be asked.
    #[error(transparent)]
    Registry(#[from] arbiter_registry::Error),
    /// The replay could not run.
    #[error(transparent)]
    Replay(#[from] ReplayError),
}

/// Checks `epoch` from its commitment on chain to its weights (see the
/// module documentation).
pub async fn verify_epoch(
    epoch: &EpochRef,
    sources: &Sources<'_>,
) -> Result<EpochVerification, EpochError> {
    let mut out = EpochVerification {
        subject: epoch.to_string(),
        commitment: None,
        problems: Vec::new(),
        mechanism: None,
        replay: None,
        verified: false,
    };
    let committed = sources
        .chain
        .commitment(epoch.netuid, &epoch.validator)
        .await?;
    let Some((mechanism, root, committed_epoch)) =
        committed.as_ref().and_then(|c| parse_commitment(&c.data))
    else {
        out.problems.push(format!(
            "{} has no Arbiter commitment on subnet {}",
            epoch.validator, epoch.netuid
        ));
        return Ok(out);
    };
    let mechanism = ContentHash::from_bytes(mechanism);
    out.commitment = Some(Committed {
        mechanism,
        root: hex::encode(root),
        epoch: committed_epoch,
    });
    if committed_epoch != epoch.epoch {
        out.problems.push(format!(
            "the validator's commitment is for epoch {committed_epoch}; the chain keeps only \
             the latest, so epoch {} cannot be checked against it",
            epoch.epoch
        ));
        return Ok(out);
    }

    let found = published::find(
        &ContentHash::from_bytes(root),
        sources.transcripts,
        Some(sources.registry),
    )
    .await;
    let transcript = match found {
        Ok(transcript) => transcript,
        Err(error) => {
            out.problems
                .push(format!("the committed transcript cannot be had: {error}"));
            return Ok(out);
        }
    };
    let header = transcript.decode().map_err(ReplayError::from)?.header;
    let names = (
        PublicKey(header.validator),
        header.netuid,
        header.epoch,
        ContentHash::from_bytes(header.mechanism),
    );
    if names != (epoch.validator, epoch.netuid, epoch.epoch, mechanism) {
        out.problems.push(format!(
            "the transcript is {}'s, subnet {}, epoch {}, mechanism {}: not what was committed",
            names.0, names.1, names.2, names.3
        ));
        return Ok(out);
    }

    let reference = Reference::Hash(mechanism);
    let checked = verify(
        sources.registry,
        &Subject::Reference(reference.clone()),
        sources.admission,
        &Options::default(),
    )
    .await?;
    let mechanism_holds = checked.verified;
    out.mechanism = Some(checked);
    if !mechanism_holds {
        out.problems.push(format!(
            "the committed mechanism {mechanism} does not verify"
        ));
        return Ok(out);
    }
    let manifest = sources.registry.resolve(&reference).await?;
    let component = sources
        .registry
        .fetch(&manifest.manifest().component)
        .await?;
    let report = replay(
        &transcript,
        &component,
        sources.sandbox,
        Some(sources.chain),
    )
    .await?;
    if !report.ok {
        out.problems.push(
            "the replay differs from the transcript or the chain (see the replay)".to_string(),
        );
    }
    out.replay = Some(report);
    out.verified = out.problems.is_empty();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_references_parse_and_print_back() -> Result<(), String> {
        let validator = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";
        let text = format!("epoch:1/{validator}/42");
        let parsed: EpochRef = text.parse()?;
        assert_eq!((parsed.netuid, parsed.epoch), (1, 42));
        assert_eq!(parsed.to_string(), text);
        for bad in [
            format!("1/{validator}/42"),
            format!("epoch:1/{validator}"),
            format!("epoch:1/{validator}/42/7"),
            format!("epoch:65536/{validator}/42"),
            "epoch:1/not-a-key/42".to_string(),
            format!("epoch:1/{validator}/-1"),
        ] {
            assert!(bad.parse::<EpochRef>().is_err(), "{bad}");
        }
        Ok(())
    }
}
