//! Error types. Every failed send gives the message back; every error names what was wrong.

use std::fmt;
use std::time::Duration;

use crate::{ExitReason, Name, Pid};

/// [`ProcessRef::send`](crate::ProcessRef::send) failed. The message is returned.
///
/// A send fails when the process has exited ([`is_closed`](Self::is_closed)), or when its
/// mailbox is full and its [`Overflow`](crate::message::Overflow) policy is `Fail`
/// ([`is_full`](Self::is_full)).
#[derive(PartialEq, Eq, Clone, Copy)]
pub struct SendError<M> {
    message: M,
    full: bool,
}

impl<M> SendError<M> {
    pub(crate) fn closed(message: M) -> Self {
        SendError { message, full: false }
    }

    pub(crate) fn full(message: M) -> Self {
        SendError { message, full: true }
    }

    /// Takes the message back.
    pub fn into_inner(self) -> M {
        self.message
    }

    /// `true` if the process has exited.
    pub fn is_closed(&self) -> bool {
        !self.full
    }

    /// `true` if the mailbox was full and its policy is to refuse ([`Overflow::Fail`](
    /// crate::message::Overflow::Fail)).
    pub fn is_full(&self) -> bool {
        self.full
    }
}

/// [`ProcessRef::try_send`](crate::ProcessRef::try_send) (or a credit link's `try_send`)
/// failed. The message is returned.
#[derive(PartialEq, Eq, Clone, Copy)]
#[non_exhaustive]
pub enum TrySendError<M> {
    /// The mailbox is at its capacity.
    Full(M),
    /// The process has exited.
    Closed(M),
    /// A [`CreditLink`](crate::message::CreditLink) has no credit left: the receiver has not
    /// yet consumed enough of what was sent.
    NoCredit(M),
}

impl<M> TrySendError<M> {
    /// Takes the message back.
    pub fn into_inner(self) -> M {
        match self {
            TrySendError::Full(m) | TrySendError::Closed(m) | TrySendError::NoCredit(m) => m,
        }
    }

    /// `true` if the mailbox was full.
    pub fn is_full(&self) -> bool {
        matches!(self, TrySendError::Full(_))
    }

    /// `true` if the process has exited.
    pub fn is_closed(&self) -> bool {
        matches!(self, TrySendError::Closed(_))
    }

    /// `true` if a credit link had no credit.
    pub fn is_no_credit(&self) -> bool {
        matches!(self, TrySendError::NoCredit(_))
    }
}

/// [`ProcessRef::send_timeout`](crate::ProcessRef::send_timeout) failed. The message is
/// returned.
#[derive(PartialEq, Eq, Clone, Copy)]
#[non_exhaustive]
pub enum SendTimeoutError<M> {
    /// The mailbox stayed full for the whole timeout.
    Timeout(M),
    /// The process has exited.
    Closed(M),
    /// The mailbox was full and its overflow policy is to refuse
    /// ([`Overflow::Fail`](crate::message::Overflow::Fail)).
    Full(M),
}

impl<M> SendTimeoutError<M> {
    /// Takes the message back.
    pub fn into_inner(self) -> M {
        match self {
            SendTimeoutError::Timeout(m)
            | SendTimeoutError::Closed(m)
            | SendTimeoutError::Full(m) => m,
        }
    }

    /// `true` if the timeout elapsed.
    pub fn is_timeout(&self) -> bool {
        matches!(self, SendTimeoutError::Timeout(_))
    }

    /// `true` if the process has exited.
    pub fn is_closed(&self) -> bool {
        matches!(self, SendTimeoutError::Closed(_))
    }
}

macro_rules! message_error_impls {
    ($ty:ident, $($pat:pat => $text:expr),+) => {
        impl<M> fmt::Debug for $ty<M> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                #[allow(unused_variables)]
                match self { $($pat => write!(f, "{}({})", stringify!($ty), $text)),+ }
            }
        }
        impl<M> fmt::Display for $ty<M> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                #[allow(unused_variables)]
                match self { $($pat => f.write_str($text)),+ }
            }
        }
        impl<M> std::error::Error for $ty<M> {}
    };
}

impl<M> fmt::Debug for SendError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SendError({self})")
    }
}

impl<M> fmt::Display for SendError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.full {
            "the mailbox is full and its overflow policy is to fail"
        } else {
            "sending to a process that has exited"
        })
    }
}

impl<M> std::error::Error for SendError<M> {}
message_error_impls!(TrySendError,
    TrySendError::Full(_) => "the mailbox is full",
    TrySendError::Closed(_) => "sending to a process that has exited",
    TrySendError::NoCredit(_) => "no credit left on the link");
message_error_impls!(SendTimeoutError,
    SendTimeoutError::Timeout(_) => "the mailbox stayed full until the timeout",
    SendTimeoutError::Closed(_) => "sending to a process that has exited",
    SendTimeoutError::Full(_) => "the mailbox is full and its overflow policy is to fail");

/// A [`call`](crate::ProcessRef::call) did not get its reply.
///
/// Opaque: ask it with the predicates. A call to a process that has exited, or that exits
/// before replying, fails at once (not after the timeout) and carries the exit reason.
#[derive(Clone)]
pub struct CallError {
    pid: Pid,
    kind: CallErrorKind,
}

#[derive(Clone)]
enum CallErrorKind {
    Timeout(Duration),
    Refused,
    NoProcess(Option<ExitReason>),
    NoReply(Option<ExitReason>),
}

impl CallError {
    pub(crate) fn timeout(pid: Pid, after: Duration) -> Self {
        CallError { pid, kind: CallErrorKind::Timeout(after) }
    }

    pub(crate) fn refused(pid: Pid) -> Self {
        CallError { pid, kind: CallErrorKind::Refused }
    }

    pub(crate) fn no_process(pid: Pid, reason: Option<ExitReason>) -> Self {
        CallError { pid, kind: CallErrorKind::NoProcess(reason) }
    }

    pub(crate) fn no_reply(pid: Pid, reason: Option<ExitReason>) -> Self {
        CallError { pid, kind: CallErrorKind::NoReply(reason) }
    }

    /// The process that was called.
    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// `true` if no reply came within the timeout. The late reply, if any, is discarded: it
    /// never reaches the caller's mailbox.
    pub fn is_timeout(&self) -> bool {
        matches!(self.kind, CallErrorKind::Timeout(_))
    }

    /// `true` if the process's mailbox was full and its overflow policy is to refuse
    /// ([`Overflow::Fail`](crate::message::Overflow::Fail)): the request was not delivered.
    pub fn is_refused(&self) -> bool {
        matches!(self.kind, CallErrorKind::Refused)
    }

    /// `true` if the process had exited before the request could be delivered.
    pub fn is_no_process(&self) -> bool {
        matches!(self.kind, CallErrorKind::NoProcess(_))
    }

    /// `true` if the process took the request but exited, or dropped the reply handle, without
    /// replying.
    pub fn is_no_reply(&self) -> bool {
        matches!(self.kind, CallErrorKind::NoReply(_))
    }

    /// Why the called process exited, when that is why the call failed.
    pub fn exit_reason(&self) -> Option<&ExitReason> {
        match &self.kind {
            CallErrorKind::NoProcess(r) | CallErrorKind::NoReply(r) => r.as_ref(),
            CallErrorKind::Timeout(_) | CallErrorKind::Refused => None,
        }
    }
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            CallErrorKind::Timeout(after) => {
                write!(f, "call to {} timed out after {after:?}", self.pid)
            }
            CallErrorKind::Refused => {
                write!(f, "call to {}: the mailbox is full and its policy is to fail", self.pid)
            }
            CallErrorKind::NoProcess(None) => write!(f, "call to {}: no such process", self.pid),
            CallErrorKind::NoProcess(Some(r)) => {
                write!(f, "call to {}: the process has exited ({r})", self.pid)
            }
            CallErrorKind::NoReply(None) => {
                write!(f, "call to {}: the request was dropped without a reply", self.pid)
            }
            CallErrorKind::NoReply(Some(r)) => {
                write!(f, "call to {}: the process exited before replying ({r})", self.pid)
            }
        }
    }
}

impl fmt::Debug for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CallError({self})")
    }
}

impl std::error::Error for CallError {}

/// A process could not be spawned. The process value was dropped without `init` running.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum SpawnError {
    /// A setting is out of range: names the field and what it allows.
    InvalidConfig {
        /// The builder field.
        field: &'static str,
        /// What it allows.
        allowed: &'static str,
    },
    /// Registering the process's name failed.
    Name(RegisterError),
    /// The node is shutting down and takes no new processes.
    ShuttingDown,
    /// The process that was to link or monitor the new one has exited (a builder from
    /// `Context::process` used after its process ended).
    ParentExited(Pid),
    /// A supervised process's address was closed for good, so it cannot be restarted in it.
    AddressClosed(Pid),
    /// The process started but its `init` failed (a supervised start waits for `init`).
    InitFailed(ExitReason),
    /// The process asked for a `memory_limit` but every memory account is in use, so its
    /// memory could not be measured: a limit is never dropped silently. A process without a
    /// limit still spawns (it then shares the runtime's account). See
    /// [`memory`](crate::memory#when-every-account-is-in-use).
    NoMemoryAccount {
        /// Accounts open, all of them: the installed allocator's
        /// [`max_accounts`](crate::memory::AccountingAllocator::with_max_accounts).
        in_use: usize,
    },
}

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpawnError::InvalidConfig { field, allowed } => {
                write!(f, "invalid `{field}`: allowed values are {allowed}")
            }
            SpawnError::Name(e) => write!(f, "cannot spawn: {e}"),
            SpawnError::ShuttingDown => f.write_str("the node is shutting down"),
            SpawnError::ParentExited(pid) => {
                write!(f, "cannot link or monitor from {pid}: it has exited")
            }
            SpawnError::InitFailed(reason) => write!(f, "`init` failed: {reason}"),
            SpawnError::AddressClosed(pid) => {
                write!(f, "cannot restart {pid}: its address was closed for good")
            }
            SpawnError::NoMemoryAccount { in_use } => write!(
                f,
                "no memory account is free for `memory_limit` (all {in_use} in use): spawn \
                 without a limit, or allow more with `AccountingAllocator::with_max_accounts`"
            ),
        }
    }
}

impl std::error::Error for SpawnError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SpawnError::Name(e) => Some(e),
            _ => None,
        }
    }
}

/// Registering a name or joining a group failed.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum RegisterError {
    /// Names and group names must not be empty.
    EmptyName,
    /// The name is held by another live process.
    Taken {
        /// The name.
        name: Name,
        /// The process holding it.
        holder: Pid,
    },
    /// The process to register has exited or never existed on this node.
    NoProcess(Pid),
    /// No process is registered under this name.
    NotRegistered(Name),
}

impl fmt::Display for RegisterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegisterError::EmptyName => f.write_str("invalid `name`: must not be empty"),
            RegisterError::Taken { name, holder } => {
                write!(f, "the name `{name}` is already registered by {holder}")
            }
            RegisterError::NoProcess(pid) => write!(f, "no live process {pid} on this node"),
            RegisterError::NotRegistered(name) => write!(f, "no process is registered as `{name}`"),
        }
    }
}

impl std::error::Error for RegisterError {}

/// Linking failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkError {
    pid: Pid,
}

impl LinkError {
    pub(crate) fn no_process(pid: Pid) -> Self {
        LinkError { pid }
    }

    /// The process that could not be linked.
    pub fn pid(&self) -> Pid {
        self.pid
    }
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot link to {}: noproc (it has exited or never existed)", self.pid)
    }
}

impl std::error::Error for LinkError {}

/// A node could not be started.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum NodeError {
    /// `Node::new` was called outside a tokio runtime.
    NoRuntime,
}

impl fmt::Display for NodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NodeError::NoRuntime => {
                f.write_str("a node must be started from within a tokio runtime")
            }
        }
    }
}

impl std::error::Error for NodeError {}
