//! Runs a handler while watching for signals that must end the process at once.
//!
//! An untrapped abnormal exit signal, or `kill`, ends a process even while a handler is waiting
//! on something else (a timer, a call, I/O): the handler's future is dropped at its current
//! `.await`. Signals that do not end the process (monitors' `Down`, trapped exits) are set aside
//! and delivered after the handler returns, ahead of the next ordinary message.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::ExitReason;
use crate::engine::control::{Core, Signal};

/// Whether the process is still running its handlers or already in `terminate`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Mode {
    Running,
    /// In `terminate`: only `kill` interrupts; other signals are dropped.
    Exiting,
}

/// Sorts the pending signals: returns the reason to die with now, if any, and sets the others
/// aside in `deferred`.
pub(crate) fn triage(
    core: &Core,
    deferred: &mut VecDeque<Signal>,
    mode: Mode,
) -> Option<ExitReason> {
    let mut rel = core.relations.lock();
    let signals = core.take_signals(&mut rel);
    let trap = core.traps_exits();
    for signal in signals {
        match signal {
            Signal::Kill => return Some(ExitReason::Killed),
            _ if mode == Mode::Exiting => {}
            Signal::Exit { from, reason, link } => {
                if link && !rel.links.contains(&from) {
                    continue; // unlinked since: Erlang drops such a signal
                }
                if trap {
                    deferred.push_back(Signal::Exit { from, reason, link });
                    continue;
                }
                if link {
                    rel.links.retain(|p| *p != from);
                }
                match reason {
                    ExitReason::Normal if !link && from == core.pid => return Some(reason),
                    ExitReason::Normal => {}
                    reason => return Some(reason),
                }
            }
            Signal::Down(down) => deferred.push_back(Signal::Down(down)),
        }
    }
    None
}

/// A handler's future, interrupted when a fatal signal arrives.
pub(crate) struct Guard<'a, F> {
    fut: Pin<&'a mut F>,
    core: &'a Core,
    deferred: &'a mut VecDeque<Signal>,
    mode: Mode,
}

impl<'a, F: Future> Guard<'a, F> {
    pub(crate) fn new(
        fut: Pin<&'a mut F>,
        core: &'a Core,
        deferred: &'a mut VecDeque<Signal>,
        mode: Mode,
    ) -> Self {
        Guard { fut, core, deferred, mode }
    }
}

impl<F: Future> Future for Guard<'_, F> {
    type Output = Result<F::Output, ExitReason>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if this.core.signals_pending()
            && let Some(reason) = triage(this.core, this.deferred, this.mode)
        {
            return Poll::Ready(Err(reason));
        }
        if let Poll::Ready(out) = this.fut.as_mut().poll(cx) {
            return Poll::Ready(Ok(out));
        }
        // Register before the second look, so a signal pushed in between still wakes us.
        this.core.waker.register(cx.waker());
        if this.core.signals_pending()
            && let Some(reason) = triage(this.core, this.deferred, this.mode)
        {
            return Poll::Ready(Err(reason));
        }
        Poll::Pending
    }
}

/// Runs `fut` under a guard.
pub(crate) async fn guarded<F: Future>(
    fut: F,
    core: &Core,
    deferred: &mut VecDeque<Signal>,
    mode: Mode,
) -> Result<F::Output, ExitReason> {
    let fut = std::pin::pin!(fut);
    Guard::new(fut, core, deferred, mode).await
}
