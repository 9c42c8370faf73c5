//! Send errors: every failed send gives the message back.

use std::fmt;

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
