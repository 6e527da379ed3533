//! The deterministic sandbox: loads incentive mechanisms and runs their
//! calls so that the same inputs give the same bytes on every machine.
//!
//! A [`Sandbox`] owns one wasmtime engine with the deterministic profile
//! ([`engine`]), the linker that offers a mechanism nothing but the `log`
//! import and a virtual WASI ([`wasi`]), the compiled-component cache
//! ([`cache`]) and the epoch ticker behind the wall-clock backstop.
//! [`Sandbox::load`] admits a component ([`admission`]) and returns a
//! [`Mechanism`] whose calls each end in a typed outcome ([`outcome`]).
//! [`Sandbox::load_solver`] does the same for a reference miner's
//! [`Solver`].

pub mod admission;
pub mod bindings;
pub mod cache;
pub mod engine;
pub mod limits;
pub mod log;
mod mechanism;
pub mod outcome;
mod solver;
pub mod solver_bindings;
mod store;
pub mod wasi;
pub mod wire;

use std::path::Path;
use std::sync::Arc;

use arbiter_registry::ContentHash;
use wasmtime::Engine;
use wasmtime::component::{Component, Linker};

pub use admission::AdmissionError;
pub use cache::CacheUse;
pub use engine::Allocation;
pub use limits::Limits;
pub use mechanism::{Call, Mechanism};
pub use outcome::{Failure, HostFault};
pub use solver::{Answer, Solver};

use bindings::SubnetPre;
use store::StoreData;

/// Engine, linker and ticker, shared by a sandbox and its mechanisms.
struct Shared {
    engine: Engine,
    linker: Linker<StoreData>,
    _ticker: engine::EpochTicker,
}

/// How to build a [`Sandbox`].
#[derive(Debug, Clone, Default)]
pub struct SandboxOptions {
    /// Where compiled components are cached (`None`: no cache).
    pub cache_dir: Option<std::path::PathBuf>,
    /// The instance allocator.
    pub allocation: Allocation,
}

/// Failure to set up the sandbox itself (not a mechanism's fault).
#[derive(Debug, thiserror::Error)]
#[error("cannot set up the WebAssembly sandbox: {0}")]
pub struct SetupError(String);

/// A mechanism, with its self-description and how it was obtained.
pub struct Loaded {
    /// The mechanism.
    pub mechanism: Mechanism,
    /// What its `describe` export returned.
    pub info: bindings::Info,
    /// Whether it came from the compiled cache.
    pub cache: CacheUse,
}

/// Loads and runs mechanisms. Cheap to clone.
#[derive(Clone)]
pub struct Sandbox {
    shared: Arc<Shared>,
    cache: cache::CompiledCache,
}

impl Sandbox {
    /// A sandbox with `options`.
    pub fn new(options: &SandboxOptions) -> Result<Self, SetupError> {
        let setup = |e: wasmtime::Error| SetupError(format!("{e:#}"));
        let engine = engine::build_engine(options.allocation).map_err(setup)?;
        let mut linker = Linker::<StoreData>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(setup)?;
        bindings::arbiter::mechanism::log::add_to_linker::<_, LogData>(&mut linker, |data| {
            &mut data.log
        })
        .map_err(setup)?;
        let cache = cache::CompiledCache::new(options.cache_dir.as_deref(), &engine);
        let ticker = engine::EpochTicker::start(&engine);
        Ok(Self {
            shared: Arc::new(Shared {
                engine,
                linker,
                _ticker: ticker,
            }),
            cache,
        })
    }

    /// The compiled-cache directory in use, if any.
    pub fn cache_dir(&self) -> Option<&Path> {
        self.cache.dir()
    }

    /// Admits the component `bytes` under `limits` and makes it ready to
    /// call. The last admission check is a call of `describe`: it proves
    /// the component instantiates under its limits, and the host needs its
    /// answer anyway.
    pub fn load(&self, bytes: &[u8], limits: Limits) -> Result<Loaded, AdmissionError> {
        admission::check_bytes(bytes, &limits)?;
        let hash = ContentHash::of(bytes);
        let (component, cache) = self.compile(&hash, bytes)?;
        admission::check_component(&self.shared.engine, &component, &limits)?;
        let pre = self
            .shared
            .linker
            .instantiate_pre(&component)
            .and_then(SubnetPre::new)
            .map_err(|e| AdmissionError::WorldMismatch {
                detail: format!("{e:#}"),
            })?;
        let mechanism = Mechanism::new(Arc::clone(&self.shared), pre, hash, limits);
        let info = mechanism
            .describe()
            .result
            .map_err(AdmissionError::DescribeFailed)?;
        Ok(Loaded {
            mechanism,
            info,
            cache,
        })
    }

    /// The imports and exports of a component (for `arbiter inspect`);
    /// `Err` when it cannot even be compiled.
    pub fn interface(&self, bytes: &[u8]) -> Result<Interface, AdmissionError> {
        admission::check_bytes(bytes, &Limits::default())?;
        let (component, _) = self.compile(&ContentHash::of(bytes), bytes)?;
        let engine = &self.shared.engine;
        let ty = component.component_type();
        Ok(Interface {
            imports: ty.imports(engine).map(|(n, _)| n.to_string()).collect(),
            exports: ty.exports(engine).map(|(n, _)| n.to_string()).collect(),
        })
    }

    fn compile(
        &self,
        hash: &ContentHash,
        bytes: &[u8],
    ) -> Result<(Component, CacheUse), AdmissionError> {
        self.cache
            .load_or_compile(&self.shared.engine, hash, bytes)
            .map_err(|e| AdmissionError::Invalid {
                detail: format!("{e:#}"),
            })
    }
}

/// A component's imports and exports, by name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Interface {
    /// Import names.
    pub imports: Vec<String>,
    /// Export names.
    pub exports: Vec<String>,
}

/// Selects the `log` sink out of the store data for the generated linker
/// glue.
struct LogData;

impl wasmtime::component::HasData for LogData {
    type Data<'a> = &'a mut log::LogSink;
}
