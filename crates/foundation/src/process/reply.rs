//! The reply half of a call.

use std::fmt;

use tokio::sync::oneshot;

/// Where to send the reply to a [`call`](crate::ProcessRef::call).
///
/// Put it in the request message; the process answers with [`reply`](Self::reply). Dropping it
/// without replying makes the call fail at once with
/// [`CallError::is_no_reply`](crate::CallError::is_no_reply).
pub struct ReplyTo<R> {
    tx: oneshot::Sender<R>,
}

impl<R> ReplyTo<R> {
    pub(crate) fn pair() -> (Self, oneshot::Receiver<R>) {
        let (tx, rx) = oneshot::channel();
        (ReplyTo { tx }, rx)
    }

    /// Sends the reply. Gives the value back if the caller stopped waiting (timed out or was
    /// cancelled).
    pub fn reply(self, value: R) -> Result<(), R> {
        self.tx.send(value)
    }

    /// `true` while the caller is still waiting.
    pub fn is_waiting(&self) -> bool {
        !self.tx.is_closed()
    }
}

impl<R> fmt::Debug for ReplyTo<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplyTo").field("waiting", &self.is_waiting()).finish()
    }
}
