//! The one allocation of a process: its control block, its typed mailbox and its message
//! counters; [`AnyProcess`], the same block seen without its message type, as the node's
//! table holds it; and delivery: putting a message in the mailbox (the push, the wake-up, the
//! overflow policy), through which every way of sending goes (an address, a broadcast, a
//! credit link), and queueing the signals that travel in the mailbox.

use std::any::Any;
use std::sync::Arc;

use crate::engine::control_block::ControlBlock;
use crate::engine::mailbox::{Mailbox, PushError};
use crate::engine::message_counters::{MessageCounters, count_sent};
use crate::engine::signal::{Addressed, Signal};
use crate::process::delivery::Delivery;
use crate::process::overflow::Overflow;
use crate::{ExitReason, Node, Pid};

/// The one allocation of a process: its control block and its typed mailbox.
pub(crate) struct ProcessBlock<M> {
    pub(crate) core: ControlBlock,
    pub(crate) mailbox: Mailbox<M>,
    /// What flowed through this address (message analytics).
    pub(crate) traffic: MessageCounters,
}

impl<M> ProcessBlock<M> {
    pub(crate) fn new(core: ControlBlock, mailbox: Mailbox<M>) -> Self {
        ProcessBlock { core, mailbox, traffic: MessageCounters::default() }
    }
}

/// A process seen without its message type, as the node's table holds it.
pub(crate) trait AnyProcess: Send + Sync {
    fn core(&self) -> &ControlBlock;
    fn mailbox_len(&self) -> usize;
    fn mailbox_capacity(&self) -> Option<usize>;
    fn overflow(&self) -> Overflow;
    fn traffic(&self) -> &MessageCounters;
    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync>;
    /// Closes the mailbox for good, dropping what it holds, and records the final exit.
    fn close(&self, unreleased: usize);
    /// Delivers a signal to the incarnation `to`, in its lane (see [`Signal`]). `false` if that
    /// incarnation has exited (or is not the current one).
    fn signal(&self, to: Pid, signal: Signal) -> bool;
}

impl<M: Send + 'static> AnyProcess for ProcessBlock<M> {
    fn core(&self) -> &ControlBlock {
        &self.core
    }

    fn mailbox_len(&self) -> usize {
        self.mailbox.len()
    }

    fn mailbox_capacity(&self) -> Option<usize> {
        self.mailbox.capacity()
    }

    fn overflow(&self) -> Overflow {
        self.mailbox.overflow()
    }

    fn traffic(&self) -> &MessageCounters {
        &self.traffic
    }

    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }

    fn close(&self, unreleased: usize) {
        self.mailbox.close(unreleased);
        self.core.record_final();
    }

    fn signal(&self, to: Pid, signal: Signal) -> bool {
        // Erlang's `exit(Pid, kill)`: untrappable, the process exits `killed`. From a link,
        // a `kill` reason is an ordinary exit signal (the linked process exited with it).
        let signal = match signal {
            Signal::Exit { reason: ExitReason::Kill, link: false, .. } => Signal::Kill,
            signal => signal,
        };
        let ordered = match &signal {
            Signal::Down(_) => true,
            // Trapped, an exit signal becomes something the process receives: it queues behind
            // what its sender sent before. Untrapped, it acts at once.
            Signal::Exit { .. } => self.core.traps_exits(),
            _ => false,
        };
        if ordered { self.push_ordered(to, signal) } else { self.core.push_signal(to, signal) }
    }
}

impl<M: Send + 'static> ProcessBlock<M> {
    /// Queues an ordered signal in the mailbox, behind everything sent before it. `false` if
    /// the incarnation `to` has ended or the mailbox is closed. A signal that slips into a
    /// kept mailbox just as `to` ends is dropped by the next incarnation, which checks `to`.
    pub(crate) fn push_ordered(&self, to: Pid, signal: Signal) -> bool {
        if self.core.pid() != to || self.core.relations.lock().exited {
            return false;
        }
        match self.mailbox.push_signal(Box::new(Addressed { to, signal })) {
            Ok(wake) => {
                if wake {
                    self.core.waker.wake();
                }
                true
            }
            Err(_) => false,
        }
    }

    /// Hands a signal that a `DropOldest` sender found at the head of the mailbox to the
    /// receiver, ahead of everything still queued.
    pub(crate) fn promote(&self, signal: Box<Addressed>) {
        let to = signal.to;
        self.core.push_signal(to, Signal::Promoted(signal));
    }
}

impl<M: Send + 'static> ProcessBlock<M> {
    /// Pushes if there is room, waking the receiver if it sleeps.
    #[inline]
    pub(crate) fn push(&self, msg: M) -> Result<(), PushError<M>> {
        if self.mailbox.try_push(msg)? {
            self.core.waker.wake();
        }
        count_sent();
        Ok(())
    }

    /// One attempt that applies the overflow policy, short of waiting: `Full` comes back only
    /// under `Wait` and `Fail`.
    #[inline]
    pub(crate) fn offer(&self, msg: M) -> Result<Delivery, PushError<M>> {
        match self.push(msg) {
            Ok(()) => Ok(Delivery::Queued),
            Err(PushError::Full(m)) => self.overflow(m),
            Err(closed) => Err(closed),
        }
    }

    /// A full mailbox under a drop policy: drops a message (counted) and reports what it did
    /// (the [`Delivery`] the sender gets).
    #[cold]
    fn overflow(&self, msg: M) -> Result<Delivery, PushError<M>> {
        let (dropped, delivery) = match self.mailbox.overflow() {
            Overflow::DropNewest => (msg, Delivery::DroppedNewest),
            Overflow::DropOldest => {
                let mut msg = msg;
                let mut tries = 0;
                loop {
                    match self.mailbox.replace_oldest(msg, |signal| self.promote(signal)) {
                        Ok(oldest) => break (oldest, Delivery::DroppedOldest),
                        // Nothing waits: the receiver has just taken it (and room may be
                        // free again), or a sender holds the slot while it pushes. Try again a
                        // few times, then the newest goes.
                        Err(newest) if tries < 3 => {
                            tries += 1;
                            match self.push(newest) {
                                Ok(()) => return Ok(Delivery::Queued),
                                Err(PushError::Full(m)) => msg = m,
                                Err(closed) => return Err(closed),
                            }
                        }
                        Err(newest) => break (newest, Delivery::DroppedNewest),
                    }
                }
            }
            _ => return Err(PushError::Full(msg)),
        };
        self.traffic.count_dropped();
        count_sent();
        drop(dropped);
        Ok(delivery)
    }

    /// Under `Fail`, counts a refusal and says so.
    pub(crate) fn refuses(&self) -> bool {
        let refuses = self.mailbox.overflow() == Overflow::Fail;
        if refuses {
            self.traffic.count_refused();
        }
        refuses
    }
}

impl<M> ProcessBlock<M> {
    /// Reports drops and stalls (to the process's hook, or its node, which tell them as
    /// telemetry), at most once a second per process with the counts since the previous
    /// report, so a flood costs one report a second, not one per message. Checked by the
    /// receiver when it samples; `flush` when it ends.
    pub(crate) fn report_flow(&self, node: &Node, flush: bool) {
        let Some(report) = self.traffic.take_flow_report(
            node.state.epoch,
            self.core.pid(),
            self.mailbox.overflow(),
            flush,
        ) else {
            return;
        };
        match self.core.hook() {
            Some(hook) => hook.flow(node, &report),
            None => node.report_flow(None, &report),
        }
    }
}
