//! Stopping children on purpose: unlink, a `Shutdown` exit signal, a wait, a kill at the
//! deadline (OTP's `shutdown` child option).

use std::sync::Arc;

use tokio::time::Instant;

use crate::supervisor::server::{Child, Supervisor, SupervisorMsg};
use crate::supervisor::{ChildStatus, Shutdown};
use crate::{Context, ExitReason};

impl Supervisor {
    /// The caller stopped waiting for the start: kills the children caught in their `init`
    /// (or in their stop after a failed start) and waits until they are gone. A child in its
    /// `init` cannot be asked to stop (a trapped exit waits behind its `init`), so it is killed,
    /// as OTP's `proc_lib` kills a process whose `start_link` timed out. The children that are
    /// up are left to `terminate`.
    pub(super) async fn abandon_start(&mut self, ctx: &Context<SupervisorMsg>) {
        for child in self.children.iter().filter(|c| c.status != ChildStatus::Running) {
            let Some(handle) = &child.handle else { continue };
            let pid = handle.pid();
            ctx.unlink(pid);
            if ctx.node().kill(pid) {
                handle.process().core().wait_exit_of(pid).await;
            }
        }
    }

    /// Stops a child on purpose, per its shutdown policy, and waits until it is gone.
    pub(super) async fn stop(ctx: &Context<SupervisorMsg>, child: &mut Child) {
        Self::stop_all(ctx, std::iter::once(child)).await;
    }

    /// Stops children on purpose, all at once, each per its shutdown policy, and waits until
    /// every one is gone; each is then [`ChildStatus::Stopped`] (a child being restarted
    /// too: it is no longer to be restarted). Every signal goes out first, each child's
    /// deadline counted from then; the exits are then awaited one after another, each up to
    /// its own deadline (then the child is killed). So the children stop together, as with one
    /// wait each, but the supervisor waits with one waker whatever their number (a `join_all`
    /// over 100,000 stops would park 100,000 wakers in the runtime at once, and the runtime
    /// keeps the room).
    pub(super) async fn stop_all<'c>(
        ctx: &Context<SupervisorMsg>,
        children: impl Iterator<Item = &'c mut Child>,
    ) {
        let now = Instant::now();
        let mut stopping = Vec::new();
        for child in children {
            let pid = child.running_pid();
            child.status = ChildStatus::Stopped;
            let Some(pid) = pid else { continue };
            let Some(process) = &child.handle else { continue };
            ctx.unlink(pid);
            let deadline = match child.spec.shutdown {
                Shutdown::BrutalKill => {
                    ctx.node().kill(pid);
                    None
                }
                Shutdown::Timeout(limit) => {
                    ctx.exit(pid, ExitReason::Shutdown(None));
                    Some(now + limit)
                }
                Shutdown::Infinity => {
                    ctx.exit(pid, ExitReason::Shutdown(None));
                    None
                }
            };
            stopping.push((Arc::clone(process.process()), pid, deadline));
        }
        for (process, pid, deadline) in stopping {
            let core = process.core();
            if let Some(deadline) = deadline
                && tokio::time::timeout_at(deadline, core.wait_exit_of(pid)).await.is_err()
            {
                ctx.node().kill(pid);
            }
            core.wait_exit_of(pid).await;
        }
    }

    /// Stops the children in `range` (by index), last first.
    pub(super) async fn stop_range(
        &mut self,
        ctx: &Context<SupervisorMsg>,
        range: std::ops::Range<usize>,
    ) {
        for index in range.rev() {
            Self::stop(ctx, &mut self.children[index]).await;
        }
    }
}
