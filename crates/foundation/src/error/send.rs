//! Send errors: every failed send gives the message back.
//!
//! Three outcomes are kept apart everywhere: the mailbox is *at capacity* (`Full`: only
//! [`try_send`](crate::ProcessRef::try_send) reports it, the other sends wait for room), the
//! receiver *refuses* the message under its [`Overflow::Fail`](crate::message::Overflow::Fail)
//! policy (`Refused`), and the process has exited (`Closed`).

use std::fmt;

/// [`ProcessRef::send`](crate::ProcessRef::send) (or
/// [`blocking_send`](crate::ProcessRef::blocking_send), or a
/// [`CreditLink`](crate::message::CreditLink)'s `send`) failed. The message is returned.
///
/// A send waits for room, so it never fails for want of it: it fails when the process has
/// exited ([`is_closed`](Self::is_closed)), or when the receiver's mailbox is full and its
/// [`Overflow`](crate::message::Overflow) policy is `Fail` ([`is_refused`](Self::is_refused)).
#[derive(PartialEq, Eq, Clone, Copy)]
pub struct SendError<M> {
    message: M,
    refused: bool,
}

impl<M> SendError<M> {
    pub(crate) fn closed(message: M) -> Self {
        SendError { message, refused: false }
    }

    pub(crate) fn refused(message: M) -> Self {
        SendError { message, refused: true }
    }

    /// Takes the message back.
    pub fn into_inner(self) -> M {
        self.message
    }

    /// `true` if the process has exited.
    pub fn is_closed(&self) -> bool {
        !self.refused
    }

    /// `true` if the mailbox was full and the receiver's policy is to refuse
    /// ([`Overflow::Fail`](crate::message::Overflow::Fail)).
    pub fn is_refused(&self) -> bool {
        self.refused
    }
}

/// [`ProcessRef::try_send`](crate::ProcessRef::try_send) failed. The message is returned.
///
/// A credit link's `try_send` has its own error,
/// [`CreditTrySendError`](crate::message::CreditTrySendError), which adds running out of credit.
#[derive(PartialEq, Eq, Clone, Copy)]
#[non_exhaustive]
pub enum TrySendError<M> {
    /// The mailbox is at its capacity and the receiver's policy is to wait for room
    /// ([`Overflow::Wait`](crate::message::Overflow::Wait)): [`send`](crate::ProcessRef::send)
    /// would have waited.
    Full(M),
    /// The mailbox is at its capacity and the receiver's policy is to refuse
    /// ([`Overflow::Fail`](crate::message::Overflow::Fail)); counted as a refusal.
    Refused(M),
    /// The process has exited.
    Closed(M),
}

impl<M> TrySendError<M> {
    /// Takes the message back.
    pub fn into_inner(self) -> M {
        match self {
            TrySendError::Full(m) | TrySendError::Refused(m) | TrySendError::Closed(m) => m,
        }
    }

    /// `true` if the mailbox was at capacity (under `Wait`: a later send may find room).
    pub fn is_full(&self) -> bool {
        matches!(self, TrySendError::Full(_))
    }

    /// `true` if the receiver refused the message (its policy is `Fail`).
    pub fn is_refused(&self) -> bool {
        matches!(self, TrySendError::Refused(_))
    }

    /// `true` if the process has exited.
    pub fn is_closed(&self) -> bool {
        matches!(self, TrySendError::Closed(_))
    }
}

/// [`ProcessRef::send_timeout`](crate::ProcessRef::send_timeout) failed. The message is
/// returned.
#[derive(PartialEq, Eq, Clone, Copy)]
#[non_exhaustive]
pub enum SendTimeoutError<M> {
    /// The mailbox stayed at capacity for the whole timeout (policy `Wait`).
    Timeout(M),
    /// The mailbox was full and the receiver's policy is to refuse
    /// ([`Overflow::Fail`](crate::message::Overflow::Fail)): refused at once, without waiting.
    Refused(M),
    /// The process has exited.
    Closed(M),
}

impl<M> SendTimeoutError<M> {
    /// Takes the message back.
    pub fn into_inner(self) -> M {
        match self {
            SendTimeoutError::Timeout(m)
            | SendTimeoutError::Refused(m)
            | SendTimeoutError::Closed(m) => m,
        }
    }

    /// `true` if the timeout elapsed.
    pub fn is_timeout(&self) -> bool {
        matches!(self, SendTimeoutError::Timeout(_))
    }

    /// `true` if the receiver refused the message (its policy is `Fail`).
    pub fn is_refused(&self) -> bool {
        matches!(self, SendTimeoutError::Refused(_))
    }

    /// `true` if the process has exited.
    pub fn is_closed(&self) -> bool {
        matches!(self, SendTimeoutError::Closed(_))
    }
}

/// `Debug`, `Display` and `Error` for an error enum that carries a message: neither needs
/// `M: Debug`, and none has a source.
macro_rules! message_error_impls {
    ($ty:ident, $($pat:pat => $text:expr),+ $(,)?) => {
        impl<M> ::std::fmt::Debug for $ty<M> {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                #[allow(unused_variables)]
                match self { $($pat => write!(f, "{}({})", stringify!($ty), $text)),+ }
            }
        }
        impl<M> ::std::fmt::Display for $ty<M> {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                #[allow(unused_variables)]
                match self { $($pat => f.write_str($text)),+ }
            }
        }
        impl<M> ::std::error::Error for $ty<M> {}
    };
}
pub(crate) use message_error_impls;

/// The words for each outcome, the same in every send error.
pub(crate) const CLOSED: &str = "sending to a process that has exited";
pub(crate) const FULL: &str = "the mailbox is at capacity";
pub(crate) const REFUSED: &str = "the mailbox is full and its overflow policy is to refuse (fail)";

impl<M> fmt::Debug for SendError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SendError({self})")
    }
}

impl<M> fmt::Display for SendError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.refused { REFUSED } else { CLOSED })
    }
}

impl<M> std::error::Error for SendError<M> {}
message_error_impls!(TrySendError,
    TrySendError::Full(_) => FULL,
    TrySendError::Refused(_) => REFUSED,
    TrySendError::Closed(_) => CLOSED);
message_error_impls!(SendTimeoutError,
    SendTimeoutError::Timeout(_) => "the mailbox stayed at capacity until the timeout",
    SendTimeoutError::Refused(_) => REFUSED,
    SendTimeoutError::Closed(_) => CLOSED);
