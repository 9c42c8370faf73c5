//! The control block every process shares with its addresses and its node.
//!
//! One allocation per process holds the mailbox and this block: the pid, the waker of the
//! process's task, the signal queue, the links and monitors, and the counters `process_info`
//! reads. Everything here is touched by other threads; the hot path (send, receive) touches
//! only the mailbox and, when the receiver sleeps, the waker.

use std::any::Any;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release, SeqCst};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, AtomicUsize};
use std::sync::{Arc, OnceLock};

use event_listener::Event;
use futures::task::AtomicWaker;
use parking_lot::Mutex;

use crate::engine::mailbox::Mailbox;
use crate::{Down, ExitReason, MonitorRef, Name, Pid, ProcessStatus};

/// A signal: travels ahead of ordinary messages.
#[derive(Debug)]
pub(crate) enum Signal {
    /// An exit signal: from a linked process that ended (`link`), or sent with `exit(pid, reason)`.
    Exit { from: Pid, reason: ExitReason, link: bool },
    /// `kill`: cannot be trapped.
    Kill,
    /// A monitored process ended.
    Down(Down),
}

/// Links, monitors, names and pending signals: changed rarely, under one lock per process.
#[derive(Debug, Default)]
pub(crate) struct Relations {
    pub(crate) exited: bool,
    /// Pending signals, oldest first.
    pub(crate) signals: Vec<Signal>,
    pub(crate) links: Vec<Pid>,
    /// Monitors set on this process: (reference, watcher).
    pub(crate) watchers: Vec<(MonitorRef, Pid)>,
    /// Monitors this process set on others: (reference, target).
    pub(crate) monitoring: Vec<(MonitorRef, Pid)>,
    /// Its registered names and process groups.
    pub(crate) entries: Vec<Entry>,
}

/// A registry entry a process holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Entry {
    Name(Name),
    Group(Arc<str>),
}

impl Relations {
    pub(crate) fn names(&self) -> impl Iterator<Item = &Name> {
        self.entries.iter().filter_map(|e| match e {
            Entry::Name(n) => Some(n),
            Entry::Group(_) => None,
        })
    }

    pub(crate) fn groups(&self) -> impl Iterator<Item = &Arc<str>> {
        self.entries.iter().filter_map(|e| match e {
            Entry::Group(g) => Some(g),
            Entry::Name(_) => None,
        })
    }
}

const STATUS_RUNNING: u8 = 0;
const STATUS_WAITING: u8 = 1;
const STATUS_EXITING: u8 = 2;
const STATUS_EXITED: u8 = 3;

pub(crate) struct Core {
    pub(crate) pid: Pid,
    /// The local id of the spawning process on the same node; 0 for none.
    parent: u64,
    pub(crate) waker: AtomicWaker,
    signals_pending: AtomicBool,
    pub(crate) relations: Mutex<Relations>,
    status: AtomicU8,
    handled: AtomicU64,
    trap_exit: AtomicBool,
    /// Strong addresses (and registered names) that keep the process alive.
    senders: AtomicUsize,
    exit: OnceLock<ExitReason>,
    exit_event: Event,
}

impl Core {
    pub(crate) fn new(pid: Pid, parent: Option<Pid>, trap_exit: bool) -> Self {
        Core {
            pid,
            parent: parent.map_or(0, Pid::local_id),
            waker: AtomicWaker::new(),
            signals_pending: AtomicBool::new(false),
            relations: Mutex::new(Relations::default()),
            status: AtomicU8::new(STATUS_RUNNING),
            handled: AtomicU64::new(0),
            trap_exit: AtomicBool::new(trap_exit),
            senders: AtomicUsize::new(1),
            exit: OnceLock::new(),
            exit_event: Event::new(),
        }
    }

    /// The process that spawned this one, if a process did.
    pub(crate) fn parent(&self) -> Option<Pid> {
        (self.parent != 0).then(|| Pid::new(self.pid.node(), self.parent))
    }

    /// Queues a signal and wakes the process. `false` if the process has already exited.
    pub(crate) fn push_signal(&self, signal: Signal) -> bool {
        {
            let mut rel = self.relations.lock();
            if rel.exited {
                return false;
            }
            rel.signals.push(signal);
        }
        self.signals_pending.store(true, SeqCst);
        self.waker.wake();
        true
    }

    pub(crate) fn signals_pending(&self) -> bool {
        self.signals_pending.load(SeqCst)
    }

    /// Takes every queued signal, in arrival order.
    pub(crate) fn take_signals(&self, rel: &mut Relations) -> Vec<Signal> {
        self.signals_pending.store(false, SeqCst);
        std::mem::take(&mut rel.signals)
    }

    pub(crate) fn retain(&self) {
        self.senders.fetch_add(1, Relaxed);
    }

    /// Takes a strong reference unless none is left (the process is ending for want of them).
    pub(crate) fn try_retain(&self) -> bool {
        let mut n = self.senders.load(Relaxed);
        loop {
            if n == 0 {
                return false;
            }
            match self.senders.compare_exchange_weak(n, n + 1, AcqRel, Relaxed) {
                Ok(_) => return true,
                Err(actual) => n = actual,
            }
        }
    }

    pub(crate) fn release(&self) {
        if self.senders.fetch_sub(1, AcqRel) == 1 {
            self.waker.wake();
        }
    }

    pub(crate) fn has_senders(&self) -> bool {
        self.senders.load(SeqCst) > 0
    }

    pub(crate) fn set_trap_exit(&self, on: bool) {
        self.trap_exit.store(on, Release);
    }

    pub(crate) fn traps_exits(&self) -> bool {
        self.trap_exit.load(Acquire)
    }

    pub(crate) fn set_handled(&self, n: u64) {
        self.handled.store(n, Relaxed);
    }

    pub(crate) fn handled(&self) -> u64 {
        self.handled.load(Relaxed)
    }

    pub(crate) fn set_status(&self, status: ProcessStatus) {
        let code = match status {
            ProcessStatus::Running => STATUS_RUNNING,
            ProcessStatus::Waiting => STATUS_WAITING,
            ProcessStatus::Exiting => STATUS_EXITING,
            ProcessStatus::Exited => STATUS_EXITED,
        };
        self.status.store(code, Relaxed);
    }

    pub(crate) fn status(&self) -> ProcessStatus {
        match self.status.load(Relaxed) {
            STATUS_RUNNING => ProcessStatus::Running,
            STATUS_WAITING => ProcessStatus::Waiting,
            STATUS_EXITING => ProcessStatus::Exiting,
            _ => ProcessStatus::Exited,
        }
    }

    /// Records the exit reason (first one wins) and wakes everyone waiting for it.
    pub(crate) fn set_exit_reason(&self, reason: ExitReason) {
        let _ = self.exit.set(reason);
        self.set_status(ProcessStatus::Exited);
        self.exit_event.notify(usize::MAX);
    }

    pub(crate) fn exit_reason(&self) -> Option<&ExitReason> {
        self.exit.get()
    }

    /// Waits until the process has exited and returns why. Cancel safe.
    pub(crate) async fn wait_exit(&self) -> ExitReason {
        loop {
            if let Some(reason) = self.exit.get() {
                return reason.clone();
            }
            let listener = self.exit_event.listen();
            if let Some(reason) = self.exit.get() {
                return reason.clone();
            }
            listener.await;
        }
    }
}

/// The one allocation of a process: its control block and its typed mailbox.
pub(crate) struct Shared<M> {
    pub(crate) core: Core,
    pub(crate) mailbox: Mailbox<M>,
}

/// A process seen without its message type, as the node's table holds it.
pub(crate) trait AnyProcess: Send + Sync {
    fn core(&self) -> &Core;
    fn mailbox_len(&self) -> usize;
    fn mailbox_capacity(&self) -> Option<usize>;
    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync>;
}

impl<M: Send + 'static> AnyProcess for Shared<M> {
    fn core(&self) -> &Core {
        &self.core
    }

    fn mailbox_len(&self) -> usize {
        self.mailbox.len()
    }

    fn mailbox_capacity(&self) -> Option<usize> {
        self.mailbox.capacity()
    }

    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}
