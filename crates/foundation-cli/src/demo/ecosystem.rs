//! The demo's ecosystem: a coordinator handing out jobs through a `Dispatcher`, workers that
//! compute them, and a ledger of results that survives coordinator restarts.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use foundation::ecosystem::{Dispatcher, EcosystemConfig, EcosystemSpec, Job};
use foundation::{BoxError, Context, Process, ProcessRef, ReplyTo};
/// Results by job id, kept outside any incarnation of the coordinator, so a restarted
/// coordinator forgets nothing it confirmed.
#[derive(Default)]
pub(crate) struct Ledger {
    pub(crate) done: std::sync::Mutex<HashMap<u64, u64>>,
    pub(crate) duplicates: AtomicU64,
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
                let fresh = self.ledger.done.lock().map(|mut d| d.insert(n, value).is_none());
                if matches!(fresh, Ok(false)) {
                    self.ledger.duplicates.fetch_add(1, Ordering::Relaxed);
                }
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
                if self.coordinator.call(|r| CoordMsg::Result(n, value, r)).await.is_ok() {
                    job.ack();
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
    EcosystemSpec::new(config)
        .coordinator(move |start| {
            let dispatcher = start.recovered().unwrap_or_else(|| {
                let made = Dispatcher::new(start, WorkerMsg::Job);
                start.snapshots().save(made.clone());
                made
            });
            Coordinator { dispatcher, ledger: Arc::clone(&ledger) }
        })
        .worker(|start| Worker {
            coordinator: start.members().coordinator(),
            hoard: Vec::new(),
            incarnation: start.incarnation(),
        })
}
