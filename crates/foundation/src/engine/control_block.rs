//! The control block every process shares with its addresses and its node: the pid of the
//! current incarnation, the waker of the process's task, its relations (under their lock), its
//! status and counters, its exit records and its memory account. Everything here is touched by
//! other threads; the hot path (send, receive) touches only the mailbox and, when the receiver
//! sleeps, the waker.

use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release, SeqCst};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, AtomicUsize};
use std::sync::{Arc, OnceLock};

use event_listener::Event;
use futures::task::AtomicWaker;
use parking_lot::Mutex;

use crate::engine::adoption::Adoption;
use crate::engine::current;
use crate::engine::hook::ProcessHook;
use crate::engine::relations::{Relations, Watcher};
use crate::engine::signal::Signal;
use crate::engine::sync::Mutex as RelationsLock;
use crate::{ExitReason, Pid, ProcessStatus};

const STATUS_RUNNING: u8 = 0;
const STATUS_WAITING: u8 = 1;
const STATUS_EXITING: u8 = 2;
const STATUS_EXITED: u8 = 3;

pub(crate) struct ControlBlock {
    node: u32,
    /// The node's incarnation (see `Pid::creation`).
    creation: u32,
    /// The local id of the first incarnation: the address's identity, stable across restarts.
    address: u64,
    /// The local id of the current (or last) incarnation.
    local: AtomicU64,
    /// The local id of the spawning process on the same node; 0 for none.
    parent: AtomicU64,
    pub(crate) waker: AtomicWaker,
    signals_pending: AtomicBool,
    pub(crate) relations: RelationsLock<Relations>,
    status: AtomicU8,
    adoption: Adoption,
    handled: AtomicU64,
    trap_exit: AtomicBool,
    /// Strong addresses (and registered names) that keep the process alive.
    senders: AtomicUsize,
    /// The local id of the last incarnation that exited (incarnations follow one another, so
    /// it is also the highest), and its reason; written together under the lock.
    exited_upto: AtomicU64,
    last_exit: Mutex<Option<ExitReason>>,
    /// The process ends once no strong address is left and its mailbox is empty (an opt-in;
    /// by default a process lives until it exits, as on the BEAM).
    end_when_unreferenced: AtomicBool,
    /// Set once the mailbox is closed for good: the address's last word. `exit_event` tells it.
    final_exit: OnceLock<ExitReason>,
    exit_event: Event,
    /// The memory account of the current incarnation: its allocations are charged to it. A
    /// new incarnation gets a fresh one (`spawn::respawn`); read at every poll.
    account: AtomicU64,
    /// Bytes the process may hold; 0 for no limit.
    memory_limit: AtomicU64,
    overrun: AtomicBool,
    /// What a feature above the engine attached to this process (see `hook.rs`).
    hook: OnceLock<Arc<dyn ProcessHook>>,
}

impl ControlBlock {
    pub(crate) fn new(pid: Pid, parent: Option<Pid>, trap_exit: bool, account: u64) -> Self {
        ControlBlock {
            account: AtomicU64::new(account),
            memory_limit: AtomicU64::new(0),
            overrun: AtomicBool::new(false),
            node: pid.node(),
            creation: pid.creation(),
            address: pid.local_id(),
            local: AtomicU64::new(pid.local_id()),
            parent: AtomicU64::new(parent.map_or(0, Pid::local_id)),
            waker: AtomicWaker::new(),
            signals_pending: AtomicBool::new(false),
            relations: RelationsLock::new(Relations::default()),
            status: AtomicU8::new(STATUS_RUNNING),
            adoption: Adoption::unsupervised(),
            handled: AtomicU64::new(0),
            trap_exit: AtomicBool::new(trap_exit),
            senders: AtomicUsize::new(1),
            exited_upto: AtomicU64::new(0),
            last_exit: Mutex::new(None),
            end_when_unreferenced: AtomicBool::new(false),
            final_exit: OnceLock::new(),
            exit_event: Event::new(),
            hook: OnceLock::new(),
        }
    }

    /// Drops the reply handles parked by this process's handlers: called when a handler has
    /// returned and the process goes on (their callers fail with no reply), and by `finish`
    /// once the exit is recorded (their callers fail with the exit reason).
    /// (Those of earlier polls are put back in the poll's list when it begins, see
    /// `run_loop::Accounted`.)
    #[inline]
    pub(crate) fn release_orphans(&self, exit: Option<&ExitReason>) {
        if current::any_parked() && current::is(self) {
            for orphan in current::take_parked() {
                orphan(exit);
            }
        }
    }

    /// Attaches a feature's hook to the process, for every incarnation (once: a later hook
    /// is ignored).
    pub(crate) fn set_hook(&self, hook: Arc<dyn ProcessHook>) {
        let _ = self.hook.set(hook);
    }

    /// The feature's hook, if one is attached.
    pub(crate) fn hook(&self) -> Option<&dyn ProcessHook> {
        self.hook.get().map(|h| &**h)
    }

    /// The pid of the current (or last) incarnation.
    pub(crate) fn pid(&self) -> Pid {
        Pid::new(self.node, self.creation, self.local.load(Acquire))
    }

    /// The address's identity: the pid of its first incarnation, the same across restarts.
    pub(crate) fn address(&self) -> Pid {
        Pid::new(self.node, self.creation, self.address)
    }

    pub(crate) fn set_end_when_unreferenced(&self, on: bool) {
        self.end_when_unreferenced.store(on, Relaxed);
    }

    /// Whether the process ends once nothing can reach it (see `end_when_unreferenced`).
    pub(crate) fn ends_when_unreferenced(&self) -> bool {
        self.end_when_unreferenced.load(Relaxed)
    }

    /// The process that spawned this one, if a process did.
    pub(crate) fn parent(&self) -> Option<Pid> {
        let parent = self.parent.load(Relaxed);
        (parent != 0).then(|| Pid::new(self.node, self.creation, parent))
    }

    /// Makes the process adoptable by its supervisor (see [`adoption`](super::adoption)).
    pub(crate) fn set_held(&self) {
        self.adoption.hold();
    }

    /// The ending incarnation hands its mailbox over: `true` if the supervisor holds it (the
    /// mailbox stays open), `false` if nobody will adopt it (close it).
    pub(crate) fn hand_over(&self) -> bool {
        self.adoption.hand_over()
    }

    /// The supervisor takes a waiting mailbox for a new incarnation.
    pub(crate) fn adopt(&self) -> bool {
        self.adoption.adopt()
    }

    /// The supervisor lets go: `true` if the mailbox was waiting for it and must now be closed
    /// by the caller; otherwise the running incarnation will close it when it ends.
    pub(crate) fn orphan(&self) -> bool {
        self.adoption.orphan()
    }

    /// Whether the process compacts after each burst (its hook says so).
    pub(crate) fn compacts_after_bursts(&self) -> bool {
        self.hook().is_some_and(ProcessHook::compact_after_bursts)
    }

    /// The memory account of the current incarnation.
    #[inline]
    pub(crate) fn account(&self) -> u64 {
        self.account.load(Relaxed)
    }

    /// Gives the next incarnation `fresh` as its account; returns the one it replaces.
    pub(crate) fn replace_account(&self, fresh: u64) -> u64 {
        self.account.swap(fresh, Relaxed)
    }

    /// Bytes the process's account holds, if the accounting allocator is installed.
    pub(crate) fn memory(&self) -> Option<u64> {
        crate::memory::live(self.account())
    }

    /// The most the current incarnation has held, if the accounting allocator is installed.
    pub(crate) fn memory_peak(&self) -> Option<u64> {
        crate::memory::peak(self.account())
    }

    pub(crate) fn set_memory_limit(&self, limit: Option<u64>) {
        self.memory_limit.store(limit.unwrap_or(0), Relaxed);
    }

    /// Bytes the process may hold, if it has a limit.
    pub(crate) fn memory_limit(&self) -> Option<u64> {
        Some(self.memory_limit.load(Relaxed)).filter(|&limit| limit != 0)
    }

    /// After a poll: if the process holds more than its limit, tell it (once per incarnation).
    pub(crate) fn check_memory(&self) {
        let limit = self.memory_limit.load(Relaxed);
        if limit == 0 {
            return;
        }
        if let Some(held) = self.memory()
            && held > limit
            && !self.overrun.swap(true, AcqRel)
        {
            self.push_signal_current(Signal::Overrun { limit, held });
        }
    }

    /// Starts a new incarnation in this block: a new pid, fresh relations, counters kept. The
    /// pid changes under the relations lock, so a signal checked against the old pid there
    /// (`push_signal`) can never reach the new incarnation.
    pub(crate) fn begin_incarnation(&self, pid: Pid, parent: Option<Pid>, trap_exit: bool) {
        self.overrun.store(false, Release);
        self.parent.store(parent.map_or(0, Pid::local_id), Relaxed);
        self.trap_exit.store(trap_exit, Release);
        self.set_status(ProcessStatus::Running);
        let mut rel = self.relations.lock();
        *rel = Relations::default();
        self.signals_pending.store(false, SeqCst);
        self.local.store(pid.local_id(), Release);
    }

    /// Ends the current incarnation's relations: marks it exited and takes its links,
    /// monitors, names and waiters, all under the lock, so a link or monitor added before is
    /// seen by the exit and one attempted after finds it exited.
    pub(crate) fn end_relations(&self) -> Relations {
        let mut rel = self.relations.lock();
        let taken = std::mem::take(&mut *rel);
        rel.exited = true;
        taken
    }

    /// Queues a signal for the incarnation `to` and wakes the process. `false` if that
    /// incarnation has already exited (or is not the current one: a signal aimed at an earlier
    /// incarnation never reaches a later one).
    pub(crate) fn push_signal(&self, to: Pid, signal: Signal) -> bool {
        {
            let mut rel = self.relations.lock();
            if rel.exited || self.local.load(Acquire) != to.local_id() {
                return false;
            }
            rel.signals.push(signal);
        }
        self.signals_pending.store(true, SeqCst);
        self.waker.wake();
        true
    }

    /// Queues a signal for whatever incarnation runs now (the node's own housekeeping: memory
    /// pressure, a memory budget). `false` if none runs.
    pub(crate) fn push_signal_current(&self, signal: Signal) -> bool {
        self.push_signal(self.pid(), signal)
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

    /// Takes a strong reference unless none is left and the process ends when unreferenced
    /// (it is ending for want of them). Any other process takes one whatever the count.
    pub(crate) fn try_retain(&self) -> bool {
        if !self.ends_when_unreferenced() {
            self.retain();
            return true;
        }
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

    /// Sets exit trapping; returns whether it was on.
    pub(crate) fn set_trap_exit(&self, on: bool) -> bool {
        self.trap_exit.swap(on, AcqRel)
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

    /// Records why the incarnation `pid` ended. (The waiters it registered are told by
    /// `finish`, with its watchers; the exit event waits for the address's final end.)
    pub(crate) fn record_exit(&self, pid: Pid, reason: ExitReason) {
        {
            let mut last = self.last_exit.lock();
            *last = Some(reason);
            self.exited_upto.store(pid.local_id(), Release);
        }
        self.set_status(ProcessStatus::Exited);
    }

    /// Records that the mailbox is closed for good, with the last incarnation's reason.
    pub(crate) fn record_final(&self) {
        let reason = self.last_exit().unwrap_or(ExitReason::Normal);
        let _ = self.final_exit.set(reason);
        self.exit_event.notify(usize::MAX);
    }

    /// Why the incarnation `pid` ended, once it has. The reason of an incarnation older than
    /// the last one that ended is no longer kept: it reads `NoProc`, never a later one's reason.
    pub(crate) fn exit_of(&self, pid: Pid) -> Option<ExitReason> {
        if self.exited_upto.load(Acquire) < pid.local_id() {
            return None;
        }
        let last = self.last_exit.lock();
        match &*last {
            Some(reason) if self.exited_upto.load(Acquire) == pid.local_id() => {
                Some(reason.clone())
            }
            _ => Some(ExitReason::NoProc),
        }
    }

    /// Why the last incarnation that ended did, if one has.
    pub(crate) fn last_exit(&self) -> Option<ExitReason> {
        self.last_exit.lock().clone()
    }

    /// Why the current incarnation ended, if it has (or the address's final reason).
    pub(crate) fn exit_reason(&self) -> Option<ExitReason> {
        if let Some(reason) = self.final_exit.get() {
            return Some(reason.clone());
        }
        self.exit_of(self.pid())
    }

    /// Waits until the incarnation `pid` has exited and returns why. Cancel safe.
    pub(crate) async fn wait_exit_of(&self, pid: Pid) -> ExitReason {
        // While `pid` runs, its end will tell this waiter its own reason.
        let told = {
            let mut rel = self.relations.lock();
            if !rel.exited && self.local.load(Acquire) == pid.local_id() {
                // Waiters that gave up (a timeout dropped their wait) go first, so that a
                // caller waiting in a loop does not pile them up.
                rel.watchers.retain(|w| !matches!(w, Watcher::Waiter(tell) if tell.is_closed()));
                let (tell, told) = tokio::sync::oneshot::channel();
                rel.watchers.push(Watcher::Waiter(tell));
                Some(told)
            } else {
                None
            }
        };
        if let Some(told) = told
            && let Ok(reason) = told.await
        {
            return reason;
        }
        // It has ended, or is ending right now: its reason is recorded, or will be within
        // the same `finish`, a few instructions on (no event is told for it: the exit event
        // is the address's final one).
        loop {
            if let Some(reason) = self.exit_of(pid) {
                return reason;
            }
            tokio::task::yield_now().await;
        }
    }

    /// Waits until the address is closed for good and returns the last reason. Cancel safe.
    pub(crate) async fn wait_final(&self) -> ExitReason {
        loop {
            if let Some(reason) = self.final_exit.get() {
                return reason.clone();
            }
            let listener = self.exit_event.listen();
            if let Some(reason) = self.final_exit.get() {
                return reason.clone();
            }
            listener.await;
        }
    }
}

impl Drop for ControlBlock {
    fn drop(&mut self) {
        crate::memory::close(*self.account.get_mut());
    }
}
