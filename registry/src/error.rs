//! The registry's one error type: every way a publish, pull, list or
//! verify can fail, each with the facts a person needs to act on it.
//!
//! Each error has a stable [`Error::code`], which the HTTP server sends in
//! its JSON errors and the client reads back, so a remote registry fails in
//! the same words as a local one. [`Error::is_finding`] separates "the
//! registry looked and the input is wrong" (a corrupt blob, a bad
//! signature, a taken version) from "it could not look" (I/O, network, bad
//! arguments); the CLI maps them to exit codes 1 and 2.

use std::path::PathBuf;

use crate::{ContentHash, KeyError, PublicKey};

/// A registry result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a registry operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A mechanism name that breaks the naming rules.
    #[error("invalid name {name:?}: {reason}")]
    InvalidName {
        /// The name as given (at most 80 characters of it).
        name: String,
        /// Which rule it breaks.
        reason: &'static str,
    },
    /// A version that is not a plain semantic version.
    #[error("invalid version {version:?}: {reason}")]
    InvalidVersion {
        /// The version as given.
        version: String,
        /// Why it is refused.
        reason: String,
    },
    /// Neither `name@version` nor `blake3:<hex>`.
    #[error("not a reference: {text:?} (expected `name@version` or `blake3:<64 hex digits>`)")]
    InvalidReference {
        /// The text as given.
        text: String,
    },
    /// A manifest that does not follow the schema.
    #[error("invalid manifest: {reason}")]
    InvalidManifest {
        /// What is wrong with it.
        reason: String,
    },
    /// A manifest whose signature does not verify against its publisher.
    #[error(
        "the signature on the manifest of {release} does not verify against its publisher \
         {publisher}: the manifest was changed after signing, or signed by another key"
    )]
    BadSignature {
        /// `name@version`.
        release: String,
        /// The key the manifest names.
        publisher: PublicKey,
    },
    /// A manifest signed by a key other than the one the caller expects.
    #[error("{release} is signed by {publisher}, not by the expected {expected}")]
    UnexpectedSigner {
        /// `name@version`.
        release: String,
        /// Who signed it.
        publisher: PublicKey,
        /// Who the caller expected.
        expected: PublicKey,
    },
    /// Bytes that do not hash to the name they are stored or sent under.
    #[error("blob {hash} from {location} is corrupt: {detail}")]
    Corrupt {
        /// The hash the bytes should have.
        hash: ContentHash,
        /// Where they came from: a file of the store, or a URL.
        location: String,
        /// What was found instead.
        detail: String,
    },
    /// Nothing under that name or hash.
    #[error("{what} not found in {location}")]
    NotFound {
        /// What was looked for.
        what: String,
        /// Where.
        location: String,
    },
    /// `name@version` is already bound to other bytes.
    #[error(
        "{release} is already published as {existing}; a version binds to one component \
         forever, so publish {attempted} under a new version"
    )]
    Conflict {
        /// `name@version`.
        release: String,
        /// The hash it is bound to.
        existing: ContentHash,
        /// The hash of the refused bytes.
        attempted: ContentHash,
    },
    /// The name belongs to another publisher.
    #[error("{name} belongs to publisher {owner}; {publisher} cannot publish versions of it")]
    NameTaken {
        /// The mechanism name.
        name: String,
        /// The key that first published it.
        owner: PublicKey,
        /// The key that tried.
        publisher: PublicKey,
    },
    /// A component whose facts differ from what its manifest says.
    #[error(
        "the component does not match its manifest: its {field} is {actual}, the manifest says {expected}"
    )]
    Mismatch {
        /// Which fact.
        field: &'static str,
        /// What the manifest says.
        expected: String,
        /// What the component has.
        actual: String,
    },
    /// The host's admission checks refused the component.
    #[error("admission refused the component: {reason}")]
    Refused {
        /// The host's reason.
        reason: String,
    },
    /// More bytes than the registry accepts.
    #[error("the upload is {size} bytes or more, over the limit of {limit} bytes")]
    TooLarge {
        /// How many bytes had arrived when it was refused (at least).
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// Another process holds the store.
    #[error(
        "the store {} is in use by another process (an `arbiter registry serve`? then use \
         `--registry http://…`)", path.display()
    )]
    Busy {
        /// The store directory.
        path: PathBuf,
    },
    /// A file operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, naming the file.
        context: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The index database failed.
    #[error("the store index failed: {0}")]
    Index(String),
    /// The network or the HTTP exchange failed.
    #[error("cannot reach the registry at {url}: {message}")]
    Transport {
        /// The URL.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// A remote registry refused the request.
    #[error("{message} (registry {url}, HTTP {status})")]
    Remote {
        /// The registry URL.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The server's [`Error::code`].
        code: String,
        /// The server's message.
        message: String,
    },
    /// A key could not be used.
    #[error(transparent)]
    Key(#[from] KeyError),
}

/// Codes of the errors that are findings about the input, not failures to
/// look (see [`Error::is_finding`]).
const FINDINGS: &[&str] = &[
    "invalid_manifest",
    "bad_signature",
    "unexpected_signer",
    "corrupt",
    "not_found",
    "conflict",
    "name_taken",
    "mismatch",
    "refused",
    "too_large",
];

impl Error {
    /// A stable, machine-readable name for the kind of error (the `code`
    /// of the HTTP API's JSON errors).
    pub fn code(&self) -> &str {
        match self {
            Self::InvalidName { .. } => "invalid_name",
            Self::InvalidVersion { .. } => "invalid_version",
            Self::InvalidReference { .. } => "invalid_reference",
            Self::InvalidManifest { .. } => "invalid_manifest",
            Self::BadSignature { .. } => "bad_signature",
            Self::UnexpectedSigner { .. } => "unexpected_signer",
            Self::Corrupt { .. } => "corrupt",
            Self::NotFound { .. } => "not_found",
            Self::Conflict { .. } => "conflict",
            Self::NameTaken { .. } => "name_taken",
            Self::Mismatch { .. } => "mismatch",
            Self::Refused { .. } => "refused",
            Self::TooLarge { .. } => "too_large",
            Self::Busy { .. } => "busy",
            Self::Io { .. } => "io",
            Self::Index(_) => "index",
            Self::Transport { .. } => "transport",
            Self::Remote { code, .. } => code,
            Self::Key(_) => "key",
        }
    }

    /// Whether the registry looked and found the input wrong (a refused,
    /// corrupt, conflicting or missing component), as opposed to being
    /// unable to look (I/O, network, a malformed argument).
    pub fn is_finding(&self) -> bool {
        FINDINGS.contains(&self.code())
    }

    /// An I/O error with what was being done.
    pub(crate) fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let context = context.into();
        move |source| Self::Io { context, source }
    }
}

impl From<sled::Error> for Error {
    fn from(error: sled::Error) -> Self {
        Self::Index(error.to_string())
    }
}
