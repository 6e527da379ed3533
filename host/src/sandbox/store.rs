//! The per-call store data: the virtual WASI context, the log, and the
//! resource limiter that enforces [`Limits`] and remembers which limit a
//! guest ran into (so the outcome can say so).

use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::limits::Limits;
use super::log::LogSink;

/// Which limit a guest hit, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitHit {
    /// Linear memory growth beyond `memory_bytes`.
    Memory,
    /// Table growth beyond `table_elements`.
    Table,
}

/// Enforces [`Limits`] on one store.
pub struct Limiter {
    limits: Limits,
    hit: Option<LimitHit>,
}

impl Limiter {
    fn deny(&mut self, hit: LimitHit) -> wasmtime::Result<bool> {
        self.hit.get_or_insert(hit);
        Ok(false)
    }

    /// The first limit the guest ran into during this call.
    pub fn hit(&self) -> Option<LimitHit> {
        self.hit
    }
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired as u64 > self.limits.memory_bytes {
            return self.deny(LimitHit::Memory);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired as u64 > self.limits.table_elements {
            return self.deny(LimitHit::Table);
        }
        Ok(true)
    }

    fn instances(&self) -> usize {
        self.limits.instances as usize
    }

    fn memories(&self) -> usize {
        self.limits.memories as usize
    }

    fn tables(&self) -> usize {
        self.limits.tables as usize
    }
}

/// Everything a store holds for one call.
pub struct StoreData {
    wasi: WasiCtx,
    table: ResourceTable,
    /// The call's log, shared with the WASI stdio streams.
    pub log: LogSink,
    /// The call's resource limiter.
    pub limiter: Limiter,
}

impl StoreData {
    /// Store data for one call under `limits`.
    pub fn new(limits: Limits, wasi: WasiCtx, log: LogSink) -> Self {
        Self {
            wasi,
            table: ResourceTable::new(),
            log,
            limiter: Limiter { limits, hit: None },
        }
    }
}

impl WasiView for StoreData {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}
