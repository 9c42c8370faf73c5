//! A member whose `init` and `terminate` take the time asked of them (on the paused clock),
//! counting its lifecycle calls: for the cancellation and telemetry tests.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

use foundation::{BoxError, Context, Process, ReplyTo};

/// A member's messages.
pub(crate) enum Msg {
    /// Answers at once: the member is up and handling messages.
    Ping(ReplyTo<()>),
    /// Panics.
    Crash,
}

/// Counts lifecycle calls across incarnations.
#[derive(Clone, Default)]
pub(crate) struct Counts {
    /// Successful `init`s.
    pub(crate) inits: Arc<AtomicUsize>,
    /// Finished `terminate`s.
    pub(crate) terminates: Arc<AtomicUsize>,
}

impl Counts {
    /// Successful `init`s so far.
    pub(crate) fn inits(&self) -> usize {
        self.inits.load(SeqCst)
    }

    /// Finished `terminate`s so far.
    pub(crate) fn terminates(&self) -> usize {
        self.terminates.load(SeqCst)
    }
}

/// A process whose `init` takes `init_delay` and then fails if `init_fails`, and whose
/// `terminate` takes `terminate_delay`.
pub(crate) struct Member {
    /// How long `init` takes.
    pub(crate) init_delay: Duration,
    /// Whether `init` fails after its delay.
    pub(crate) init_fails: bool,
    /// How long `terminate` takes.
    pub(crate) terminate_delay: Duration,
    /// Where the lifecycle calls are counted.
    pub(crate) counts: Counts,
}

impl Member {
    /// Starts and stops at once.
    pub(crate) fn quick(counts: &Counts) -> Self {
        Member {
            init_delay: Duration::ZERO,
            init_fails: false,
            terminate_delay: Duration::ZERO,
            counts: counts.clone(),
        }
    }

    /// Takes `delay` to start.
    pub(crate) fn slow_start(counts: &Counts, delay: Duration) -> Self {
        Member { init_delay: delay, ..Member::quick(counts) }
    }

    /// Takes `delay`, then fails to start.
    pub(crate) fn failing_start(counts: &Counts, delay: Duration) -> Self {
        Member { init_delay: delay, init_fails: true, ..Member::quick(counts) }
    }

    /// Takes `delay` to stop.
    pub(crate) fn slow_stop(counts: &Counts, delay: Duration) -> Self {
        Member { terminate_delay: delay, ..Member::quick(counts) }
    }
}

impl Process for Member {
    type Message = Msg;

    async fn init(&mut self, _ctx: &mut Context<Msg>) -> Result<(), BoxError> {
        if !self.init_delay.is_zero() {
            tokio::time::sleep(self.init_delay).await;
        }
        if self.init_fails {
            return Err("init failed on purpose".into());
        }
        self.counts.inits.fetch_add(1, SeqCst);
        Ok(())
    }

    async fn handle(&mut self, _ctx: &mut Context<Msg>, msg: Msg) -> Result<(), BoxError> {
        match msg {
            Msg::Ping(reply) => {
                let _ = reply.reply(());
            }
            Msg::Crash => panic!("crash on purpose"),
        }
        Ok(())
    }

    async fn terminate(&mut self, _ctx: &mut Context<Msg>, _reason: &foundation::ExitReason) {
        if !self.terminate_delay.is_zero() {
            tokio::time::sleep(self.terminate_delay).await;
        }
        self.counts.terminates.fetch_add(1, SeqCst);
    }
}
