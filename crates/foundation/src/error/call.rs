//! Call errors.

use std::fmt;
use std::time::Duration;

use crate::{ExitReason, Pid};

/// A [`call`](crate::ProcessRef::call) did not get its reply.
///
/// Opaque: ask it with the predicates. A call to a process that has exited, or that exits
/// before replying, fails at once (not after the timeout) and carries the exit reason. A call
/// waits for room in a full mailbox (within its timeout), so it is never "at capacity"; a
/// receiver whose policy is `Fail` refuses it at once ([`is_refused`](Self::is_refused)), as it
/// refuses any send. The exit reason is shown in `Display`; a `CallError` has no source. A
/// process that calls itself fails at once ([`is_calling_self`](Self::is_calling_self)).
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
    CallingSelf,
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

    pub(crate) fn calling_self(pid: Pid) -> Self {
        CallError { pid, kind: CallErrorKind::CallingSelf }
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

    /// `true` if a process called itself (from one of its own handlers): it could never
    /// answer while it waits, so the call fails at once instead of waiting out its timeout,
    /// as OTP's `gen_server:call` to self exits with `calling_self`. The request was not sent.
    pub fn is_calling_self(&self) -> bool {
        matches!(self.kind, CallErrorKind::CallingSelf)
    }

    /// Why the called process exited, when that is why the call failed.
    pub fn exit_reason(&self) -> Option<&ExitReason> {
        match &self.kind {
            CallErrorKind::NoProcess(r) | CallErrorKind::NoReply(r) => r.as_ref(),
            CallErrorKind::Timeout(_) | CallErrorKind::Refused | CallErrorKind::CallingSelf => None,
        }
    }
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            CallErrorKind::Timeout(after) => {
                write!(f, "call to {} timed out after {after:?}", self.pid)
            }
            CallErrorKind::Refused => write!(f, "call to {}: {}", self.pid, super::send::REFUSED),
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
            CallErrorKind::CallingSelf => {
                write!(f, "call to {}: calling_self (a process cannot call itself)", self.pid)
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
