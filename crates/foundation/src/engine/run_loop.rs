//! The loop every process runs: `init`, then signals and messages until it ends, then
//! `terminate`, then the exit is propagated.
//!
//! Order of work on each turn: the signals that act at once first (a fatal one ends the
//! process; compaction and promoted signals are handled), then the next entry of the mailbox: a
//! message, or a trapped exit or `Down` in its place among the messages (see `control::Signal`).
//! Every handler runs under a guard, so a fatal signal interrupts it; every handler runs inside
//! `catch_unwind`, so a panic becomes the process's exit reason and never reaches the thread.

use std::future::poll_fn;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::task::Poll;

use crate::engine::control_block::ControlBlock;
use crate::engine::current;
use crate::engine::guard::{Guard, Interrupt, Mode, triage};
use crate::engine::mailbox::{Park, Slot};
use crate::engine::process_block::ProcessBlock;
use crate::engine::signal::{Addressed, Signal};
use crate::{BoxError, Context, Down, ExitReason, Process, ProcessStatus};

/// How many messages a process handles in a row before it yields to its worker's other tasks
/// (about the BEAM's 4,000 reductions per time slice).
const YIELD_EVERY: u64 = 4000;

/// What the receiver found.
pub(crate) enum Event<M> {
    Message(M),
    /// A trapped exit or a `Down`, in its place among the messages.
    Ordered(Box<Addressed>),
    Signal,
    /// The mailbox ran dry after a burst, and the process compacts after bursts.
    Drained,
    /// No message is left and no strong address either: nothing can ever arrive (only for a
    /// process that asked to end when unreferenced).
    Idle,
}

/// The receiving side's own state, kept by the process's task.
#[derive(Default)]
pub(crate) struct Receiver {
    /// Entries popped but not yet released to senders (released in batches).
    pub(crate) popped: usize,
    /// The receiver marked itself parked and went to sleep.
    parked: bool,
    /// Messages came since the receiver last ran dry.
    burst: bool,
}

impl Receiver {
    pub(crate) fn poll_next<M>(
        &mut self,
        shared: &ProcessBlock<M>,
        cx: &mut std::task::Context<'_>,
    ) -> Poll<Event<M>> {
        let (core, mailbox) = (&shared.core, &shared.mailbox);
        if self.parked {
            self.parked = false;
            mailbox.unpark();
            core.set_status(ProcessStatus::Running);
        }
        if core.signals_pending() {
            return Poll::Ready(Event::Signal);
        }
        loop {
            if let Some(entry) = mailbox.pop() {
                self.popped += 1;
                self.burst = true;
                if self.popped >= mailbox.release_batch() {
                    mailbox.release(std::mem::take(&mut self.popped));
                }
                return Poll::Ready(entry.into());
            }
            mailbox.release(std::mem::take(&mut self.popped));
            if std::mem::take(&mut self.burst) && core.compacts_after_bursts() {
                return Poll::Ready(Event::Drained);
            }
            core.waker.register(cx.waker());
            match mailbox.try_park() {
                Park::Retry => {
                    if let Some(entry) = mailbox.pop() {
                        self.popped = 1;
                        return Poll::Ready(entry.into());
                    }
                    // A sender reserved a slot and is still pushing: look again soon.
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                Park::Parked => {
                    if core.signals_pending() {
                        mailbox.unpark();
                        return Poll::Ready(Event::Signal);
                    }
                    if core.ends_when_unreferenced() && !core.has_senders() {
                        mailbox.unpark();
                        if mailbox.len() == 0 {
                            return Poll::Ready(Event::Idle);
                        }
                        continue;
                    }
                    self.parked = true;
                    core.set_status(ProcessStatus::Waiting);
                    return Poll::Pending;
                }
            }
        }
    }
}

impl<M> From<Slot<M>> for Event<M> {
    #[inline]
    fn from(slot: Slot<M>) -> Self {
        match slot {
            Slot::Message(msg) => Event::Message(msg),
            Slot::Signal(signal) => Event::Ordered(signal),
        }
    }
}

/// Owns the receiver's state for the whole life of a process's task, and finishes the process
/// if the task is dropped before it could (its runtime was dropped without
/// `Node::shutdown`): the process then ends as killed (no `terminate`: a drop cannot await),
/// its address closes, its names are released, and its links, monitors and waiters are told.
pub(crate) struct Teardown<M: Send + 'static> {
    rx: Receiver,
    shared: Arc<ProcessBlock<M>>,
    node: crate::Node,
    finished: bool,
}

impl<M: Send + 'static> Teardown<M> {
    pub(crate) fn new(shared: Arc<ProcessBlock<M>>, node: crate::Node) -> Self {
        Teardown { rx: Receiver::default(), shared, node, finished: false }
    }

    fn finish(&mut self, reason: &ExitReason) {
        self.finished = true;
        crate::engine::finish::finish(&self.node.state, &self.shared, reason, self.rx.popped);
    }
}

impl<M: Send + 'static> Drop for Teardown<M> {
    fn drop(&mut self) {
        if !self.finished {
            self.finish(&ExitReason::Killed);
        }
    }
}

/// Builds a handler's future and runs it under a [`Guard`]. A panic while building the future
/// (before its first `.await`, in a hand-written `fn handle(..) -> impl Future`) is caught too.
macro_rules! guarded {
    ($process:ident . $method:ident ( $ctx:ident $(, $arg:ident)* ), $core:expr, $deferred:expr, $mode:expr) => {{
        let process = &mut $process;
        let ctx = &mut $ctx;
        match catch_unwind(AssertUnwindSafe(once(move || process.$method(ctx $(, $arg)*)))) {
            Ok(fut) => Guard::new(fut, $core, $deferred, $mode).await,
            Err(payload) => Err(Interrupt::panic(&*payload)),
        }
    }};
}

/// Runs the process's `compact`; a panic there ends the process as any handler's would, so
/// it is caught and turned into a stop.
fn compact<P: Process>(process: &mut P, ctx: &mut Context<P::Message>) {
    if let Err(payload) = catch_unwind(AssertUnwindSafe(|| process.compact(ctx))) {
        ctx.stop(ExitReason::from_panic(&*payload));
    }
}

/// Makes a closure `FnOnce`, so the future it returns may keep the borrows it captured.
fn once<R>(f: impl FnOnce() -> R) -> impl FnOnce() -> R {
    f
}

/// Turns a guarded handler's outcome into "keep going" or the reason to end.
fn outcome(result: Result<Result<(), BoxError>, Interrupt>) -> Option<Interrupt> {
    match result {
        Ok(Ok(())) => None,
        Ok(Err(err)) => Some(Interrupt { reason: ExitReason::Error(Arc::from(err)), kill: false }),
        Err(interrupt) => Some(interrupt),
    }
}

fn ended(reason: ExitReason) -> Option<Interrupt> {
    Some(Interrupt { reason, kill: false })
}

/// Runs a process to its end and propagates its exit. `teardown` is made with the task, so
/// that a task dropped even before its first poll still finishes the process.
pub(crate) async fn run<P: Process>(
    mut process: P,
    mut ctx: Context<P::Message>,
    teardown: &mut Teardown<P::Message>,
) {
    let shared = Arc::clone(&ctx.shared);
    let core = &shared.core;
    let mut deferred = Vec::new();
    let mut handled = core.handled();
    // Messages until the next analytics sample (a byte: it fits the task's padding).
    let mut look: u8 = 1;
    // A message taken while a promoted signal was due: handled right after that signal.
    let mut held: Option<P::Message> = None;
    let drop_oldest = shared.mailbox.overflow() == crate::process::overflow::Overflow::DropOldest;

    let init = guarded!(process.init(ctx), core, &mut deferred, Mode::Running);
    let mut reason = outcome(init);
    // A successful start is told at once; a failed one only once the process has finished
    // (below), so that whoever waits for it (a supervisor about to try again in the same
    // address, a synchronous start) finds the address handed back and nothing left running.
    let failed_start = match (ctx.init_ack.take(), &reason) {
        (Some(ack), None) => {
            let _ = ack.send(Ok(()));
            None
        }
        (Some(ack), Some(interrupt)) => Some((ack, interrupt.reason.clone())),
        (None, _) => None,
    };
    // As OTP's gen_server: `terminate` runs only for a process whose `init` succeeded.
    let initialized = reason.is_none();
    while reason.is_none() {
        // The last handler returned and the process goes on: callers whose reply handles it
        // dropped unanswered learn it now (`no_reply`, with no exit reason).
        core.release_orphans(None);
        if let Some(stop) = ctx.stop.take() {
            reason = ended(stop);
            break;
        }
        if core.signals_pending()
            && let Some(fatal) = triage(core, &mut deferred, Mode::Running)
        {
            reason = Some(fatal);
            break;
        }
        if !deferred.is_empty() {
            let result = match deferred.remove(0) {
                Signal::Compact => {
                    compact(&mut process, &mut ctx);
                    Ok(Ok(()))
                }
                Signal::Promoted(signal) => {
                    let Some(result) =
                        ordered(&mut process, &mut ctx, *signal, &mut deferred).await
                    else {
                        continue;
                    };
                    result
                }
                Signal::Down(down) => {
                    let to = core.pid();
                    let signal = Addressed { to, signal: Signal::Down(down) };
                    let Some(result) = ordered(&mut process, &mut ctx, signal, &mut deferred).await
                    else {
                        continue;
                    };
                    result
                }
                // Fatal signals never wait here (triage acts on them at once).
                Signal::Kill | Signal::Overrun { .. } | Signal::Exit { .. } | Signal::Stop(_) => {
                    Ok(Ok(()))
                }
            };
            reason = outcome(result);
            continue;
        }
        let msg = match held.take() {
            Some(msg) => msg,
            None => match poll_fn(|cx| teardown.rx.poll_next(&shared, cx)).await {
                Event::Message(msg) => {
                    // Under `DropOldest`, a sender may be promoting a signal that stood ahead
                    // of this message: let it finish, and handle the signal first.
                    if drop_oldest {
                        shared.mailbox.settle();
                        if core.signals_pending() {
                            held = Some(msg);
                            continue;
                        }
                    }
                    msg
                }
                Event::Ordered(signal) => {
                    if let Some(result) =
                        ordered(&mut process, &mut ctx, *signal, &mut deferred).await
                    {
                        reason = outcome(result);
                        core.check_memory();
                    }
                    continue;
                }
                Event::Signal => continue,
                Event::Drained => {
                    compact(&mut process, &mut ctx);
                    continue;
                }
                Event::Idle => {
                    reason = ended(ExitReason::Normal);
                    continue;
                }
            },
        };
        let traffic = &shared.traffic;
        if let Some(size) = P::message_size(&msg) {
            traffic.count_bytes(size);
        }
        look -= 1;
        if look == 0 {
            look = traffic.sample(handled + 1, shared.mailbox.len(), ctx.node.state.epoch);
            shared.report_flow(&ctx.node, false);
        }
        let result = guarded!(process.handle(ctx, msg), core, &mut deferred, Mode::Running);
        handled += 1;
        core.set_handled(handled);
        reason = outcome(result);
        // The memory limit is checked after every message (and after every poll).
        core.check_memory();
        // A process whose mailbox never runs dry still yields now and then, so that it
        // cannot starve the other tasks of its worker thread.
        if reason.is_none() && handled % YIELD_EVERY == 0 {
            tokio::task::yield_now().await;
        }
    }
    // A message held for a promoted signal and never handled goes with the process, as the
    // messages still queued do.
    drop(held);
    let Interrupt { mut reason, kill } =
        reason.unwrap_or(Interrupt { reason: ExitReason::Normal, kill: false });

    if initialized && !kill {
        core.set_status(ProcessStatus::Exiting);
        let why = &reason;
        let ended = guarded!(process.terminate(ctx, why), core, &mut deferred, Mode::Exiting);
        match ended {
            Ok(()) => {}
            Err(Interrupt { kill: true, .. }) => reason = ExitReason::Killed,
            Err(panicked) if reason.is_normal() => reason = panicked.reason,
            Err(_) => {}
        }
    }
    // The process's state is dropped before anyone learns of its end; a panic in its `Drop`
    // is that process's last panic, not the thread's.
    if let Err(payload) = catch_unwind(AssertUnwindSafe(|| drop(process)))
        && reason.is_normal()
    {
        reason = ExitReason::from_panic(&*payload);
    }
    shared.report_flow(&ctx.node, true);
    drop(ctx);
    teardown.finish(&reason);
    if let Some((ack, why)) = failed_start {
        let _ = ack.send(Err(why));
    }
}

/// Handles an ordered signal (a trapped exit or a `Down`) taken from the mailbox or promoted.
/// `None` if it is not delivered: it was meant for an earlier incarnation, its link was
/// removed since, or its monitor was. A trapped exit stays one even if the process has stopped
/// trapping since it arrived (it was received as a message, as in Erlang).
async fn ordered<P: Process>(
    mut process: &mut P,
    mut ctx: &mut Context<P::Message>,
    signal: Addressed,
    deferred: &mut Vec<Signal>,
) -> Option<Result<Result<(), BoxError>, Interrupt>> {
    let shared = Arc::clone(&ctx.shared);
    let core = &shared.core;
    if signal.to != core.pid() {
        return None;
    }
    match signal.signal {
        Signal::Exit { from, reason, link } => {
            if link && !take_link(core, from) {
                return None;
            }
            Some(guarded!(process.handle_exit(ctx, from, reason), core, deferred, Mode::Running))
        }
        Signal::Down(down) => {
            if !take_monitor(core, &down) {
                return None;
            }
            Some(guarded!(process.handle_down(ctx, down), core, deferred, Mode::Running))
        }
        // Only exits and downs travel in order.
        _ => None,
    }
}

/// A trapped exit from a link is delivered only if the link still stands; it then goes.
fn take_link(core: &ControlBlock, from: crate::Pid) -> bool {
    let mut rel = core.relations.lock();
    rel.links.remove(from)
}

/// A `Down` is delivered only if its monitor was not removed meanwhile; it then goes.
fn take_monitor(core: &ControlBlock, down: &Down) -> bool {
    core.relations.lock().take_monitor(down.monitor).is_some()
}

pin_project_lite::pin_project! {
    /// A process's task: charges what it allocates to its account while it is polled, and
    /// checks its memory limit after each poll.
    pub(crate) struct Accounted<M, F> {
        shared: Arc<ProcessBlock<M>>,
        // Declared before `orphans`, so dropped first: a task dropped with its runtime records
        // its end (in `inner`) before the callers of parked reply handles are released.
        #[pin]
        inner: F,
        // Reply handles the running handler dropped unanswered in earlier polls.
        orphans: Vec<current::Orphan>,
    }
}

impl<M, F> Accounted<M, F> {
    pub(crate) fn new(shared: Arc<ProcessBlock<M>>, inner: F) -> Self {
        Accounted { shared, orphans: Vec::new(), inner }
    }
}

impl<M, F: std::future::Future> std::future::Future for Accounted<M, F> {
    type Output = F::Output;

    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let core = &this.shared.core;
        let polled = {
            // Read at every poll: a restart gives the process a fresh account.
            let _charged = crate::memory::ChargeTo::new(core.account());
            let polling = current::enter(core, this.orphans);
            crate::engine::message_counters::begin_poll();
            let polled = this.inner.poll(cx);
            this.shared.traffic.add_sent(crate::engine::message_counters::end_poll());
            let parked = polling.leave();
            if !parked.is_empty() {
                // Reply handles dropped by a handler still running: held until it returns.
                // Once the task is done, nothing is left to wait for.
                if polled.is_pending() {
                    *this.orphans = parked;
                } else {
                    parked.into_iter().for_each(|orphan| orphan(None));
                }
            }
            polled
        };
        if polled.is_pending() {
            core.check_memory();
        }
        polled
    }
}
