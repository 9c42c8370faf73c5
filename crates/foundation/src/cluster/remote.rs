//! Signals between this node's processes and other nodes': the engine's [`Remote`], what a
//! peer's signal frames do here, and what a lost connection breaks.

use std::sync::Arc;

use crate::cluster::inbound::Delivered;
use crate::cluster::link::Link;
use crate::cluster::net::ClusterInner;
use crate::cluster::wire::{Frame, WirePid, WireReason};
use crate::engine::links;
use crate::engine::remote::Remote;
use crate::engine::signal::Signal;
use crate::{Down, ExitReason, MonitorRef, Pid};

impl Remote for ClusterInner {
    fn group_changed(&self, scope: &str, group: &str, pid: Pid, joined: bool) {
        self.broadcast_group(scope, group, pid, joined);
    }

    fn link(&self, from: Pid, to: Pid) -> bool {
        let Some(link) = self.link(to.node()) else { return false };
        if link.peer.creation != to.creation() {
            return false;
        }
        link.relations.lock().links.insert((from, to));
        self.signal_to(&link, to, &Frame::Link { from: from.into(), to: to.into() })
    }

    fn unlink(&self, from: Pid, to: Pid) {
        if let Some(link) = self.link(to.node()) {
            link.relations.lock().links.remove(&(from, to));
            self.signal_to(&link, to, &Frame::Unlink { from: from.into(), to: to.into() });
        }
    }

    fn monitor(&self, from: Pid, to: Pid, monitor: MonitorRef) -> bool {
        let Some(link) = self.link(to.node()) else { return false };
        if link.peer.creation != to.creation() {
            return false;
        }
        link.relations.lock().monitoring.insert(monitor, (from, to));
        let frame = Frame::Monitor { from: from.into(), to: to.into(), reference: monitor.into() };
        self.signal_to(&link, to, &frame)
    }

    fn demonitor(&self, from: Pid, to: Pid, monitor: MonitorRef) {
        if let Some(link) = self.link(to.node())
            && link.relations.lock().monitoring.remove(&monitor).is_some()
        {
            let frame =
                Frame::Demonitor { from: from.into(), to: to.into(), reference: monitor.into() };
            self.signal_to(&link, to, &frame);
        }
    }

    fn signal(&self, to: Pid, signal: Signal) -> bool {
        let Some(link) = self.link(to.node()) else { return false };
        if link.peer.creation != to.creation() {
            return false;
        }
        let frame = match signal {
            Signal::Exit { from, reason, link: linked } => {
                if linked {
                    link.relations.lock().links.remove(&(from, to));
                }
                let reason = WireReason::from(&reason);
                Frame::Exit { from: from.into(), to: to.into(), reason, link: linked }
            }
            Signal::Kill => {
                let reason = WireReason::Kill;
                let from = self.node.self_pid().into();
                Frame::Exit { from, to: to.into(), reason, link: false }
            }
            Signal::Down(down) => {
                link.relations.lock().watched.remove(&down.monitor);
                Frame::Down {
                    to: to.into(),
                    reference: down.monitor.into(),
                    pid: down.pid.into(),
                    reason: WireReason::from(&down.reason),
                }
            }
            // Stops, memory signals and promoted mailbox entries never leave their node.
            _ => return false,
        };
        self.signal_to(&link, to, &frame)
    }
}

impl ClusterInner {
    /// Tells every connected node of a local group change; each applies it in the order
    /// sent (the caller holds the node's groups locked).
    fn broadcast_group(&self, scope: &str, group: &str, pid: Pid, joined: bool) {
        let links: Vec<_> = self.links.read().values().cloned().collect();
        if links.is_empty() {
            return;
        }
        let frame = Frame::Group {
            scope: scope.to_owned(),
            group: group.to_owned(),
            pid: pid.into(),
            joined,
        };
        for link in links {
            link.signal(link.peer_pid(), &frame);
        }
    }

    /// Sends a new connection every local group membership, so that the peer's view of the
    /// groups starts complete. Called with the node's groups locked and the link already in
    /// the table: a change made before is in the list, one made after is broadcast to it.
    pub(crate) fn sync_groups(&self, groups: &crate::engine::group_table::GroupTable, link: &Link) {
        for (scope, group, pid) in groups.memberships_of_node(self.node.id()) {
            let frame = Frame::Group {
                scope: scope.to_string(),
                group: group.to_string(),
                pid: pid.into(),
                joined: true,
            };
            link.signal(link.peer_pid(), &frame);
        }
    }

    /// A group change from `link`'s node, about one of its processes.
    pub(crate) fn group_from(&self, link: &Link, scope: &str, group: &str, pid: Pid, joined: bool) {
        if pid.node() != link.peer.number || pid.creation() != link.peer.creation {
            tracing::warn!(node = %link.peer.name, %pid, "a group change for another node's process");
            return;
        }
        let _shared_heap = crate::memory::ChargeTo::shared_heap();
        let mut groups = self.node.state.groups.write();
        if joined {
            groups.join(scope, group, pid);
        } else {
            groups.leave(&Arc::from(scope), &Arc::from(group), pid);
        }
    }

    /// Sends a signal frame to the remote process `to`, behind the messages this node's
    /// addresses of it still hold (see `order`).
    fn signal_to(&self, link: &Link, to: Pid, frame: &Frame) -> bool {
        match link.encode(frame) {
            Some(bytes) => self.addresses.signal(link, to, bytes),
            None => false,
        }
    }

    /// A signal frame from `link`'s node for one of this node's processes.
    pub(crate) fn handle_signal(&self, link: &Arc<Link>, frame: Frame) {
        let state = &self.node.state;
        let from_peer = |pid: WirePid| pid.node == link.peer.number;
        match frame {
            Frame::Link { from, to } if from_peer(from) => {
                let (from, to) = (Pid::from(from), Pid::from(to));
                if links::accept_remote_link(state, to, from) {
                    link.relations.lock().links.insert((to, from));
                } else {
                    let reason = WireReason::NoProc;
                    let exit = Frame::Exit { from: to.into(), to: from.into(), reason, link: true };
                    link.signal(from, &exit);
                }
            }
            Frame::Unlink { from, to } if from_peer(from) => {
                let (from, to) = (Pid::from(from), Pid::from(to));
                link.relations.lock().links.remove(&(to, from));
                links::drop_remote_link(state, to, from);
            }
            Frame::Exit { from, to, reason, link: linked } if from_peer(from) => {
                let (from, to) = (Pid::from(from), Pid::from(to));
                if linked {
                    link.relations.lock().links.remove(&(to, from));
                }
                state.deliver(to, Signal::Exit { from, reason: reason.into(), link: linked });
            }
            Frame::Monitor { from, to, reference } if from_peer(from) => {
                let (from, to, monitor) = (Pid::from(from), Pid::from(to), reference.into());
                if links::accept_remote_monitor(state, to, from, monitor) {
                    link.relations.lock().watched.insert(monitor, (to, from));
                } else {
                    let down = Frame::Down {
                        to: from.into(),
                        reference,
                        pid: to.into(),
                        reason: WireReason::NoProc,
                    };
                    link.signal(from, &down);
                }
            }
            Frame::Demonitor { from, to, reference } if from_peer(from) => {
                let monitor = MonitorRef::from(reference);
                link.relations.lock().watched.remove(&monitor);
                links::drop_remote_monitor(state, to.into(), monitor);
            }
            Frame::Down { to, reference, pid, reason } if from_peer(pid) => {
                let monitor = MonitorRef::from(reference);
                let known = link.relations.lock().monitoring.remove(&monitor).is_some();
                if known {
                    let down = Down { monitor, pid: pid.into(), reason: reason.into(), name: None };
                    state.deliver(to.into(), Signal::Down(down));
                }
            }
            // A signal that names a process of a third node as its sender: refused.
            other => tracing::warn!(node = %link.peer.name, frame = ?other, "signal dropped"),
        }
    }

    /// A message from `link`'s node for the local process `to`.
    pub(crate) fn deliver_message(&self, link: &Arc<Link>, to: Pid, payload: &[u8]) -> Delivered {
        match self.exports.get(to) {
            Some(export) => export.deliver(to, payload, link),
            None => {
                link.count(&link.counters.undelivered, 1);
                Delivered::Done
            }
        }
    }

    /// Everything between this node's processes and `link`'s node's ends with
    /// `noconnection`: links break (an exit signal to each local side), monitors fire, and
    /// the peer's monitors of local processes are removed.
    pub(crate) fn break_relations(&self, link: &Link) {
        let relations = std::mem::take(&mut *link.relations.lock());
        let state = &self.node.state;
        for (ours, theirs) in relations.links {
            let exit = Signal::Exit { from: theirs, reason: ExitReason::NoConnection, link: true };
            state.deliver(ours, exit);
        }
        for (monitor, (ours, theirs)) in relations.monitoring {
            let down = Down { monitor, pid: theirs, reason: ExitReason::NoConnection, name: None };
            state.deliver(ours, Signal::Down(down));
        }
        for (monitor, (ours, _theirs)) in relations.watched {
            links::drop_remote_monitor(state, ours, monitor);
        }
    }
}
