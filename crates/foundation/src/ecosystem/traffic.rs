//! An ecosystem's message traffic: its members' counts added up, with rates over the last ten
//! seconds sampled by a watcher that also exports them as metrics.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::time::Instant;

use crate::engine::process_block::AnyProcess;
use crate::message::MessageStats;

/// How often the watcher samples the members' counters.
pub(crate) const SAMPLE_PERIOD: Duration = Duration::from_secs(1);

/// How far back the ecosystem's rates look.
pub(crate) const RATE_WINDOW: Duration = Duration::from_secs(10);

/// An ecosystem's traffic, as [`EcosystemInfo::traffic`](super::EcosystemInfo::traffic)
/// reports it: the sum of its members' [`MessageStats`] (over their whole lives), with rates
/// over the last ten seconds.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct EcosystemTraffic {
    /// Messages the members have taken from their mailboxes.
    pub received: u64,
    /// Messages the members have sent.
    pub sent: u64,
    /// Bytes received, where sizes are known.
    pub bytes_received: u64,
    /// The largest message any member has received, where sizes are known.
    pub largest_message: u64,
    /// Messages dropped by overflow policies.
    pub dropped: u64,
    /// Sends refused under the `Fail` policy.
    pub refused: u64,
    /// Sends that had to wait for room or credits.
    pub stalls: u64,
    /// Messages received per second over the last ten seconds (sampled each second; 0 until
    /// two samples exist).
    pub received_per_sec: f64,
    /// Messages sent per second over the same window.
    pub sent_per_sec: f64,
    /// Bytes received per second over the same window.
    pub bytes_per_sec: f64,
    /// The longest sampled time in a member's mailbox (see
    /// [`MessageStats::mailbox_wait`]).
    pub max_mailbox_wait: Option<Duration>,
}

impl EcosystemTraffic {
    /// Adds up the members' stats.
    pub(crate) fn sum<'a>(members: impl IntoIterator<Item = &'a MessageStats>) -> Self {
        let mut t = EcosystemTraffic::default();
        for m in members {
            t.received += m.received;
            t.sent += m.sent;
            t.bytes_received += m.bytes_received.unwrap_or(0);
            t.largest_message = t.largest_message.max(m.largest_message.unwrap_or(0));
            t.dropped += m.dropped;
            t.refused += m.refused;
            t.stalls += m.stalls;
            t.max_mailbox_wait = t.max_mailbox_wait.max(m.mailbox_wait);
        }
        t
    }
}

/// One sample of the totals.
#[derive(Clone, Copy, Debug)]
struct Sample {
    at: Instant,
    received: u64,
    sent: u64,
    bytes: u64,
}

/// The samples of the last [`RATE_WINDOW`].
#[derive(Debug, Default)]
pub(crate) struct RateWindow {
    samples: Mutex<VecDeque<Sample>>,
}

impl RateWindow {
    fn push(&self, sample: Sample) {
        let mut samples = self.samples.lock();
        samples.push_back(sample);
        while samples.front().is_some_and(|s| sample.at.duration_since(s.at) > RATE_WINDOW) {
            samples.pop_front();
        }
    }

    /// Fills in the rates between the oldest and the newest sample.
    pub(crate) fn rates(&self, traffic: &mut EcosystemTraffic) {
        let samples = self.samples.lock();
        let (Some(first), Some(last)) = (samples.front(), samples.back()) else { return };
        let secs = last.at.duration_since(first.at).as_secs_f64();
        if secs <= 0.0 {
            return;
        }
        traffic.received_per_sec = last.received.saturating_sub(first.received) as f64 / secs;
        traffic.sent_per_sec = last.sent.saturating_sub(first.sent) as f64 / secs;
        traffic.bytes_per_sec = last.bytes.saturating_sub(first.bytes) as f64 / secs;
    }
}

/// Samples the members every [`SAMPLE_PERIOD`] until `stopped` completes: feeds the rate
/// window and (with the `metrics` feature) the counters
/// `foundation_ecosystem_messages_received_total`, `..._messages_sent_total` and
/// `..._bytes_received_total`, labelled with the ecosystem's `name`.
pub(crate) async fn watch(
    #[cfg_attr(not(feature = "metrics"), expect(unused_variables, reason = "a metrics label"))]
    name: String,
    epoch: Instant,
    window: Arc<RateWindow>,
    members: Arc<dyn Fn() -> Vec<Arc<dyn AnyProcess>> + Send + Sync>,
    stopped: impl std::future::Future<Output = ()>,
) {
    let mut stopped = std::pin::pin!(stopped);
    let mut ticks = tokio::time::interval(SAMPLE_PERIOD);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    #[cfg(feature = "metrics")]
    let mut counted = Counted::default();
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = &mut stopped => return,
        }
        let stats: Vec<MessageStats> =
            members().iter().map(|p| p.traffic().snapshot(p.core().handled(), epoch)).collect();
        let totals = EcosystemTraffic::sum(&stats);
        window.push(Sample {
            at: Instant::now(),
            received: totals.received,
            sent: totals.sent,
            bytes: totals.bytes_received,
        });
        #[cfg(feature = "metrics")]
        counted.count(&name, &totals);
    }
}

/// What the ecosystem's counters in the `metrics` facade have been given so far.
#[cfg(feature = "metrics")]
#[derive(Default)]
struct Counted {
    received: u64,
    sent: u64,
    bytes: u64,
}

#[cfg(feature = "metrics")]
impl Counted {
    /// Adds to the counters what `totals` holds beyond what they were given before.
    fn count(&mut self, name: &str, totals: &EcosystemTraffic) {
        let label = name.to_owned();
        metrics::counter!("foundation_ecosystem_messages_received_total", "ecosystem" => label.clone())
            .increment(totals.received.saturating_sub(self.received));
        metrics::counter!("foundation_ecosystem_messages_sent_total", "ecosystem" => label.clone())
            .increment(totals.sent.saturating_sub(self.sent));
        metrics::counter!("foundation_ecosystem_bytes_received_total", "ecosystem" => label)
            .increment(totals.bytes_received.saturating_sub(self.bytes));
        (self.received, self.sent, self.bytes) =
            (totals.received, totals.sent, totals.bytes_received);
    }
}
