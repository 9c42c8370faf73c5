//! What happens after a process's last handler: its exit is recorded, its mailbox closed, its
//! names and groups released, and its links and monitors told.
//!
//! Order matters and is the same as Erlang's: the process leaves the registry and the process
//! table before any linked or monitoring process hears of its end, so a `Down` handler that looks
//! the name up finds it free.

use std::sync::Arc;

use crate::engine::node_state::NodeState;
use crate::engine::process_block::ProcessBlock;
use crate::engine::relations::Watcher;
use crate::engine::signal::Signal;
use crate::{Down, ExitReason};

pub(crate) fn finish<M>(
    node: &NodeState,
    shared: &Arc<ProcessBlock<M>>,
    reason: &ExitReason,
    unreleased: usize,
) {
    let core = &shared.core;
    let me = core.pid();

    let rel = core.end_relations();
    if rel.names().next().is_some() {
        let mut names = node.names.write();
        for name in rel.names() {
            if names.get(name) == Some(&me) {
                names.remove(name);
                // The strong count the name held (a supervised address outlives the name).
                core.release();
            }
        }
    }
    if rel.groups().next().is_some() {
        // Monitors' queues may grow: the node's, charged to the shared heap.
        let _shared_heap = crate::memory::ChargeTo::shared_heap();
        let mut groups = node.groups.write();
        for (scope, group) in rel.groups() {
            groups.leave(scope, group, me);
            if let Some(remote) = node.remote.get() {
                remote.group_changed(scope, group, me, false);
            }
        }
    }
    node.forget(me);

    // Callers blocked on a reply learn the reason when the mailbox drops their request.
    core.record_exit(me, reason.clone());
    if core.hand_over() {
        // Supervised: the mailbox and its messages wait for the next incarnation.
        shared.mailbox.release(unreleased);
    } else {
        // Closed before it is announced: whoever learns of the end finds the address closed.
        shared.mailbox.close(unreleased);
        core.record_final();
    }

    // Each goes in its lane (`AnyProcess::signal`): a trapped exit and a `Down` queue behind
    // the messages this process sent before it ended, as Erlang orders a pair's signals.
    for peer in rel.links.to_vec() {
        node.deliver(peer, Signal::Exit { from: me, reason: reason.clone(), link: true });
    }
    for watcher in rel.watchers {
        match watcher {
            Watcher::Monitor(monitor, watcher, name) => {
                let down = Down { monitor, pid: me, reason: reason.clone(), name };
                node.deliver(watcher, Signal::Down(down));
            }
            Watcher::Waiter(waiter) => {
                let _ = waiter.send(reason.clone());
            }
        }
    }
    for (monitor, target) in rel.monitoring {
        if let Some(remote) = node.remote_for(target) {
            remote.demonitor(me, target, monitor);
        } else if let Some(target) = node.get(target) {
            target.core().relations.lock().remove_watcher(monitor);
        }
    }
    node.exits.notify(usize::MAX);
    // Reply handles its handlers dropped unanswered go only now that the exit is recorded:
    // their callers read the reason (a caller never sees a dying server's `no_reply` without
    // it).
    core.release_orphans(Some(reason));
}
