//! Runs a handler while watching for signals that must end the process at once, and turns a
//! panic in the handler into an exit reason.
//!
//! An untrapped abnormal exit signal, or `kill`, ends a process even while a handler is waiting
//! on something else (a timer, a call, I/O): the handler's future is dropped at its current
//! `.await`. A handler always runs up to its first `.await`: what a signal can cut off is a
//! handler that waits, never one that does not. Trapped exits and monitors' `Down`s travel in
//! the mailbox, in order with messages; the few other signals that do not end the process
//! (compaction, a promoted ordered signal) are set aside and handled after the handler returns,
//! ahead of the next message.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use crate::ExitReason;
use crate::engine::control_block::ControlBlock;
use crate::engine::signal::Signal;

/// Whether the process is still running its handlers or already in `terminate`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Mode {
    Running,
    /// In `terminate`: only `kill` interrupts; other signals are dropped.
    Exiting,
}

/// Why a guarded handler stopped early.
#[derive(Debug)]
pub(crate) struct Interrupt {
    pub(crate) reason: ExitReason,
    /// `true` for `kill` itself, after which `terminate` does not run. A `Killed` reason that
    /// arrives from a link is an ordinary exit signal.
    pub(crate) kill: bool,
}

impl Interrupt {
    fn exit(reason: ExitReason) -> Self {
        Interrupt { reason, kill: false }
    }

    pub(crate) fn panic(payload: &(dyn std::any::Any + Send)) -> Self {
        Interrupt::exit(ExitReason::from_panic(payload))
    }
}

/// Sorts the signals that came at once (see [`Signal`]): returns the reason to die with now, if
/// any, and sets the others aside in `deferred` (memory compaction, and ordered signals a
/// `DropOldest` sender promoted), to be handled before the next message.
///
/// An exit signal in this lane was sent while the process did not trap exits, so it acts as an
/// untrapped one even if the process has turned trapping on since: it was, in Erlang's terms,
/// received before that. (Trapped exits travel in the mailbox instead.)
pub(crate) fn triage(
    core: &ControlBlock,
    deferred: &mut Vec<Signal>,
    mode: Mode,
) -> Option<Interrupt> {
    let mut rel = core.relations.lock();
    let signals = core.take_signals(&mut rel);
    // The first graceful end (a stop, an exit signal) found; a kill or a memory overrun later
    // in the same batch still wins over it, so it is not lost with the rest of the batch.
    let mut graceful = None;
    for signal in signals {
        match signal {
            Signal::Kill => return Some(Interrupt { reason: ExitReason::Killed, kill: true }),
            Signal::Overrun { limit, held } => {
                let reason = ExitReason::MemoryLimit { limit, held };
                return Some(Interrupt { reason, kill: true });
            }
            _ if mode == Mode::Exiting || graceful.is_some() => {}
            Signal::Stop(reason) => graceful = Some(Interrupt::exit(reason)),
            Signal::Exit { from, reason, link } => {
                if link && !rel.links.remove(from) {
                    continue; // unlinked since: Erlang drops such a signal
                }
                match reason {
                    ExitReason::Normal if !link && from == core.pid() => {
                        graceful = Some(Interrupt::exit(reason));
                    }
                    ExitReason::Normal => {}
                    reason => graceful = Some(Interrupt::exit(reason)),
                }
            }
            signal @ (Signal::Down(_) | Signal::Compact | Signal::Promoted(_)) => {
                deferred.push(signal);
            }
        }
    }
    graceful
}

pin_project! {
    /// A handler's future, interrupted when a fatal signal arrives; a panic inside it becomes
    /// an interrupt with `ExitReason::Panicked`.
    pub(crate) struct Guard<'a, F> {
        #[pin]
        fut: F,
        core: &'a ControlBlock,
        deferred: &'a mut Vec<Signal>,
        mode: Mode,
        polled: bool,
    }
}

impl<'a, F: Future> Guard<'a, F> {
    pub(crate) fn new(
        fut: F,
        core: &'a ControlBlock,
        deferred: &'a mut Vec<Signal>,
        mode: Mode,
    ) -> Self {
        Guard { fut, core, deferred, mode, polled: false }
    }
}

impl<F: Future> Future for Guard<'_, F> {
    type Output = Result<F::Output, Interrupt>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        // A handler always gets its first poll: a message taken from the mailbox is handled at
        // least up to its handler's first `.await`, so a handler that does not wait is never
        // cut off (and its message never lost) by a signal that came in just after it.
        if *this.polled
            && this.core.signals_pending()
            && let Some(reason) = triage(this.core, this.deferred, *this.mode)
        {
            return Poll::Ready(Err(reason));
        }
        *this.polled = true;
        let fut = this.fut;
        match catch_unwind(AssertUnwindSafe(|| fut.poll(cx))) {
            Ok(Poll::Ready(out)) => return Poll::Ready(Ok(out)),
            Ok(Poll::Pending) => {}
            Err(payload) => return Poll::Ready(Err(Interrupt::panic(&*payload))),
        }
        // Register before the second look, so a signal pushed in between still wakes us.
        this.core.waker.register(cx.waker());
        if this.core.signals_pending()
            && let Some(reason) = triage(this.core, this.deferred, *this.mode)
        {
            return Poll::Ready(Err(reason));
        }
        Poll::Pending
    }
}
