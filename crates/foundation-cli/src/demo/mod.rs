//! `foundation demo`: a live ecosystem doing checked work while faults are injected.
//!
//! A driver submits jobs to the coordinator at a steady pace; the coordinator hands them out
//! through a `Dispatcher`; workers compute them and report to the coordinator, acknowledging
//! each job only once the coordinator has confirmed its result. Meanwhile a chaos task kills
//! the coordinator, kills random workers, and sets one worker allocating without end until
//! its memory limit ends it. At the end, every submitted job must have completed.

mod ecosystem;
mod summary;

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use foundation::Node;
use foundation::ecosystem::{EcosystemConfig, Topology};
use foundation::supervisor::RestartIntensity;
use foundation::telemetry::Event;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use ecosystem::{CoordMsg, Ledger, WorkerMsg};
pub(crate) use summary::Summary;

/// What the demo runs.
#[derive(Clone, Debug)]
pub(crate) struct Options {
    pub(crate) config: EcosystemConfig,
    pub(crate) duration: Duration,
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

/// A small xorshift: the demo's chaos needs no more randomness than this.
struct Chaos(u64);

impl Chaos {
    fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below.max(1)
    }
}

#[derive(Default)]
struct Counts {
    coordinator_restarts: AtomicU64,
    worker_restarts: AtomicU64,
    memory_limit_exits: AtomicU64,
}

pub(crate) async fn run(options: Options) -> Result<Summary, String> {
    let node = Node::new().map_err(|e| e.to_string())?;
    let counts = Arc::new(Counts::default());
    {
        let counts = Arc::clone(&counts);
        node.telemetry().attach(move |event: &Event| match event {
            Event::CoordinatorRestarted { .. } => {
                counts.coordinator_restarts.fetch_add(1, Ordering::Relaxed);
            }
            Event::WorkerRestarted { reason, .. } => {
                counts.worker_restarts.fetch_add(1, Ordering::Relaxed);
                if reason.as_ref().is_some_and(|r| r.is_memory_limit()) {
                    counts.memory_limit_exits.fetch_add(1, Ordering::Relaxed);
                }
            }
            _ => {}
        });
    }
    let ledger = Arc::new(Ledger::default());
    let spec = ecosystem::spec(options.config.clone(), Arc::clone(&ledger));
    let eco = node.spawn_ecosystem(spec).await.map_err(|e| e.to_string())?;
    let coordinator = eco.coordinator();
    let started = Instant::now();
    let mut summary = Summary::default();
    let mut chaos = Chaos(0x9E37_79B9_7F4A_7C15);
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    let mut next_job = 0u64;
    let mut last_report = Instant::now();
    let mut hog_sent = false;
    let mut ticks = 0u64;
    // On a terminal, a progress bar over the run with the live figures beside it; otherwise
    // (a pipe, a log) one plain line a second.
    let bar = (!options.quiet && std::io::stdout().is_terminal()).then(|| {
        let bar = ProgressBar::with_draw_target(
            Some(options.duration.as_millis() as u64),
            ProgressDrawTarget::stdout(),
        );
        if let Ok(style) = ProgressStyle::with_template("{spinner} [{bar:24}] {elapsed:>3} {msg}") {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    });

    while started.elapsed() < options.duration {
        tick.tick().await;
        ticks += 1;
        // Submit a batch.
        for _ in 0..2_000 {
            if coordinator.send(CoordMsg::Submit(next_job)).await.is_ok() {
                next_job += 1;
            }
        }
        // Faults: a worker killed every tick, the coordinator every 2 s, one hog at 1 s.
        let workers = eco.workers();
        if workers.len() > 2 {
            // Worker 1 is the hog's; the others are fair game.
            let mut index = chaos.next(workers.len() as u64) as usize;
            if index == 1 {
                index = 0;
            }
            node.kill(workers[index].pid());
        }
        let elapsed = started.elapsed();
        // The coordinator at 1 s, then every 2 s; the hog at 0.5 s.
        if ticks % 20 == 10 {
            node.kill(coordinator.pid());
        }
        if !hog_sent && ticks >= 5 && workers.len() > 1 {
            let _ = workers[1].send(WorkerMsg::Hog(0)).await;
            hog_sent = true;
        }
        let memory =
            eco.info().total_memory.unwrap_or(0) + foundation::memory::runtime_bytes().unwrap_or(0);
        summary.peak_memory_bytes = summary.peak_memory_bytes.max(memory);
        let every = if bar.is_some() { Duration::from_millis(250) } else { Duration::from_secs(1) };
        if !options.quiet && last_report.elapsed() >= every {
            last_report = Instant::now();
            let health = eco.health();
            let done = ledger.done.lock().map(|d| d.len()).unwrap_or(0);
            let line = format!(
                "submitted {next_job:>7}  done {done:>7}  rate {:>8.0}/s  restarts c{} w{}  memory {:>6} KiB  health {:?}",
                done as f64 / elapsed.as_secs_f64(),
                counts.coordinator_restarts.load(Ordering::Relaxed),
                counts.worker_restarts.load(Ordering::Relaxed),
                memory / 1024,
                health.status,
            );
            match &bar {
                Some(bar) => {
                    bar.set_position(elapsed.as_millis() as u64);
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
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let done = ledger.done.lock().map(|d| d.len() as u64).unwrap_or(0);
        if done >= next_job {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    summary.jobs_submitted = next_job;
    summary.jobs_completed = ledger.done.lock().map(|d| d.len() as u64).unwrap_or(0);
    summary.jobs_duplicated = ledger.duplicates.load(Ordering::Relaxed);
    summary.coordinator_restarts = counts.coordinator_restarts.load(Ordering::Relaxed);
    summary.worker_restarts = counts.worker_restarts.load(Ordering::Relaxed);
    summary.memory_limit_exits = counts.memory_limit_exits.load(Ordering::Relaxed);
    eco.shutdown().await;
    node.shutdown(Duration::from_secs(5)).await;
    summary.final_memory_bytes = foundation::memory::runtime_bytes().unwrap_or(0);
    summary.settle();
    Ok(summary)
}
