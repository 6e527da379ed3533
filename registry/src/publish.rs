//! The publishing sequence: store the bytes, sign the manifest, record
//! the release.
//!
//! The blob goes first, so the digests the publisher signs are the ones the
//! registry computed and the publisher's own read agreed with; the release
//! last, so a crash in between leaves only an unreleased blob.
//!
//! For the crash tests there is one fault-injection point: with
//! `ARBITER_REGISTRY_FAULT=abort-after-blob` in the environment, the process
//! aborts right after the blob is durable and before the release is
//! recorded, as a power cut would stop it.

use std::path::Path;

use crate::admission::Admission;
use crate::error::Result;
use crate::manifest::Draft;
use crate::{Keypair, Registry, Released, SignedManifest};

/// The environment variable of the fault-injection point.
pub const FAULT_ENV: &str = "ARBITER_REGISTRY_FAULT";

/// Publishes the component file at `component` to `registry` as `draft`
/// says, signed by `key`. A local store checks it with `admission`; a
/// server with its own.
pub async fn publish(
    registry: &Registry,
    component: &Path,
    draft: Draft,
    key: &Keypair,
    admission: &dyn Admission,
) -> Result<Released> {
    let digests = registry.upload(component).await?;
    tracing::info!(hash = %digests.blake3, size = digests.size, "blob stored");
    fault_point("abort-after-blob");
    let signed = SignedManifest::sign(draft.complete(digests, key.public()), key)?;
    registry.release(signed, admission).await
}

/// Aborts the process if the fault-injection variable names `point`.
fn fault_point(point: &str) {
    if std::env::var(FAULT_ENV).is_ok_and(|v| v == point) {
        tracing::warn!(point, "fault injected: aborting");
        std::process::abort();
    }
}
