//! A coordinator that hands out `u64` jobs through a [`Dispatcher`] restored from its snapshot,
//! and gathers the results its workers report: for the work and dispatch tests, whose workers
//! (each file's own) differ in how they run a job.

use std::collections::HashMap;

use foundation::ecosystem::{CoordinatorStart, Dispatcher, Job, WorkStats};
use foundation::{BoxError, Context, Process, ReplyTo};

/// The coordinator's messages.
pub(crate) enum CoordMsg {
    /// Hands job `n` to the dispatcher.
    Submit(u64),
    /// A worker's result: job `n` and its square.
    Done(u64, u64),
    /// Answers with the results so far and the dispatcher's counts; asserts that no result
    /// arrived twice.
    Results(ReplyTo<(HashMap<u64, u64>, WorkStats)>),
    /// Answers with the dispatcher's counts.
    Stats(ReplyTo<WorkStats>),
}

/// Dispatches jobs to workers whose messages are `WM`, and keeps their results.
pub(crate) struct Coordinator<WM: Send + 'static> {
    /// Hands the jobs out (and, from the snapshot, takes over the previous incarnation's).
    pub(crate) dispatcher: Dispatcher<u64, WM>,
    /// The results by job.
    pub(crate) results: HashMap<u64, u64>,
    /// How many results arrived for a job already done.
    pub(crate) duplicates: u64,
}

impl<WM: Send + 'static> Coordinator<WM> {
    /// A coordinator whose dispatcher wraps each job in a worker message with `wrap`.
    pub(crate) fn new(start: &CoordinatorStart<CoordMsg, WM>, wrap: fn(Job<u64>) -> WM) -> Self {
        Coordinator {
            dispatcher: recovered_dispatcher(start, wrap),
            results: HashMap::new(),
            duplicates: 0,
        }
    }
}

impl<WM: Send + 'static> Process for Coordinator<WM> {
    type Message = CoordMsg;

    async fn handle(&mut self, _: &mut Context<CoordMsg>, msg: CoordMsg) -> Result<(), BoxError> {
        match msg {
            CoordMsg::Submit(n) => {
                self.dispatcher.dispatch(n);
            }
            CoordMsg::Done(n, square) => {
                if self.results.insert(n, square).is_some() {
                    self.duplicates += 1;
                }
            }
            CoordMsg::Results(reply) => {
                assert_eq!(self.duplicates, 0, "a result arrived twice");
                let _ = reply.reply((self.results.clone(), self.dispatcher.stats()));
            }
            CoordMsg::Stats(reply) => {
                let _ = reply.reply(self.dispatcher.stats());
            }
        }
        Ok(())
    }
}

/// A coordinator's dispatcher of `u64` jobs: the one in its last snapshot, or a new one, saved
/// at once (so that the next incarnation takes over the work handed out).
pub(crate) fn recovered_dispatcher<CM: Send + 'static, WM: Send + 'static>(
    start: &CoordinatorStart<CM, WM>,
    wrap: fn(Job<u64>) -> WM,
) -> Dispatcher<u64, WM> {
    start.recovered().unwrap_or_else(|| {
        let made = Dispatcher::new(start, wrap);
        start.snapshots().save(made.clone());
        made
    })
}
