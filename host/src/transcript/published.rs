//! Transcripts in a registry: filed under their root (which the registry
//! reads from the bytes with the host's checks, so nothing can be filed
//! under another transcript's root) and found again by it, here or in a
//! local directory of `<root hex>.arbt` files. Whatever is found is checked
//! to chain to the root asked for.

use std::path::Path;

use arbiter_registry::{Admission, ContentHash, FiledTranscript, Registry};

use super::{Transcript, TranscriptError};

/// Files `transcript` in `registry` (a local store reads its root with
/// `admission`, a server with its own).
pub async fn publish(
    transcript: &Transcript,
    registry: &Registry,
    admission: &dyn Admission,
) -> Result<FiledTranscript, TranscriptError> {
    registry
        .put_transcript(transcript.to_file_bytes()?, admission)
        .await
        .map_err(|e| TranscriptError::Io(format!("cannot publish the transcript: {e}")))
}

/// The transcript with `root`: from `dir` if it holds `<root hex>.arbt`,
/// else from `registry`.
pub async fn find(
    root: &ContentHash,
    dir: Option<&Path>,
    registry: Option<&Registry>,
) -> Result<Transcript, TranscriptError> {
    let file = dir.map(|dir| dir.join(format!("{}.arbt", root.to_hex())));
    let transcript = match (file, registry) {
        (Some(file), _) if file.exists() => Transcript::load(&file)?,
        (_, Some(registry)) => {
            let bytes = registry.transcript(root).await.map_err(|e| {
                TranscriptError::Io(format!("transcript {root} is not in the registry: {e}"))
            })?;
            Transcript::from_file_bytes(&bytes)?
        }
        (Some(file), None) => {
            return Err(TranscriptError::Io(format!(
                "{} does not exist",
                file.display()
            )));
        }
        (None, None) => {
            return Err(TranscriptError::Io(format!(
                "transcript {root}: give a directory or a registry to look in"
            )));
        }
    };
    let actual = ContentHash::from_bytes(transcript.root());
    if actual != *root {
        return Err(TranscriptError::NotATranscript(format!(
            "what was found for {root} is transcript {actual}"
        )));
    }
    Ok(transcript)
}
