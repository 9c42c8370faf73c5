//! What the demo reports at the end.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

/// How far above its baseline the heap may end: 1%, or this many bytes if that is more. The
/// runtime's scheduler keeps a buffer of deferred wake-ups that a busy moment can grow by a
/// KiB or so and that it never gives back; nothing of the ecosystem is in it.
pub(crate) const HEAP_SLACK: u64 = 4096;

/// A job that ran more than once, and why.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Duplicate {
    pub(crate) job: u64,
    pub(crate) why: String,
}

/// The demo's outcome; `--json` prints it as one object with these snake_case fields.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub(crate) struct Summary {
    pub(crate) workers: usize,
    pub(crate) jobs_submitted: u64,
    pub(crate) jobs_completed: u64,
    pub(crate) jobs_lost: u64,
    /// Jobs that ran more than once (at-least-once execution); the ledger kept one result each.
    pub(crate) jobs_duplicated: u64,
    /// Why they ran again, with how many did for each reason.
    pub(crate) duplicate_reasons: BTreeMap<String, u64>,
    /// The first of them, one by one.
    pub(crate) duplicates: Vec<Duplicate>,
    /// Kills the chaos made (of a live incarnation).
    pub(crate) coordinator_kills: u64,
    pub(crate) worker_kills: u64,
    pub(crate) coordinator_restarts: u64,
    pub(crate) worker_restarts: u64,
    /// Restarts by the kind of the reason the previous incarnation ended with.
    pub(crate) coordinator_restart_reasons: BTreeMap<String, u64>,
    pub(crate) worker_restart_reasons: BTreeMap<String, u64>,
    /// Coordinator restarts that neither a kill nor another reason explains (must be 0).
    pub(crate) unexplained_coordinator_restarts: u64,
    pub(crate) memory_limit_exits: u64,
    /// From the first job submitted to the last one completed.
    pub(crate) seconds: f64,
    pub(crate) jobs_per_second: f64,
    /// The whole heap, as the accounting allocator measures it: before the ecosystem started,
    /// at its peak, and after it (and everything the demo made) was shut down and dropped.
    pub(crate) baseline_memory_bytes: u64,
    pub(crate) peak_memory_bytes: u64,
    pub(crate) final_memory_bytes: u64,
    /// The final heap is within 1% of the baseline (or [`HEAP_SLACK`]).
    pub(crate) heap_returned: bool,
}

impl Summary {
    /// Lost: submitted and never completed. Nothing else counts as lost. Unexplained
    /// restarts: the coordinator restarts killed beyond the kills made, and those whose
    /// previous incarnation's reason is unknown.
    pub(crate) fn settle(&mut self) {
        self.jobs_lost = self.jobs_submitted.saturating_sub(self.jobs_completed);
        let killed = self.coordinator_restart_reasons.get("killed").copied().unwrap_or(0);
        let unknown = self.coordinator_restart_reasons.get("unknown").copied().unwrap_or(0);
        self.unexplained_coordinator_restarts =
            killed.saturating_sub(self.coordinator_kills) + unknown;
        self.jobs_per_second =
            if self.seconds > 0.0 { self.jobs_completed as f64 / self.seconds } else { 0.0 };
        let allowed = (self.baseline_memory_bytes / 100).max(HEAP_SLACK);
        self.heap_returned = self.final_memory_bytes <= self.baseline_memory_bytes + allowed;
    }

    /// Everything the demo promises held: no job lost, every restart explained, the heap back.
    pub(crate) fn kept_its_promises(&self) -> bool {
        self.jobs_lost == 0 && self.unexplained_coordinator_restarts == 0 && self.heap_returned
    }

    /// How far the final heap is from the baseline, as a fraction of the baseline.
    pub(crate) fn memory_drift(&self) -> f64 {
        let base = self.baseline_memory_bytes.max(1) as f64;
        (self.final_memory_bytes as f64 - self.baseline_memory_bytes as f64) / base
    }
}

fn reasons(map: &BTreeMap<String, u64>) -> String {
    if map.is_empty() {
        return "none".into();
    }
    map.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ")
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "workers               {}", self.workers)?;
        writeln!(f, "jobs submitted        {}", self.jobs_submitted)?;
        writeln!(f, "jobs completed        {}", self.jobs_completed)?;
        writeln!(f, "jobs lost             {}", self.jobs_lost)?;
        writeln!(f, "jobs per second       {:.0}", self.jobs_per_second)?;
        writeln!(f, "jobs run twice        {} (kept once in the ledger)", self.jobs_duplicated)?;
        for (why, count) in &self.duplicate_reasons {
            writeln!(f, "  {count:>6} because {why}")?;
        }
        for d in self.duplicates.iter().take(5) {
            writeln!(f, "  e.g. job {}: {}", d.job, d.why)?;
        }
        writeln!(
            f,
            "coordinator restarts  {} ({}; kills made {})",
            self.coordinator_restarts,
            reasons(&self.coordinator_restart_reasons),
            self.coordinator_kills
        )?;
        writeln!(
            f,
            "worker restarts       {} ({}; kills made {})",
            self.worker_restarts,
            reasons(&self.worker_restart_reasons),
            self.worker_kills
        )?;
        writeln!(f, "unexplained restarts  {}", self.unexplained_coordinator_restarts)?;
        writeln!(f, "memory-limit exits    {}", self.memory_limit_exits)?;
        writeln!(f, "memory before         {} bytes", self.baseline_memory_bytes)?;
        writeln!(f, "peak memory           {} bytes", self.peak_memory_bytes)?;
        write!(
            f,
            "final memory          {} bytes ({:+.2}% of before: {})",
            self.final_memory_bytes,
            self.memory_drift() * 100.0,
            if self.heap_returned { "returned" } else { "NOT RETURNED" }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lost_is_submitted_minus_completed() {
        let mut s = Summary { jobs_submitted: 10, jobs_completed: 7, ..Summary::default() };
        s.settle();
        assert_eq!(s.jobs_lost, 3);
    }

    #[test]
    fn restarts_are_explained_by_kills_and_reasons() {
        let mut s = Summary { coordinator_kills: 3, ..Summary::default() };
        s.coordinator_restart_reasons.insert("killed".into(), 3);
        s.coordinator_restart_reasons.insert("memory_limit".into(), 2);
        s.settle();
        assert_eq!(s.unexplained_coordinator_restarts, 0);
        s.coordinator_restart_reasons.insert("killed".into(), 5);
        s.coordinator_restart_reasons.insert("unknown".into(), 1);
        s.settle();
        assert_eq!(s.unexplained_coordinator_restarts, 3);
    }

    #[test]
    fn drift_is_relative_to_the_baseline() {
        let s = Summary {
            baseline_memory_bytes: 1_000,
            final_memory_bytes: 1_005,
            ..Summary::default()
        };
        assert!((s.memory_drift() - 0.005).abs() < 1e-9);
    }

    #[test]
    fn json_has_the_documented_fields() {
        let json = serde_json::to_value(Summary::default()).unwrap();
        for field in [
            "workers",
            "jobs_submitted",
            "jobs_completed",
            "jobs_lost",
            "jobs_duplicated",
            "duplicate_reasons",
            "duplicates",
            "coordinator_kills",
            "worker_kills",
            "coordinator_restarts",
            "worker_restarts",
            "coordinator_restart_reasons",
            "worker_restart_reasons",
            "unexplained_coordinator_restarts",
            "memory_limit_exits",
            "seconds",
            "jobs_per_second",
            "baseline_memory_bytes",
            "peak_memory_bytes",
            "final_memory_bytes",
            "heap_returned",
        ] {
            assert!(json.get(field).is_some(), "{field}");
        }
    }
}
