//! Restarts: the restart policy, the intensity, the strategies, and OTP's
//! `try_again_restart`.
//!
//! A restart is one attempt at a time. A child that must be restarted counts against the
//! intensity, then the strategy stops what it must and starts the group again (the child
//! alone, every child, or the child and those after it). If a start in that group fails, the
//! child that failed is marked [`ChildStatus::Restarting`] and the supervisor sends itself a
//! message to try again, as OTP's supervisor does: the requests that came in meanwhile are
//! answered first, and the next attempt is a restart of that child like any other (it counts
//! against the intensity, and its strategy stops the children the failed attempt had started
//! before starting the group again).

use crate::supervisor::server::{Supervisor, SupervisorMsg};
use crate::supervisor::{AutoShutdown, ChildStatus, Restart, Strategy, SupervisorError};
use crate::{Context, ExitReason};

impl Supervisor {
    /// Records a restart; `false` once more than the allowed restarts fall in one period.
    fn allow_restart(&mut self) -> bool {
        let now = tokio::time::Instant::now();
        self.restarts.push_back(now);
        while let Some(&oldest) = self.restarts.front() {
            if now.duration_since(oldest) > self.intensity.period() {
                self.restarts.pop_front();
            } else {
                break;
            }
        }
        self.restarts.len() <= self.intensity.max_restarts() as usize
    }

    fn gave_up(&self, index: usize, last: ExitReason) -> ExitReason {
        ExitReason::error(SupervisorError::RestartIntensityReached {
            id: self.children[index].spec.id.to_string(),
            max_restarts: self.intensity.max_restarts(),
            period: self.intensity.period(),
            last_exit: last,
        })
    }

    /// Child `index` ended with `reason`: applies its restart policy. `Err` with the
    /// supervisor's own exit reason once the intensity is exceeded.
    pub(super) async fn child_exited(
        &mut self,
        ctx: &mut Context<SupervisorMsg>,
        index: usize,
        reason: ExitReason,
    ) -> Result<(), ExitReason> {
        self.children[index].status = ChildStatus::Stopped;
        let restart = match self.children[index].spec.restart {
            Restart::Permanent => true,
            Restart::Transient => !reason.is_normal(),
            Restart::Temporary => false,
        };
        if !restart {
            let significant = self.children[index].spec.significant;
            if self.dynamic || self.children[index].spec.restart == Restart::Temporary {
                self.children.remove(index);
            }
            return if significant && self.shuts_down_after_significant() {
                Err(ExitReason::Shutdown(None))
            } else {
                Ok(())
            };
        }
        self.restart(ctx, index, reason).await
    }

    /// A significant child has ended for good: whether the supervisor shuts down now (OTP's
    /// `auto_shutdown`). Under `AllSignificant`, once no other significant child runs or is
    /// being restarted.
    fn shuts_down_after_significant(&self) -> bool {
        match self.auto_shutdown {
            AutoShutdown::Never => false,
            AutoShutdown::AnySignificant => true,
            AutoShutdown::AllSignificant => !self
                .children
                .iter()
                .any(|c| c.spec.significant && c.status != ChildStatus::Stopped),
        }
    }

    /// The supervisor's own message to try again (OTP's `try_again_restart`): restarts child
    /// `id` if it is still waiting for it (not stopped, deleted or restarted meanwhile).
    pub(super) async fn try_again(
        &mut self,
        ctx: &mut Context<SupervisorMsg>,
        id: &str,
        last: ExitReason,
    ) -> Result<(), ExitReason> {
        match self.find(id) {
            Some(index) if self.children[index].status == ChildStatus::Restarting => {
                self.restart(ctx, index, last).await
            }
            _ => Ok(()),
        }
    }

    /// One restart of child `index` (OTP's `restart/2`): counts against the intensity, then
    /// applies the strategy once. A failed start leaves the child that failed `Restarting` and
    /// posts the attempt to come.
    async fn restart(
        &mut self,
        ctx: &mut Context<SupervisorMsg>,
        index: usize,
        last: ExitReason,
    ) -> Result<(), ExitReason> {
        if !self.allow_restart() {
            return Err(self.gave_up(index, last));
        }
        if let Err((failed, error)) = self.restart_group(ctx, index).await {
            let child = &mut self.children[failed];
            child.status = ChildStatus::Restarting;
            let retry =
                SupervisorMsg::TryAgainRestart(child.spec.id.clone(), ExitReason::error(error));
            // The mailbox is unbounded and ours: the message is queued behind the requests
            // that came in during this attempt.
            let _ = ctx.myself().try_send(retry);
        }
        Ok(())
    }

    /// Stops what the strategy says and starts the group again, in order: the child alone
    /// (`OneForOne`), every child (`OneForAll`), or the child and those after it
    /// (`RestForOne`). Temporary children stopped on the way are forgotten, as OTP does.
    /// `Err` with the index of the child that failed to start, and why; the children after it
    /// are left stopped.
    async fn restart_group(
        &mut self,
        ctx: &mut Context<SupervisorMsg>,
        index: usize,
    ) -> Result<(), (usize, SupervisorError)> {
        let id = self.children[index].spec.id.clone();
        let len = self.children.len();
        match self.strategy {
            Strategy::OneForOne => {}
            Strategy::OneForAll => {
                self.stop_range(ctx, 0..len).await;
                self.forget_temporaries(|i| i != index);
            }
            Strategy::RestForOne => {
                self.stop_range(ctx, index..len).await;
                self.forget_temporaries(|i| i > index);
            }
        }
        let index = self.find(&id).expect("a child being restarted is not temporary");
        let group = match self.strategy {
            Strategy::OneForAll => 0..self.children.len(),
            Strategy::RestForOne => index..self.children.len(),
            Strategy::OneForOne => index..index + 1,
        };
        for i in group {
            if self.children[i].status == ChildStatus::Running {
                continue;
            }
            match self.start(ctx, i).await {
                // A dynamic supervisor's child ignored on its restart is not kept (it could
                // not be reached again: it has no pid). Dynamic supervisors are one-for-one,
                // so it is the whole group.
                Ok(None) if !self.keeps_ignored(i) => {
                    self.children.remove(i);
                    return Ok(());
                }
                Ok(_) => self.children[i].restarts += 1,
                Err(error) => return Err((i, error)),
            }
        }
        Ok(())
    }

    /// Temporary children stopped by a restart are not restarted: they are forgotten, as OTP
    /// does.
    fn forget_temporaries(&mut self, stopped: impl Fn(usize) -> bool) {
        let mut i = 0;
        self.children.retain(|child| {
            let forget = stopped(i) && child.spec.restart == Restart::Temporary;
            i += 1;
            !forget
        });
    }
}
