//! Why a process ended.

use std::error::Error;
use std::fmt;
use std::sync::Arc;

use crate::Pid;
use crate::error::Chain;

/// The boxed error a process handler returns; any `std::error::Error` converts into it with `?`.
pub type BoxError = Box<dyn Error + Send + Sync + 'static>;

/// Why a process ended, as seen by its links, its monitors and its supervisor.
///
/// The variants follow Erlang's exit reasons. [`is_normal`](ExitReason::is_normal) carries OTP's
/// rule: `Normal` and `Shutdown` are normal ends, so they do not kill linked processes that do not
/// trap exits (for `Normal`) and do not restart a transient child. Every other reason is abnormal.
///
/// New reasons (the memory limit, timeouts) are added without a breaking change, so match with a
/// wildcard arm.
#[derive(Clone)]
#[non_exhaustive]
pub enum ExitReason {
    /// The process finished its work: it asked to stop (or, for a process that ends when
    /// unreferenced, every address to it was dropped and its mailbox was empty). Linked
    /// processes are not affected.
    Normal,
    /// The process was asked to shut down (by its supervisor, its node, or `exit(pid, shutdown)`),
    /// with an optional reason.
    Shutdown(Option<Arc<str>>),
    /// The process was killed: by [`Node::kill`](crate::Node::kill), which cannot be trapped, or
    /// by the death of a linked process that was killed.
    Killed,
    /// A handler (`init`, `handle`, `handle_exit`, `handle_down` or `terminate`) panicked; the
    /// panic's message.
    Panicked(Arc<str>),
    /// A handler returned an error. Shown with its chain of sources (`error: outer: cause`).
    Error(Arc<dyn Error + Send + Sync + 'static>),
    /// The process did not exist (or had already exited) when it was linked or monitored.
    NoProc,
    /// The process held more memory than its limit (the BEAM's `max_heap_size`).
    MemoryLimit {
        /// The limit, in bytes.
        limit: u64,
        /// What it held when the limit was checked, in bytes.
        held: u64,
    },
}

impl ExitReason {
    /// A shutdown with a reason.
    pub fn shutdown_with(reason: impl Into<Arc<str>>) -> Self {
        ExitReason::Shutdown(Some(reason.into()))
    }

    /// An error reason from any error value.
    pub fn error(err: impl Into<BoxError>) -> Self {
        ExitReason::Error(Arc::from(err.into()))
    }

    /// `true` for `Normal` and `Shutdown`: OTP's normal ends, which do not restart a transient
    /// child.
    pub fn is_normal(&self) -> bool {
        matches!(self, ExitReason::Normal | ExitReason::Shutdown(_))
    }

    /// `true` when the process was killed.
    pub fn is_killed(&self) -> bool {
        matches!(self, ExitReason::Killed)
    }

    /// `true` when a handler panicked.
    pub fn is_panic(&self) -> bool {
        matches!(self, ExitReason::Panicked(_))
    }

    /// `true` when the process went over its memory limit.
    pub fn is_memory_limit(&self) -> bool {
        matches!(self, ExitReason::MemoryLimit { .. })
    }

    /// `true` for `NoProc`.
    pub fn is_noproc(&self) -> bool {
        matches!(self, ExitReason::NoProc)
    }

    /// A short, stable name for the reason's kind: `normal`, `shutdown`, `killed`, `panicked`,
    /// `error` or `noproc`; useful for metrics labels.
    pub fn kind(&self) -> &'static str {
        match self {
            ExitReason::Normal => "normal",
            ExitReason::Shutdown(_) => "shutdown",
            ExitReason::Killed => "killed",
            ExitReason::Panicked(_) => "panicked",
            ExitReason::Error(_) => "error",
            ExitReason::NoProc => "noproc",
            ExitReason::MemoryLimit { .. } => "memory_limit",
        }
    }

    pub(crate) fn from_panic(payload: &(dyn std::any::Any + Send)) -> Self {
        let message: Arc<str> = if let Some(s) = payload.downcast_ref::<&'static str>() {
            Arc::from(*s)
        } else if let Some(s) = payload.downcast_ref::<String>() {
            Arc::from(s.as_str())
        } else {
            Arc::from("panic with a non-string payload")
        };
        ExitReason::Panicked(message)
    }
}

impl PartialEq for ExitReason {
    /// Reasons compare by kind and text: two `Error` reasons are equal when their messages
    /// (with their chains of sources) are.
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (ExitReason::Error(a), ExitReason::Error(b)) => {
                Chain(&**a).to_string() == Chain(&**b).to_string()
            }
            (ExitReason::Panicked(a), ExitReason::Panicked(b)) => a == b,
            (ExitReason::Shutdown(a), ExitReason::Shutdown(b)) => a == b,
            (a, b) => std::mem::discriminant(a) == std::mem::discriminant(b),
        }
    }
}

impl fmt::Display for ExitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExitReason::Normal => f.write_str("normal"),
            ExitReason::Shutdown(None) => f.write_str("shutdown"),
            ExitReason::Shutdown(Some(r)) => write!(f, "shutdown: {r}"),
            ExitReason::Killed => f.write_str("killed"),
            ExitReason::Panicked(m) => write!(f, "panicked: {m}"),
            // The reason is data, not an error with a source: show the error's whole chain.
            ExitReason::Error(e) => write!(f, "error: {}", Chain(&**e)),
            ExitReason::NoProc => f.write_str("noproc"),
            ExitReason::MemoryLimit { limit, held } => {
                write!(f, "memory limit: held {held} bytes, over the limit of {limit}")
            }
        }
    }
}

impl fmt::Debug for ExitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExitReason::Normal => f.write_str("Normal"),
            ExitReason::Shutdown(r) => f.debug_tuple("Shutdown").field(r).finish(),
            ExitReason::Killed => f.write_str("Killed"),
            ExitReason::Panicked(m) => f.debug_tuple("Panicked").field(m).finish(),
            ExitReason::Error(e) => f.debug_tuple("Error").field(&Chain(&**e).to_string()).finish(),
            ExitReason::NoProc => f.write_str("NoProc"),
            ExitReason::MemoryLimit { limit, held } => {
                f.debug_struct("MemoryLimit").field("limit", limit).field("held", held).finish()
            }
        }
    }
}

/// A monitored process has ended: delivered once per monitor to
/// [`Process::handle_down`](crate::Process::handle_down).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Down {
    /// The monitor that fired.
    pub monitor: crate::MonitorRef,
    /// The process that ended.
    pub pid: Pid,
    /// Why it ended; `NoProc` when it was already gone when the monitor was set.
    pub reason: ExitReason,
}
