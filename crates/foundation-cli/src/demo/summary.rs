//! What the demo reports at the end.

use std::fmt;

use serde::Serialize;

/// The demo's outcome; `--json` prints it as one object with these snake_case fields.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Summary {
    pub(crate) jobs_submitted: u64,
    pub(crate) jobs_completed: u64,
    pub(crate) jobs_lost: u64,
    pub(crate) jobs_duplicated: u64,
    pub(crate) coordinator_restarts: u64,
    pub(crate) worker_restarts: u64,
    pub(crate) memory_limit_exits: u64,
    pub(crate) peak_memory_bytes: u64,
    pub(crate) final_memory_bytes: u64,
}

impl Summary {
    /// Lost: submitted and never completed. Nothing else counts as lost.
    pub(crate) fn settle(&mut self) {
        self.jobs_lost = self.jobs_submitted.saturating_sub(self.jobs_completed);
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "jobs submitted        {}", self.jobs_submitted)?;
        writeln!(f, "jobs completed        {}", self.jobs_completed)?;
        writeln!(f, "jobs lost             {}", self.jobs_lost)?;
        writeln!(f, "jobs duplicated       {}", self.jobs_duplicated)?;
        writeln!(f, "coordinator restarts  {}", self.coordinator_restarts)?;
        writeln!(f, "worker restarts       {}", self.worker_restarts)?;
        writeln!(f, "memory-limit exits    {}", self.memory_limit_exits)?;
        writeln!(f, "peak memory           {} bytes", self.peak_memory_bytes)?;
        write!(f, "final memory          {} bytes", self.final_memory_bytes)
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
    fn json_has_the_documented_fields() {
        let json = serde_json::to_value(Summary::default()).unwrap();
        for field in [
            "jobs_submitted",
            "jobs_completed",
            "jobs_lost",
            "jobs_duplicated",
            "coordinator_restarts",
            "worker_restarts",
            "memory_limit_exits",
            "peak_memory_bytes",
            "final_memory_bytes",
        ] {
            assert!(json.get(field).is_some(), "{field}");
        }
    }
}
