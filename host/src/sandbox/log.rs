//! What a mechanism says during a call: `log` messages and anything written
//! to stdout or stderr (a Rust panic message lands there), in order, capped.
//!
//! Nothing here is ever returned to the guest, so logging cannot change a
//! result; the cap keeps a chatty or hostile component from filling the
//! host's memory or the transcript.

use std::sync::{Arc, Mutex, PoisonError};

use serde::{Deserialize, Serialize};

use super::bindings::{LogHost, LogLevel};
use super::wasi::Stream;

/// Where a log record came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogSource {
    /// A `log` call at debug level.
    Debug,
    /// A `log` call at info level.
    Info,
    /// A `log` call at warn level.
    Warn,
    /// A `log` call at error level.
    Error,
    /// Bytes written to stdout.
    Stdout,
    /// Bytes written to stderr.
    Stderr,
}

/// One log record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogRecord {
    /// Where it came from.
    pub source: LogSource,
    /// The text (invalid UTF-8 from streams is replaced, not dropped).
    pub text: String,
}

/// A call's log, once the call is over.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallLog {
    /// The records kept, in order.
    pub records: Vec<LogRecord>,
    /// Bytes dropped because the cap was reached.
    pub dropped_bytes: u64,
}

/// The shared, capped buffer a call's log goes into. Cloned into the WASI
/// stdout/stderr streams and the `log` import of the same store.
#[derive(Clone)]
pub struct LogSink(Arc<Mutex<Buffer>>);

struct Buffer {
    cap: u64,
    kept: u64,
    dropped: u64,
    records: Vec<(LogSource, Vec<u8>)>,
}

impl LogSink {
    /// An empty log keeping at most `cap` bytes.
    pub fn new(cap: u64) -> Self {
        Self(Arc::new(Mutex::new(Buffer {
            cap,
            kept: 0,
            dropped: 0,
            records: Vec::new(),
        })))
    }

    /// Appends stream output, joining it to the previous record when that
    /// came from the same stream (a line is often written in pieces).
    pub fn stream(&self, stream: Stream, bytes: &[u8]) {
        let source = match stream {
            Stream::Stdout => LogSource::Stdout,
            Stream::Stderr => LogSource::Stderr,
        };
        self.append(source, bytes, true);
    }

    /// Appends one message as its own record.
    pub fn message(&self, source: LogSource, text: &str) {
        self.append(source, text.as_bytes(), false);
    }

    fn append(&self, source: LogSource, bytes: &[u8], join: bool) {
        let mut buffer = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let room = buffer.cap.saturating_sub(buffer.kept);
        let keep = (bytes.len() as u64).min(room) as usize;
        buffer.kept += keep as u64;
        buffer.dropped += (bytes.len() - keep) as u64;
        if keep == 0 {
            return;
        }
        match buffer.records.last_mut() {
            Some((last, text)) if join && *last == source => text.extend_from_slice(&bytes[..keep]),
            _ => buffer.records.push((source, bytes[..keep].to_vec())),
        }
    }

    /// The log so far.
    pub fn snapshot(&self) -> CallLog {
        let buffer = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        CallLog {
            records: buffer
                .records
                .iter()
                .map(|(source, bytes)| LogRecord {
                    source: *source,
                    text: String::from_utf8_lossy(bytes).into_owned(),
                })
                .collect(),
            dropped_bytes: buffer.dropped,
        }
    }
}

impl LogHost for LogSink {
    fn log(&mut self, level: LogLevel, message: String) {
        let source = match level {
            LogLevel::Debug => LogSource::Debug,
            LogLevel::Info => LogSource::Info,
            LogLevel::Warn => LogSource::Warn,
            LogLevel::Error => LogSource::Error,
        };
        self.message(source, &message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_pieces_join_and_messages_stay_apart() {
        let log = LogSink::new(1024);
        log.stream(Stream::Stderr, b"panicked at ");
        log.stream(Stream::Stderr, b"src/lib.rs\n");
        log.message(LogSource::Info, "one");
        log.message(LogSource::Info, "two");
        let records = log.snapshot().records;
        assert_eq!(records.len(), 3);
        assert_eq!(records[0].text, "panicked at src/lib.rs\n");
    }

    #[test]
    fn bytes_past_the_cap_are_counted_not_kept() {
        let log = LogSink::new(4);
        log.stream(Stream::Stdout, b"abcdef");
        log.message(LogSource::Warn, "more");
        let snapshot = log.snapshot();
        assert_eq!(snapshot.records[0].text, "abcd");
        assert_eq!(snapshot.records.len(), 1);
        assert_eq!(snapshot.dropped_bytes, 6);
    }
}
