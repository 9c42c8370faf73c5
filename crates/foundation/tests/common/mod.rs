//! Fixtures shared by the cancellation and telemetry tests: a member whose `init` and
//! `terminate` take the time asked of them (on the paused clock), and bounded ways to let the
//! runtime run.

// Each test file uses its own part of the fixtures.
#![allow(dead_code)]

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

use foundation::{BoxError, Context, Node, Process, ReplyTo};

/// A bound on `yield_now` rounds when letting the runtime run: far more than any chain of
/// signals and exits in these tests needs, and independent of the machine (the clock is paused
/// and does not move while the test's task is ready).
pub(crate) const POLLS: usize = 1000;

/// Long enough that only something that never happens reaches it (the clock is paused).
pub(crate) const WAIT: Duration = Duration::from_secs(600);

/// Lets the other tasks run, without moving the paused clock, until `done` holds or [`POLLS`]
/// rounds have passed; returns whether it holds.
pub(crate) async fn run_until(mut done: impl FnMut() -> bool) -> bool {
    for _ in 0..POLLS {
        if done() {
            return true;
        }
        tokio::task::yield_now().await;
    }
    done()
}

/// How many tasks the current runtime has alive: processes, and any watcher task.
pub(crate) fn alive_tasks() -> usize {
    tokio::runtime::Handle::current().metrics().num_alive_tasks()
}

/// Polls `future` once (so that it starts whatever it starts) and hands it back, pending.
pub(crate) async fn poll_once<F: Future + Unpin>(mut future: F) -> F {
    assert!(futures::poll!(&mut future).is_pending(), "finished on its first poll");
    future
}

/// A member's messages.
pub(crate) enum Msg {
    /// Answers at once: the member is up and handling messages.
    Ping(ReplyTo<()>),
    /// Panics.
    Crash,
}

/// Counts lifecycle calls across incarnations.
#[derive(Clone, Default)]
pub(crate) struct Counts {
    pub(crate) inits: Arc<AtomicUsize>,
    pub(crate) terminates: Arc<AtomicUsize>,
}

impl Counts {
    pub(crate) fn inits(&self) -> usize {
        self.inits.load(SeqCst)
    }

    pub(crate) fn terminates(&self) -> usize {
        self.terminates.load(SeqCst)
    }
}

/// A process whose `init` takes `init_delay` and then fails if `init_fails`, and whose
/// `terminate` takes `terminate_delay`.
pub(crate) struct Member {
    pub(crate) init_delay: Duration,
    pub(crate) init_fails: bool,
    pub(crate) terminate_delay: Duration,
    pub(crate) counts: Counts,
}

impl Member {
    /// Starts and stops at once.
    pub(crate) fn quick(counts: &Counts) -> Self {
        Member {
            init_delay: Duration::ZERO,
            init_fails: false,
            terminate_delay: Duration::ZERO,
            counts: counts.clone(),
        }
    }

    /// Takes `delay` to start.
    pub(crate) fn slow_start(counts: &Counts, delay: Duration) -> Self {
        Member { init_delay: delay, ..Member::quick(counts) }
    }

    /// Takes `delay`, then fails to start.
    pub(crate) fn failing_start(counts: &Counts, delay: Duration) -> Self {
        Member { init_delay: delay, init_fails: true, ..Member::quick(counts) }
    }

    /// Takes `delay` to stop.
    pub(crate) fn slow_stop(counts: &Counts, delay: Duration) -> Self {
        Member { terminate_delay: delay, ..Member::quick(counts) }
    }
}

impl Process for Member {
    type Message = Msg;

    async fn init(&mut self, _ctx: &mut Context<Msg>) -> Result<(), BoxError> {
        if !self.init_delay.is_zero() {
            tokio::time::sleep(self.init_delay).await;
        }
        if self.init_fails {
            return Err("init failed on purpose".into());
        }
        self.counts.inits.fetch_add(1, SeqCst);
        Ok(())
    }

    async fn handle(&mut self, _ctx: &mut Context<Msg>, msg: Msg) -> Result<(), BoxError> {
        match msg {
            Msg::Ping(reply) => {
                let _ = reply.reply(());
            }
            Msg::Crash => panic!("crash on purpose"),
        }
        Ok(())
    }

    async fn terminate(&mut self, _ctx: &mut Context<Msg>, _reason: &foundation::ExitReason) {
        if !self.terminate_delay.is_zero() {
            tokio::time::sleep(self.terminate_delay).await;
        }
        self.counts.terminates.fetch_add(1, SeqCst);
    }
}

/// The node's processes, for a failure message.
pub(crate) fn processes(node: &Node) -> String {
    format!("{:?}", node.processes())
}

/// A waker that runs a check at the very moment it is woken, on the thread that wakes it, and
/// keeps the answers: how a test sees the state of things at the instant an event is announced
/// (say, what a waiter for a process's exit would see), with no race to win or lose.
pub(crate) struct WakeCheck {
    check: Box<dyn Fn() -> bool + Send + Sync>,
    answers: std::sync::Mutex<Vec<bool>>,
}

impl WakeCheck {
    pub(crate) fn new(check: impl Fn() -> bool + Send + Sync + 'static) -> Arc<Self> {
        Arc::new(WakeCheck { check: Box::new(check), answers: std::sync::Mutex::default() })
    }

    /// Polls `future` once with this waker.
    pub(crate) fn poll<F: Future + Unpin>(self: &Arc<Self>, future: &mut F) -> bool {
        let waker = futures::task::waker(Arc::clone(self));
        let mut cx = std::task::Context::from_waker(&waker);
        std::pin::Pin::new(future).poll(&mut cx).is_ready()
    }

    /// The check's answers, one per wake-up.
    pub(crate) fn answers(&self) -> Vec<bool> {
        self.answers.lock().unwrap().clone()
    }
}

impl futures::task::ArcWake for WakeCheck {
    fn wake_by_ref(arc_self: &Arc<Self>) {
        let answer = (arc_self.check)();
        arc_self.answers.lock().unwrap().push(answer);
    }
}
