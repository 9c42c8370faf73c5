//! What the engine asks of whatever carries signals to processes on other nodes, without
//! knowing it (the `cluster` feature provides one; a node outside a cluster has none).
//!
//! A pid whose node is not this node's is remote: links to it, monitors of it, and exit
//! signals and `Down`s for it go through the node's [`Remote`], as ERTS hands them to the
//! distribution entry of the pid's node. The engine keeps its side of each relation as it
//! does locally (a remote pid in a link set, a remote watcher in a watcher list); the
//! `Remote` keeps the other side, and breaks every relation with `noconnection` when the
//! connection to that node is lost.

use crate::engine::signal::Signal;
use crate::{MonitorRef, Pid};

/// Carries signals to processes of other nodes.
pub(crate) trait Remote: Send + Sync + 'static {
    /// `from` (local) links to `to` (remote). `false` when `to`'s node is not connected: the
    /// engine then signals `from` an exit with `noconnection`, as Erlang does.
    fn link(&self, from: Pid, to: Pid) -> bool;
    /// `from` (local) unlinks from `to` (remote).
    fn unlink(&self, from: Pid, to: Pid);
    /// `from` (local) monitors `to` (remote) with `monitor`. `false` when `to`'s node is not
    /// connected: the engine then sends `from` a `Down` with `noconnection`.
    fn monitor(&self, from: Pid, to: Pid, monitor: MonitorRef) -> bool;
    /// `from` (local) stops monitoring `to` (remote).
    fn demonitor(&self, from: Pid, to: Pid, monitor: MonitorRef);
    /// Delivers an exit signal or a `Down` to the remote process `to`; `false` when its node
    /// is not connected (the signal is dropped, as Erlang drops a signal to a lost node).
    fn signal(&self, to: Pid, signal: Signal) -> bool;
    /// The local process `pid` joined (`true`) or left one membership of `group` in `scope`:
    /// other nodes' views of the group follow. Called with the node's groups locked, so that
    /// changes reach each node in the order they were made.
    fn group_changed(&self, scope: &str, group: &str, pid: Pid, joined: bool);
}
