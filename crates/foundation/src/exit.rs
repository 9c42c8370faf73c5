//! Why a process ended.

use std::error::Error;
use std::fmt;
use std::sync::Arc;

use crate::error::Chain;
use crate::{Name, Pid};

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
    /// The process was killed: by [`Node::kill`](crate::Node::kill) or an exit signal with
    /// reason [`Kill`](ExitReason::Kill), neither of which can be trapped, or by the death of a
    /// linked process that was killed. As in Erlang, this is what a killed process exits with
    /// and what its links see; an exit signal with reason `Killed` is an ordinary, trappable
    /// one.
    Killed,
    /// Erlang's `kill`: the reason of an exit signal that cannot be trapped. Sent with
    /// [`Node::exit`](crate::Node::exit) or [`Context::exit`](crate::Context::exit), it ends
    /// the process whether or not it traps exits, without `terminate`, and the process exits
    /// with [`Killed`](ExitReason::Killed) (never with `Kill`), so its links see `Killed`. A
    /// process that stops itself with reason `Kill` exits with it, and its links then get an
    /// ordinary exit signal with reason `Kill`, as Erlang's `exit(kill)` does.
    Kill,
    /// A handler (`init`, `handle`, `handle_exit`, `handle_down` or `terminate`) panicked: the
    /// panic's message, and where it happened (see [`Panic`]).
    Panicked(Panic),
    /// A handler returned an error. Shown with its chain of sources (`error: outer: cause`).
    Error(Arc<dyn Error + Send + Sync + 'static>),
    /// The process did not exist (or had already exited) when it was linked or monitored.
    NoProc,
    /// The connection to the process's node was lost (Erlang's `noconnection`): what a link
    /// or a monitor across nodes reports when the other node goes away, whatever became of
    /// the process itself.
    NoConnection,
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

    /// `true` for [`Kill`](ExitReason::Kill), the reason of the exit signal that cannot be
    /// trapped.
    pub fn is_kill(&self) -> bool {
        matches!(self, ExitReason::Kill)
    }

    /// A panic's reason with this message and no location (handy to compare a reason with:
    /// reasons compare panics by message).
    pub fn panicked(message: impl Into<Arc<str>>) -> Self {
        ExitReason::Panicked(Panic::new(message.into(), None))
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

    /// `true` for `NoConnection`.
    pub fn is_noconnection(&self) -> bool {
        matches!(self, ExitReason::NoConnection)
    }

    /// A short, stable name for the reason's kind: `normal`, `shutdown`, `killed`, `kill`,
    /// `panicked`, `error`, `noproc`, `noconnection` or `memory_limit`; useful for metrics
    /// labels.
    pub fn kind(&self) -> &'static str {
        match self {
            ExitReason::Normal => "normal",
            ExitReason::Shutdown(_) => "shutdown",
            ExitReason::Killed => "killed",
            ExitReason::Kill => "kill",
            ExitReason::Panicked(_) => "panicked",
            ExitReason::Error(_) => "error",
            ExitReason::NoProc => "noproc",
            ExitReason::NoConnection => "noconnection",
            ExitReason::MemoryLimit { .. } => "memory_limit",
        }
    }

    /// The reason of a panic caught in a process, with the location its panic hook recorded
    /// (see `engine::panic_location`).
    pub(crate) fn from_panic(payload: &(dyn std::any::Any + Send)) -> Self {
        let text = panic_text(payload);
        let location = crate::engine::panic_location::take(text);
        let message: Arc<str> = match text {
            Some(text) => Arc::from(text),
            None => Arc::from(NON_STRING_PANIC),
        };
        ExitReason::Panicked(Panic::new(message, location))
    }
}

/// The message of a panic whose payload is not a string.
pub(crate) const NON_STRING_PANIC: &str = "panic with a non-string payload";

/// A panic payload's message, when it has one (`panic!` with a literal or a format string).
pub(crate) fn panic_text(payload: &(dyn std::any::Any + Send)) -> Option<&str> {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        Some(s)
    } else {
        payload.downcast_ref::<String>().map(String::as_str)
    }
}

/// What a panic in a process left: its message and, as OTP's crash reports give, where it
/// happened.
///
/// The location comes from the panic hook the library installs when the first
/// [`Node`](crate::Node) starts, chained in front of the hook that was installed then (so
/// yours still runs, and the default one still prints). It is `None` when that hook is not in
/// place (a hook set later with `std::panic::set_hook` replaces it; set yours before the first
/// node, or take the previous one with `take_hook` and call it from yours), and for a panic
/// resumed with `resume_unwind`, which runs no hook.
///
/// Panics compare by message: the location is a diagnostic, not part of the reason's
/// identity. Derefs to the message (`&*panic == "boom"`).
#[derive(Clone)]
pub struct Panic(Arc<PanicInner>);

/// One allocation behind a `Panic`, so an `ExitReason` stays two words and a tag.
struct PanicInner {
    message: Arc<str>,
    location: Option<PanicLocation>,
}

impl Panic {
    pub(crate) fn new(message: Arc<str>, location: Option<PanicLocation>) -> Self {
        Panic(Arc::new(PanicInner { message, location }))
    }

    /// The panic's message (`"panic with a non-string payload"` when it had none).
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// Where the panic happened, when the library's panic hook saw it.
    pub fn location(&self) -> Option<&PanicLocation> {
        self.0.location.as_ref()
    }
}

impl std::ops::Deref for Panic {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0.message
    }
}

impl From<&str> for Panic {
    fn from(message: &str) -> Self {
        Panic::new(Arc::from(message), None)
    }
}

impl From<String> for Panic {
    fn from(message: String) -> Self {
        Panic::new(Arc::from(message), None)
    }
}

impl From<Arc<str>> for Panic {
    fn from(message: Arc<str>) -> Self {
        Panic::new(message, None)
    }
}

impl PartialEq for Panic {
    /// By message only (see [`Panic`]).
    fn eq(&self, other: &Self) -> bool {
        self.0.message == other.0.message
    }
}

impl PartialEq<str> for Panic {
    fn eq(&self, other: &str) -> bool {
        *self.0.message == *other
    }
}

/// `message`, then ` at file:line:column` when the location is known.
impl fmt::Display for Panic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.message)?;
        if let Some(at) = &self.0.location {
            write!(f, " at {at}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Panic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0.location {
            Some(at) => write!(f, "{:?} at {at}", self.0.message),
            None => fmt::Debug::fmt(&self.0.message, f),
        }
    }
}

/// Where a panic happened: the source file, line and column.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PanicLocation {
    file: Arc<str>,
    line: u32,
    column: u32,
}

impl PanicLocation {
    pub(crate) fn new(file: &str, line: u32, column: u32) -> Self {
        PanicLocation { file: Arc::from(file), line, column }
    }

    /// The source file, as `file!()` gives it.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The line, from 1.
    pub fn line(&self) -> u32 {
        self.line
    }

    /// The column, from 1.
    pub fn column(&self) -> u32 {
        self.column
    }
}

impl fmt::Display for PanicLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

impl fmt::Debug for PanicLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
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
            ExitReason::Kill => f.write_str("kill"),
            ExitReason::Panicked(p) => write!(f, "panicked: {p}"),
            // The reason is data, not an error with a source: show the error's whole chain.
            ExitReason::Error(e) => write!(f, "error: {}", Chain(&**e)),
            ExitReason::NoProc => f.write_str("noproc"),
            ExitReason::NoConnection => f.write_str("noconnection"),
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
            ExitReason::Kill => f.write_str("Kill"),
            ExitReason::Panicked(m) => f.debug_tuple("Panicked").field(m).finish(),
            ExitReason::Error(e) => f.debug_tuple("Error").field(&Chain(&**e).to_string()).finish(),
            ExitReason::NoProc => f.write_str("NoProc"),
            ExitReason::NoConnection => f.write_str("NoConnection"),
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
    /// For a monitor set by registered name
    /// ([`Context::monitor_name`](crate::Context::monitor_name)), the name: Erlang's
    /// `{RegName, Node}` in the `'DOWN'` message. `None` for a monitor set by pid.
    pub name: Option<Name>,
}
