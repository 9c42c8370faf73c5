//! The demo's ecosystem: a coordinator handing out jobs through a `Dispatcher`, workers that
//! compute them, and an idempotent ledger of results that survives coordinator restarts.
//!
//! The dispatcher runs every job at least once and acknowledges it at most once. A job can run
//! twice when a worker's result was recorded but the job was not acknowledged: the worker could
//! not get the record confirmed (the coordinator died between recording and replying), or the
//! worker itself ended before acknowledging. The ledger keeps the first result of each job
//! (exactly-once effects) and notes every job that ran again, with why.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use foundation::ecosystem::{Dispatcher, EcosystemConfig, EcosystemSpec, Job};
use foundation::{BoxError, Context, Process, ProcessRef, ReplyTo};

/// How many jobs that ran twice the summary lists one by one (all are counted).
pub(crate) const LISTED: usize = 20;

/// Why a job ran more than once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Why {
    /// Its worker's call to confirm the result found the coordinator gone.
    CoordinatorGone,
    /// The coordinator died after recording the result, before replying to the worker.
    DiedBeforeReplying,
    /// The worker's call to confirm the result timed out.
    ConfirmTimedOut,
    /// The worker ended after its result was recorded, before acknowledging the job (killed
    /// while its confirmation was on its way back).
    WorkerEnded,
}

impl Why {
    pub(crate) const ALL: [Why; 4] =
        [Why::CoordinatorGone, Why::DiedBeforeReplying, Why::ConfirmTimedOut, Why::WorkerEnded];

    pub(crate) fn text(self) -> &'static str {
        match self {
            Why::CoordinatorGone => {
                "its result was recorded, but the coordinator was gone when asked to confirm"
            }
            Why::DiedBeforeReplying => {
                "the coordinator died after recording its result, before confirming it"
            }
            Why::ConfirmTimedOut => "the confirmation of its recorded result timed out",
            Why::WorkerEnded => {
                "its worker ended after its result was recorded, before acknowledging it"
            }
        }
    }

    fn of(error: &foundation::CallError) -> Why {
        if error.is_no_reply() {
            Why::DiedBeforeReplying
        } else if error.is_timeout() {
            Why::ConfirmTimedOut
        } else {
            Why::CoordinatorGone
        }
    }
}

/// Results by job id, kept outside any incarnation of the coordinator and on the shared heap
/// (as an ETS table is off every process's heap), so a restarted coordinator forgets nothing
/// it confirmed and no process is charged for it.
#[derive(Default)]
pub(crate) struct Ledger {
    done: Mutex<HashMap<u64, u64>>,
    /// Jobs whose worker could not get its result confirmed, with why.
    unconfirmed: Mutex<HashMap<u64, Why>>,
    repeats: Mutex<Tally>,
}

/// What the ledger says at the end: fixed-size, so that it holds nothing on the heap while
/// the demo reads the heap after the ecosystem is gone.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Tally {
    pub(crate) completed: u64,
    pub(crate) duplicated: u64,
    /// Jobs that ran again, by [`Why::ALL`]'s order.
    pub(crate) by_reason: [u64; 4],
    /// The first [`LISTED`] of them.
    pub(crate) listed: [Option<(u64, Why)>; LISTED],
}

impl Ledger {
    /// Records job `n`'s result; a second result for the same job changes nothing but is noted.
    fn record(&self, n: u64, value: u64) {
        let fresh = foundation::memory::on_shared_heap(|| {
            let mut done = self.done.lock().unwrap_or_else(PoisonError::into_inner);
            done.insert(n, value).is_none()
        });
        let unconfirmed =
            self.unconfirmed.lock().unwrap_or_else(PoisonError::into_inner).remove(&n);
        if fresh {
            // A first result after an unconfirmed attempt whose record never happened (the
            // coordinator died before it): nothing ran twice.
            return;
        }
        let why = unconfirmed.unwrap_or(Why::WorkerEnded);
        let mut repeats = self.repeats.lock().unwrap_or_else(PoisonError::into_inner);
        let at = repeats.duplicated as usize;
        if let Some(slot) = repeats.listed.get_mut(at) {
            *slot = Some((n, why));
        }
        repeats.duplicated += 1;
        if let Some(i) = Why::ALL.iter().position(|w| *w == why) {
            repeats.by_reason[i] += 1;
        }
    }

    /// A worker could not get job `n`'s result confirmed; it goes round again.
    fn unconfirmed(&self, n: u64, error: &foundation::CallError) {
        foundation::memory::on_shared_heap(|| {
            self.unconfirmed
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(n, Why::of(error));
        });
    }

    /// Jobs completed so far.
    pub(crate) fn completed(&self) -> u64 {
        self.done.lock().unwrap_or_else(PoisonError::into_inner).len() as u64
    }

    pub(crate) fn tally(&self) -> Tally {
        Tally {
            completed: self.completed(),
            ..*self.repeats.lock().unwrap_or_else(PoisonError::into_inner)
        }
    }
}

/// The known answer of job `n`: a little CPU work with a checkable result.
pub(crate) fn answer(n: u64) -> u64 {
    (1..=2_000u64).fold(n, |acc, i| acc.wrapping_mul(6364136223846793005).wrapping_add(i ^ n))
}

pub(crate) enum CoordMsg {
    Submit(u64),
    Result(u64, u64, ReplyTo<()>),
}

pub(crate) struct Coordinator {
    dispatcher: Dispatcher<u64, WorkerMsg>,
    ledger: Arc<Ledger>,
}

impl Process for Coordinator {
    type Message = CoordMsg;

    async fn handle(
        &mut self,
        _ctx: &mut Context<CoordMsg>,
        msg: CoordMsg,
    ) -> Result<(), BoxError> {
        match msg {
            CoordMsg::Submit(n) => {
                self.dispatcher.dispatch(n);
            }
            CoordMsg::Result(n, value, confirm) => {
                if value != answer(n) {
                    return Err(format!("job {n}: wrong answer {value}").into());
                }
                self.ledger.record(n, value);
                let _ = confirm.reply(());
            }
        }
        Ok(())
    }
}

pub(crate) enum WorkerMsg {
    Job(Job<u64>),
    /// Allocate without end, 1 MiB at a time, until the memory limit ends this worker. Tagged
    /// with the incarnation it is for, so a later incarnation ignores it.
    Hog(u64),
}

pub(crate) struct Worker {
    coordinator: ProcessRef<CoordMsg>,
    ledger: Arc<Ledger>,
    hoard: Vec<Vec<u8>>,
    incarnation: u64,
}

impl Process for Worker {
    type Message = WorkerMsg;

    async fn handle(
        &mut self,
        _ctx: &mut Context<WorkerMsg>,
        msg: WorkerMsg,
    ) -> Result<(), BoxError> {
        match msg {
            WorkerMsg::Job(job) => {
                let n = *job.payload();
                let value = answer(n);
                // Acknowledge only once the coordinator has the result: if either side dies
                // first, the job goes round again.
                match self.coordinator.call(|r| CoordMsg::Result(n, value, r)).await {
                    Ok(()) => {
                        job.ack();
                    }
                    Err(error) => self.ledger.unconfirmed(n, &error),
                }
            }
            // One handler that never ends: a megabyte, then a yield (where the memory limit is
            // checked), until the limit ends this incarnation. Not a message per megabyte: those
            // would queue behind the jobs and, on a loaded machine, not reach the limit in time.
            WorkerMsg::Hog(incarnation) if incarnation == self.incarnation => loop {
                self.hoard.push(vec![0xAB; 1 << 20]);
                tokio::task::yield_now().await;
            },
            WorkerMsg::Hog(_) => {}
        }
        Ok(())
    }
}

/// The demo's spec, with the ledger it writes.
pub(crate) fn spec(
    config: EcosystemConfig,
    ledger: Arc<Ledger>,
) -> EcosystemSpec<Coordinator, Worker> {
    let coordinator_ledger = Arc::clone(&ledger);
    EcosystemSpec::new(config)
        .coordinator(move |start| {
            let dispatcher = start.recovered().unwrap_or_else(|| {
                let made = Dispatcher::new(start, WorkerMsg::Job);
                start.snapshots().save(made.clone());
                made
            });
            Coordinator { dispatcher, ledger: Arc::clone(&coordinator_ledger) }
        })
        .worker(move |start| Worker {
            coordinator: start.members().coordinator(),
            ledger: Arc::clone(&ledger),
            hoard: Vec::new(),
            incarnation: start.incarnation(),
        })
}
