//! Deadlines that never overflow.

use std::time::Duration;

use tokio::time::Instant;

/// About 30 years: what "no deadline" means when a duration is too large to add to now.
const FAR_FUTURE: Duration = Duration::from_secs(86_400 * 365 * 30);

/// `now + after`, or a deadline about 30 years away when that would overflow (as tokio's own
/// timers do), so that `Duration::MAX` means "wait as long as it takes" instead of a panic.
pub(crate) fn deadline_after(after: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(after).unwrap_or_else(|| now + FAR_FUTURE)
}
