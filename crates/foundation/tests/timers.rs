//! Timers (`send_after`, `send_interval`, from the node and from inside a process), on tokio's
//! paused clock: every instant asserted below is exact virtual time, never wall-clock time.
//!
//! A process records the virtual instant at which it handles each tick; a call that waits for
//! the n-th tick lets the runtime idle, so the paused clock jumps straight to the next timer.

mod common;

use std::time::Duration;

use common::collect::Collected;
use foundation::{
    BoxError, ConfigError, Context, ExitReason, Node, Pid, Process, ReplyTo, TimerRef,
};
use tokio::time::Instant;

const MS: Duration = Duration::from_millis(1);

/// Ticks handled: `(number, virtual instant)`.
type Ticks = Vec<(u32, Instant)>;

enum Msg {
    Tick(u32),
    /// The ticks handled so far.
    Log(ReplyTo<Ticks>),
    /// Replies once this many ticks have been handled.
    WaitFor(usize, ReplyTo<Ticks>),
    /// `ctx.send_after(delay, Tick(n))`.
    After(Duration, u32, ReplyTo<TimerRef>),
    /// `ctx.send_interval(period, ..)`, ticks numbered from 1.
    Every(Duration, ReplyTo<Result<TimerRef, ConfigError>>),
    /// Keeps the process busy for a while.
    Busy(Duration),
    Stop,
}

#[derive(Default)]
struct Ticker {
    ticks: Collected<(u32, Instant)>,
}

impl Process for Ticker {
    type Message = Msg;

    async fn handle(&mut self, ctx: &mut Context<Msg>, msg: Msg) -> Result<(), BoxError> {
        match msg {
            Msg::Tick(n) => self.ticks.push((n, Instant::now())),
            Msg::Log(r) => {
                let _ = r.reply(self.ticks.items());
            }
            Msg::WaitFor(n, r) => self.ticks.wait_for(n, r),
            Msg::After(delay, n, r) => {
                let _ = r.reply(ctx.send_after(delay, Msg::Tick(n)));
            }
            Msg::Every(period, r) => {
                let mut n = 0;
                let _ = r.reply(ctx.send_interval(period, move || {
                    n += 1;
                    Msg::Tick(n)
                }));
            }
            Msg::Busy(d) => tokio::time::sleep(d).await,
            Msg::Stop => ctx.stop(ExitReason::Normal),
        }
        Ok(())
    }
}

async fn wait_gone(node: &Node, pid: Pid) {
    let r = tokio::time::timeout(Duration::from_secs(60), node.wait_exit(pid)).await;
    assert!(r.is_ok(), "{pid} should have ended");
}

#[tokio::test(start_paused = true)]
async fn node_send_after_fires_after_exactly_the_delay() {
    let node = Node::new().unwrap();
    let p = node.spawn(Ticker::default()).unwrap();
    let start = Instant::now();
    let timer = node.send_after(&p, 100 * MS, Msg::Tick(7));
    assert!(timer.is_active());

    tokio::time::sleep(99 * MS).await;
    assert!(p.call(Msg::Log).await.unwrap().is_empty(), "nothing before the delay");
    assert!(timer.is_active());

    let ticks = p.call(|r| Msg::WaitFor(1, r)).await.unwrap();
    assert_eq!(ticks, vec![(7, start + 100 * MS)]);
    assert!(!timer.is_active(), "a fired send_after is done");
    assert!(!timer.cancel(), "cancelling a fired timer reports it inactive");

    // Exactly one message.
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert_eq!(p.call(Msg::Log).await.unwrap().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn context_send_after_fires_after_exactly_the_delay() {
    let node = Node::new().unwrap();
    let p = node.spawn(Ticker::default()).unwrap();
    let start = Instant::now();
    let _t1 = p.call(|r| Msg::After(250 * MS, 2, r)).await.unwrap();
    let _t2 = p.call(|r| Msg::After(50 * MS, 1, r)).await.unwrap();
    let ticks = p.call(|r| Msg::WaitFor(2, r)).await.unwrap();
    assert_eq!(ticks, vec![(1, start + 50 * MS), (2, start + 250 * MS)]);
}

#[tokio::test(start_paused = true)]
async fn zero_delay_send_after_fires_at_once() {
    let node = Node::new().unwrap();
    let p = node.spawn(Ticker::default()).unwrap();
    let start = Instant::now();
    node.send_after(&p, Duration::ZERO, Msg::Tick(0));
    assert_eq!(p.call(|r| Msg::WaitFor(1, r)).await.unwrap(), vec![(0, start)]);
}

#[tokio::test(start_paused = true)]
async fn cancel_before_firing_means_nothing_arrives() {
    let node = Node::new().unwrap();
    let p = node.spawn(Ticker::default()).unwrap();
    let timer = node.send_after(&p, 100 * MS, Msg::Tick(1));
    tokio::time::sleep(50 * MS).await;
    assert!(timer.is_active());
    assert!(timer.cancel(), "cancelled before firing");

    tokio::time::sleep(Duration::from_secs(10)).await;
    assert!(p.call(Msg::Log).await.unwrap().is_empty(), "a cancelled timer sends nothing");
    assert!(!timer.is_active());
    assert!(!timer.cancel(), "cancelling again reports it inactive");

    // A timer set from inside the process cancels the same way.
    let inner = p.call(|r| Msg::After(100 * MS, 2, r)).await.unwrap();
    assert!(inner.cancel());
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert!(p.call(Msg::Log).await.unwrap().is_empty());
}

/// `cancel` returns `true` only if the timer "was still active"; once cancelled it is not, so
/// a second `cancel` right after the first (no yield in between) returns `false`, and
/// `is_active` is `false` at once.
#[tokio::test(start_paused = true)]
async fn cancel_takes_effect_at_once() {
    let node = Node::new().unwrap();
    let p = node.spawn(Ticker::default()).unwrap();
    let timer = node.send_after(&p, 100 * MS, Msg::Tick(1));
    assert!(timer.cancel());
    assert!(!timer.is_active(), "is_active right after cancel");
    assert!(!timer.cancel(), "second cancel right after the first");
}

/// `cancel` returns `false` when the timer "had already fired": the message is then on its
/// way and must still arrive ("sending never loses a message silently"), also when the
/// timer is waiting for room in a full mailbox at the moment of the `cancel`.
#[tokio::test(start_paused = true)]
async fn cancel_after_firing_does_not_lose_the_message_waiting_for_room() {
    let node = Node::new().unwrap();
    let p = node.process().mailbox_capacity(1).spawn(Ticker::default()).unwrap();
    // Busy for 100 ms, with the one slot of its mailbox taken.
    p.send(Msg::Busy(100 * MS)).await.unwrap();
    tokio::task::yield_now().await;
    p.send(Msg::Tick(1)).await.unwrap();
    let timer = node.send_after(&p, 10 * MS, Msg::Tick(2));
    // At 10 ms the timer fires and waits for room.
    tokio::time::sleep(20 * MS).await;
    assert!(!timer.is_active(), "fired");
    assert!(!timer.cancel(), "too late to cancel: it had fired");

    let ticks = p.call_timeout(|r| Msg::WaitFor(2, r), Duration::from_secs(1)).await;
    let numbers: Vec<u32> = ticks.expect("the fired message arrives").iter().map(|t| t.0).collect();
    assert_eq!(numbers, vec![1, 2]);
}

/// Dropping a `TimerRef` does not cancel the timer (as in Erlang).
#[tokio::test(start_paused = true)]
async fn dropping_the_timer_ref_does_not_cancel() {
    let node = Node::new().unwrap();
    let p = node.spawn(Ticker::default()).unwrap();
    let start = Instant::now();
    drop(node.send_after(&p, 30 * MS, Msg::Tick(1)));
    drop(node.send_interval(&p, 100 * MS, || Msg::Tick(2)).unwrap());
    let ticks = p.call(|r| Msg::WaitFor(2, r)).await.unwrap();
    assert_eq!(ticks, vec![(1, start + 30 * MS), (2, start + 100 * MS)]);
}

#[tokio::test(start_paused = true)]
async fn send_interval_fires_at_every_period_until_cancelled() {
    let node = Node::new().unwrap();
    let p = node.spawn(Ticker::default()).unwrap();
    let start = Instant::now();
    let mut n = 0;
    let timer = node
        .send_interval(&p, 100 * MS, move || {
            n += 1;
            Msg::Tick(n)
        })
        .unwrap();

    tokio::time::sleep(99 * MS).await;
    assert!(p.call(Msg::Log).await.unwrap().is_empty(), "first tick after one period");

    let ticks = p.call(|r| Msg::WaitFor(4, r)).await.unwrap();
    let expected: Vec<(u32, Instant)> = (1..=4).map(|i| (i, start + i * 100 * MS)).collect();
    assert_eq!(ticks, expected);
    assert!(timer.is_active());

    assert!(timer.cancel());
    let at_cancel = p.call(Msg::Log).await.unwrap().len();
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert_eq!(p.call(Msg::Log).await.unwrap().len(), at_cancel, "no tick after cancel");
    assert!(!timer.is_active());
}

#[tokio::test(start_paused = true)]
async fn context_send_interval_fires_at_every_period() {
    let node = Node::new().unwrap();
    let p = node.spawn(Ticker::default()).unwrap();
    let start = Instant::now();
    let timer = p.call(|r| Msg::Every(30 * MS, r)).await.unwrap().unwrap();
    let ticks = p.call(|r| Msg::WaitFor(3, r)).await.unwrap();
    assert_eq!(ticks, vec![(1, start + 30 * MS), (2, start + 60 * MS), (3, start + 90 * MS)]);
    assert!(timer.cancel());
}

#[tokio::test(start_paused = true)]
async fn zero_period_is_an_error() {
    let node = Node::new().unwrap();
    let p = node.spawn(Ticker::default()).unwrap();
    let err = node.send_interval(&p, Duration::ZERO, || Msg::Tick(0)).unwrap_err();
    assert_eq!(err.field(), "period");
    assert!(err.to_string().contains("period"), "{err}");
    let err = p.call(|r| Msg::Every(Duration::ZERO, r)).await.unwrap().unwrap_err();
    assert_eq!(err.field(), "period");
    // Nothing was started.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(p.call(Msg::Log).await.unwrap().is_empty());
}

#[tokio::test(start_paused = true)]
async fn interval_timer_stops_when_the_process_exits() {
    let node = Node::new().unwrap();
    let p = node.spawn(Ticker::default()).unwrap();
    let from_inside = p.call(|r| Msg::Every(100 * MS, r)).await.unwrap().unwrap();
    let from_node = node.send_interval(&p, 70 * MS, || Msg::Tick(0)).unwrap();
    p.call(|r| Msg::WaitFor(3, r)).await.unwrap();
    p.send(Msg::Stop).await.unwrap();
    assert_eq!(p.exited().await, ExitReason::Normal);

    // At its next tick each timer finds the process gone, and ends.
    tokio::time::sleep(100 * MS).await;
    assert!(!from_inside.is_active(), "the process's own interval ended with it");
    assert!(!from_node.is_active(), "the node's interval to it ended with it");
    assert!(!from_inside.cancel());
}

#[tokio::test(start_paused = true)]
async fn send_after_to_a_process_that_exited_sends_nothing_and_ends() {
    let node = Node::new().unwrap();
    let p = node.spawn(Ticker::default()).unwrap();
    let timer = node.send_after(&p, 100 * MS, Msg::Tick(1));
    p.send(Msg::Stop).await.unwrap();
    p.exited().await;
    tokio::time::sleep(101 * MS).await;
    assert!(!timer.is_active());
    assert!(!timer.cancel());
}

/// Timers "end by themselves when their process exits" (module docs), and `is_active` is
/// "true while the timer may still send": a timer whose process has exited can never send
/// again, so it should be inactive as soon as the process is gone, not only when it next
/// falls due. (As in Erlang, where a timer to a pid is cancelled when that process exits.)
/// Until then the timer task keeps the message and the dead process's allocation alive.
#[tokio::test(start_paused = true)]
async fn timers_end_as_soon_as_their_process_exits() {
    let node = Node::new().unwrap();
    let p = node.spawn(Ticker::default()).unwrap();
    let after = node.send_after(&p, Duration::from_secs(3600), Msg::Tick(1));
    let interval = node.send_interval(&p, Duration::from_secs(3600), || Msg::Tick(2)).unwrap();
    p.send(Msg::Stop).await.unwrap();
    p.exited().await;
    tokio::time::sleep(MS).await;
    assert!(!after.is_active(), "send_after to an exited process");
    assert!(!interval.is_active(), "send_interval to an exited process");
}

/// A process driven by its own timers lives on when nobody holds its address, as on the BEAM:
/// its interval keeps ticking it.
#[tokio::test(start_paused = true)]
async fn a_process_driven_by_its_own_timer_lives_without_addresses() {
    let node = Node::new().unwrap();
    let p = node.spawn(Ticker::default()).unwrap();
    let (pid, weak) = (p.pid(), p.downgrade());
    let timer = p.call(|r| Msg::Every(100 * MS, r)).await.unwrap().unwrap();
    drop(p);
    tokio::time::sleep(Duration::from_secs(10) + MS).await;
    assert!(node.is_alive(pid));
    assert!(timer.is_active());
    let ticks = weak.upgrade().unwrap().call(Msg::Log).await.unwrap();
    assert_eq!(ticks.len(), 100, "one tick every 100 ms for 10 s");
}

/// Timers hold weak addresses: a process that ends when unreferenced, and whose only
/// "address" is a timer, ends normally; its timers stop with it.
#[tokio::test(start_paused = true)]
async fn timers_do_not_keep_an_unreferenced_process_alive() {
    let node = Node::new().unwrap();
    let p = node.process().end_when_unreferenced().spawn(Ticker::default()).unwrap();
    let pid = p.pid();
    let interval = node.send_interval(&p, 100 * MS, || Msg::Tick(0)).unwrap();
    let after = node.send_after(&p, Duration::from_secs(5), Msg::Tick(1));
    drop(p);
    wait_gone(&node, pid).await;
    tokio::time::sleep(Duration::from_secs(5) + MS).await;
    assert!(!interval.is_active());
    assert!(!after.is_active());
}

/// A receiver that stalls does not make ticks pile up: while the timer waits for room, the
/// ticks that fall due are not saved up and then sent in a burst. After a stall of ten periods
/// the receiver gets at most the tick that was queued, the one that was waiting, and one late
/// tick; then ticks come a period apart again. At no instant has it been sent more ticks than
/// periods have elapsed.
#[tokio::test(start_paused = true)]
async fn interval_ticks_do_not_pile_up_behind_a_stalled_receiver() {
    let node = Node::new().unwrap();
    let p = node.process().mailbox_capacity(1).spawn(Ticker::default()).unwrap();
    let start = Instant::now();
    let mut n = 0;
    let timer = node
        .send_interval(&p, 100 * MS, move || {
            n += 1;
            Msg::Tick(n)
        })
        .unwrap();
    p.send(Msg::Busy(1050 * MS)).await.unwrap();
    let ticks = p.call(|r| Msg::WaitFor(6, r)).await.unwrap();
    assert!(timer.cancel());

    let numbers: Vec<u32> = ticks.iter().map(|(n, _)| *n).collect();
    assert_eq!(numbers, vec![1, 2, 3, 4, 5, 6], "in order, none lost");
    for (i, (_, at)) in ticks.iter().enumerate() {
        let periods = (*at - start).as_millis() / 100;
        let sent = i as u128 + 1;
        assert!(sent <= periods, "tick {sent} at {:?}: {ticks:?}", *at - start);
    }
    let stall_end = start + 1050 * MS;
    assert!(ticks.iter().all(|(_, at)| *at >= stall_end), "{ticks:?}");
    let bunched = ticks.iter().filter(|(_, at)| *at == stall_end).count();
    assert!(bunched <= 3, "{bunched} ticks at the end of the stall: {ticks:?}");
    let after: Vec<Duration> =
        ticks.windows(2).skip(bunched - 1).map(|w| w[1].1 - w[0].1).collect();
    assert!(after.iter().all(|g| *g == 100 * MS), "a period apart after the stall: {ticks:?}");
}
