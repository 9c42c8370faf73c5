//! Timers: a message after a delay, or at an interval.
//!
//! Timers hold only a weak address: a timer never keeps a process alive, and it ends by itself
//! when its process exits. Timers run on the node's tokio runtime, so tests can drive them with
//! tokio's paused clock (`#[tokio::test(start_paused = true)]` and `tokio::time::advance`).

use std::fmt;
use std::time::Duration;

use tokio::task::AbortHandle;
use tokio::time::{Instant, MissedTickBehavior};

use crate::{Node, WeakProcessRef};

/// A running timer; [`cancel`](Self::cancel) stops it. Dropping a `TimerRef` does not cancel the
/// timer, as in Erlang.
pub struct TimerRef {
    task: AbortHandle,
}

impl TimerRef {
    /// Stops the timer. Returns `true` if it was still active (for `send_after`: the message
    /// had not been sent).
    pub fn cancel(&self) -> bool {
        let active = !self.task.is_finished();
        self.task.abort();
        active
    }

    /// `true` while the timer may still send.
    pub fn is_active(&self) -> bool {
        !self.task.is_finished()
    }
}

impl fmt::Debug for TimerRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerRef").field("active", &self.is_active()).finish()
    }
}

pub(crate) fn send_after<M: Send + 'static>(
    node: &Node,
    target: WeakProcessRef<M>,
    delay: Duration,
    msg: M,
) -> TimerRef {
    let task = node.state.runtime.spawn(async move {
        tokio::time::sleep(delay).await;
        if let Some(target) = target.upgrade() {
            let _ = target.send(msg).await;
        }
    });
    TimerRef { task: task.abort_handle() }
}

/// A timer could not be started: names the argument and what it allows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimerError {
    field: &'static str,
    allowed: &'static str,
}

impl TimerError {
    /// The argument that was out of range.
    pub fn field(&self) -> &'static str {
        self.field
    }
}

impl fmt::Display for TimerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid `{}`: allowed values are {}", self.field, self.allowed)
    }
}

impl std::error::Error for TimerError {}

pub(crate) fn send_interval<M: Send + 'static>(
    node: &Node,
    target: WeakProcessRef<M>,
    period: Duration,
    mut make: impl FnMut() -> M + Send + 'static,
) -> Result<TimerRef, TimerError> {
    if period.is_zero() {
        return Err(TimerError { field: "period", allowed: "durations above zero" });
    }
    let task = node.state.runtime.spawn(async move {
        let mut ticks = tokio::time::interval_at(Instant::now() + period, period);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let Some(target) = target.upgrade() else { break };
            if target.send(make()).await.is_err() {
                break;
            }
        }
    });
    Ok(TimerRef { task: task.abort_handle() })
}
