//! The one place wasmtime's `Config` is narrowed to Arbiter's deterministic
//! profile, and the epoch ticker that backs the wall-clock backstop.
//!
//! Everything here affects whether two machines compute the same bytes:
//! NaN canonicalisation makes float results bit-identical across CPUs,
//! threads and relaxed SIMD are off (their results may differ between
//! machines), and fuel metering makes "ran too long" a reproducible verdict.
//! The engine's settings are also part of the compiled-cache key, through
//! wasmtime's precompile compatibility hash.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// The wasmtime release the engine is built on (pinned with `=` in the
/// workspace manifest). Fuel counts are only comparable within one release
/// (operator costs changed in 43, 46 and 48), so results that carry fuel
/// carry this too.
pub const WASMTIME_VERSION: &str = "48.0.8";

/// The native stack a guest may use. Stack overflow depends on native frame
/// sizes, so it is never a verdict (see [`super::outcome`]), but a fixed
/// figure keeps behaviour the same between hosts of one version.
pub const MAX_WASM_STACK: usize = 1 << 20;

/// The largest linear memory any mechanism may ask for in its limits; the
/// pooling allocator reserves slots of this size.
pub const MAX_MEMORY_BYTES: u64 = 1 << 30;

/// How often the epoch ticker advances the engine's epoch.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Linear memory kept mapped when a pooled instance is freed, and reset
/// with `memset` rather than `madvise`: a call's fresh instance then finds
/// its pages already faulted in. Together with the kernel's dirty-page scan
/// (used when available) this halves the fixed cost of a call.
const KEEP_RESIDENT_BYTES: usize = 2 << 20;

/// Instance slots the pooling allocator keeps ready. Calls on one machine
/// run a few at a time, so a small pool suffices; it only reserves virtual
/// address space.
const POOL_COMPONENT_INSTANCES: u32 = 64;

/// Which instance allocator the engine uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Allocation {
    /// Pre-reserved instance slots: instantiation in a few microseconds.
    #[default]
    Pooling,
    /// Allocate each instance on demand (fewer reserved resources).
    OnDemand,
}

/// Builds the deterministic engine. (Threads are off because wasmtime is
/// built without its `threads` feature: shared memory would make results
/// depend on scheduling.)
pub fn build_engine(allocation: Allocation) -> wasmtime::Result<Engine> {
    let mut config = Config::new();
    config
        .wasm_component_model(true)
        .wasm_relaxed_simd(false)
        .relaxed_simd_deterministic(true)
        .cranelift_nan_canonicalization(true)
        .consume_fuel(true)
        .epoch_interruption(true)
        .max_wasm_stack(MAX_WASM_STACK)
        .parallel_compilation(true);
    if allocation == Allocation::Pooling {
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pooling_config()));
    }
    Engine::new(&config)
}

/// Pool sizes generous enough for the large Python and JavaScript
/// components; per-mechanism limits are enforced by the store's limiter.
fn pooling_config() -> PoolingAllocationConfig {
    let mut pool = PoolingAllocationConfig::new();
    let per_component = super::limits::DEFAULT_INSTANCES;
    pool.total_component_instances(POOL_COMPONENT_INSTANCES)
        .total_core_instances(POOL_COMPONENT_INSTANCES * per_component)
        .total_memories(POOL_COMPONENT_INSTANCES * 4)
        .total_tables(POOL_COMPONENT_INSTANCES * 8)
        .max_core_instances_per_component(per_component)
        .max_memories_per_component(super::limits::DEFAULT_MEMORIES)
        .max_tables_per_component(super::limits::DEFAULT_TABLES)
        .max_memories_per_module(1)
        .max_tables_per_module(4)
        .table_elements(super::limits::DEFAULT_TABLE_ELEMENTS as usize)
        .max_memory_size(MAX_MEMORY_BYTES as usize)
        .max_component_instance_size(1 << 20)
        .max_core_instance_size(1 << 20)
        .linear_memory_keep_resident(KEEP_RESIDENT_BYTES)
        .table_keep_resident(KEEP_RESIDENT_BYTES)
        .pagemap_scan(wasmtime::Enabled::Auto);
    pool
}

/// Advances an engine's epoch every [`EPOCH_TICK`] on a background thread,
/// until dropped.
pub struct EpochTicker {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl EpochTicker {
    /// Starts ticking `engine`.
    pub fn start(engine: &Engine) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let engine = engine.clone();
            let stop = Arc::clone(&stop);
            std::thread::Builder::new()
                .name("arbiter-epoch-ticker".into())
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(EPOCH_TICK);
                        engine.increment_epoch();
                    }
                })
                .ok()
        };
        Self { stop, thread }
    }

    /// The number of ticks that covers `millis` milliseconds (at least one).
    pub fn ticks_for(millis: u64) -> u64 {
        (millis / EPOCH_TICK.as_millis() as u64).max(1)
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A stable hex digest of everything that decides whether an artifact
/// compiled by this engine can be loaded by another: the wasmtime version,
/// the target, and the settings above.
pub fn compatibility_digest(engine: &Engine) -> String {
    use std::hash::{Hash, Hasher};

    /// Feeds `Hash` output into BLAKE3, which unlike `DefaultHasher` is the
    /// same in every build.
    struct Blake3Hasher(blake3::Hasher);
    impl Hasher for Blake3Hasher {
        fn finish(&self) -> u64 {
            let bytes = self.0.finalize();
            let mut first = [0u8; 8];
            first.copy_from_slice(&bytes.as_bytes()[..8]);
            u64::from_le_bytes(first)
        }
        fn write(&mut self, bytes: &[u8]) {
            self.0.update(bytes);
        }
    }

    let mut hasher = Blake3Hasher(blake3::Hasher::new());
    engine.precompile_compatibility_hash().hash(&mut hasher);
    hasher.0.finalize().to_hex()[..16].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compatibility_digest_is_stable_for_one_configuration() -> wasmtime::Result<()> {
        let a = build_engine(Allocation::OnDemand)?;
        let b = build_engine(Allocation::OnDemand)?;
        assert_eq!(compatibility_digest(&a), compatibility_digest(&b));
        Ok(())
    }

    #[test]
    fn ticks_round_down_but_never_to_zero() {
        assert_eq!(EpochTicker::ticks_for(0), 1);
        assert_eq!(EpochTicker::ticks_for(30_000), 3_000);
    }
}
