//! Timers: a message after a delay, or at an interval.
//!
//! Timers hold only a weak address (a timer does not count as a reference to a process that ends
//! when unreferenced), and a timer ends as soon as its process exits (as Erlang cancels a timer
//! to a pid when that process exits). Timers run on the node's tokio runtime, so tests can
//! drive them with
//! tokio's paused clock (`#[tokio::test(start_paused = true)]` and `tokio::time::advance`).

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::AtomicU8;
use std::sync::atomic::Ordering::{AcqRel, Acquire};
use std::time::Duration;

use tokio::task::AbortHandle;
use tokio::time::MissedTickBehavior;

use crate::{ConfigError, Node, WeakProcessRef};

/// A running timer; [`cancel`](Self::cancel) stops it. Dropping a `TimerRef` does not cancel the
/// timer, as in Erlang.
pub struct TimerRef {
    status: Arc<AtomicU8>,
    task: AbortHandle,
}

const ACTIVE: u8 = 0;
const DONE: u8 = 1;
const CANCELLED: u8 = 2;

impl TimerRef {
    /// Stops the timer, at once. Returns `true` if it was still active: for `send_after`, the
    /// message had not been sent and never will be; `false` if it had already fired, had been
    /// cancelled, or its process had exited.
    pub fn cancel(&self) -> bool {
        let was_active = self.status.compare_exchange(ACTIVE, CANCELLED, AcqRel, Acquire).is_ok();
        if was_active {
            // Only a timer that has not fired is stopped: a fired one may still be waiting for
            // room to deliver its message, which must not be lost.
            self.task.abort();
        }
        was_active
    }

    /// `true` while the timer may still send.
    pub fn is_active(&self) -> bool {
        self.status.load(Acquire) == ACTIVE
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
    let status = Arc::new(AtomicU8::new(ACTIVE));
    // A timer belongs to the incarnation it was set for, as Erlang's timers to a pid do.
    let incarnation = target.pid();
    let task = node.state.runtime.spawn({
        let status = Arc::clone(&status);
        async move {
            let core = &target.shared.core;
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                _ = core.wait_exit_of(incarnation) => {
                    let _ = status.compare_exchange(ACTIVE, DONE, AcqRel, Acquire);
                    return;
                }
            }
            // Fired: from here on `cancel` reports that it came too late.
            if status.compare_exchange(ACTIVE, DONE, AcqRel, Acquire).is_err() {
                return;
            }
            if let Some(target) = target.upgrade() {
                let _ = target.send(msg).await;
            }
        }
    });
    TimerRef { status, task: task.abort_handle() }
}

/// A timer could not be started: it is only ever a setting out of range (a zero `period`), so
/// it is a [`ConfigError`]; this name is kept so that code naming it still compiles.
#[deprecated(since = "0.1.0", note = "a timer fails only with a `ConfigError`: name that instead")]
pub type TimerError = ConfigError;

pub(crate) fn send_interval<M: Send + 'static>(
    node: &Node,
    target: WeakProcessRef<M>,
    period: Duration,
    mut make: impl FnMut() -> M + Send + 'static,
) -> Result<TimerRef, ConfigError> {
    if period.is_zero() {
        return Err(ConfigError::new("period", format_args!("{period:?}"), "durations above zero"));
    }
    let status = Arc::new(AtomicU8::new(ACTIVE));
    // A timer belongs to the incarnation it was set for, as Erlang's timers to a pid do.
    let incarnation = target.pid();
    let task = node.state.runtime.spawn({
        let status = Arc::clone(&status);
        async move {
            let core = &target.shared.core;
            let mut ticks =
                tokio::time::interval_at(crate::deadline::deadline_after(period), period);
            ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = ticks.tick() => {}
                    _ = core.wait_exit_of(incarnation) => break,
                }
                if status.load(Acquire) != ACTIVE {
                    return;
                }
                let Some(target) = target.upgrade() else { break };
                let sent = tokio::select! {
                    sent = target.send(make()) => sent.is_ok(),
                    _ = core.wait_exit_of(incarnation) => false,
                };
                if !sent {
                    break;
                }
            }
            let _ = status.compare_exchange(ACTIVE, DONE, AcqRel, Acquire);
        }
    });
    Ok(TimerRef { status, task: task.abort_handle() })
}
