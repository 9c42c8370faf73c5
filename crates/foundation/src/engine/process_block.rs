//! The one allocation of a process: its control block, its typed mailbox and its message
//! counters; and [`AnyProcess`], the same block seen without its message type, as the node's
//! table holds it.

use std::any::Any;
use std::sync::Arc;

use crate::Pid;
use crate::engine::control_block::ControlBlock;
use crate::engine::mailbox::Mailbox;
use crate::engine::message_counters::MessageCounters;
use crate::engine::signal::{Addressed, Signal};

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
    fn overflow(&self) -> crate::process::overflow::Overflow;
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

    fn overflow(&self) -> crate::process::overflow::Overflow {
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
