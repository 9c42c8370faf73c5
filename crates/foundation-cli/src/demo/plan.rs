//! When the demo submits work and injects faults: by the count of batches submitted, never by
//! the clock, so a run of N jobs meets the same faults on a fast machine and on a loaded one.

/// Jobs submitted per batch.
pub(crate) const BATCH: u64 = 2_000;

/// The coordinator is killed at every batch of this period, from batch [`COORDINATOR_FIRST`].
const COORDINATOR_EVERY: u64 = 20;
const COORDINATOR_FIRST: u64 = 10;

/// The batch after which one worker starts allocating until its memory limit ends it.
const HOG_AT: u64 = 5;

/// The worker that hogs memory; the chaos spares it so that its end is the limit's doing.
pub(crate) const HOG_WORKER: usize = 1;

/// The faults injected after a batch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Faults {
    /// Kill this worker (by index).
    pub(crate) kill_worker: Option<usize>,
    pub(crate) kill_coordinator: bool,
    /// Set the hog worker allocating.
    pub(crate) hog: bool,
}

/// The fault schedule: a worker killed after every batch (chosen by a seeded xorshift), the
/// coordinator after batch 10 and every 20 batches after it, the hog after batch 5.
pub(crate) struct Plan {
    rng: u64,
}

impl Plan {
    pub(crate) fn new() -> Self {
        Plan { rng: 0x9E37_79B9_7F4A_7C15 }
    }

    /// The faults after batch `batch` (counting from 1) of an ecosystem with `workers` workers.
    pub(crate) fn after(&mut self, batch: u64, workers: usize) -> Faults {
        let kill_worker = (workers > 2).then(|| {
            let index = self.next(workers as u64) as usize;
            if index == HOG_WORKER { 0 } else { index }
        });
        Faults {
            kill_worker,
            kill_coordinator: batch >= COORDINATOR_FIRST
                && (batch - COORDINATOR_FIRST).is_multiple_of(COORDINATOR_EVERY),
            hog: batch == HOG_AT && workers > HOG_WORKER,
        }
    }

    fn next(&mut self, below: u64) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng % below.max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_follow_the_batch_count() {
        let mut plan = Plan::new();
        let faults: Vec<Faults> = (1..=31).map(|b| plan.after(b, 1_000)).collect();
        let coordinator: Vec<u64> =
            (1..=31).filter(|b| faults[*b as usize - 1].kill_coordinator).collect();
        assert_eq!(coordinator, [10, 30]);
        let hog: Vec<u64> = (1..=31).filter(|b| faults[*b as usize - 1].hog).collect();
        assert_eq!(hog, [5]);
        assert!(faults.iter().all(|f| f.kill_worker.is_some_and(|w| w != HOG_WORKER && w < 1_000)));
    }

    #[test]
    fn the_same_plan_every_run() {
        let (mut a, mut b) = (Plan::new(), Plan::new());
        for batch in 1..100 {
            assert_eq!(a.after(batch, 50), b.after(batch, 50));
        }
    }

    #[test]
    fn tiny_ecosystems_lose_no_worker_to_the_chaos() {
        let mut plan = Plan::new();
        assert_eq!(plan.after(1, 2).kill_worker, None);
        assert!(!plan.after(5, 1).hog);
    }
}
