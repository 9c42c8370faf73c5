//! The errors shared by the whole crate, and the conventions every error of the crate keeps.
//!
//! # One shape per idea
//!
//! - **A setting out of range** is a [`ConfigError`] wherever it is found (spawn options,
//!   isolation limits, supervisor specs, credit windows, timers, ecosystem configs): it names the
//!   field, the value given and the values allowed, with one `Display` for all. An error that can
//!   also fail in other ways carries it as a `Config` variant; an operation that can fail only
//!   that way returns it as it is.
//! - **A failed send gives the message back**: [`SendError`], [`TrySendError`] and
//!   [`SendTimeoutError`] keep apart a mailbox *at capacity* (`Full`: the sender may wait), a
//!   message *refused* by the receiver's `Fail` policy (`Refused`), and a process that has exited
//!   (`Closed`); [`CallError`] says the same with predicates. What a successful send did (queued,
//!   or dropped by a drop policy) is its [`Delivery`](crate::message::Delivery).
//!
//! # Display or source, never both
//!
//! As the Rust API guidelines advise, an error never prints its cause *and* returns it from
//! [`source`](std::error::Error::source), so a reporter that walks the chain (anyhow, eyre,
//! `tracing`'s error fields) prints every message once:
//!
//! - A variant that adds something of its own (an id, a pid, "the supervisor is unavailable")
//!   says only that in `Display` and returns the cause from `source()`.
//! - A variant that only carries another error of this crate and adds nothing (`Config`,
//!   `EcosystemError::Spawn` and `Supervisor`, `SpawnError::Name`) is *transparent*, as
//!   thiserror's `#[error(transparent)]`: its `Display` is the inner error's, and its `source()`
//!   is the inner error's `source()`. So `{err}` still names the field of a bad setting.
//! - An [`ExitReason`](crate::ExitReason) is data, not a cause: an error that carries one shows
//!   it in `Display` and never returns it from `source()`. An `ExitReason::Error` prints its
//!   error with that error's whole chain, since the reason itself is no error to walk.
//!
//! `Debug` of an error that carries a message never requires `M: Debug`.

mod call;
mod config;
mod process;
mod send;

pub use call::CallError;
pub use config::ConfigError;
pub use process::{LinkError, NodeError, RegisterError, SpawnError};
pub(crate) use send::{CLOSED, FULL, REFUSED, message_error_impls};
pub use send::{SendError, SendTimeoutError, TrySendError};

/// Shows an error and its chain of sources, each after `": "`, as a reporter would.
pub(crate) struct Chain<'a>(pub(crate) &'a (dyn std::error::Error + 'static));

impl std::fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}
