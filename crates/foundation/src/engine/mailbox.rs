//! The mailbox: a lock-free multi-producer, single-consumer queue with an optional bound.
//!
//! One state word carries three things: how many entries are reserved (sent and not yet
//! released by the receiver), a `PARKED` bit set by a receiver that found nothing and is about
//! to sleep, and a `CLOSED` bit set once when the process ends. A send is one `fetch_add` on that
//! word (the bound check is folded into it) plus one push on a segment queue that allocates
//! nothing until the first message and then one block per 31 messages. Only the sender that
//! finds `PARKED` set, and wins the race to clear it, wakes the receiver, so a busy receiver
//! costs its senders no wake-ups.
//!
//! The receiver releases room in batches (a quarter of the capacity, at most 32, and always
//! before it parks), and senders blocked on a full mailbox are woken only when the mailbox is
//! down to half its capacity: once per burst, never once per freed slot.
//!
//! Closing sets `CLOSED` and then drains exactly the entries whose senders reserved a slot
//! before it: a sender that finds `CLOSED` gets its message back, so no message is ever stranded
//! in a closed mailbox.
//!
//! # Ordered signals
//!
//! An entry is a message or an *ordered signal*: an exit signal the receiver traps, or a
//! monitor's `Down`. Those travel in the queue itself, behind whatever their sender sent
//! before, as Erlang orders every signal between a pair of processes. They are never refused
//! for want of room (a signal must not be lost or make a dying process wait), so they may take
//! the count past the capacity by the number of signals queued. A `DropOldest` sender never
//! drops one: a signal it finds at the head is *promoted* (handed to the receiver's signal
//! queue, ahead of everything still queued, which is where it stood), and the receiver of such
//! a mailbox settles any promotion in progress before it handles a message (see
//! [`Mailbox::settle`]), so a promoted signal is never overtaken.

use std::sync::atomic::Ordering::{AcqRel, Acquire, Release, SeqCst};

use crate::engine::signal::Addressed;
use crate::engine::sync::{AtomicUsize, Event, EventListener, Queue, yield_now};
use crate::process::overflow::Overflow;

const CLOSED: usize = 1 << (usize::BITS - 1);
const PARKED: usize = 1 << (usize::BITS - 2);
const COUNT: usize = PARKED - 1;

/// The largest capacity a bounded mailbox may have; larger values mean "unbounded".
pub(crate) const MAX_CAPACITY: usize = COUNT >> 1;

/// Why a push did not go through; the message comes back.
#[derive(Debug)]
pub(crate) enum PushError<M> {
    Full(M),
    Closed(M),
}

/// One entry of the queue: a message, or an ordered signal (boxed: signals are rare, and a box
/// keeps an entry no larger than `Option<M>` for most message types).
#[derive(Debug)]
pub(crate) enum Slot<M> {
    Message(M),
    Signal(Box<Addressed>),
}

/// What a receiver that found the queue empty should do next.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Park {
    /// Nothing is reserved: sleep; the next sender wakes the registered waker.
    Parked,
    /// A sender reserved a slot and is pushing: look again.
    Retry,
}

pub(crate) struct Mailbox<M> {
    queue: Queue<Slot<M>>,
    state: AtomicUsize,
    capacity: usize,
    release_batch: usize,
    /// Waiting senders are woken only once the count falls to this mark, so that a woken sender
    /// finds room for a burst rather than for one message.
    low_water: usize,
    /// Senders waiting for room; the receiver touches `room` only when some are.
    waiting: AtomicUsize,
    room: Event,
    /// `DropOldest` senders between taking the head of the queue and putting what they took
    /// where it belongs; the receiver waits for them in [`Mailbox::settle`].
    displacing: AtomicUsize,
    /// What a send to a full mailbox does; applied by the sender (`ProcessRef`).
    overflow: Overflow,
}

impl<M> Mailbox<M> {
    /// A mailbox holding at most `capacity` messages (`None`: unbounded). Allocates nothing.
    #[cfg(test)]
    pub(crate) fn new(capacity: Option<usize>) -> Self {
        Self::with_overflow(capacity, Overflow::Wait)
    }

    /// A mailbox whose senders apply `overflow` when it is full.
    pub(crate) fn with_overflow(capacity: Option<usize>, overflow: Overflow) -> Self {
        let capacity = capacity.map_or(MAX_CAPACITY, |c| c.clamp(1, MAX_CAPACITY));
        Mailbox {
            queue: Queue::new(),
            state: AtomicUsize::new(0),
            capacity,
            release_batch: (capacity / 4).clamp(1, 32),
            low_water: capacity / 2,
            waiting: AtomicUsize::new(0),
            room: Event::new(),
            displacing: AtomicUsize::new(0),
            overflow,
        }
    }

    /// What a send to a full mailbox does.
    pub(crate) fn overflow(&self) -> Overflow {
        self.overflow
    }

    /// The bound, or `None` when unbounded.
    pub(crate) fn capacity(&self) -> Option<usize> {
        (self.capacity != MAX_CAPACITY).then_some(self.capacity)
    }

    /// Pushes without waiting. `Ok(true)` means the receiver was parked and must be woken.
    #[inline]
    pub(crate) fn try_push(&self, msg: M) -> Result<bool, PushError<M>> {
        let prev = self.state.fetch_add(1, SeqCst);
        if prev & CLOSED != 0 {
            self.state.fetch_sub(1, Release);
            return Err(PushError::Closed(msg));
        }
        if prev & COUNT >= self.capacity {
            self.undo_full();
            return Err(PushError::Full(msg));
        }
        self.queue.push(Slot::Message(msg));
        Ok(self.pushed(prev))
    }

    /// Queues an ordered signal behind everything sent before it, whatever the bound (see the
    /// module docs). `Ok(true)` means the receiver was parked and must be woken; the signal
    /// comes back if the mailbox is closed.
    pub(crate) fn push_signal(&self, signal: Box<Addressed>) -> Result<bool, Box<Addressed>> {
        let prev = self.state.fetch_add(1, SeqCst);
        if prev & CLOSED != 0 {
            self.state.fetch_sub(1, Release);
            return Err(signal);
        }
        self.queue.push(Slot::Signal(signal));
        Ok(self.pushed(prev))
    }

    /// Takes back the slot a push found full. A release that came while that slot was
    /// reserved saw one more message than there was, and may have skipped waking the senders
    /// waiting for room: if the count is now down to the low-water mark, they are woken here.
    /// (Found by `loom_a_sender_waiting_for_room_is_always_woken`: without it, a sender's own
    /// second try could hide the release it was waiting for.)
    #[cold]
    fn undo_full(&self) {
        let prev = self.state.fetch_sub(1, SeqCst);
        if (prev & COUNT) - 1 <= self.low_water && self.waiting.load(SeqCst) > 0 {
            self.room.notify(usize::MAX);
        }
    }

    /// After a push that reserved from state `prev`: whether this sender must wake the receiver.
    #[inline]
    fn pushed(&self, prev: usize) -> bool {
        if prev & PARKED != 0 {
            // Several senders may have seen the bit; the one that clears it wakes the receiver.
            return self.state.fetch_and(!PARKED, AcqRel) & PARKED != 0;
        }
        false
    }

    /// A listener that fires when the receiver releases room. Register it, then try again,
    /// then wait: a release between the failed try and the registration is not missed. The
    /// guard counts the sender as waiting until it is dropped.
    pub(crate) fn listen_for_room(&self) -> RoomListener<'_> {
        self.waiting.fetch_add(1, SeqCst);
        RoomListener { listener: self.room.listen(), waiting: &self.waiting }
    }

    /// Makes room for `msg` by taking the oldest waiting message out (`DropOldest`): `msg`
    /// takes over the slot of the message it displaces, so the count does not change and a
    /// concurrent close still drains `msg`. Returns the displaced message, or gives `msg` back
    /// if no message is waiting (every slot is held by messages the receiver has taken). Any
    /// sender may call it, concurrently with the receiver.
    ///
    /// An ordered signal found at the head is never displaced: it goes to `promote`, which must
    /// hand it to the receiver ahead of everything still queued, and its slot is released to
    /// the count the receiver keeps no more (the receiver never pops it), so the caller goes on
    /// looking for a message behind it.
    pub(crate) fn replace_oldest(
        &self,
        msg: M,
        mut promote: impl FnMut(Box<Addressed>),
    ) -> Result<M, M> {
        self.displacing.fetch_add(1, SeqCst);
        let result = loop {
            match self.queue.pop() {
                Some(Slot::Message(oldest)) => {
                    self.queue.push(Slot::Message(msg));
                    break Ok(oldest);
                }
                Some(Slot::Signal(signal)) => {
                    promote(signal);
                    // The signal's reservation goes with it: it no longer sits in the queue.
                    self.release(1);
                }
                None => break Err(msg),
            }
        };
        self.displacing.fetch_sub(1, SeqCst);
        result
    }

    /// Waits out any `DropOldest` sender that is between taking the head of the queue and
    /// promoting it. Called by the receiver of a `DropOldest` mailbox after each pop: once it
    /// returns, a signal that stood ahead of the popped message has been promoted, so the
    /// receiver can look at its signal queue and handle the promoted signal first. Displacing
    /// takes nanoseconds; only `DropOldest` mailboxes pay for the check.
    pub(crate) fn settle(&self) {
        while self.displacing.load(SeqCst) != 0 {
            yield_now();
        }
    }

    /// Takes the next entry, if one is there. Receiver only.
    #[inline]
    pub(crate) fn pop(&self) -> Option<Slot<M>> {
        self.queue.pop()
    }

    /// How many popped messages the receiver may hold before releasing their slots.
    pub(crate) fn release_batch(&self) -> usize {
        self.release_batch
    }

    /// Gives back the slots of `n` popped messages; wakes the senders waiting for room once
    /// the count is down to the low-water mark (at the latest when the receiver has drained
    /// everything, since it releases all it popped before it parks).
    pub(crate) fn release(&self, n: usize) {
        if n == 0 {
            return;
        }
        let prev = self.state.fetch_sub(n, SeqCst);
        if (prev & COUNT) - n <= self.low_water && self.waiting.load(SeqCst) > 0 {
            self.room.notify(usize::MAX);
        }
    }

    /// Marks the receiver parked if nothing is reserved. The caller has released every popped
    /// message and registered its waker first.
    pub(crate) fn try_park(&self) -> Park {
        let prev = self.state.fetch_or(PARKED, SeqCst);
        if prev & COUNT == 0 {
            Park::Parked
        } else {
            self.state.fetch_and(!PARKED, AcqRel);
            Park::Retry
        }
    }

    /// Clears the parked bit after a wake-up that was not a message (a signal, a dropped sender).
    pub(crate) fn unpark(&self) {
        self.state.fetch_and(!PARKED, AcqRel);
    }

    /// `true` while senders find no room: every slot is taken, by a waiting message or by one
    /// the receiver has taken but not yet released (the one it is handling, say).
    pub(crate) fn is_full(&self) -> bool {
        self.state.load(Acquire) & COUNT >= self.capacity
    }

    /// Entries waiting in the queue: messages, and ordered signals (as Erlang's
    /// `message_queue_len` counts `'EXIT'` and `'DOWN'` messages).
    pub(crate) fn len(&self) -> usize {
        self.queue.len()
    }

    /// `true` once the mailbox has been closed.
    pub(crate) fn is_closed(&self) -> bool {
        self.state.load(Acquire) & CLOSED != 0
    }

    /// Closes the mailbox for good and drops every message in it, including messages whose
    /// senders are still pushing. `unreleased` is the receiver's count of popped messages it has
    /// not released yet. Returns how many messages were dropped.
    pub(crate) fn close(&self, unreleased: usize) -> usize {
        let prev = self.state.fetch_or(CLOSED, AcqRel);
        if prev & CLOSED != 0 {
            return 0;
        }
        self.release(unreleased);
        let mut dropped = 0;
        loop {
            while let Some(entry) = self.queue.pop() {
                // A message whose `Drop` panics must not stop the close half-way.
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(entry)));
                dropped += 1;
                self.state.fetch_sub(1, AcqRel);
            }
            if self.state.load(Acquire) & COUNT == 0 {
                break;
            }
            // A sender reserved a slot before the close and has not pushed yet, or is undoing
            // its reservation: it takes nanoseconds.
            yield_now();
        }
        self.room.notify(usize::MAX);
        dropped
    }
}

/// A sender's wait for room: a future that completes when room may have been released.
pub(crate) struct RoomListener<'a> {
    listener: EventListener,
    waiting: &'a AtomicUsize,
}

impl std::future::Future for RoomListener<'_> {
    type Output = ();

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        std::pin::Pin::new(&mut self.listener).poll(cx)
    }
}

#[cfg(foundation_loom)]
impl RoomListener<'_> {
    /// Blocks the (loom) thread until room may have been released.
    fn wait(mut self) {
        let listener = std::mem::replace(&mut self.listener, Event::new().listen());
        listener.wait();
    }
}

impl Drop for RoomListener<'_> {
    fn drop(&mut self) {
        self.waiting.fetch_sub(1, SeqCst);
    }
}

/// The message of a popped entry (tests).
#[cfg(test)]
fn message<M>(entry: Option<Slot<M>>) -> Option<M> {
    match entry? {
        Slot::Message(m) => Some(m),
        Slot::Signal(_) => None,
    }
}

/// An ordered signal for the tests: a `Down` aimed at pid `<0.1.0>`.
#[cfg(test)]
fn down(n: u64) -> Box<Addressed> {
    use crate::engine::signal::Signal;
    let pid = crate::Pid::new(0, 0, 1);
    let down = crate::Down {
        monitor: crate::MonitorRef::new(0, 0, n),
        pid,
        reason: crate::ExitReason::Normal,
        name: None,
    };
    Box::new(Addressed { to: pid, signal: Signal::Down(down) })
}

#[cfg(all(test, not(foundation_loom)))]
mod tests {
    use super::*;

    #[test]
    fn bounded_rejects_when_full_and_returns_message() {
        let mb = Mailbox::new(Some(2));
        assert!(mb.try_push(1).is_ok());
        assert!(mb.try_push(2).is_ok());
        assert!(matches!(mb.try_push(3), Err(PushError::Full(3))));
        assert_eq!(message(mb.pop()), Some(1));
        // Not released yet: still full.
        assert!(matches!(mb.try_push(4), Err(PushError::Full(4))));
        mb.release(1);
        assert!(mb.try_push(4).is_ok());
    }

    #[test]
    fn park_only_when_nothing_reserved() {
        let mb = Mailbox::<u32>::new(None);
        assert_eq!(mb.try_park(), Park::Parked);
        assert_eq!(mb.try_push(7).ok(), Some(true), "first sender wakes a parked receiver");
        assert_eq!(mb.try_push(8).ok(), Some(false), "only once");
        assert_eq!(mb.try_park(), Park::Retry);
    }

    #[test]
    fn close_drains_and_rejects() {
        let mb = Mailbox::new(Some(8));
        mb.try_push(1).unwrap();
        mb.try_push(2).unwrap();
        assert_eq!(message(mb.pop()), Some(1));
        assert_eq!(mb.close(1), 1);
        assert!(mb.is_closed());
        assert!(matches!(mb.try_push(3), Err(PushError::Closed(3))));
        assert_eq!(mb.len(), 0);
    }

    #[test]
    fn signals_queue_in_order_past_the_bound() {
        let mb = Mailbox::new(Some(1));
        mb.try_push(1u32).unwrap();
        assert!(mb.push_signal(down(1)).is_ok(), "a signal is never refused for want of room");
        assert!(matches!(mb.try_push(2), Err(PushError::Full(2))), "messages still are");
        assert_eq!(message(mb.pop()), Some(1));
        assert!(matches!(mb.pop(), Some(Slot::Signal(_))), "the signal comes after the message");
        assert_eq!(mb.close(2), 0);
        assert!(mb.push_signal(down(2)).is_err(), "a closed mailbox hands the signal back");
    }

    #[test]
    fn drop_oldest_promotes_a_signal_instead_of_dropping_it() {
        let mb = Mailbox::with_overflow(Some(2), Overflow::DropOldest);
        mb.push_signal(down(1)).unwrap();
        mb.try_push(1u32).unwrap();
        let mut promoted = Vec::new();
        let displaced = mb.replace_oldest(2, |s| promoted.push(s));
        assert_eq!(displaced.ok(), Some(1), "the message behind the signal is displaced");
        assert_eq!(promoted.len(), 1, "the signal is promoted, not dropped");
        assert_eq!(message(mb.pop()), Some(2));
        assert!(mb.pop().is_none());
    }
}
/// Model checks of the mailbox protocol: `scripts/loom.sh` runs them.
#[cfg(all(test, foundation_loom))]
mod loom_models {
    use loom::sync::Arc;
    use loom::sync::atomic::AtomicBool;
    use loom::thread;

    use super::*;

    /// A receiver that finds the mailbox empty and parks is always woken by the sender whose
    /// message it missed: no lost wake-up.
    #[test]
    fn loom_no_lost_wakeup() {
        loom::model(|| {
            let mb = Arc::new(Mailbox::new(Some(4)));
            let sender = {
                let mb = Arc::clone(&mb);
                thread::spawn(move || mb.try_push(7u32).ok().unwrap())
            };
            let got = message(mb.pop());
            let parked = got.is_none() && mb.try_park() == Park::Parked;
            let woke = sender.join().unwrap();
            if parked {
                assert!(woke, "the receiver parked and the sender did not wake it");
                assert_eq!(message(mb.pop()), Some(7));
            } else if got.is_none() {
                // Retry: the message is on its way or there.
                assert!(!woke);
                assert_eq!(message(mb.pop()), Some(7));
            }
        });
    }

    /// Two senders racing a parking receiver: exactly one of them wakes it.
    #[test]
    fn loom_exactly_one_wake() {
        loom::model(|| {
            let mb = Arc::new(Mailbox::new(None));
            assert_eq!(mb.try_park(), Park::Parked);
            let senders: Vec<_> = (0..2u32)
                .map(|i| {
                    let mb = Arc::clone(&mb);
                    thread::spawn(move || mb.try_push(i).ok().unwrap())
                })
                .collect();
            let wakes = senders.into_iter().map(|t| t.join().unwrap()).filter(|w| *w).count();
            assert_eq!(wakes, 1);
        });
    }

    /// Closing while a sender sends: the message is either handed back to the sender or
    /// drained by the close, never stranded in the queue.
    #[test]
    fn loom_close_strands_nothing() {
        loom::model(|| {
            let mb = Arc::new(Mailbox::new(Some(2)));
            let sender = {
                let mb = Arc::clone(&mb);
                thread::spawn(move || mb.try_push(1u32).is_err())
            };
            let dropped = mb.close(0);
            let refused = sender.join().unwrap();
            assert_eq!(dropped + usize::from(refused), 1);
            assert_eq!(mb.len(), 0);
        });
    }

    /// `DropOldest` racing the receiver and a close: every message is received, displaced or
    /// dropped by the close exactly once, and nothing is left in the queue.
    #[test]
    fn loom_replace_oldest_loses_nothing() {
        loom::model(|| {
            let mb = Arc::new(Mailbox::with_overflow(Some(1), Overflow::DropOldest));
            mb.try_push(1u32).ok().unwrap();
            let sender = {
                let mb = Arc::clone(&mb);
                thread::spawn(move || match mb.try_push(2u32) {
                    Ok(_) => (0, 0, false),
                    Err(PushError::Full(m)) => match mb.replace_oldest(m, |_| unreachable!()) {
                        Ok(_displaced) => (1, 0, false),
                        Err(_newest) => (0, 1, false),
                    },
                    Err(PushError::Closed(_)) => (0, 0, true),
                })
            };
            let received = usize::from(mb.pop().is_some());
            let closed = mb.close(received);
            let (displaced, dropped_newest, refused) = sender.join().unwrap();
            assert_eq!(
                received + closed + displaced + dropped_newest + usize::from(refused),
                2,
                "every message accounted for exactly once"
            );
            assert_eq!(mb.len(), 0);
        });
    }

    /// The bound holds under concurrent senders: with room for one, one of two gets in.
    #[test]
    fn loom_bound_holds() {
        loom::model(|| {
            let mb = Arc::new(Mailbox::new(Some(1)));
            let senders: Vec<_> = (0..2u32)
                .map(|i| {
                    let mb = Arc::clone(&mb);
                    thread::spawn(move || mb.try_push(i).is_ok())
                })
                .collect();
            let accepted = senders.into_iter().map(|t| t.join().unwrap()).filter(|ok| *ok).count();
            assert_eq!(accepted, 1);
            assert_eq!(mb.len(), 1);
        });
    }

    /// A `DropOldest` sender promoting the signal at the head while the receiver pops the
    /// message behind it: once the receiver has settled, it knows of the promoted signal, so it
    /// can handle the signal before that message; the signal is never lost.
    #[test]
    fn loom_promoted_signal_is_seen_before_the_message_behind_it() {
        loom::model(|| {
            let mb = Arc::new(Mailbox::with_overflow(Some(2), Overflow::DropOldest));
            mb.push_signal(down(1)).unwrap();
            mb.try_push(1u32).unwrap();
            let promoted = Arc::new(AtomicBool::new(false));
            let sender = {
                let (mb, promoted) = (Arc::clone(&mb), Arc::clone(&promoted));
                thread::spawn(move || match mb.try_push(2u32) {
                    Ok(_) => 0,
                    Err(PushError::Full(m)) => {
                        match mb.replace_oldest(m, |_| promoted.store(true, SeqCst)) {
                            Ok(_displaced) => 1,
                            Err(_newest) => 0,
                        }
                    }
                    Err(PushError::Closed(_)) => 0,
                })
            };
            let mut signal_first = false;
            let mut first_message = None;
            while let Some(entry) = mb.pop() {
                match entry {
                    Slot::Signal(_) => signal_first = first_message.is_none(),
                    Slot::Message(m) => {
                        mb.settle();
                        if promoted.load(SeqCst) {
                            signal_first = true;
                        }
                        first_message.get_or_insert(m);
                        break;
                    }
                }
            }
            sender.join().unwrap();
            if first_message.is_some() {
                assert!(signal_first, "a message was taken before the signal ahead of it");
            }
            assert!(
                signal_first || promoted.load(SeqCst) || matches!(mb.pop(), Some(Slot::Signal(_))),
                "the signal was lost"
            );
        });
    }

    /// The senders' wait for room: a sender that finds the mailbox full registers its
    /// listener, tries again, and only then waits; the receiver releases room and wakes
    /// waiting senders. Whatever the interleaving, the sender gets in: a lost wake-up would
    /// leave it waiting forever, which loom reports as a deadlock. This model found such a
    /// wake-up lost to a sender's own failed try (see `undo_full`); with `undo_full`'s wake-up
    /// taken out again, it deadlocks.
    #[test]
    fn loom_a_sender_waiting_for_room_is_always_woken() {
        loom::model(|| {
            let mb = Arc::new(Mailbox::new(Some(1)));
            mb.try_push(1u32).ok().unwrap();
            let sender = {
                let mb = Arc::clone(&mb);
                thread::spawn(move || {
                    let mut msg = 2u32;
                    loop {
                        match mb.try_push(msg) {
                            Ok(_) => return,
                            Err(PushError::Full(m)) => msg = m,
                            Err(PushError::Closed(_)) => panic!("closed"),
                        }
                        let listener = mb.listen_for_room();
                        match mb.try_push(msg) {
                            Ok(_) => return,
                            Err(PushError::Full(m)) => msg = m,
                            Err(PushError::Closed(_)) => panic!("closed"),
                        }
                        listener.wait();
                    }
                })
            };
            // The receiver takes the message and releases its slot, as before it parks.
            assert_eq!(message(mb.pop()), Some(1));
            mb.release(1);
            sender.join().unwrap();
            assert_eq!(message(mb.pop()), Some(2));
        });
    }
}
