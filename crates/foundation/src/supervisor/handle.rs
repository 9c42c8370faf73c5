//! The address of a running supervisor.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::engine::supervision::SupervisorMsg;
use crate::supervisor::{ChildInfo, ChildSpec, SupervisorError};
use crate::{ExitReason, Pid, ProcessRef};

/// How long a request to a supervisor may take: stopping a child can take as long as that
/// child's shutdown timeout, so this is long (as OTP's `infinity`, bounded).
const SUPERVISOR_CALL_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);

/// A running supervisor: add, stop, restart, remove and list its children.
///
/// Cloning gives another handle to the same supervisor. Dropping every handle does not stop it:
/// like every process, and like an OTP supervisor, it runs until it is stopped
/// ([`Node::stop`](crate::Node::stop) with its pid, its parent, or
/// [`Node::shutdown`](crate::Node::shutdown)), and then stops its children first.
#[derive(Clone)]
pub struct SupervisorRef {
    pub(crate) inner: ProcessRef<SupervisorMsg>,
}

impl SupervisorRef {
    /// The supervisor's pid.
    pub fn pid(&self) -> Pid {
        self.inner.pid()
    }

    /// Starts a new child under the supervisor (OTP's `start_child`).
    pub async fn start_child(&self, spec: ChildSpec) -> Result<Pid, SupervisorError> {
        self.request(|r| SupervisorMsg::StartChild(spec, r)).await?
    }

    /// Stops a child per its shutdown policy; it stays listed (unless temporary) and can be
    /// restarted with [`restart_child`](Self::restart_child) (OTP's `terminate_child`).
    pub async fn terminate_child(&self, id: &str) -> Result<(), SupervisorError> {
        let id: Arc<str> = Arc::from(id);
        self.request(|r| SupervisorMsg::TerminateChild(id, r)).await?
    }

    /// Starts a stopped child again (OTP's `restart_child`).
    pub async fn restart_child(&self, id: &str) -> Result<Pid, SupervisorError> {
        let id: Arc<str> = Arc::from(id);
        self.request(|r| SupervisorMsg::RestartChild(id, r)).await?
    }

    /// Removes a stopped child's spec (OTP's `delete_child`).
    pub async fn delete_child(&self, id: &str) -> Result<(), SupervisorError> {
        let id: Arc<str> = Arc::from(id);
        self.request(|r| SupervisorMsg::DeleteChild(id, r)).await?
    }

    /// The children in start order (OTP's `which_children`).
    pub async fn which_children(&self) -> Result<Vec<ChildInfo>, SupervisorError> {
        self.request(SupervisorMsg::WhichChildren).await
    }

    /// A typed address of the child `id`, or `None` if there is no such child or its message
    /// type is not `M`. The address stays valid across the child's restarts: messages sent to
    /// it while the child is being restarted wait in its mailbox for the next incarnation.
    pub async fn child<M: Send + 'static>(
        &self,
        id: &str,
    ) -> Result<Option<ProcessRef<M>>, SupervisorError> {
        let id: Arc<str> = Arc::from(id);
        let Some(process) = self.request(|r| SupervisorMsg::Child(id, r)).await? else {
            return Ok(None);
        };
        let Ok(shared) = process.into_any().downcast::<crate::engine::control::Shared<M>>() else {
            return Ok(None);
        };
        if shared.mailbox.is_closed() || !shared.core.try_retain() {
            return Ok(None);
        }
        Ok(Some(ProcessRef::from_retained(shared)))
    }

    /// Waits until the supervisor has exited and returns why.
    pub async fn exited(&self) -> ExitReason {
        self.inner.exited().await
    }

    async fn request<R>(
        &self,
        make: impl FnOnce(crate::ReplyTo<R>) -> SupervisorMsg,
    ) -> Result<R, SupervisorError> {
        self.inner
            .call_timeout(make, SUPERVISOR_CALL_TIMEOUT)
            .await
            .map_err(SupervisorError::Unavailable)
    }
}

impl fmt::Debug for SupervisorRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SupervisorRef").field(&self.pid()).finish()
    }
}
