//! Putting a message in a mailbox: the push, the wake-up, and the overflow policy. Every way of
//! sending (an address, a broadcast, a credit link) goes through here.

use crate::engine::mailbox::PushError;
use crate::engine::message_counters::count_sent;
use crate::engine::process_block::ProcessBlock;
use crate::process::delivery::Delivery;
use crate::process::overflow::Overflow;

impl<M: Send + 'static> ProcessBlock<M> {
    /// Pushes if there is room, waking the receiver if it sleeps.
    #[inline]
    pub(crate) fn push(&self, msg: M) -> Result<(), PushError<M>> {
        if self.mailbox.try_push(msg)? {
            self.core.waker.wake();
        }
        count_sent();
        Ok(())
    }

    /// One attempt that applies the overflow policy, short of waiting: `Full` comes back only
    /// under `Wait` and `Fail`.
    #[inline]
    pub(crate) fn offer(&self, msg: M) -> Result<Delivery, PushError<M>> {
        match self.push(msg) {
            Ok(()) => Ok(Delivery::Queued),
            Err(PushError::Full(m)) => self.overflow(m),
            Err(closed) => Err(closed),
        }
    }

    /// A full mailbox under a drop policy: drops a message (counted) and reports what it did
    /// (the [`Delivery`] the sender gets).
    #[cold]
    fn overflow(&self, msg: M) -> Result<Delivery, PushError<M>> {
        let (dropped, delivery) = match self.mailbox.overflow() {
            Overflow::DropNewest => (msg, Delivery::DroppedNewest),
            Overflow::DropOldest => {
                let mut msg = msg;
                let mut tries = 0;
                loop {
                    match self.mailbox.replace_oldest(msg, |signal| self.promote(signal)) {
                        Ok(oldest) => break (oldest, Delivery::DroppedOldest),
                        // Nothing waits: the receiver has just taken it (and room may be
                        // free again), or a sender holds the slot while it pushes. Try again a
                        // few times, then the newest goes.
                        Err(newest) if tries < 3 => {
                            tries += 1;
                            match self.push(newest) {
                                Ok(()) => return Ok(Delivery::Queued),
                                Err(PushError::Full(m)) => msg = m,
                                Err(closed) => return Err(closed),
                            }
                        }
                        Err(newest) => break (newest, Delivery::DroppedNewest),
                    }
                }
            }
            _ => return Err(PushError::Full(msg)),
        };
        self.traffic.count_dropped();
        count_sent();
        drop(dropped);
        Ok(delivery)
    }

    /// Under `Fail`, counts a refusal and says so.
    pub(crate) fn refuses(&self) -> bool {
        let refuses = self.mailbox.overflow() == Overflow::Fail;
        if refuses {
            self.traffic.count_refused();
        }
        refuses
    }
}
