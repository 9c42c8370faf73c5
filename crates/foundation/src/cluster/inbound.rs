//! What comes from one peer: frames handed on in order, messages delivered without ever
//! blocking the connection, and credit given back as they are delivered.
//!
//! A message for a process whose mailbox is full waits here (its sender's credit covers it,
//! so what waits is bounded by the receive window), and so does everything after it for the
//! same process, signals included, so that a pair's order holds. Frames for other processes
//! go on at once, signals always; one full mailbox never stops the connection's reading.
//! What waits is delivered in order, one at a time: a second process with a full mailbox
//! waits behind the first. Credit is the connection's: messages waiting here keep theirs
//! until delivered, so a mailbox that stays full can, once the window is used up, hold back
//! the sender's messages to every process of this node (signals still pass).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use futures::future::BoxFuture;

use crate::Pid;
use crate::cluster::link::Link;
use crate::cluster::net::ClusterInner;
use crate::cluster::wire::Frame;

/// What became of a message handed to a local process.
pub(crate) enum Delivered {
    /// In the mailbox, or dropped (its process had ended, exported nothing, or the bytes did
    /// not decode: counted as undelivered).
    Done,
    /// The mailbox is full: this future puts it in when there is room.
    Wait(BoxFuture<'static, ()>),
}

enum Waiting {
    /// A message waiting for room.
    Push { to: Pid, push: BoxFuture<'static, ()>, len: usize },
    /// A frame behind one of those, for the same process.
    Frame { to: Pid, frame: Frame, len: usize },
}

/// The receiving side of one connection, kept by its reader.
pub(crate) struct Inbound<'a> {
    inner: &'a Arc<ClusterInner>,
    link: &'a Arc<Link>,
    queue: VecDeque<Waiting>,
    /// Entries in `queue`, by process.
    pending: HashMap<Pid, usize>,
    /// Bytes of messages delivered and not yet given back as credit.
    owed: u64,
}

impl<'a> Inbound<'a> {
    pub(crate) fn new(inner: &'a Arc<ClusterInner>, link: &'a Arc<Link>) -> Self {
        Inbound { inner, link, queue: VecDeque::new(), pending: HashMap::new(), owed: 0 }
    }

    /// Takes one frame as it comes off the connection. `Err` for a frame the protocol does
    /// not allow here (the connection is then closed).
    pub(crate) fn take(&mut self, frame: Frame, len: usize) -> Result<(), String> {
        match frame {
            Frame::Tick => Ok(()),
            Frame::Credit { bytes } => {
                self.link.out.grant(bytes);
                Ok(())
            }
            Frame::Hello { .. } => Err("a second greeting".into()),
            frame => {
                let Some(to) = local_target(&frame) else {
                    self.inner.handle_control(self.link, frame);
                    return Ok(());
                };
                if self.pending.get(&to).is_some_and(|n| *n > 0) {
                    *self.pending.entry(to).or_default() += 1;
                    self.queue.push_back(Waiting::Frame { to, frame, len });
                } else {
                    self.hand_on(to, frame, len, false);
                }
                Ok(())
            }
        }
    }

    /// Hands a frame for the local process `to` on; a message that must wait is queued, at
    /// the head when it was already the head (`first`), else at the back.
    fn hand_on(&mut self, to: Pid, frame: Frame, len: usize, first: bool) {
        let Frame::Send { payload, .. } = frame else {
            self.inner.handle_signal(self.link, frame);
            return;
        };
        self.link.count(&self.link.counters.messages_in, 1);
        match self.inner.deliver_message(self.link, to, &payload) {
            Delivered::Done => self.credit(len),
            Delivered::Wait(push) => {
                *self.pending.entry(to).or_default() += 1;
                let waiting = Waiting::Push { to, push, len };
                if first {
                    self.queue.push_front(waiting);
                } else {
                    self.queue.push_back(waiting);
                }
            }
        }
    }

    /// Delivers what waits, in order; never completes while nothing waits.
    ///
    /// Cancel safe: a push in progress stays at the head of the queue.
    pub(crate) async fn deliver(&mut self) {
        loop {
            let Some(head) = self.queue.front_mut() else {
                return std::future::pending().await;
            };
            let (to, len) = match head {
                Waiting::Push { to, push, len } => {
                    push.await;
                    (*to, *len)
                }
                Waiting::Frame { to, len, .. } => (*to, *len),
            };
            let Some(done) = self.queue.pop_front() else { return };
            self.settle(to);
            match done {
                Waiting::Push { .. } => self.credit(len),
                // Handed on now; a message that must wait goes back at the head.
                Waiting::Frame { frame, .. } => self.hand_on(to, frame, len, true),
            }
        }
    }

    fn settle(&mut self, to: Pid) {
        if let Some(n) = self.pending.get_mut(&to) {
            *n -= 1;
            if *n == 0 {
                self.pending.remove(&to);
            }
        }
    }

    /// A message of `len` bytes was delivered: its credit goes back, in batches of a quarter
    /// of the window.
    fn credit(&mut self, len: usize) {
        self.owed += len as u64;
        if self.owed >= (self.inner.config.receive_window as u64 / 4).max(1) {
            let frame = Frame::Credit { bytes: std::mem::take(&mut self.owed) };
            self.link.signal(self.inner.node.self_pid(), &frame);
        }
    }
}

/// The local process a frame is for, if it is for one.
fn local_target(frame: &Frame) -> Option<Pid> {
    match frame {
        Frame::Send { to, .. }
        | Frame::Link { to, .. }
        | Frame::Unlink { to, .. }
        | Frame::Exit { to, .. }
        | Frame::Monitor { to, .. }
        | Frame::Demonitor { to, .. }
        | Frame::Down { to, .. } => Some(Pid::from(*to)),
        _ => None,
    }
}
