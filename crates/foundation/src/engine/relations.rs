//! What a process's incarnation is related to: its links, its monitors both ways, its
//! registry entries, its waiters, and the signals waiting for it. Changed rarely, under one
//! lock per process (see `ControlBlock::relations`).

use std::sync::Arc;

use crate::engine::link_set::LinkSet;
use crate::engine::name::Name;
use crate::engine::signal::Signal;
use crate::{ExitReason, MonitorRef, Pid};

/// Links, monitors, names and pending signals: changed rarely, under one lock per process.
#[derive(Debug, Default)]
pub(crate) struct Relations {
    pub(crate) exited: bool,
    /// Pending signals, oldest first.
    pub(crate) signals: Vec<Signal>,
    pub(crate) links: LinkSet,
    /// Who learns of this incarnation's end: monitors set on it, and waiters.
    pub(crate) watchers: Vec<Watcher>,
    /// Monitors this process set on others: (reference, target).
    pub(crate) monitoring: Vec<(MonitorRef, Pid)>,
    /// Its registered names and process groups.
    pub(crate) entries: Vec<Entry>,
}

/// One who learns of an incarnation's end.
#[derive(Debug)]
pub(crate) enum Watcher {
    /// A monitor: (reference, the watching process, the name it was set by if it was set by
    /// name), told with a `Down`.
    Monitor(MonitorRef, Pid, Option<Name>),
    /// Someone waiting for the exit (`wait_exit_of`), told its reason.
    Waiter(tokio::sync::oneshot::Sender<ExitReason>),
}

impl Relations {
    /// The processes monitoring this one.
    pub(crate) fn monitored_by(&self) -> impl Iterator<Item = Pid> + '_ {
        self.watchers.iter().filter_map(|w| match w {
            Watcher::Monitor(_, pid, _) => Some(*pid),
            Watcher::Waiter(_) => None,
        })
    }

    /// Removes `monitor` from the monitors this process holds: the process it watched, or
    /// `None` if it was not held (removed already, or never this process's).
    pub(crate) fn take_monitor(&mut self, monitor: MonitorRef) -> Option<Pid> {
        let i = self.monitoring.iter().position(|(r, _)| *r == monitor)?;
        Some(self.monitoring.swap_remove(i).1)
    }

    /// Removes the monitor `monitor` from the watchers.
    pub(crate) fn remove_watcher(&mut self, monitor: MonitorRef) {
        self.watchers.retain(|w| !matches!(w, Watcher::Monitor(r, _, _) if *r == monitor));
    }
}

/// A registry entry a process holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Entry {
    Name(Name),
    /// One membership of a group (a process that joined twice holds two).
    Group {
        scope: Arc<str>,
        group: Arc<str>,
    },
}

impl Relations {
    pub(crate) fn names(&self) -> impl Iterator<Item = &Name> {
        self.entries.iter().filter_map(|e| match e {
            Entry::Name(n) => Some(n),
            Entry::Group { .. } => None,
        })
    }

    /// Its group memberships: (scope, group), once per membership.
    pub(crate) fn groups(&self) -> impl Iterator<Item = (&Arc<str>, &Arc<str>)> {
        self.entries.iter().filter_map(|e| match e {
            Entry::Group { scope, group } => Some((scope, group)),
            Entry::Name(_) => None,
        })
    }
}
