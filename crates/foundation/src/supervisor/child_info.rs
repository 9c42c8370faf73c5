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
    /// Its current pid; `None` while it is not running.
    pub pid: Option<Pid>,
    /// Worker or supervisor.
    pub kind: ChildKind,
    /// Its restart policy.
    pub restart: Restart,
    /// How many times the supervisor has restarted it.
    pub restarts: u64,
}
