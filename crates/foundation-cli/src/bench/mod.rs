//! `foundation bench`: the spec's benchmark table and more, Foundation against raw tokio (and,
//! built with `--features compare`, ractor, kameo and actix), in one run, interleaved.
//!
//! Every step runs on every system in turn, and the whole round is repeated (5 times, 3 with
//! `--quick`), so a noisy moment of the machine hits all systems alike. Each row reports the
//! median and the spread (min, max) of the repetitions; calls report their p50 and p99 per
//! repetition, whose median is shown. `cross_node` measures between this process and a peer
//! node it starts ([`cross_node`]); a measurement there that fails (a message lost, a peer
//! that does not start) ends the run with its error.

mod cross_node;
mod report;
mod stats;
mod systems;
mod workload;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use indicatif::{ProgressBar, ProgressStyle};

use stats::{Machine, Report, Row, quantile, summarize};
use systems::BenchSystem;
use workload::{Across, Step};

#[cfg(feature = "compare")]
pub(crate) use cross_node::ractor_peer::run as ractor_peer;
pub(crate) use report::table;
pub(crate) use workload::NAMES as WORKLOADS;

/// What to run.
#[derive(Clone, Debug)]
pub(crate) struct Options {
    pub(crate) quick: bool,
    pub(crate) only: Option<String>,
    pub(crate) json: Option<PathBuf>,
    pub(crate) markdown: Option<PathBuf>,
    pub(crate) command: String,
}

/// One figure a system produced for a step.
struct Figure {
    metric: &'static str,
    unit: &'static str,
    value: f64,
}

/// The systems of this build.
enum AnySystem {
    Foundation(systems::foundation::Foundation),
    Tokio(systems::tokio::Tokio),
    #[cfg(feature = "compare")]
    Ractor(systems::ractor::Ractor),
    #[cfg(feature = "compare")]
    Kameo(systems::kameo::Kameo),
    #[cfg(feature = "compare")]
    Actix(systems::actix::Actix),
}

impl AnySystem {
    fn all() -> Vec<AnySystem> {
        vec![
            AnySystem::Foundation(Default::default()),
            #[cfg(feature = "compare")]
            AnySystem::Ractor(Default::default()),
            #[cfg(feature = "compare")]
            AnySystem::Kameo(Default::default()),
            #[cfg(feature = "compare")]
            AnySystem::Actix(Default::default()),
            AnySystem::Tokio(Default::default()),
        ]
    }

    fn name(&self) -> &'static str {
        match self {
            AnySystem::Foundation(_) => systems::foundation::Foundation::NAME,
            AnySystem::Tokio(_) => systems::tokio::Tokio::NAME,
            #[cfg(feature = "compare")]
            AnySystem::Ractor(_) => systems::ractor::Ractor::NAME,
            #[cfg(feature = "compare")]
            AnySystem::Kameo(_) => systems::kameo::Kameo::NAME,
            #[cfg(feature = "compare")]
            AnySystem::Actix(_) => systems::actix::Actix::NAME,
        }
    }

    /// The figures of `step` on this system; `Ok(None)` if it has no counterpart.
    async fn measure(&self, step: Step, payload: &Bytes) -> Result<Option<Vec<Figure>>, String> {
        if let Step::CrossNode(across) = step {
            return self.across(across).await;
        }
        Ok(match self {
            AnySystem::Foundation(s) => measure(s, step, payload).await,
            AnySystem::Tokio(s) => measure(s, step, payload).await,
            #[cfg(feature = "compare")]
            AnySystem::Ractor(s) => measure(s, step, payload).await,
            #[cfg(feature = "compare")]
            AnySystem::Kameo(s) => measure(s, step, payload).await,
            #[cfg(feature = "compare")]
            AnySystem::Actix(s) => measure(s, step, payload).await,
        })
    }

    /// A `cross_node` measurement, for the systems that have nodes.
    async fn across(&self, across: Across) -> Result<Option<Vec<Figure>>, String> {
        match self {
            AnySystem::Foundation(_) => {
                cross_node::measure(&cross_node::foundation::Foundation, across).await.map(Some)
            }
            #[cfg(feature = "compare")]
            AnySystem::Ractor(_) => {
                cross_node::measure(&cross_node::ractor::Ractor, across).await.map(Some)
            }
            AnySystem::Tokio(_) => Ok(None),
            #[cfg(feature = "compare")]
            AnySystem::Kameo(_) | AnySystem::Actix(_) => Ok(None),
        }
    }
}

fn rate(messages: u64, elapsed: Duration) -> Vec<Figure> {
    vec![Figure { metric: "rate", unit: "msgs/s", value: messages as f64 / elapsed.as_secs_f64() }]
}

/// Runs one step on one system and turns what it measured into figures.
async fn measure<S: BenchSystem>(system: &S, step: Step, payload: &Bytes) -> Option<Vec<Figure>> {
    Some(match step {
        Step::Creation(n) => {
            // Let the previous system's teardown free what it held, so the heap reading
            // before the spawn is not lowered by frees that land during it.
            tokio::time::sleep(Duration::from_millis(20)).await;
            let spawned = system.spawn(n).await?;
            let mut figures = vec![Figure {
                metric: "time",
                unit: "ms",
                value: spawned.elapsed.as_secs_f64() * 1e3,
            }];
            if let Some(bytes) = spawned.bytes {
                figures.push(Figure { metric: "memory", unit: "bytes", value: bytes as f64 });
                figures.push(Figure {
                    metric: "bytes_per_process",
                    unit: "bytes",
                    value: bytes as f64 / n as f64,
                });
            }
            figures
        }
        Step::Simple(m) => rate(m, system.tell(m, 1).await?),
        Step::ManyToOne(senders, m) => rate(m, system.tell(m, senders).await?),
        Step::Complex(m) => rate(m, system.complex(m).await?),
        Step::Chain(m) => rate(m, system.chain(m).await?),
        Step::Payload(m) => rate(m, system.payload(m, payload.clone()).await?),
        Step::Call(c) => {
            let latencies: Vec<f64> =
                system.call(c).await?.iter().map(|d| d.as_secs_f64() * 1e9).collect();
            vec![
                Figure { metric: "p50", unit: "ns", value: quantile(&latencies, 0.50)? },
                Figure { metric: "p99", unit: "ns", value: quantile(&latencies, 0.99)? },
            ]
        }
        Step::Recovery(w) => {
            let elapsed = system.recovery(w).await?;
            vec![Figure { metric: "time", unit: "µs", value: elapsed.as_secs_f64() * 1e6 }]
        }
        // Measured by `AnySystem::across`.
        Step::CrossNode(_) => return None,
    })
}

/// Samples of one (step, system, metric).
struct Series {
    step: Step,
    system: &'static str,
    metric: &'static str,
    unit: &'static str,
    samples: Vec<f64>,
}

/// Runs the plan and returns the report (also written as JSON and Markdown when asked).
pub(crate) fn run(options: &Options) -> Result<Report, String> {
    let steps = workload::plan(options.quick, options.only.as_deref());
    if steps.is_empty() {
        return Err(format!("invalid `--only`: allowed values are {}", workload::NAMES.join(", ")));
    }
    let repetitions = if options.quick { 3 } else { 5 };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let systems = AnySystem::all();
    let payload = Bytes::from(vec![7u8; 1 << 20]);
    let total = (steps.len() * repetitions * systems.len()) as u64;
    let progress = Progress::new(total);
    let mut series: Vec<Series> = Vec::new();
    for step in &steps {
        for repetition in 0..repetitions {
            for (index, system) in systems.iter().enumerate() {
                progress.step(&format!(
                    "{step} · {} · {}/{repetitions}",
                    system.name(),
                    repetition + 1
                ));
                let (step_now, payload) = (*step, payload.clone());
                // Driven from a task on the runtime, as a caller would be, not from this
                // thread (which would make every wake-up cross-thread).
                let figures = runtime
                    .block_on(async move {
                        tokio::spawn(async move {
                            AnySystem::all().swap_remove(index).measure(step_now, &payload).await
                        })
                        .await
                        // A measurement that panicked has no figures, as before `cross_node`.
                        .unwrap_or(Ok(None))
                    })
                    .map_err(|e| {
                        progress.finish();
                        format!("{step} on {}: {e}", system.name())
                    })?;
                for figure in figures.into_iter().flatten() {
                    match series.iter_mut().find(|s| {
                        s.step == *step && s.system == system.name() && s.metric == figure.metric
                    }) {
                        Some(s) => s.samples.push(figure.value),
                        None => series.push(Series {
                            step: *step,
                            system: system.name(),
                            metric: figure.metric,
                            unit: figure.unit,
                            samples: vec![figure.value],
                        }),
                    }
                }
            }
        }
    }
    progress.finish();
    let mut rows = Vec::new();
    for step in &steps {
        for s in series.iter().filter(|s| s.step == *step) {
            if let Some((median, min, max)) = summarize(&s.samples) {
                rows.push(row(step, s.system, s.metric, s.unit, median, min, max));
            }
        }
        for (metric, unit, value) in step.spec_claims() {
            rows.push(row(step, "spec", metric, unit, value, value, value));
        }
    }
    let report = Report { machine: machine(options, repetitions), rows };
    if let Some(path) = &options.json {
        let json = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
        std::fs::write(path, json)
            .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
    }
    if let Some(path) = &options.markdown {
        std::fs::write(path, report::markdown(&report))
            .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
    }
    Ok(report)
}

fn row(
    step: &Step,
    system: &str,
    metric: &str,
    unit: &str,
    median: f64,
    min: f64,
    max: f64,
) -> Row {
    Row {
        workload: step.workload().to_owned(),
        param: step.param(),
        system: system.to_owned(),
        metric: metric.to_owned(),
        unit: unit.to_owned(),
        median,
        min,
        max,
    }
}

fn machine(options: &Options, repetitions: usize) -> Machine {
    Machine {
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        os: std::env::consts::OS.to_owned(),
        arch: std::env::consts::ARCH.to_owned(),
        date: today(),
        command: options.command.clone(),
        quick: options.quick,
        repetitions,
    }
}

/// Today's date (UTC), from the system clock, as YYYY-MM-DD.
fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = (secs / 86_400) as i64;
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// A progress bar on a terminal; plain lines on stderr otherwise.
struct Progress {
    bar: Option<ProgressBar>,
    total: u64,
    done: std::cell::Cell<u64>,
}

impl Progress {
    fn new(total: u64) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(total);
            if let Ok(style) = ProgressStyle::with_template(
                "{bar:30.cyan/blue} {pos}/{len} {elapsed_precise} {msg}",
            ) {
                bar.set_style(style);
            }
            bar
        });
        Progress { bar, total, done: std::cell::Cell::new(0) }
    }

    fn step(&self, what: &str) {
        let done = self.done.get();
        self.done.set(done + 1);
        match &self.bar {
            Some(bar) => {
                bar.set_position(done);
                bar.set_message(what.to_owned());
            }
            None => eprintln!("[{:>3}/{}] {what}", done + 1, self.total),
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn today_is_a_date() {
        let date = super::today();
        assert_eq!(date.len(), 10);
        assert!(date.starts_with("20"), "{date}");
    }
}
