//! The sandbox's admission checks as the registry's [`Admission`]: a
//! component is admitted when [`Sandbox::load`] accepts it under its
//! manifest's limits (a component, not a module; the mechanism world's
//! exports with the contract's types; only allowed imports; under the size
//! and resource limits; `describe` answers). A transcript is filed under
//! the root the host's transcript format gives it.

use arbiter_registry::{Admission, Admitted, Limits as ManifestLimits};

use crate::sandbox::admission::WORLD;
use crate::sandbox::{Limits, Sandbox};
use crate::transcript::Transcript;

/// Admission by the host's sandbox.
#[derive(Clone)]
pub struct SandboxAdmission {
    sandbox: Sandbox,
}

impl SandboxAdmission {
    /// Admission by `sandbox`.
    pub fn new(sandbox: Sandbox) -> Self {
        Self { sandbox }
    }
}

impl Admission for SandboxAdmission {
    fn admit(&self, bytes: &[u8], limits: &ManifestLimits) -> Result<Admitted, String> {
        let loaded = self
            .sandbox
            .load(bytes, host_limits(limits))
            .map_err(|e| e.to_string())?;
        let info = loaded.info;
        Ok(Admitted {
            world: WORLD.to_string(),
            summary: format!(
                "{} {}: {} steps per epoch, {} ms query timeout",
                info.name, info.version, info.steps_per_epoch, info.query_timeout_ms
            ),
        })
    }

    /// A transcript is filed only if it decodes whole (header, steps in
    /// order, weights last), under the root its records chain to.
    fn transcript_root(&self, bytes: &[u8]) -> Result<[u8; 32], String> {
        let transcript = Transcript::from_file_bytes(bytes).map_err(|e| e.to_string())?;
        transcript.decode().map_err(|e| e.to_string())?;
        Ok(transcript.root())
    }
}

/// The host limits for a manifest's: its fuel and memory, the host's
/// policy for everything else.
pub fn host_limits(limits: &ManifestLimits) -> Limits {
    Limits {
        fuel_per_call: limits.fuel_per_call,
        memory_bytes: limits.memory_bytes,
        ..Limits::default()
    }
}

/// The manifest limits a publisher gets by default: the host's defaults.
pub fn default_limits() -> ManifestLimits {
    let limits = Limits::default();
    ManifestLimits {
        fuel_per_call: limits.fuel_per_call,
        memory_bytes: limits.memory_bytes,
    }
}
