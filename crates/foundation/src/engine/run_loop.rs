//! The loop every process runs: `init`, then signals and messages until it ends, then
//! `terminate`, then the exit is propagated.
//!
//! Order of work on each turn: pending signals first (a fatal one ends the process; trapped
//! exits and `Down`s are handled), then one message. Every handler runs under a guard, so a
//! fatal signal interrupts it; every handler runs inside `catch_unwind`, so a panic becomes the
//! process's exit reason and never reaches the thread.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::task::Poll;

use futures::FutureExt;

use crate::engine::control::{Core, Shared, Signal};
use crate::engine::guard::{Mode, guarded, triage};
use crate::engine::mailbox::Park;
use crate::{Context, Down, ExitReason, Process, ProcessStatus};

/// What the receiver found.
enum Event<M> {
    Message(M),
    Signal,
    /// No message is left and no strong address either: nothing can ever arrive.
    Idle,
}

/// The receiving side of a mailbox, owned by the process's task.
struct Receiver<M> {
    shared: Arc<Shared<M>>,
    popped: usize,
    parked: bool,
}

impl<M> Receiver<M> {
    async fn next(&mut self) -> Event<M> {
        poll_fn(|cx| {
            let shared = &*self.shared;
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
                if let Some(msg) = mailbox.pop() {
                    self.popped += 1;
                    if self.popped >= mailbox.release_batch() {
                        mailbox.release(self.popped);
                        self.popped = 0;
                    }
                    return Poll::Ready(Event::Message(msg));
                }
                mailbox.release(std::mem::take(&mut self.popped));
                core.waker.register(cx.waker());
                match mailbox.try_park() {
                    Park::Retry => {
                        if let Some(msg) = mailbox.pop() {
                            self.popped = 1;
                            return Poll::Ready(Event::Message(msg));
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
                        if !core.has_senders() {
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
        })
        .await
    }
}

/// Runs a process to its end and propagates its exit.
pub(crate) async fn run<P: Process>(mut process: P, mut ctx: Context<P::Message>) {
    let shared = Arc::clone(&ctx.shared);
    let mut rx = Receiver { shared: Arc::clone(&shared), popped: 0, parked: false };
    let mut deferred = VecDeque::new();
    let core = &shared.core;

    let outcome = AssertUnwindSafe(drive(&mut process, &mut ctx, &mut rx, &mut deferred, core))
        .catch_unwind()
        .await;
    let mut reason = match outcome {
        Ok(reason) => reason,
        Err(payload) => ExitReason::from_panic(&*payload),
    };

    if !reason.is_killed() {
        core.set_status(ProcessStatus::Exiting);
        let term =
            guarded(process.terminate(&mut ctx, &reason), core, &mut deferred, Mode::Exiting);
        match AssertUnwindSafe(term).catch_unwind().await {
            Ok(Ok(())) => {}
            Ok(Err(killed)) => reason = killed,
            Err(payload) if reason.is_normal() => reason = ExitReason::from_panic(&*payload),
            Err(_) => {}
        }
    }
    // The process's state is dropped before anyone learns of its end.
    drop(process);
    let node = ctx.node.clone();
    drop(ctx);
    crate::engine::exit::finish(&node.state, &shared, &reason, rx.popped);
}

async fn drive<P: Process>(
    process: &mut P,
    ctx: &mut Context<P::Message>,
    rx: &mut Receiver<P::Message>,
    deferred: &mut VecDeque<Signal>,
    core: &Core,
) -> ExitReason {
    match guarded(process.init(ctx), core, deferred, Mode::Running).await {
        Err(reason) => return reason,
        Ok(Err(err)) => return ExitReason::Error(Arc::from(err)),
        Ok(Ok(())) => {}
    }
    let mut handled: u64 = 0;
    loop {
        if let Some(reason) = ctx.stop.take() {
            return reason;
        }
        if core.signals_pending()
            && let Some(reason) = triage(core, deferred, Mode::Running)
        {
            return reason;
        }
        if let Some(signal) = deferred.pop_front() {
            let result = match signal {
                Signal::Exit { from, reason, link } => {
                    if link && !take_link(core, from) {
                        continue;
                    }
                    guarded(process.handle_exit(ctx, from, reason), core, deferred, Mode::Running)
                        .await
                }
                Signal::Down(down) => {
                    if !take_monitor(core, &down) {
                        continue;
                    }
                    guarded(process.handle_down(ctx, down), core, deferred, Mode::Running).await
                }
                Signal::Kill => return ExitReason::Killed,
            };
            match result {
                Err(reason) => return reason,
                Ok(Err(err)) => return ExitReason::Error(Arc::from(err)),
                Ok(Ok(())) => continue,
            }
        }
        match rx.next().await {
            Event::Message(msg) => {
                let result = guarded(process.handle(ctx, msg), core, deferred, Mode::Running).await;
                handled += 1;
                core.set_handled(handled);
                match result {
                    Err(reason) => return reason,
                    Ok(Err(err)) => return ExitReason::Error(Arc::from(err)),
                    Ok(Ok(())) => {}
                }
            }
            Event::Signal => {}
            Event::Idle => return ExitReason::Normal,
        }
    }
}

/// A trapped exit from a link is delivered only if the link still stands; it then goes.
fn take_link(core: &Core, from: crate::Pid) -> bool {
    let mut rel = core.relations.lock();
    let before = rel.links.len();
    rel.links.retain(|p| *p != from);
    rel.links.len() != before
}

/// A `Down` is delivered only if its monitor was not removed meanwhile; it then goes.
fn take_monitor(core: &Core, down: &Down) -> bool {
    let mut rel = core.relations.lock();
    match rel.monitoring.iter().position(|(r, _)| *r == down.monitor) {
        Some(i) => {
            rel.monitoring.swap_remove(i);
            true
        }
        None => false,
    }
}
