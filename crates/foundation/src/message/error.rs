//! Errors of the message module: routing, and a credit link's `try_send`.

use std::fmt;

use crate::error::{CLOSED, FULL, REFUSED, message_error_impls};

/// [`Ecosystem::route`](crate::ecosystem::Ecosystem::route) found no worker to route to.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RouteError {
    /// The ecosystem has no worker whose address is open (all removed or gone for good).
    NoWorker {
        /// The ecosystem.
        name: String,
    },
}

impl fmt::Display for RouteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RouteError::NoWorker { name } => {
                write!(f, "ecosystem {name:?} has no worker that can take messages")
            }
        }
    }
}

impl std::error::Error for RouteError {}

/// A [`CreditLink`](super::CreditLink)'s [`try_send`](super::CreditLink::try_send) failed. The
/// message is returned (and its credit, if it took one, given back).
///
/// The outcomes of [`TrySendError`](crate::TrySendError), plus the one only a credit link has:
/// no credit left.
#[derive(PartialEq, Eq, Clone, Copy)]
#[non_exhaustive]
pub enum CreditTrySendError<M> {
    /// The link has no credit left: the receiver has not yet consumed enough of what was
    /// sent. [`send`](super::CreditLink::send) would have waited for a credit.
    NoCredit(M),
    /// A credit was free, but the mailbox is at its capacity and the receiver's policy is to
    /// wait for room ([`Overflow::Wait`](super::Overflow::Wait)).
    Full(M),
    /// A credit was free, but the mailbox is full and the receiver's policy is to refuse
    /// ([`Overflow::Fail`](super::Overflow::Fail)).
    Refused(M),
    /// The receiver has exited for good.
    Closed(M),
}

impl<M> CreditTrySendError<M> {
    /// Takes the message back.
    pub fn into_inner(self) -> M {
        match self {
            CreditTrySendError::NoCredit(m)
            | CreditTrySendError::Full(m)
            | CreditTrySendError::Refused(m)
            | CreditTrySendError::Closed(m) => m,
        }
    }

    /// `true` if the link had no credit.
    pub fn is_no_credit(&self) -> bool {
        matches!(self, CreditTrySendError::NoCredit(_))
    }

    /// `true` if the mailbox was at capacity (under `Wait`).
    pub fn is_full(&self) -> bool {
        matches!(self, CreditTrySendError::Full(_))
    }

    /// `true` if the receiver refused the message (its policy is `Fail`).
    pub fn is_refused(&self) -> bool {
        matches!(self, CreditTrySendError::Refused(_))
    }

    /// `true` if the receiver has exited for good.
    pub fn is_closed(&self) -> bool {
        matches!(self, CreditTrySendError::Closed(_))
    }
}

message_error_impls!(CreditTrySendError,
    CreditTrySendError::NoCredit(_) => "no credit left on the link",
    CreditTrySendError::Full(_) => FULL,
    CreditTrySendError::Refused(_) => REFUSED,
    CreditTrySendError::Closed(_) => CLOSED);
