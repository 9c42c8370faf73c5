//! `foundation demo`: a live ecosystem doing checked work while faults are injected.
//!
//! A driver submits jobs to the coordinator in batches; the coordinator hands them out through
//! a `Dispatcher`; workers compute them and report to the coordinator, acknowledging each job
//! only once the coordinator has confirmed its result. After each batch the chaos kills a
//! worker, and on its schedule the coordinator, and sets one worker allocating without end
//! until its memory limit ends it (see `plan.rs`: faults follow the count of jobs, not the
//! clock). At the end, every submitted job must have completed, every coordinator restart must
//! be explained (by a kill or its reason), and the heap must be back where it started.

mod ecosystem;
mod plan;
mod restarts;
mod summary;

use std::io::IsTerminal;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use foundation::Node;
use foundation::ecosystem::{EcosystemConfig, Topology};
use foundation::supervisor::RestartIntensity;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use ecosystem::{CoordMsg, Ledger, WorkerMsg};
pub(crate) use summary::{Duplicate, Summary};

/// When the demo stops submitting.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Stop {
    /// After this long.
    After(Duration),
    /// Once this many jobs are submitted (whatever the time it takes).
    Jobs(u64),
}

/// What the demo runs.
#[derive(Clone, Debug)]
pub(crate) struct Options {
    pub(crate) config: EcosystemConfig,
    pub(crate) stop: Stop,
    pub(crate) quiet: bool,
}

impl Options {
    pub(crate) fn defaults() -> EcosystemConfig {
        EcosystemConfig::new("demo")
            .workers(1_000)
            .topology(Topology::Tree)
            .process_memory_limit(32 << 20)
            .restart_intensity(RestartIntensity::new(10_000, Duration::from_secs(1)))
    }
}

/// How long submitted work may take to finish once submission stops.
const DRAIN: Duration = Duration::from_secs(120);

/// The warm-up's size: enough to touch every path the demo takes (dispatch, calls, kills,
/// restarts, yields) once, small enough to take a moment.
const WARM_UP_WORKERS: usize = 16;
const WARM_UP_JOBS: u64 = 2 * plan::BATCH;

pub(crate) async fn run(options: Options) -> Result<Summary, String> {
    let node = Node::new().map_err(|e| e.to_string())?;
    // A small ecosystem first, run and shut down, so that what the runtime and the node
    // allocate once and keep (a scheduler's buffers, a table's first room) is in the baseline,
    // and the final reading shows only what the measured ecosystem left behind.
    let mut config = options.config.clone().workers(WARM_UP_WORKERS);
    config.name = format!("{}-warm-up", config.name);
    let warm_up = Options { config, stop: Stop::Jobs(WARM_UP_JOBS), quiet: true };
    let (scratch, scratch_observer) = restarts::count(&node);
    drive(&node, &warm_up, &scratch).await?;
    node.telemetry().detach(scratch_observer);
    drop(scratch);

    let (restarts, observer) = restarts::count(&node);
    settle().await;
    let baseline = foundation::memory::total_bytes().unwrap_or(0);
    let (mut summary, tally) = drive(&node, &options, &restarts).await?;
    // The ecosystem is shut down and everything of it dropped (its handles, the demo's
    // ledger: what is left of the run is fixed-size); tasks that were ending (watchers, the
    // dispatcher's pump) get a moment to finish before the heap is read again, with the node
    // still running.
    settle().await;
    summary.baseline_memory_bytes = baseline;
    summary.final_memory_bytes = foundation::memory::total_bytes().unwrap_or(0);
    summary.jobs_completed = tally.completed;
    summary.jobs_duplicated = tally.duplicated;
    summary.duplicate_reasons = ecosystem::Why::ALL
        .iter()
        .zip(tally.by_reason)
        .filter(|(_, n)| *n > 0)
        .map(|(why, n)| (why.text().to_owned(), n))
        .collect();
    summary.duplicates = tally
        .listed
        .iter()
        .flatten()
        .map(|(job, why)| Duplicate { job: *job, why: why.text().to_owned() })
        .collect();
    {
        let r = restarts.lock().unwrap_or_else(PoisonError::into_inner);
        summary.coordinator_restarts = r.coordinator.values().sum();
        summary.worker_restarts = r.worker.values().sum();
        summary.coordinator_restart_reasons = restarts::Restarts::seen(&r.coordinator);
        summary.worker_restart_reasons = restarts::Restarts::seen(&r.worker);
        summary.memory_limit_exits = r.memory_limit_exits;
    }
    node.telemetry().detach(observer);
    node.shutdown(Duration::from_secs(5)).await;
    summary.settle();
    Ok(summary)
}

/// Lets tasks that are ending finish.
async fn settle() {
    for _ in 0..100 {
        tokio::task::yield_now().await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    for _ in 0..100 {
        tokio::task::yield_now().await;
    }
}

/// Runs the ecosystem, its load and its faults; shuts the ecosystem down and drops everything
/// of it before returning.
async fn drive(
    node: &Node,
    options: &Options,
    restarts: &Mutex<restarts::Restarts>,
) -> Result<(Summary, ecosystem::Tally), String> {
    let workers = options.config.workers;
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    let ledger = Arc::new(Ledger::default());
    let spec = ecosystem::spec(options.config.clone(), Arc::clone(&ledger));
    let eco = node.spawn_ecosystem(spec).await.map_err(|e| report(&e))?;
    let coordinator = eco.coordinator();
    let started = Instant::now();
    let mut summary = Summary { workers, ..Summary::default() };
    let mut plan = plan::Plan::new();
    let mut next_job = 0u64;
    let mut batch = 0u64;
    let mut last_report = Instant::now();
    // On a terminal, a progress bar over the run with the live figures beside it; otherwise
    // (a pipe, a log) one plain line a second.
    let bar = (!options.quiet && std::io::stdout().is_terminal()).then(|| progress_bar(options));

    loop {
        let more = match options.stop {
            Stop::After(duration) => started.elapsed() < duration,
            Stop::Jobs(jobs) => next_job < jobs,
        };
        if !more {
            break;
        }
        tick.tick().await;
        batch += 1;
        let size = match options.stop {
            Stop::Jobs(jobs) => plan::BATCH.min(jobs - next_job),
            Stop::After(_) => plan::BATCH,
        };
        for _ in 0..size {
            coordinator.send(CoordMsg::Submit(next_job)).await.map_err(|e| e.to_string())?;
            next_job += 1;
        }
        let faults = plan.after(batch, workers);
        if let Some(index) = faults.kill_worker
            && let Some(worker) = eco.members().worker(index)
            && node.kill(worker.pid())
        {
            summary.worker_kills += 1;
        }
        if faults.kill_coordinator && node.kill(coordinator.pid()) {
            summary.coordinator_kills += 1;
        }
        if faults.hog
            && let Some(hog) = eco.members().worker(plan::HOG_WORKER)
        {
            let incarnation = eco.info().workers[plan::HOG_WORKER].restarts;
            let _ = hog.send(WorkerMsg::Hog(incarnation)).await;
        }
        let memory = foundation::memory::total_bytes().unwrap_or(0);
        summary.peak_memory_bytes = summary.peak_memory_bytes.max(memory);
        let every = if bar.is_some() { Duration::from_millis(250) } else { Duration::from_secs(1) };
        if !options.quiet && last_report.elapsed() >= every {
            last_report = Instant::now();
            let elapsed = started.elapsed();
            let done = ledger.completed();
            let (c, w) = {
                let r = restarts.lock().unwrap_or_else(PoisonError::into_inner);
                (r.coordinator.values().sum::<u64>(), r.worker.values().sum::<u64>())
            };
            let health = eco.health();
            let line = format!(
                "submitted {next_job:>7}  done {done:>7}  rate {:>8.0}/s  restarts c{c} w{w}  memory {:>6} KiB  backlog {}  health {:?}",
                done as f64 / elapsed.as_secs_f64(),
                memory / 1024,
                health.work_backlog + health.message_backlog,
                health.status,
            );
            match &bar {
                Some(bar) => {
                    bar.set_position(match options.stop {
                        Stop::After(_) => elapsed.as_millis() as u64,
                        Stop::Jobs(_) => next_job,
                    });
                    bar.set_message(line);
                }
                None => println!("{:>5.1}s  {line}", elapsed.as_secs_f64()),
            }
        }
    }

    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    // Drain: every submitted job must complete.
    let deadline = Instant::now() + DRAIN;
    while Instant::now() < deadline && ledger.completed() < next_job {
        tokio::time::sleep(Duration::from_millis(10)).await;
        let memory = foundation::memory::total_bytes().unwrap_or(0);
        summary.peak_memory_bytes = summary.peak_memory_bytes.max(memory);
    }
    summary.seconds = started.elapsed().as_secs_f64();
    summary.jobs_submitted = next_job;
    let tally = ledger.tally();
    eco.shutdown().await;
    Ok((summary, tally))
}

/// An error with its chain of sources, each after ": " (the library's errors say their own
/// part and leave the cause to `source()`).
fn report(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn progress_bar(options: &Options) -> ProgressBar {
    let length = match options.stop {
        Stop::After(duration) => duration.as_millis() as u64,
        Stop::Jobs(jobs) => jobs,
    };
    let bar = ProgressBar::with_draw_target(Some(length), ProgressDrawTarget::stdout());
    if let Ok(style) = ProgressStyle::with_template("{spinner} [{bar:24}] {elapsed:>3} {msg}") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}
