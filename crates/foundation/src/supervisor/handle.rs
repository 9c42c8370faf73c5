//! The address of a running supervisor.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::process::reply::Answer;
use crate::supervisor::server::SupervisorMsg;
use crate::supervisor::{ChildCounts, ChildInfo, ChildSpec, SupervisorError};
use crate::{CallError, ExitReason, Pid, ProcessRef, ReplyTo};

/// How long a request to a supervisor may take: stopping a child can take as long as that
/// child's shutdown timeout, so this is long (as OTP's `infinity`, bounded).
const SUPERVISOR_CALL_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);

/// A running supervisor: add, stop, restart, remove and list its children.
///
/// Cloning gives another handle to the same supervisor. Dropping every handle does not stop it:
/// like every process, and like an OTP supervisor, it runs until it is stopped
/// ([`Node::stop`](crate::Node::stop) with its pid, its parent, or
/// [`Node::shutdown`](crate::Node::shutdown)), and then stops its children first.
///
/// # Cancel safety
///
/// Every request is a message to the supervisor, put in its (unbounded) mailbox when the
/// future is first polled; the supervisor handles requests one at a time, each to its end. So
/// dropping the future of a request after its first poll does not cancel the request: as with
/// OTP's `supervisor:start_child` whose caller goes away, the supervisor still carries it out,
/// and only the answer is lost (a child may then be started, stopped or deleted without the
/// caller knowing: ask [`which_children`](Self::which_children)). A future dropped before its
/// first poll sends nothing.
#[derive(Clone)]
pub struct SupervisorRef {
    pub(crate) inner: ProcessRef<SupervisorMsg>,
}

impl SupervisorRef {
    /// The supervisor's pid.
    pub fn pid(&self) -> Pid {
        self.inner.pid()
    }

    /// Starts a new child under the supervisor (OTP's `start_child`): its pid, or `None` if its
    /// factory chose to start nothing ([`ChildSpec::worker_or_ignore`], OTP's
    /// `{ok, undefined}`).
    ///
    /// # Cancel safety
    ///
    /// Once polled, the start goes on in the supervisor if the future is dropped: the child is
    /// started (and supervised) or not, as if the answer had been awaited.
    pub async fn start_child(&self, spec: ChildSpec) -> Result<Option<Pid>, SupervisorError> {
        self.request(|r| SupervisorMsg::StartChild(spec, r)).await?
    }

    /// Stops a child per its shutdown policy; it stays listed (unless temporary) and can be
    /// restarted with [`restart_child`](Self::restart_child) (OTP's `terminate_child`).
    ///
    /// # Cancel safety
    ///
    /// Once polled, the stop goes on in the supervisor if the future is dropped.
    pub async fn terminate_child(&self, id: &str) -> Result<(), SupervisorError> {
        let id: Arc<str> = Arc::from(id);
        self.request(|r| SupervisorMsg::TerminateChild(id, r)).await?
    }

    /// Starts a stopped child again (OTP's `restart_child`): its pid, or `None` if its factory
    /// chose to start nothing.
    ///
    /// # Cancel safety
    ///
    /// Once polled, the restart goes on in the supervisor if the future is dropped.
    pub async fn restart_child(&self, id: &str) -> Result<Option<Pid>, SupervisorError> {
        let id: Arc<str> = Arc::from(id);
        self.request(|r| SupervisorMsg::RestartChild(id, r)).await?
    }

    /// Removes a stopped child's spec (OTP's `delete_child`).
    ///
    /// # Cancel safety
    ///
    /// Once polled, the deletion goes on in the supervisor if the future is dropped.
    pub async fn delete_child(&self, id: &str) -> Result<(), SupervisorError> {
        let id: Arc<str> = Arc::from(id);
        self.request(|r| SupervisorMsg::DeleteChild(id, r)).await?
    }

    /// The children, each with its pid and [`ChildStatus`](crate::supervisor::ChildStatus)
    /// (OTP's `which_children`: a pid, `restarting` or `undefined`).
    ///
    /// They are listed in start order: the spec's children first, then those added by
    /// [`start_child`](Self::start_child), oldest first. OTP lists the most recent first; we
    /// differ on purpose (see [`supervisor`](crate::supervisor#differences-from-otp)): call
    /// `.iter().rev()` for OTP's order.
    ///
    /// A supervisor answers between two restart attempts of a child whose restart failed, so
    /// this answers promptly even then; it waits only for an attempt under way (a child's
    /// `init`), as OTP's does.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: it only reads, so dropping the future changes nothing.
    pub async fn which_children(&self) -> Result<Vec<ChildInfo>, SupervisorError> {
        self.request(SupervisorMsg::WhichChildren).await
    }

    /// How many children the supervisor has, by kind and by state (OTP's `count_children`).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: it only reads.
    pub async fn count_children(&self) -> Result<ChildCounts, SupervisorError> {
        Ok(ChildCounts::of(&self.which_children().await?))
    }

    /// A typed address of the child `id`, or `None` if there is no such child or its message
    /// type is not `M`. The address stays valid across the child's restarts: messages sent to
    /// it while the child is being restarted wait in its mailbox for the next incarnation.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: it only reads, so dropping the future changes nothing (no address is
    /// taken).
    pub async fn child<M: Send + 'static>(
        &self,
        id: &str,
    ) -> Result<Option<ProcessRef<M>>, SupervisorError> {
        let id: Arc<str> = Arc::from(id);
        let Some(process) = self.request(|r| SupervisorMsg::Child(id, r)).await? else {
            return Ok(None);
        };
        let Ok(shared) =
            process.into_any().downcast::<crate::engine::process_block::ProcessBlock<M>>()
        else {
            return Ok(None);
        };
        if shared.mailbox.is_closed() || !shared.core.try_retain() {
            return Ok(None);
        }
        Ok(Some(ProcessRef::from_retained(shared)))
    }

    /// The child `id` if it is a supervisor: a handle to manage that subtree (its own
    /// `start_child`, `which_children`, ...). `None` if there is no such child or it is a
    /// worker. The handle stays valid across the nested supervisor's restarts by this one (a
    /// restarted supervisor starts again from its spec: children added to it by `start_child`
    /// are gone, as in OTP); while it is being restarted, requests wait in its mailbox.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: it only reads, so dropping the future changes nothing.
    pub async fn child_supervisor(
        &self,
        id: &str,
    ) -> Result<Option<SupervisorRef>, SupervisorError> {
        Ok(self.child::<SupervisorMsg>(id).await?.map(|inner| SupervisorRef { inner }))
    }

    /// Waits until the supervisor has exited and returns why.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: it only watches, so dropping the future changes nothing.
    pub async fn exited(&self) -> ExitReason {
        self.inner.exited().await
    }

    /// Asks the supervisor to stop the child `id` and then to forget it (OTP's
    /// `terminate_child`, then `delete_child`). Both requests are in the supervisor's mailbox
    /// when this returns, so the supervisor carries out both whether or not the answer is
    /// awaited. The answer is the first error (`NotFound` if there is no such child).
    pub(crate) fn remove_child(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<(), SupervisorError>> + Send + use<> {
        let id: Arc<str> = Arc::from(id);
        let (reply, answer) = ReplyTo::answer(&self.inner.shared.core);
        let stopped = self.post(SupervisorMsg::TerminateChild(Arc::clone(&id), reply), answer);
        let (reply, answer) = ReplyTo::answer(&self.inner.shared.core);
        let deleted = self.post(SupervisorMsg::DeleteChild(id, reply), answer);
        async move {
            let stopped = stopped.await.and_then(|answer| answer);
            let deleted = deleted.await.and_then(|answer| answer);
            stopped.and(deleted)
        }
    }

    pub(super) async fn request<R: Send + 'static>(
        &self,
        make: impl FnOnce(ReplyTo<R>) -> SupervisorMsg,
    ) -> Result<R, SupervisorError> {
        let (reply, answer) = ReplyTo::answer(&self.inner.shared.core);
        self.post(make(reply), answer).await
    }

    /// Puts `request` in the supervisor's mailbox now (it is unbounded, so there is always
    /// room) and returns its `answer` to come: the request is made whatever becomes of the
    /// returned future.
    fn post<R: Send + 'static>(
        &self,
        request: SupervisorMsg,
        answer: tokio::sync::oneshot::Receiver<Answer<R>>,
    ) -> impl Future<Output = Result<R, SupervisorError>> + Send + use<R> {
        let sent = self.inner.try_send(request).is_ok();
        let (pid, shared) = (self.pid(), Arc::clone(&self.inner.shared));
        async move {
            if !sent {
                let error = CallError::no_process(pid, shared.core.exit_reason());
                return Err(SupervisorError::Unavailable(error));
            }
            match tokio::time::timeout(SUPERVISOR_CALL_TIMEOUT, answer).await {
                Ok(Ok(Answer::Reply(answer))) => Ok(answer),
                // The supervisor ended holding the request: its reason comes with the answer.
                Ok(Ok(Answer::Exited(reason))) => Err(CallError::no_reply(pid, Some(reason))),
                Ok(Err(_)) => Err(CallError::no_reply(pid, shared.core.exit_reason())),
                Err(_) => Err(CallError::timeout(pid, SUPERVISOR_CALL_TIMEOUT)),
            }
            .map_err(SupervisorError::Unavailable)
        }
    }
}

impl fmt::Debug for SupervisorRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SupervisorRef").field(&self.pid()).finish()
    }
}
