//! Diagnostics for the operator. Messages go to the host's log and the
//! transcript; nothing comes back, so logging cannot change a result.
//! Natively (in a mechanism's unit tests) they go to stderr.

/// How much a message matters.
pub use crate::wit::arbiter::mechanism::log::Level;

/// Records `message` at `level`.
pub fn log(level: Level, message: &str) {
    #[cfg(target_arch = "wasm32")]
    crate::wit::arbiter::mechanism::log::log(level, message);
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("[{level:?}] {message}");
}

/// Records `message` at debug level.
pub fn debug(message: &str) {
    log(Level::Debug, message);
}

/// Records `message` at info level.
pub fn info(message: &str) {
    log(Level::Info, message);
}

/// Records `message` at warn level.
pub fn warn(message: &str) {
    log(Level::Warn, message);
}

/// Records `message` at error level.
pub fn error(message: &str) {
    log(Level::Error, message);
}

/// Routes panic messages to the log at error level, once per instance: a
/// component built for `wasm32-unknown-unknown` has no stderr, and the
/// operator should see why a call trapped. The export glue calls this
/// before running the mechanism.
pub(crate) fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|panic| error(&panic.to_string())));
    });
}
