//! Shutting a node down in order.

use std::collections::HashSet;
use std::sync::atomic::Ordering::Release;
use std::time::Duration;

use crate::engine::signal::Signal;
use crate::{ExitReason, Node, Pid};

/// What [`Node::shutdown`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ShutdownReport {
    /// Processes that ended on their own after being asked to shut down (or while others were).
    pub stopped: usize,
    /// Processes that were still running at the deadline and were killed.
    pub killed: usize,
}

impl Node {
    /// Shuts every process down, in order, and returns when every one is gone.
    ///
    /// From then on the node refuses new processes ([`SpawnError::ShuttingDown`](
    /// crate::SpawnError::ShuttingDown)). Processes are stopped top-down and newest first: first
    /// the processes no live process spawned, newest first, each sent a `Shutdown` exit signal
    /// and awaited (so a process that stops its own children, as a supervisor does, gets to do
    /// so); then whatever is left, the same way. `timeout` bounds the graceful part as a whole:
    /// at the deadline every remaining process is killed.
    ///
    /// A process that never reaches an `.await` (a busy loop in a handler) cannot be interrupted
    /// and would hold the shutdown up; handlers should yield in long computations.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future stops the shutdown where it is, and waits for nothing: the node
    /// keeps refusing new processes (from the first poll on), the processes already sent a
    /// `Shutdown` exit signal or a kill go on ending, and the others keep running; nothing is
    /// killed at the deadline. Calling `shutdown` again finishes the job.
    pub async fn shutdown(&self, timeout: Duration) -> ShutdownReport {
        let state = &self.state;
        state.shutting_down.store(true, Release);
        let total = state.table.len();
        let deadline = crate::deadline::deadline_after(timeout);
        let from = self.self_pid();
        let mut report = ShutdownReport::default();

        'graceful: while !state.table.is_empty() {
            let live: HashSet<Pid> = state.table.iter().map(|e| e.value().core().pid()).collect();
            let mut order: Vec<Pid> = state
                .table
                .iter()
                .filter(|e| e.value().core().parent().is_none_or(|p| !live.contains(&p)))
                .map(|e| e.value().core().pid())
                .collect();
            if order.is_empty() {
                order = live.into_iter().collect();
            }
            order.sort_unstable_by(|a, b| b.cmp(a));
            for pid in order {
                let Some(process) = state.get(pid) else { continue };
                let core = process.core();
                process.signal(
                    pid,
                    Signal::Exit { from, reason: ExitReason::Shutdown(None), link: false },
                );
                if tokio::time::timeout_at(deadline, core.wait_exit_of(pid)).await.is_err() {
                    break 'graceful;
                }
            }
        }

        let remaining: Vec<_> =
            state.table.iter().map(|e| (e.value().core().pid(), e.value().clone())).collect();
        for (pid, process) in &remaining {
            process.signal(*pid, Signal::Kill);
        }
        for (pid, process) in &remaining {
            if process.core().wait_exit_of(*pid).await.is_killed() {
                report.killed += 1;
            }
        }
        // Processes that left while others were being stopped are gone too; wait for the table
        // to drain of any stragglers spawned before the flag was seen.
        loop {
            let listener = state.exits.listen();
            if state.table.is_empty() {
                break;
            }
            for entry in state.table.iter() {
                entry.value().core().push_signal_current(Signal::Kill);
            }
            listener.await;
        }
        report.stopped = total.saturating_sub(report.killed);
        // Last, the node leaves its cluster: its processes' exit signals to other nodes were
        // queued as they ended, and are written before the connections close (for at most a
        // second; what is left then is lost, and its processes see `noconnection`).
        #[cfg(feature = "cluster")]
        if let Some(cluster) = self.services.cluster.get() {
            cluster.leave(Duration::from_secs(1)).await;
        }
        report
    }
}
