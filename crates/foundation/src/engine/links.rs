//! Links and monitors between processes: set, removed, and what happens when the other side is
//! already gone.
//!
//! Each side's lock is taken on its own, never two at once. A process that is ending marks itself
//! exited and takes its links and monitors under its lock, so a link or monitor added before that
//! point is seen by the exit, and one attempted after it finds the process exited.

use crate::engine::control_block::ControlBlock;
use crate::engine::name::Name;
use crate::engine::node_state::NodeState;
use crate::engine::process_block::AnyProcess;
use crate::engine::relations::Watcher;
use crate::engine::remote::Remote;
use crate::engine::signal::Signal;
use crate::error::LinkError;
use crate::{Down, ExitReason, MonitorRef, Pid};

/// Links the calling process `me` with `target`, both ways.
pub(crate) fn link(node: &NodeState, me: &ControlBlock, target: Pid) -> Result<(), LinkError> {
    if target == me.pid() {
        return Ok(());
    }
    if let Some(remote) = node.remote_for(target) {
        link_remote(me, &**remote, target);
        return Ok(());
    }
    let Some(other) = node.get(target) else {
        return Err(LinkError::no_process(target));
    };
    link_with(me, other.core(), target)
}

/// Links `me` with the incarnation `target` of the process whose block is `other`. Fails if
/// that incarnation has ended, also when a later incarnation runs in the same block by now (a
/// link is with an incarnation, never with its successor).
pub(crate) fn link_with(
    me: &ControlBlock,
    other: &ControlBlock,
    target: Pid,
) -> Result<(), LinkError> {
    if !me.relations.lock().links.insert(target) {
        return Ok(());
    }
    let mut rel = other.relations.lock();
    if rel.exited || other.pid() != target {
        drop(rel);
        me.relations.lock().links.remove(target);
        return Err(LinkError::no_process(target));
    }
    rel.links.insert(me.pid());
    Ok(())
}

/// Links `me` with the remote process `target`: set on this side at once, on the other by a
/// signal. If `target`'s node is not connected, `me` gets an exit signal with
/// `noconnection` (Erlang's `link/1` to a pid of an unreachable node).
fn link_remote(me: &ControlBlock, remote: &dyn Remote, target: Pid) {
    if !me.relations.lock().links.insert(target) {
        return;
    }
    if !remote.link(me.pid(), target) {
        let exit = Signal::Exit { from: target, reason: ExitReason::NoConnection, link: true };
        me.push_signal(me.pid(), exit);
    }
}

/// A remote process `from` links to the local `to` (its node asked). `false` if `to` has
/// ended: the caller answers with an exit signal with `noproc`.
#[cfg(feature = "cluster")]
pub(crate) fn accept_remote_link(node: &NodeState, to: Pid, from: Pid) -> bool {
    let Some(process) = node.get(to) else { return false };
    let core = process.core();
    let mut rel = core.relations.lock();
    if rel.exited || core.pid() != to {
        return false;
    }
    rel.links.insert(from);
    true
}

/// A remote process `from` unlinks from the local `to`, or their link is broken (its node
/// was lost): the local side forgets it.
#[cfg(feature = "cluster")]
pub(crate) fn drop_remote_link(node: &NodeState, to: Pid, from: Pid) {
    if let Some(process) = node.get(to) {
        let core = process.core();
        let mut rel = core.relations.lock();
        if core.pid() == to {
            rel.links.remove(from);
        }
    }
}

/// A remote process `watcher` monitors the local `target` with `monitor`. `false` if
/// `target` has ended: the caller answers with a `Down` with `noproc`.
#[cfg(feature = "cluster")]
pub(crate) fn accept_remote_monitor(
    node: &NodeState,
    target: Pid,
    watcher: Pid,
    monitor: MonitorRef,
) -> bool {
    let Some(process) = node.get(target) else { return false };
    let core = process.core();
    let mut rel = core.relations.lock();
    if rel.exited || core.pid() != target {
        return false;
    }
    rel.watchers.push(Watcher::Monitor(monitor, watcher, None));
    true
}

/// A remote watcher's monitor of the local `target` is removed (demonitored, or its node
/// lost).
#[cfg(feature = "cluster")]
pub(crate) fn drop_remote_monitor(node: &NodeState, target: Pid, monitor: MonitorRef) {
    if let Some(process) = node.get(target) {
        process.core().relations.lock().remove_watcher(monitor);
    }
}

/// Removes the link between `me` and `target`, if any. An exit signal from `target` that is
/// already on its way is dropped on arrival.
pub(crate) fn unlink(node: &NodeState, me: &ControlBlock, target: Pid) {
    if let Some(remote) = node.remote_for(target) {
        if me.relations.lock().links.remove(target) {
            remote.unlink(me.pid(), target);
        }
        return;
    }
    let other = node.get(target);
    unlink_from(me, other.as_ref().map(|o| o.core()), target);
}

/// Removes the link between `me` and the incarnation `target` of `other`'s block, if any.
pub(crate) fn unlink_from(me: &ControlBlock, other: Option<&ControlBlock>, target: Pid) {
    me.relations.lock().links.remove(target);
    if let Some(other) = other {
        let mut rel = other.relations.lock();
        if other.pid() == target {
            rel.links.remove(me.pid());
        }
    }
}

/// Makes `me` monitor `target`. If `target` is gone, a `Down` with `NoProc` is on its way at once.
pub(crate) fn monitor(node: &NodeState, me_process: &dyn AnyProcess, target: Pid) -> MonitorRef {
    monitor_as(node, me_process, target, None)
}

/// Makes `me` monitor the process registered as `name` (Erlang's `monitor(process, {Name,
/// Node})`): the name is resolved now, and the `Down` names it. A name not registered gives a
/// `Down` with `NoProc` at once, whose pid is the node's own (no process stands behind it).
pub(crate) fn monitor_name(
    node: &NodeState,
    me_process: &dyn AnyProcess,
    name: &Name,
) -> MonitorRef {
    let target = node.names.read().get(name).copied().unwrap_or_else(|| node.self_pid());
    monitor_as(node, me_process, target, Some(name.clone()))
}

fn monitor_as(
    node: &NodeState,
    me_process: &dyn AnyProcess,
    target: Pid,
    name: Option<Name>,
) -> MonitorRef {
    let me = me_process.core();
    let monitor = node.next_monitor_ref();
    me.relations.lock().monitoring.push((monitor, target));
    if let Some(remote) = node.remote_for(target) {
        if !remote.monitor(me.pid(), target, monitor) {
            let down = Down { monitor, pid: target, reason: ExitReason::NoConnection, name };
            me_process.signal(me.pid(), Signal::Down(down));
        }
        return monitor;
    }
    let attached = match node.get(target) {
        Some(other) => {
            let core = other.core();
            let mut rel = core.relations.lock();
            if rel.exited || core.pid() != target {
                false
            } else {
                rel.watchers.push(Watcher::Monitor(monitor, me.pid(), name.clone()));
                true
            }
        }
        None => false,
    };
    if !attached {
        let down = Down { monitor, pid: target, reason: ExitReason::NoProc, name };
        me_process.signal(me.pid(), Signal::Down(down));
    }
    monitor
}

/// Removes a monitor; a `Down` for it that has not been handled yet is never delivered.
/// Returns `false` if the monitor was not active (already fired or removed).
pub(crate) fn demonitor(node: &NodeState, me: &ControlBlock, monitor: MonitorRef) -> bool {
    let Some(target) = me.relations.lock().take_monitor(monitor) else { return false };
    if let Some(remote) = node.remote_for(target) {
        remote.demonitor(me.pid(), target, monitor);
    } else if let Some(other) = node.get(target) {
        other.core().relations.lock().remove_watcher(monitor);
    }
    true
}

/// Model checks of links racing an exit: `scripts/loom.sh` runs them. The relations lock is
/// loom's there (see `sync.rs`), so every order of the two sides' critical sections is tried.
#[cfg(all(test, foundation_loom))]
mod loom_models {
    use loom::sync::Arc;
    use loom::thread;

    use super::*;
    use crate::engine::guard::{Mode, triage};

    fn core(local: u64) -> ControlBlock {
        ControlBlock::new(Pid::new(0, 0, local), None, false, crate::memory::RUNTIME)
    }

    /// What an exit does to its links: the relations are taken under the lock (the process is
    /// marked exited), then every linked process is sent an exit signal.
    fn exit(me: &ControlBlock, peers: &[&ControlBlock]) {
        let rel = me.end_relations();
        for peer in peers {
            let to = peer.pid();
            if rel.links.to_vec().contains(&to) {
                let signal =
                    Signal::Exit { from: me.pid(), reason: ExitReason::Killed, link: true };
                peer.push_signal(to, signal);
            }
        }
    }

    /// A link made while the other side exits is either refused (the other has exited) or
    /// seen by the exit, which then sends its signal: an established link never misses the
    /// exit, and a refused one leaves nothing behind. (Mutation tried: `link_with` without the
    /// `exited` check on the other side; the model finds an `Ok` link whose exit never came.)
    #[test]
    fn loom_a_link_racing_an_exit_is_refused_or_signalled() {
        loom::model(|| {
            let a = Arc::new(core(1));
            let b = Arc::new(core(2));
            let linker = {
                let (a, b) = (Arc::clone(&a), Arc::clone(&b));
                thread::spawn(move || link_with(&a, &b, b.pid()))
            };
            exit(&b, &[&a]);
            let linked = linker.join().unwrap();
            let mut deferred = Vec::new();
            let fatal = triage(&a, &mut deferred, Mode::Running);
            match linked {
                Ok(()) => assert!(fatal.is_some(), "linked, and the exit never arrived"),
                Err(_) => {
                    assert!(fatal.is_none());
                    assert!(a.relations.lock().links.to_vec().is_empty(), "a dangling link");
                }
            }
        });
    }

    /// An unlink racing the other side's exit: once `unlink` has returned, the exit signal
    /// of that link has no effect, whether it arrived before or after. (Mutation tried:
    /// `triage` acting on a link's exit signal without checking the link still stands; the
    /// model finds the run where the signal lands before the unlink.)
    #[test]
    fn loom_an_unlink_racing_an_exit_drops_the_exit() {
        loom::model(|| {
            let a = Arc::new(core(1));
            let b = Arc::new(core(2));
            link_with(&a, &b, b.pid()).unwrap();
            let ending = {
                let (a, b) = (Arc::clone(&a), Arc::clone(&b));
                thread::spawn(move || exit(&b, &[&a]))
            };
            unlink_from(&a, Some(&b), b.pid());
            ending.join().unwrap();
            let mut deferred = Vec::new();
            assert!(triage(&a, &mut deferred, Mode::Running).is_none(), "an unlinked exit killed");
        });
    }
}
