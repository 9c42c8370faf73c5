//! Who closes a supervised process's mailbox: the handshake between an ending incarnation and
//! its supervisor.
//!
//! A process nobody adopts (`UNSUPERVISED`) closes its mailbox when it ends. A supervised
//! process is `HELD` by its supervisor: when an incarnation ends it *hands over* its mailbox,
//! which stays open (`WAITING`) with its messages for the next incarnation, until the
//! supervisor *adopts* it for a restart (back to `HELD`) or *lets go* (`ORPHAN`). Letting go
//! while an incarnation runs leaves the closing to that incarnation when it ends; letting go of
//! a waiting mailbox makes the supervisor close it. The two sides agree through one atomic, so
//! a mailbox is closed exactly once, by whichever side comes last (a loom model below checks
//! it; `scripts/loom.sh` runs it).

use std::sync::atomic::Ordering::{AcqRel, Acquire, Release};

use crate::engine::sync::AtomicU8;

const UNSUPERVISED: u8 = 0;
const HELD: u8 = 1;
const WAITING: u8 = 2;
const ORPHAN: u8 = 3;

/// The state of the handshake (see the module docs).
#[derive(Debug)]
pub(crate) struct Adoption(AtomicU8);

impl Adoption {
    /// A process nobody will adopt: it closes its own mailbox when it ends.
    pub(crate) fn unsupervised() -> Self {
        Adoption(AtomicU8::new(UNSUPERVISED))
    }

    /// The supervisor holds the process: its mailbox outlives its incarnations.
    pub(crate) fn hold(&self) {
        self.0.store(HELD, Release);
    }

    /// The ending incarnation hands its mailbox over: `true` if the supervisor holds it (the
    /// mailbox stays open), `false` if nobody will adopt it (the caller closes it).
    pub(crate) fn hand_over(&self) -> bool {
        self.0.compare_exchange(HELD, WAITING, AcqRel, Acquire).is_ok()
    }

    /// The supervisor takes a waiting mailbox for a new incarnation.
    pub(crate) fn adopt(&self) -> bool {
        self.0.compare_exchange(WAITING, HELD, AcqRel, Acquire).is_ok()
    }

    /// The supervisor lets go: `true` if the mailbox was waiting for it and must now be closed
    /// by the caller; otherwise the running incarnation closes it when it ends.
    pub(crate) fn orphan(&self) -> bool {
        self.0.swap(ORPHAN, AcqRel) == WAITING
    }
}

/// Model checks of the handshake: `scripts/loom.sh` runs them.
#[cfg(all(test, foundation_loom))]
mod loom_models {
    use loom::sync::Arc;
    use loom::sync::atomic::AtomicUsize;
    use loom::sync::atomic::Ordering::SeqCst;
    use loom::thread;

    use super::*;

    /// An incarnation ends while its supervisor lets it go: the mailbox is closed exactly once,
    /// by one side or the other, whatever the interleaving. (Mutation tried: `orphan` as a load
    /// and a separate store; the model then finds a run where nobody closes.)
    #[test]
    fn loom_the_mailbox_is_closed_exactly_once() {
        loom::model(|| {
            let adoption = Arc::new(Adoption::unsupervised());
            adoption.hold();
            let closes = Arc::new(AtomicUsize::new(0));
            let ending = {
                let (adoption, closes) = (Arc::clone(&adoption), Arc::clone(&closes));
                thread::spawn(move || {
                    if !adoption.hand_over() {
                        closes.fetch_add(1, SeqCst);
                    }
                })
            };
            if adoption.orphan() {
                closes.fetch_add(1, SeqCst);
            }
            ending.join().unwrap();
            assert_eq!(closes.load(SeqCst), 1);
        });
    }

    /// A restart racing a let-go: the supervisor adopts the waiting mailbox for a new
    /// incarnation, which then ends, while a second handle to the child lets go. Still exactly
    /// one close, and never an adoption of a mailbox that was let go.
    #[test]
    fn loom_a_restart_racing_a_let_go_closes_once() {
        loom::model(|| {
            let adoption = Arc::new(Adoption::unsupervised());
            adoption.hold();
            assert!(adoption.hand_over(), "the first incarnation ended, held");
            let closes = Arc::new(AtomicUsize::new(0));
            let restart = {
                let (adoption, closes) = (Arc::clone(&adoption), Arc::clone(&closes));
                thread::spawn(move || {
                    if adoption.adopt() && !adoption.hand_over() {
                        // The new incarnation ran and ended after the let-go.
                        closes.fetch_add(1, SeqCst);
                    }
                })
            };
            if adoption.orphan() {
                closes.fetch_add(1, SeqCst);
            }
            restart.join().unwrap();
            assert_eq!(closes.load(SeqCst), 1);
        });
    }
}
