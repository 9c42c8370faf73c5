//! What waits to be written to one peer: two lanes, a byte budget and the peer's credit.
//!
//! - **Signals** (links, monitors, exits, downs, credit, replies) are written before any
//!   message, so that an exit is never stuck behind a backlog. A signal to a process that
//!   still has messages waiting here goes behind them instead, in the message lane, so that
//!   what one pair of processes says to each other keeps its order.
//! - **Messages** wait in the message lane, at most `send_buffer` bytes of them: a sender that
//!   finds the lane full waits for room (or its `try_send` fails), so a slow peer slows its
//!   senders instead of growing a buffer.
//! - **Credit**: a message goes out only while the peer has granted room for it (its receive
//!   window, topped up as it delivers), so the peer's buffer is bounded too.
//!
//! Frames are queued encoded (the sender's task encodes them), and the writer takes many at
//! once into one write.

use std::collections::{HashMap, VecDeque};

use bytes::{Bytes, BytesMut};
use event_listener::Event;
use parking_lot::Mutex;

use crate::Pid;

/// One frame, encoded, waiting to be written.
struct Queued {
    bytes: Bytes,
    /// The process it is for: its count of queued frames keeps its signals behind its
    /// messages.
    to: Pid,
    /// A message (counted against the budget and the peer's credit), or a signal that waits
    /// behind its process's messages.
    message: bool,
}

#[derive(Default)]
struct Lanes {
    signals: VecDeque<Bytes>,
    messages: VecDeque<Queued>,
    /// Bytes of messages in `messages`.
    message_bytes: usize,
    /// Frames in `messages`, by the process they are for.
    pending: HashMap<Pid, usize>,
    /// Bytes of messages the peer has room for (it may go below zero by one frame).
    credit: i64,
    closed: bool,
}

/// Why a frame was not queued.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// The message lane is full: wait for room.
    Full,
    /// The connection is gone.
    Closed,
}

/// The frames waiting to be written to one peer.
pub(crate) struct Outbound {
    lanes: Mutex<Lanes>,
    /// Wakes the writer.
    pub(crate) ready: tokio::sync::Notify,
    /// Wakes senders waiting for room.
    room: Event,
    capacity: usize,
}

impl Outbound {
    pub(crate) fn new(capacity: usize) -> Self {
        Outbound {
            lanes: Mutex::new(Lanes::default()),
            ready: tokio::sync::Notify::new(),
            room: Event::new(),
            capacity,
        }
    }

    /// Queues a signal for `to`: ahead of every message, unless `to` has messages waiting.
    /// `false` once the connection is gone.
    pub(crate) fn push_signal(&self, to: Pid, bytes: Bytes) -> bool {
        let mut lanes = self.lanes.lock();
        if lanes.closed {
            return false;
        }
        if lanes.pending.get(&to).is_some_and(|n| *n > 0) {
            *lanes.pending.entry(to).or_default() += 1;
            lanes.messages.push_back(Queued { bytes, to, message: false });
        } else {
            lanes.signals.push_back(bytes);
        }
        drop(lanes);
        self.ready.notify_one();
        true
    }

    /// Queues a message for `to` if there is room in the budget.
    pub(crate) fn try_push_message(&self, to: Pid, bytes: Bytes) -> Result<(), (Refused, Bytes)> {
        let mut lanes = self.lanes.lock();
        if lanes.closed {
            return Err((Refused::Closed, bytes));
        }
        // One message always fits in an empty lane, whatever its size.
        if lanes.message_bytes > 0 && lanes.message_bytes + bytes.len() > self.capacity {
            return Err((Refused::Full, bytes));
        }
        lanes.message_bytes += bytes.len();
        *lanes.pending.entry(to).or_default() += 1;
        lanes.messages.push_back(Queued { bytes, to, message: true });
        drop(lanes);
        self.ready.notify_one();
        Ok(())
    }

    /// Queues a message for `to`, waiting for room in the budget.
    ///
    /// Cancel safe: dropped before it completes, the message was not queued.
    pub(crate) async fn push_message(&self, to: Pid, mut bytes: Bytes) -> Result<(), Bytes> {
        loop {
            let listener = self.room.listen();
            match self.try_push_message(to, bytes) {
                Ok(()) => return Ok(()),
                Err((Refused::Closed, b)) => return Err(b),
                Err((Refused::Full, b)) => bytes = b,
            }
            listener.await;
        }
    }

    /// The peer granted `bytes` more of credit.
    pub(crate) fn grant(&self, bytes: u64) {
        let mut lanes = self.lanes.lock();
        lanes.credit = lanes.credit.saturating_add(i64::try_from(bytes).unwrap_or(i64::MAX));
        drop(lanes);
        self.ready.notify_one();
    }

    /// Moves frames into `batch` until it holds about `max` bytes: signals first, then
    /// messages while the peer has credit. Returns (frames, of which messages).
    pub(crate) fn take(&self, batch: &mut BytesMut, max: usize) -> (u64, u64) {
        let (mut frames, mut messages) = (0, 0);
        let mut freed = 0;
        let mut lanes = self.lanes.lock();
        while batch.len() < max {
            if let Some(signal) = lanes.signals.pop_front() {
                batch.extend_from_slice(&signal);
                frames += 1;
                continue;
            }
            let Some(head) = lanes.messages.front() else { break };
            if head.message && lanes.credit <= 0 {
                break;
            }
            let Some(q) = lanes.messages.pop_front() else { break };
            batch.extend_from_slice(&q.bytes);
            frames += 1;
            if let Some(n) = lanes.pending.get_mut(&q.to) {
                *n -= 1;
                if *n == 0 {
                    lanes.pending.remove(&q.to);
                }
            }
            if q.message {
                messages += 1;
                freed += q.bytes.len();
                lanes.message_bytes -= q.bytes.len();
                lanes.credit -= q.bytes.len() as i64;
            }
        }
        if lanes.messages.is_empty() && lanes.pending.capacity() > 64 {
            lanes.pending.shrink_to_fit();
        }
        drop(lanes);
        if freed > 0 {
            self.room.notify(usize::MAX);
        }
        (frames, messages)
    }

    /// Bytes of messages waiting, and frames waiting in both lanes.
    pub(crate) fn depth(&self) -> (usize, usize) {
        let lanes = self.lanes.lock();
        (lanes.message_bytes, lanes.signals.len() + lanes.messages.len())
    }

    /// Closes the queue: what waits is dropped, and senders waiting for room are woken (to
    /// find it closed).
    pub(crate) fn close(&self) {
        let mut lanes = self.lanes.lock();
        lanes.closed = true;
        lanes.signals = VecDeque::new();
        lanes.messages = VecDeque::new();
        lanes.pending = HashMap::new();
        lanes.message_bytes = 0;
        drop(lanes);
        self.room.notify(usize::MAX);
        self.ready.notify_one();
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.lanes.lock().closed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pid(n: u64) -> Pid {
        Pid::new(1, 1, n)
    }

    fn drain(out: &Outbound) -> Vec<u8> {
        let mut batch = BytesMut::new();
        out.take(&mut batch, usize::MAX);
        batch.to_vec()
    }

    #[test]
    fn signals_jump_messages_except_their_own_process_s() {
        let out = Outbound::new(1024);
        out.grant(1024);
        out.try_push_message(pid(1), Bytes::from_static(b"m1")).unwrap();
        assert!(out.push_signal(pid(2), Bytes::from_static(b"s2")));
        assert!(out.push_signal(pid(1), Bytes::from_static(b"s1")));
        assert_eq!(drain(&out), b"s2m1s1");
    }

    #[test]
    fn messages_wait_for_credit_and_the_budget_holds() {
        let out = Outbound::new(4);
        out.try_push_message(pid(1), Bytes::from_static(b"ab")).unwrap();
        out.try_push_message(pid(1), Bytes::from_static(b"cd")).unwrap();
        let full = out.try_push_message(pid(1), Bytes::from_static(b"e")).unwrap_err();
        assert_eq!(full.0, Refused::Full);
        assert_eq!(drain(&out), b"", "no credit yet");
        out.grant(1);
        assert_eq!(drain(&out), b"ab", "one frame may overdraw the credit");
        out.grant(3);
        assert_eq!(drain(&out), b"cd");
        out.close();
        let closed = out.try_push_message(pid(1), Bytes::from_static(b"e")).unwrap_err();
        assert_eq!(closed.0, Refused::Closed);
    }
}
