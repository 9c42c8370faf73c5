//! A snapshot of one process, as `process_info` returns it.

use crate::process::message_stats::MessageStats;
use crate::process::overflow::Overflow;
use crate::{Name, Pid};

/// What a process is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProcessStatus {
    /// Running a handler (or about to).
    Running,
    /// Waiting for a message or signal.
    Waiting,
    /// Running `terminate`.
    Exiting,
    /// Gone.
    Exited,
}

/// A snapshot of one live process: see [`Node::process_info`](crate::Node::process_info).
///
/// The fields are read one after another while the process runs, so they can disagree by a
/// message or two; each is exact at the moment it was read.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ProcessInfo {
    /// The process.
    pub pid: Pid,
    /// What it is doing.
    pub status: ProcessStatus,
    /// Its registered names.
    pub names: Vec<Name>,
    /// Messages waiting in its mailbox, with the trapped exits and `Down`s queued among them
    /// (as Erlang's `message_queue_len` counts `'EXIT'` and `'DOWN'` messages).
    pub mailbox_len: usize,
    /// Its mailbox's bound; `None` for an unbounded mailbox.
    pub mailbox_capacity: Option<usize>,
    /// What a send to its full mailbox does.
    pub overflow: Overflow,
    /// Messages it has handled (not counting signals).
    pub messages_handled: u64,
    /// Message analytics: counts, bytes, rates, mailbox wait, drops and stalls.
    pub messages: MessageStats,
    /// Processes it is linked with.
    pub links: Vec<Pid>,
    /// Processes it monitors.
    pub monitors: Vec<Pid>,
    /// Processes that monitor it.
    pub monitored_by: Vec<Pid>,
    /// Process groups it belongs to.
    pub groups: Vec<String>,
    /// Whether it traps exits.
    pub trap_exit: bool,
    /// The process that spawned it, if it was spawned from a process.
    pub parent: Option<Pid>,
    /// Bytes the process holds, measured by the
    /// [`AccountingAllocator`](crate::memory::AccountingAllocator); `None` without it (never an
    /// estimate). See [`memory`](crate::memory) for what is counted.
    pub memory: Option<u64>,
    /// The most it has held since its current incarnation started (a restart starts on a
    /// fresh account; see [`memory`](crate::memory#restarts)); `None` without the allocator.
    pub memory_peak: Option<u64>,
}
