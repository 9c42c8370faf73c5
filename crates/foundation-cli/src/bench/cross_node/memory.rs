//! The memory `cross_node` reads: the live heap of this process, from the accounting
//! allocator (bytes allocated and not yet freed, by every thread).
//!
//! Not the resident set: this process has run other measurements before (the other
//! library's among them), and the allocator keeps pages that were freed, so the resident set
//! would grow by less than what is newly held, or not at all, when old pages are reused.

use std::time::{Duration, Instant};

use crate::bench::systems::heap;

/// The live heap once it has stopped moving: what an earlier measurement still frees in the
/// background (a stopped node's tasks, a closed connection's queues) lands before the
/// reading. Two readings 20 ms apart within 16 KiB of each other, for at most 2 s.
pub(crate) async fn quiet_heap() -> Option<u64> {
    let start = Instant::now();
    let mut last = heap()?;
    loop {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let now = heap()?;
        if now.abs_diff(last) < 16 * 1024 || start.elapsed() > Duration::from_secs(2) {
            return Some(now);
        }
        last = now;
    }
}

/// How much a reading grew (0 if it shrank).
pub(crate) fn growth(before: Option<u64>, after: Option<u64>) -> Option<u64> {
    Some(after?.saturating_sub(before?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growth_is_never_negative() {
        assert_eq!(growth(Some(10), Some(15)), Some(5));
        assert_eq!(growth(Some(15), Some(10)), Some(0));
        assert_eq!(growth(None, Some(10)), None);
    }
}
