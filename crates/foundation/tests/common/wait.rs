//! Bounded ways to let the runtime run on the paused clock, and to see the state of things at
//! the instant an event is announced.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use foundation::Node;

/// A bound on `yield_now` rounds when letting the runtime run: far more than any chain of
/// signals and exits in these tests needs, and independent of the machine (the clock is paused
/// and does not move while the test's task is ready).
pub(crate) const POLLS: usize = 1000;

/// Long enough that only something that never happens reaches it (the clock is paused).
pub(crate) const WAIT: Duration = Duration::from_secs(600);

/// Lets the other tasks run, without moving the paused clock, until `done` holds or [`POLLS`]
/// rounds have passed; returns whether it holds.
pub(crate) async fn run_until(done: impl FnMut() -> bool) -> bool {
    run_until_within(POLLS, done).await
}

/// Lets the other tasks run, without moving the paused clock, until `done` holds or `polls`
/// rounds have passed; returns whether it holds.
pub(crate) async fn run_until_within(polls: usize, mut done: impl FnMut() -> bool) -> bool {
    for _ in 0..polls {
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

/// The node's processes, for a failure message.
pub(crate) fn processes(node: &Node) -> String {
    format!("{:?}", node.processes())
}

/// A waker that runs a check at the very moment it is woken, on the thread that wakes it, and
/// keeps the answers: how a test sees the state of things at the instant an event is announced
/// (say, what a waiter for a process's exit would see), with no race to win or lose.
pub(crate) struct WakeCheck {
    /// What to check at each wake-up.
    check: Box<dyn Fn() -> bool + Send + Sync>,
    /// The check's answers, in order.
    answers: std::sync::Mutex<Vec<bool>>,
}

impl WakeCheck {
    /// A waker that runs `check` whenever it is woken.
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
