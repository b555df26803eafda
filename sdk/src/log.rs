//! Logging to the call's log, which the host records in the call's
//! transcript. Lines beyond the host's per-call limit are dropped and counted,
//! so log what helps an operator, not every step.
//!
//! ```no_run
//! bazaar_sdk::log::info("provisioning");
//! bazaar_sdk::log!(Warn, "order {} retried {} times", "o-1", 3);
//! ```

use crate::bindings::imports::bazaar::plugin::host::{self, LogLevel};

/// Severity of a log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Very detailed diagnostics.
    Trace,
    /// Diagnostics useful while debugging a plugin.
    Debug,
    /// Normal operational messages.
    Info,
    /// Something unexpected that the plugin recovered from.
    Warn,
    /// Something failed.
    Error,
}

/// Appends `message` to the call's log at `level`.
pub fn log(level: Level, message: impl AsRef<str>) {
    let level = match level {
        Level::Trace => LogLevel::Trace,
        Level::Debug => LogLevel::Debug,
        Level::Info => LogLevel::Info,
        Level::Warn => LogLevel::Warn,
        Level::Error => LogLevel::Error,
    };
    host::log(level, message.as_ref());
}

/// Logs `message` at [`Level::Trace`].
pub fn trace(message: impl AsRef<str>) {
    log(Level::Trace, message);
}

/// Logs `message` at [`Level::Debug`].
pub fn debug(message: impl AsRef<str>) {
    log(Level::Debug, message);
}

/// Logs `message` at [`Level::Info`].
pub fn info(message: impl AsRef<str>) {
    log(Level::Info, message);
}

/// Logs `message` at [`Level::Warn`].
pub fn warn(message: impl AsRef<str>) {
    log(Level::Warn, message);
}

/// Logs `message` at [`Level::Error`].
pub fn error(message: impl AsRef<str>) {
    log(Level::Error, message);
}

/// Formats and logs a line: `log!(Info, "created {}", id)`. The first
/// argument is a [`Level`] variant name.
#[macro_export]
macro_rules! log {
    ($level:ident, $($arg:tt)+) => {
        $crate::log::log($crate::log::Level::$level, ::std::format!($($arg)+))
    };
}
