//! The resource limits every mechanism call runs under, in one place.
//!
//! A published mechanism's manifest may set its own fuel and memory limits;
//! everything else is the host's policy. Each default below is a named
//! constant with the reason for its value, so an operator who changes one
//! knows what they trade.

use serde::{Deserialize, Serialize};

/// Fuel per export call. Fuel counts WebAssembly operators (wasmtime 48's
/// cost table: about one unit per instruction), so running out happens at
/// the same instruction on every machine. Five billion is a few seconds of
/// compiled guest code, well above what `text-match` needs to score 1024
/// replies of 1 KiB, and it bounds a runaway loop.
pub const DEFAULT_FUEL_PER_CALL: u64 = 5_000_000_000;

/// Linear memory per instance. Python and JavaScript components start with
/// 20-40 MiB of heap; 256 MiB leaves them room while bounding what a hostile
/// component can make the host commit.
pub const DEFAULT_MEMORY_BYTES: u64 = 256 << 20;

/// Table elements per table. componentize-py and componentize-js components
/// have tables of a few tens of thousands of functions.
pub const DEFAULT_TABLE_ELEMENTS: u64 = 200_000;

/// Core instances, memories and tables per component instance. A Rust or C
/// component has a handful of each; Python ones about a dozen.
pub const DEFAULT_INSTANCES: u32 = 64;
/// See [`DEFAULT_INSTANCES`].
pub const DEFAULT_MEMORIES: u32 = 16;
/// See [`DEFAULT_INSTANCES`].
pub const DEFAULT_TABLES: u32 = 64;

/// The largest state, query batch or weight list a call may return. State is
/// persisted and hashed every step, so it should stay small; 16 MiB is room
/// for per-uid histories of a 4096-uid subnet.
pub const DEFAULT_OUTPUT_BYTES: u64 = 16 << 20;

/// Log and stdout/stderr bytes kept per call; the rest is counted, not kept.
pub const DEFAULT_LOG_BYTES: u64 = 64 << 10;

/// The wall-clock backstop per call. Fuel is the real limit; this only
/// catches what fuel cannot (a host bug, a pathological compile). It is not
/// reproducible, so hitting it is a host fault, never a score.
pub const DEFAULT_WALL_CLOCK_MS: u64 = 30_000;

/// The largest component accepted for loading: Python components are about
/// 18 MB, JavaScript ones about 12 MB.
pub const DEFAULT_COMPONENT_BYTES: u64 = 64 << 20;

/// Limits for one mechanism. Serialised in manifests and configs with every
/// field optional (missing fields take the defaults above).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Fuel per export call ([`DEFAULT_FUEL_PER_CALL`]).
    pub fuel_per_call: u64,
    /// Linear memory per instance, in bytes ([`DEFAULT_MEMORY_BYTES`]).
    pub memory_bytes: u64,
    /// Elements per table ([`DEFAULT_TABLE_ELEMENTS`]).
    pub table_elements: u64,
    /// Core instances per component instance ([`DEFAULT_INSTANCES`]).
    pub instances: u32,
    /// Linear memories per component instance ([`DEFAULT_MEMORIES`]).
    pub memories: u32,
    /// Tables per component instance ([`DEFAULT_TABLES`]).
    pub tables: u32,
    /// Bytes a call may return ([`DEFAULT_OUTPUT_BYTES`]).
    pub output_bytes: u64,
    /// Log bytes kept per call ([`DEFAULT_LOG_BYTES`]).
    pub log_bytes: u64,
    /// Wall-clock backstop per call, in milliseconds ([`DEFAULT_WALL_CLOCK_MS`]).
    pub wall_clock_ms: u64,
    /// Largest component accepted, in bytes ([`DEFAULT_COMPONENT_BYTES`]).
    pub component_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            fuel_per_call: DEFAULT_FUEL_PER_CALL,
            memory_bytes: DEFAULT_MEMORY_BYTES,
            table_elements: DEFAULT_TABLE_ELEMENTS,
            instances: DEFAULT_INSTANCES,
            memories: DEFAULT_MEMORIES,
            tables: DEFAULT_TABLES,
            output_bytes: DEFAULT_OUTPUT_BYTES,
            log_bytes: DEFAULT_LOG_BYTES,
            wall_clock_ms: DEFAULT_WALL_CLOCK_MS,
            component_bytes: DEFAULT_COMPONENT_BYTES,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_fields_take_defaults() -> serde_json::Result<()> {
        let limits: Limits = serde_json::from_str(r#"{"fuel_per_call": 7}"#)?;
        assert_eq!(limits.fuel_per_call, 7);
        assert_eq!(limits.memory_bytes, DEFAULT_MEMORY_BYTES);
        Ok(())
    }

    #[test]
    fn unknown_fields_are_refused() {
        assert!(serde_json::from_str::<Limits>(r#"{"fuel": 7}"#).is_err());
    }
}
