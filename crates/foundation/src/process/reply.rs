//! The reply half of a call.

use std::fmt;

use tokio::sync::oneshot;

use crate::ExitReason;
use crate::engine::control_block::ControlBlock;
use crate::engine::current;

/// What comes back to a caller: the reply, or the reason the server exited without one.
pub(crate) enum Answer<R> {
    Reply(R),
    Exited(ExitReason),
}

/// Where to send the reply to a [`call`](crate::ProcessRef::call).
///
/// Put it in the request message; the process answers with [`reply`](Self::reply). Dropping it
/// without replying makes the call fail with
/// [`CallError::is_no_reply`](crate::CallError::is_no_reply): once the handler that dropped it
/// has returned, or, if the process ends instead, with the process's exit reason (a server
/// that crashes while holding a request always reports why, as OTP's caller learns it from its
/// monitor).
pub struct ReplyTo<R> {
    /// Under a lock only so that a request sent to another node can hand the sender to the
    /// node's table of pending calls while it is serialised (by reference); everywhere else
    /// it is reached through `&mut self`, without locking.
    tx: parking_lot::Mutex<Option<Tx<R>>>,
    /// For a request that came from another node: sends the reply (or, with `None`, the news
    /// that none will come) back over the wire.
    remote: Option<RemoteReply<R>>,
    /// The server the request was made to (`engine::current::id`): a handle dropped while
    /// that process runs is parked with it; dropped anywhere else (a send that dropped the
    /// request, a mailbox closing, another process), it is dropped at once.
    server: usize,
    /// Parks the sender with the server (see `engine::current`).
    park: fn(Tx<R>),
}

/// The caller's end: the reply, or the server's exit reason when it ends holding the request.
pub(crate) type Tx<R> = oneshot::Sender<Answer<R>>;

/// Answers a caller on another node: `Some` with the reply, `None` when none will come.
pub(crate) type RemoteReply<R> = Box<dyn FnOnce(Option<R>) + Send + Sync>;

impl<R: Send + 'static> ReplyTo<R> {
    /// A reply handle for a request to `server`, whose caller also learns the server's exit
    /// reason when the server ends holding it.
    pub(crate) fn answer(server: &ControlBlock) -> (Self, oneshot::Receiver<Answer<R>>) {
        let (tx, rx) = oneshot::channel();
        let tx = parking_lot::Mutex::new(Some(tx));
        (ReplyTo { tx, remote: None, server: current::id(server), park: park::<R> }, rx)
    }

    /// A reply handle for a request from another node: `reply` answers through `remote`.
    #[cfg(feature = "cluster")]
    pub(crate) fn remote(remote: RemoteReply<R>) -> Self {
        let tx = parking_lot::Mutex::new(None);
        ReplyTo { tx, remote: Some(remote), server: 0, park: park::<R> }
    }

    /// Takes the caller's end, to hand it to the table of calls waiting for another node.
    #[cfg(feature = "cluster")]
    pub(crate) fn take_caller(&self) -> Option<Tx<R>> {
        self.tx.lock().take()
    }
}

/// Parks a sender its server dropped unanswered, until the server's handler returns.
fn park<R: Send + 'static>(tx: Tx<R>) {
    let orphan: current::Orphan = Box::new(move |exit: Option<&ExitReason>| {
        if let Some(reason) = exit {
            let _ = tx.send(Answer::Exited(reason.clone()));
        }
    });
    drop(current::park(orphan));
}

impl<R> ReplyTo<R> {
    /// Sends the reply. Gives the value back if the caller stopped waiting (timed out or was
    /// cancelled).
    pub fn reply(mut self, value: R) -> Result<(), R> {
        if let Some(remote) = self.remote.take() {
            remote(Some(value));
            return Ok(());
        }
        match self.tx.get_mut().take() {
            Some(tx) => match tx.send(Answer::Reply(value)) {
                Err(Answer::Reply(value)) => Err(value),
                _ => Ok(()),
            },
            None => Err(value),
        }
    }

    /// `true` while the caller is still waiting.
    pub fn is_waiting(&self) -> bool {
        self.remote.is_some() || self.tx.lock().as_ref().is_some_and(|tx| !tx.is_closed())
    }
}

impl<R> Drop for ReplyTo<R> {
    fn drop(&mut self) {
        if let Some(remote) = self.remote.take() {
            remote(None);
            return;
        }
        if let Some(tx) = self.tx.get_mut().take()
            && !tx.is_closed()
            && current::is_id(self.server)
        {
            (self.park)(tx);
        }
    }
}

impl<R> fmt::Debug for ReplyTo<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplyTo").field("waiting", &self.is_waiting()).finish()
    }
}
