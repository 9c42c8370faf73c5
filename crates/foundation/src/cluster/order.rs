//! A pair's order across the two lanes: a signal to a remote process waits behind the
//! messages still queued in this node's addresses of that process.
//!
//! Messages to a remote process wait first in its address's mailbox (see `proxy`), then on
//! the connection; signals (links, monitors, exits, downs) go straight to the connection,
//! ahead of every message there except the same process's. So that a signal never overtakes
//! a message sent before it, a signal to a process one of whose addresses still holds
//! messages is held by that address and handed to the connection once the messages queued
//! before it have been: each address counts the messages it took (`taken`) and handed on
//! (`handed`), under one lock with the signals it holds.
//!
//! A process normally has one address per sender; when it has several, the signal waits
//! behind the busiest one.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Weak};

use bytes::Bytes;
use parking_lot::Mutex;

use crate::Pid;
use crate::cluster::link::Link;
use crate::engine::process_block::AnyProcess;

/// What one address of a remote process has taken and handed on, and the signals waiting
/// for it.
#[derive(Default)]
pub(crate) struct Backlog {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Messages taken from the address's mailbox.
    taken: u64,
    /// Messages handed to the connection (or dropped as unencodable).
    handed: u64,
    /// Signals waiting: (the count of `handed` they wait for, the frame).
    held: VecDeque<(u64, Bytes)>,
}

impl Backlog {
    /// Runs `take` (a poll of the mailbox) and counts a message it took, under the lock, so
    /// that a signal sees each message either in the mailbox or taken.
    pub(crate) fn take<T>(&self, take: impl FnOnce() -> (T, bool)) -> T {
        let mut state = self.state.lock();
        let (out, took) = take();
        if took {
            state.taken += 1;
        }
        out
    }

    /// One more message was handed to the connection: the signals that waited for it go.
    pub(crate) fn handed(&self, link: &Link, to: Pid) {
        let mut state = self.state.lock();
        state.handed += 1;
        while state.held.front().is_some_and(|(due, _)| *due <= state.handed) {
            if let Some((_, frame)) = state.held.pop_front() {
                link.out.push_signal(to, frame);
            }
        }
    }

    /// Sends `frame` behind the messages waiting in `address`'s mailbox and those taken but
    /// not yet handed on; `false` if the connection is gone. The mailbox is read under the
    /// lock its taker counts under, so no message is counted twice or missed.
    fn hold(&self, link: &Link, to: Pid, address: &dyn AnyProcess, frame: Bytes) -> bool {
        let mut state = self.state.lock();
        let due = state.taken + address.mailbox_len() as u64;
        if due <= state.handed && state.held.is_empty() {
            return link.out.push_signal(to, frame);
        }
        state.held.push_back((due, frame));
        !link.out.is_closed()
    }
}

/// One address: its block (to read its mailbox) and its backlog.
type Address = (Weak<dyn AnyProcess>, Arc<Backlog>);

/// The addresses of remote processes this node holds, by pid.
#[derive(Default)]
pub(crate) struct Addresses {
    by_pid: Mutex<HashMap<Pid, Vec<Address>>>,
}

impl Addresses {
    /// Records a new address of `pid`.
    pub(crate) fn insert(&self, pid: Pid, block: Weak<dyn AnyProcess>, backlog: Arc<Backlog>) {
        let mut by_pid = self.by_pid.lock();
        let list = by_pid.entry(pid).or_default();
        list.retain(|(b, _)| b.strong_count() > 0);
        list.push((block, backlog));
    }

    /// Forgets the addresses of `pid` that are gone.
    pub(crate) fn prune(&self, pid: Pid) {
        let mut by_pid = self.by_pid.lock();
        if let Some(list) = by_pid.get_mut(&pid) {
            list.retain(|(b, _)| b.strong_count() > 1);
            if list.is_empty() {
                by_pid.remove(&pid);
            }
        }
    }

    /// Sends a signal frame to the remote process `to`, behind what its busiest address
    /// still holds; `false` if the connection is gone.
    pub(crate) fn signal(&self, link: &Link, to: Pid, frame: Bytes) -> bool {
        let busiest = {
            let by_pid = self.by_pid.lock();
            by_pid.get(&to).and_then(|list| {
                list.iter()
                    .filter_map(|(b, backlog)| Some((b.upgrade()?, backlog)))
                    .max_by_key(|(address, _)| address.mailbox_len())
                    .map(|(address, backlog)| (address, Arc::clone(backlog)))
            })
        };
        match busiest {
            Some((address, backlog)) => backlog.hold(link, to, &*address, frame),
            None => link.out.push_signal(to, frame),
        }
    }
}
