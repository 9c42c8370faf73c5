//! Links and monitors between processes: set, removed, and what happens when the other side is
//! already gone.
//!
//! Each side's lock is taken on its own, never two at once. A process that is ending marks itself
//! exited and takes its links and monitors under its lock, so a link or monitor added before that
//! point is seen by the exit, and one attempted after it finds the process exited.

use crate::engine::control::{AnyProcess, Core, Signal, Watcher};
use crate::engine::node_state::NodeState;
use crate::error::LinkError;
use crate::{Down, ExitReason, MonitorRef, Pid};

/// Links the calling process `me` with `target`, both ways.
pub(crate) fn link(node: &NodeState, me: &Core, target: Pid) -> Result<(), LinkError> {
    if target == me.pid() {
        return Ok(());
    }
    let Some(other) = node.get(target) else {
        return Err(LinkError::no_process(target));
    };
    {
        if !me.relations.lock().links.insert(target) {
            return Ok(());
        }
    }
    let mut rel = other.core().relations.lock();
    if rel.exited {
        drop(rel);
        me.relations.lock().links.remove(target);
        return Err(LinkError::no_process(target));
    }
    rel.links.insert(me.pid());
    Ok(())
}

/// Removes the link between `me` and `target`, if any. An exit signal from `target` that is
/// already on its way is dropped on arrival.
pub(crate) fn unlink(node: &NodeState, me: &Core, target: Pid) {
    me.relations.lock().links.remove(target);
    if let Some(other) = node.get(target) {
        other.core().relations.lock().links.remove(me.pid());
    }
}

/// Makes `me` monitor `target`. If `target` is gone, a `Down` with `NoProc` is on its way at once.
pub(crate) fn monitor(node: &NodeState, me_process: &dyn AnyProcess, target: Pid) -> MonitorRef {
    let me = me_process.core();
    let monitor = node.next_monitor_ref();
    me.relations.lock().monitoring.push((monitor, target));
    let attached = match node.get(target) {
        Some(other) => {
            let mut rel = other.core().relations.lock();
            if rel.exited {
                false
            } else {
                rel.watchers.push(Watcher::Monitor(monitor, me.pid()));
                true
            }
        }
        None => false,
    };
    if !attached {
        let down = Down { monitor, pid: target, reason: ExitReason::NoProc };
        me_process.signal(me.pid(), Signal::Down(down));
    }
    monitor
}

/// Removes a monitor; a `Down` for it that has not been handled yet is never delivered.
/// Returns `false` if the monitor was not active (already fired or removed).
pub(crate) fn demonitor(node: &NodeState, me: &Core, monitor: MonitorRef) -> bool {
    let target = {
        let mut rel = me.relations.lock();
        match rel.monitoring.iter().position(|(r, _)| *r == monitor) {
            Some(i) => rel.monitoring.swap_remove(i).1,
            None => return false,
        }
    };
    if let Some(other) = node.get(target) {
        other.core().relations.lock().remove_watcher(monitor);
    }
    true
}
