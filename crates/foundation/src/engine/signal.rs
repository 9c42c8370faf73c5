//! Signals between processes, and the two lanes they travel in.

use crate::{Down, ExitReason, Pid};

/// A signal to a process.
///
/// Two lanes, as Erlang acts on signals (see the `process` module's docs):
/// - **at once**, ahead of every queued message: `kill`, the memory limit, an exit signal the
///   process does not trap (it ends the process, whatever is queued), and `Compact`;
/// - **in order** with messages, in the mailbox itself (an [`Addressed`] entry): an exit signal
///   the process traps and a monitor's `Down`, which become something the process receives, so
///   they arrive behind everything their sender sent before them.
///
/// The lane of an exit signal is chosen when it is delivered, by whether the target traps
/// exits then; see [`AnyProcess::signal`].
#[derive(Debug)]
pub(crate) enum Signal {
    /// An exit signal: from a linked process that ended (`link`), or sent with `exit(pid, reason)`.
    Exit { from: Pid, reason: ExitReason, link: bool },
    /// `kill`: cannot be trapped. (An exit signal with reason `ExitReason::Kill`, not from a
    /// link, becomes this one on delivery.)
    Kill,
    /// A stop with a reason (`gen_server:stop/3`): cannot be trapped, but graceful: the
    /// process runs `terminate` and exits with the reason.
    Stop(ExitReason),
    /// The process went over its memory limit: cannot be trapped, as `kill`.
    Overrun { limit: u64, held: u64 },
    /// Memory pressure: give back what you can (`Process::compact`).
    Compact,
    /// A monitored process ended.
    Down(Down),
    /// An ordered signal that a `DropOldest` sender found at the head of the mailbox: due
    /// before anything still queued (see `mailbox.rs`).
    Promoted(Box<Addressed>),
}

/// An ordered signal in a mailbox, with the incarnation it was sent to: a supervised process's
/// mailbox outlives its incarnations, and a signal meant for one is dropped by the next.
#[derive(Debug)]
pub(crate) struct Addressed {
    pub(crate) to: Pid,
    pub(crate) signal: Signal,
}
