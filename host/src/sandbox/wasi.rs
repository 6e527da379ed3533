//! The virtual WASI a mechanism sees: everything a language toolchain may
//! ask for, answered deterministically.
//!
//! Rust std, Python and JavaScript guests import WASI even when they do no
//! I/O (the allocator's hash seeds, stdio for panics, the clock for `time`).
//! Rather than refusing them, every call gets a fresh context with no
//! preopened directories, no network, an empty environment and argument
//! list, clocks stopped at the block time, random bytes from a BLAKE3 stream
//! keyed by the context seed, and stdout/stderr captured into the call's log
//! with a cap. The same inputs therefore read the same "environment" on every
//! machine.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError};
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxBuilder};

use super::log::LogSink;

/// Builds the WASI context of one call.
pub fn virtual_wasi(seed: &[u8; 32], block_time_ms: u64, log: &LogSink) -> WasiCtx {
    let mut builder = WasiCtxBuilder::new();
    builder
        .stdout(CapturedOutput(log.clone(), Stream::Stdout))
        .stderr(CapturedOutput(log.clone(), Stream::Stderr))
        .wall_clock(FixedWallClock(Duration::from_millis(block_time_ms)))
        .monotonic_clock(FrozenMonotonicClock)
        .secure_random(SeededRandom::new(seed, b"wasi:random/random"))
        .insecure_random(SeededRandom::new(seed, b"wasi:random/insecure"))
        .insecure_random_seed(insecure_seed(seed))
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false);
    builder.build()
}

/// The value of `wasi:random/insecure-seed`: the first 16 bytes of a
/// labelled hash of the seed.
fn insecure_seed(seed: &[u8; 32]) -> u128 {
    let mut bytes = [0u8; 16];
    SeededRandom::new(seed, b"wasi:random/insecure-seed").fill(&mut bytes);
    u128::from_le_bytes(bytes)
}

/// The wall clock, stopped at the block's timestamp.
struct FixedWallClock(Duration);

impl HostWallClock for FixedWallClock {
    fn resolution(&self) -> Duration {
        Duration::from_millis(1)
    }
    fn now(&self) -> Duration {
        self.0
    }
}

/// The monotonic clock, stopped at zero: elapsed time is always nothing.
struct FrozenMonotonicClock;

impl HostMonotonicClock for FrozenMonotonicClock {
    fn resolution(&self) -> u64 {
        1
    }
    fn now(&self) -> u64 {
        0
    }
}

/// A random stream: BLAKE3 in keyed-derivation mode over the context seed,
/// read as an extendable output. The label separates the streams of the
/// different WASI interfaces.
pub struct SeededRandom(blake3::OutputReader);

impl SeededRandom {
    /// A stream for `label`, keyed by `seed`.
    pub fn new(seed: &[u8; 32], label: &[u8]) -> Self {
        let mut hasher = blake3::Hasher::new_keyed(seed);
        hasher.update(b"arbiter/wasi-random/v1\0");
        hasher.update(label);
        Self(hasher.finalize_xof())
    }

    fn fill(&mut self, out: &mut [u8]) {
        self.0.fill(out);
    }
}

impl rand::TryRng for SeededRandom {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut bytes = [0u8; 4];
        self.fill(&mut bytes);
        Ok(u32::from_le_bytes(bytes))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut bytes = [0u8; 8];
        self.fill(&mut bytes);
        Ok(u64::from_le_bytes(bytes))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        self.fill(dst);
        Ok(())
    }
}

/// Which standard stream a write came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// The guest's stdout.
    Stdout,
    /// The guest's stderr.
    Stderr,
}

/// A guest stdout/stderr that appends to the call's log. Writes always
/// succeed (a guest that prints too much must not fail differently from one
/// that prints less); bytes past the cap are counted and dropped.
#[derive(Clone)]
struct CapturedOutput(LogSink, Stream);

impl IsTerminal for CapturedOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for CapturedOutput {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(AsyncCapture(Arc::new(Mutex::new(self.clone()))))
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for CapturedOutput {
    async fn ready(&mut self) {}
}

impl OutputStream for CapturedOutput {
    fn write(&mut self, bytes: Bytes) -> Result<(), StreamError> {
        self.0.stream(self.1, &bytes);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), StreamError> {
        Ok(())
    }

    fn check_write(&mut self) -> Result<usize, StreamError> {
        Ok(usize::MAX)
    }
}

/// The same capture for WASI 0.3's async streams (not linked today, but the
/// trait requires it).
struct AsyncCapture(Arc<Mutex<CapturedOutput>>);

impl tokio::io::AsyncWrite for AsyncCapture {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        if let Ok(out) = self.0.lock() {
            out.0.stream(out.1, buf);
        }
        std::task::Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::TryRng;

    #[test]
    fn random_streams_depend_only_on_seed_and_label() {
        let seed = [7u8; 32];
        let draw = |label: &[u8]| {
            let mut rng = SeededRandom::new(&seed, label);
            [rng.try_next_u64(), rng.try_next_u64()]
        };
        assert_eq!(draw(b"a"), draw(b"a"));
        assert_ne!(draw(b"a"), draw(b"b"));
    }

    #[test]
    fn random_stream_is_pinned() {
        // A change here changes what every WASI-reading guest computes:
        // it needs a new seed-derivation version, not a new expected value.
        let mut rng = SeededRandom::new(&[0u8; 32], b"wasi:random/random");
        let mut bytes = [0u8; 8];
        rng.fill(&mut bytes);
        assert_eq!(hex::encode(bytes), PINNED_FIRST_BYTES);
    }

    const PINNED_FIRST_BYTES: &str = "ba4d45e43f546632";
}
