//! What a supervisor reports of each child.

use crate::Pid;
use crate::supervisor::{ChildKind, Restart};

/// One child as [`SupervisorRef::which_children`](crate::supervisor::SupervisorRef::which_children)
/// reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChildInfo {
    /// The child's id.
    pub id: String,
    /// Its current pid; `None` while it is not running (OTP's `undefined` or `restarting`:
    /// see [`status`](Self::status)).
    pub pid: Option<Pid>,
    /// Running, being restarted, or stopped.
    pub status: ChildStatus,
    /// Worker or supervisor.
    pub kind: ChildKind,
    /// Its restart policy.
    pub restart: Restart,
    /// How many times the supervisor has restarted it.
    pub restarts: u64,
}

/// Whether a child runs: the three values OTP's `which_children` gives for a child's pid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChildStatus {
    /// Running, with the pid in [`ChildInfo::pid`] (OTP: a pid).
    Running,
    /// It ended and must be restarted, but the last attempt failed: the supervisor tries again
    /// after answering the requests that came in meanwhile (OTP: `restarting`).
    Restarting,
    /// Not running and not to be restarted: stopped by
    /// [`terminate_child`](crate::supervisor::SupervisorRef::terminate_child), a transient
    /// child that ended normally, or a child a failed restart did not reach (OTP:
    /// `undefined`).
    Stopped,
}

/// How many children a supervisor has, by kind and by state: OTP's `count_children`. See
/// [`SupervisorRef::count_children`](crate::supervisor::SupervisorRef::count_children).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ChildCounts {
    /// Every child the supervisor holds a spec of, running or not (OTP's `specs`).
    pub specs: usize,
    /// The children running now (OTP's `active`).
    pub active: usize,
    /// The children that are supervisors, running or not (OTP's `supervisors`).
    pub supervisors: usize,
    /// The children that are workers, running or not (OTP's `workers`).
    pub workers: usize,
}

impl ChildCounts {
    /// Counts what `which_children` lists.
    pub(crate) fn of(children: &[ChildInfo]) -> Self {
        let mut counts = ChildCounts { specs: children.len(), ..ChildCounts::default() };
        for child in children {
            counts.active += usize::from(child.status == ChildStatus::Running);
            match child.kind {
                ChildKind::Supervisor => counts.supervisors += 1,
                ChildKind::Worker => counts.workers += 1,
            }
        }
        counts
    }
}
