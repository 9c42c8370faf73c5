//! What every way of sending tells its sender, through the public API: a mailbox *at capacity*
//! (`Wait`) apart from a message *refused* by the `Fail` policy, for `send`, `deliver`,
//! `try_send`, `try_deliver`, `send_timeout`, `call` and a credit link's sends; and what a drop
//! policy did with the message (`Delivery`), where `send` keeps its plain `Ok(())`. Receivers
//! are held in a handler on a gate the test controls, so mailboxes fill deterministically
//! (paused current-thread runtimes throughout).

use std::pin::pin;
use std::time::Duration;

use foundation::message::{CreditLink, CreditTrySendError, Credited, Delivery, Overflow};
use foundation::{
    BoxError, Context, Node, Process, ProcessRef, ProcessStatus, ReplyTo, SendTimeoutError,
    TrySendError,
};
use tokio::sync::oneshot;
use tokio::time::Instant;

enum Msg {
    /// Answers, then waits for the gate.
    Hold(ReplyTo<()>, oneshot::Receiver<()>),
    Item(u32),
    Log(ReplyTo<Vec<u32>>),
}

/// Logs the items it gets.
#[derive(Default)]
struct Logger {
    log: Vec<u32>,
}

impl Process for Logger {
    type Message = Msg;

    async fn handle(&mut self, _ctx: &mut Context<Msg>, msg: Msg) -> Result<(), BoxError> {
        match msg {
            Msg::Hold(entered, gate) => {
                let _ = entered.reply(());
                let _ = gate.await;
            }
            Msg::Item(n) => self.log.push(n),
            Msg::Log(reply) => drop(reply.reply(self.log.clone())),
        }
        Ok(())
    }
}

/// A process with room for `capacity` under `overflow`, held in a handler, its mailbox full of
/// items `0..capacity`.
async fn held_full(
    node: &Node,
    capacity: u32,
    overflow: Overflow,
) -> (ProcessRef<Msg>, oneshot::Sender<()>) {
    let builder = node.process().mailbox_capacity(capacity as usize).overflow(overflow);
    let p = builder.spawn(Logger::default()).unwrap();
    let (gate, held) = oneshot::channel();
    p.call(|r| Msg::Hold(r, held)).await.unwrap();
    for n in 0..capacity {
        assert_eq!(p.try_deliver(Msg::Item(n)).unwrap(), Delivery::Queued, "room for {n}");
    }
    (p, gate)
}

fn item(msg: &Msg) -> u32 {
    match msg {
        Msg::Item(n) => *n,
        _ => panic!("not an item"),
    }
}

/// Yields until a released receiver has drained its mailbox: a call to it under a drop policy
/// must find room, or it would be dropped (or displace what it asks about).
async fn drained(node: &Node, p: &ProcessRef<Msg>) {
    for _ in 0..10_000 {
        let info = node.process_info(p.pid()).unwrap();
        if info.mailbox_len == 0 && info.status == ProcessStatus::Waiting {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("the mailbox never drained");
}

fn refused_count(node: &Node, p: &ProcessRef<Msg>) -> u64 {
    node.process_info(p.pid()).unwrap().messages.refused
}

#[tokio::test(start_paused = true)]
async fn try_send_tells_at_capacity_from_refused() {
    let node = Node::new().unwrap();
    let (wait, _wait_gate) = held_full(&node, 2, Overflow::Wait).await;
    let (fail, _fail_gate) = held_full(&node, 2, Overflow::Fail).await;

    for err in
        [wait.try_send(Msg::Item(10)).unwrap_err(), wait.try_deliver(Msg::Item(10)).unwrap_err()]
    {
        assert!(err.is_full() && !err.is_refused() && !err.is_closed(), "{err}");
        assert_eq!(err.to_string(), "the mailbox is at capacity");
        assert!(matches!(&err, TrySendError::Full(Msg::Item(10))), "{err:?}");
        assert_eq!(item(&err.into_inner()), 10, "the message is given back");
    }
    for err in
        [fail.try_send(Msg::Item(11)).unwrap_err(), fail.try_deliver(Msg::Item(11)).unwrap_err()]
    {
        assert!(err.is_refused() && !err.is_full() && !err.is_closed(), "{err}");
        assert!(err.to_string().contains("refuse"), "{err}");
        assert!(matches!(&err, TrySendError::Refused(Msg::Item(11))), "{err:?}");
        assert_eq!(item(&err.into_inner()), 11);
    }
    assert_eq!(refused_count(&node, &wait), 0, "at capacity is no refusal");
    assert_eq!(refused_count(&node, &fail), 2);
}

#[tokio::test(start_paused = true)]
async fn send_and_deliver_wait_at_capacity_and_are_refused_under_fail() {
    let node = Node::new().unwrap();
    let (wait, wait_gate) = held_full(&node, 1, Overflow::Wait).await;
    let (fail, _fail_gate) = held_full(&node, 1, Overflow::Fail).await;

    {
        let mut waiting = pin!(wait.send(Msg::Item(10)));
        assert!(futures::poll!(waiting.as_mut()).is_pending(), "send waits at capacity");
    }
    let mut delivering = pin!(wait.deliver(Msg::Item(11)));
    assert!(futures::poll!(delivering.as_mut()).is_pending(), "deliver waits at capacity");
    wait_gate.send(()).unwrap();
    assert_eq!(delivering.await.unwrap(), Delivery::Queued, "under Wait, always Queued");
    assert_eq!(wait.call(Msg::Log).await.unwrap(), [0, 11]);

    let err = fail.send(Msg::Item(12)).await.unwrap_err();
    assert!(err.is_refused() && !err.is_closed(), "{err}");
    assert_eq!(item(&err.into_inner()), 12);
    let err = fail.deliver(Msg::Item(13)).await.unwrap_err();
    assert!(err.is_refused() && !err.is_closed(), "{err}");
    assert_eq!(item(&err.into_inner()), 13);
    assert_eq!(refused_count(&node, &fail), 2);
}

#[tokio::test(start_paused = true)]
async fn send_timeout_and_call_time_out_at_capacity_and_are_refused_at_once_under_fail() {
    let node = Node::new().unwrap();
    let (wait, _wait_gate) = held_full(&node, 1, Overflow::Wait).await;
    let (fail, _fail_gate) = held_full(&node, 1, Overflow::Fail).await;
    let second = Duration::from_secs(1);

    let start = Instant::now();
    let err = wait.send_timeout(Msg::Item(10), second).await.unwrap_err();
    assert!(err.is_timeout() && !err.is_refused() && !err.is_closed(), "{err}");
    assert!(matches!(&err, SendTimeoutError::Timeout(Msg::Item(10))), "{err:?}");
    assert_eq!(start.elapsed(), second, "it waited for room");
    let err = wait.call_timeout(Msg::Log, second).await.unwrap_err();
    assert!(err.is_timeout() && !err.is_refused(), "{err}");
    assert_eq!(start.elapsed(), 2 * second);

    let start = Instant::now();
    let err = fail.send_timeout(Msg::Item(11), second).await.unwrap_err();
    assert!(err.is_refused() && !err.is_timeout() && !err.is_closed(), "{err}");
    assert!(matches!(&err, SendTimeoutError::Refused(Msg::Item(11))), "{err:?}");
    assert_eq!(item(&err.into_inner()), 11);
    let err = fail.call_timeout(Msg::Log, second).await.unwrap_err();
    assert!(err.is_refused() && !err.is_timeout(), "{err}");
    assert_eq!(err.pid(), fail.pid());
    assert_eq!(start.elapsed(), Duration::ZERO, "a refusal never waits");
    assert_eq!((refused_count(&node, &wait), refused_count(&node, &fail)), (0, 2));
}

#[tokio::test(start_paused = true)]
async fn a_process_that_exited_is_closed_for_every_send() {
    let node = Node::new().unwrap();
    let p = node.spawn(Logger::default()).unwrap();
    assert!(node.kill(p.pid()));
    p.exited().await;
    assert!(p.send(Msg::Item(1)).await.unwrap_err().is_closed());
    assert!(p.deliver(Msg::Item(1)).await.unwrap_err().is_closed());
    assert!(matches!(p.try_send(Msg::Item(1)), Err(TrySendError::Closed(_))));
    assert!(matches!(p.try_deliver(Msg::Item(1)), Err(TrySendError::Closed(_))));
    let err = p.send_timeout(Msg::Item(1), Duration::from_secs(1)).await.unwrap_err();
    assert!(err.is_closed() && !err.is_refused() && !err.is_timeout(), "{err}");
    assert!(p.call(Msg::Log).await.unwrap_err().is_no_process());
}

#[tokio::test(start_paused = true)]
async fn drop_newest_is_told_by_deliver_and_try_deliver_while_send_stays_ok() {
    let node = Node::new().unwrap();
    let (p, gate) = held_full(&node, 2, Overflow::DropNewest).await;
    assert_eq!(p.deliver(Msg::Item(10)).await.unwrap(), Delivery::DroppedNewest);
    assert_eq!(p.try_deliver(Msg::Item(11)).unwrap(), Delivery::DroppedNewest);
    assert!(!Delivery::DroppedNewest.is_delivered());
    // The plain path is unchanged: the policy was applied, `send` is `Ok(())`.
    p.send(Msg::Item(12)).await.unwrap();
    p.try_send(Msg::Item(13)).unwrap();
    p.send_timeout(Msg::Item(14), Duration::from_secs(1)).await.unwrap();
    assert_eq!(node.process_info(p.pid()).unwrap().messages.dropped, 5);
    gate.send(()).unwrap();
    drained(&node, &p).await;
    assert_eq!(p.call(Msg::Log).await.unwrap(), [0, 1], "the dropped ones never arrived");
}

#[tokio::test(start_paused = true)]
async fn drop_oldest_is_told_by_deliver_and_try_deliver() {
    let node = Node::new().unwrap();
    let (p, gate) = held_full(&node, 2, Overflow::DropOldest).await;
    assert_eq!(p.deliver(Msg::Item(10)).await.unwrap(), Delivery::DroppedOldest);
    assert_eq!(p.try_deliver(Msg::Item(11)).unwrap(), Delivery::DroppedOldest);
    assert!(Delivery::DroppedOldest.is_delivered() && Delivery::Queued.is_delivered());
    assert_eq!(node.process_info(p.pid()).unwrap().messages.dropped, 2);
    gate.send(()).unwrap();
    drained(&node, &p).await;
    assert_eq!(p.call(Msg::Log).await.unwrap(), [10, 11], "items 0 and 1 were displaced");
}

// Credit links: the receiver takes `Credited` messages, so it is held through a link too.

enum Cmd {
    Hold(oneshot::Sender<()>, oneshot::Receiver<()>),
    Item(u32),
}

struct Consumer;

impl Process for Consumer {
    type Message = Credited<Cmd>;

    async fn handle(
        &mut self,
        _: &mut Context<Credited<Cmd>>,
        msg: Credited<Cmd>,
    ) -> Result<(), BoxError> {
        if let Cmd::Hold(entered, gate) = msg.into_inner() {
            let _ = entered.send(());
            let _ = gate.await;
        }
        Ok(())
    }
}

/// A consumer with room for `capacity` under `overflow`, held in a handler; and a link with a
/// window of `window` to it.
async fn held_consumer(
    node: &Node,
    capacity: usize,
    overflow: Overflow,
    window: usize,
) -> (ProcessRef<Credited<Cmd>>, CreditLink<Cmd>, oneshot::Sender<()>) {
    let rx = node.process().mailbox_capacity(capacity).overflow(overflow).spawn(Consumer).unwrap();
    let (entered, is_entered) = oneshot::channel();
    let (gate, held) = oneshot::channel();
    CreditLink::new(&rx, 1).unwrap().send(Cmd::Hold(entered, held)).await.unwrap();
    is_entered.await.unwrap();
    let link = CreditLink::new(&rx, window).unwrap();
    (rx, link, gate)
}

fn cmd_item(cmd: &Cmd) -> u32 {
    match cmd {
        Cmd::Item(n) => *n,
        Cmd::Hold(..) => panic!("not an item"),
    }
}

#[tokio::test(start_paused = true)]
async fn a_credit_link_tells_no_credit_at_capacity_refused_and_closed_apart() {
    let node = Node::new().unwrap();

    // No credit: a window of 1, the one credit in flight, room in the mailbox.
    let (_rx, tight, _gate) = held_consumer(&node, 8, Overflow::Wait, 1).await;
    assert_eq!(tight.try_deliver(Cmd::Item(0)).unwrap(), Delivery::Queued);
    let err = tight.try_send(Cmd::Item(1)).unwrap_err();
    assert!(err.is_no_credit() && !err.is_full() && !err.is_refused() && !err.is_closed(), "{err}");
    assert_eq!(err.to_string(), "no credit left on the link");
    assert!(matches!(&err, CreditTrySendError::NoCredit(Cmd::Item(1))), "{err:?}");

    // At capacity: credits to spare, the mailbox full under Wait; the credit goes back.
    let (_rx, link, _gate) = held_consumer(&node, 1, Overflow::Wait, 4).await;
    link.try_send(Cmd::Item(0)).unwrap();
    let err = link.try_deliver(Cmd::Item(1)).unwrap_err();
    assert!(err.is_full() && !err.is_no_credit() && !err.is_refused(), "{err}");
    assert_eq!(err.to_string(), "the mailbox is at capacity");
    assert_eq!(cmd_item(&err.into_inner()), 1);
    assert_eq!(link.credits(), 3, "only the queued message holds a credit");

    // Refused: the same under Fail, for try_send and send alike.
    let (rx, link, _gate) = held_consumer(&node, 1, Overflow::Fail, 4).await;
    link.try_send(Cmd::Item(0)).unwrap();
    let err = link.try_send(Cmd::Item(1)).unwrap_err();
    assert!(err.is_refused() && !err.is_full() && !err.is_no_credit(), "{err}");
    assert!(matches!(&err, CreditTrySendError::Refused(Cmd::Item(1))), "{err:?}");
    let err = link.send(Cmd::Item(2)).await.unwrap_err();
    assert!(err.is_refused() && !err.is_closed(), "{err}");
    assert_eq!(cmd_item(&err.into_inner()), 2);
    assert_eq!(link.credits(), 3);

    // Closed.
    assert!(node.kill(rx.pid()));
    rx.exited().await;
    let err = link.try_send(Cmd::Item(3)).unwrap_err();
    assert!(err.is_closed() && !err.is_refused(), "{err}");
    assert!(link.deliver(Cmd::Item(4)).await.unwrap_err().is_closed());
}

#[tokio::test(start_paused = true)]
async fn a_credit_link_tells_what_a_drop_policy_did_and_gets_the_credit_back() {
    let node = Node::new().unwrap();
    let (_rx, link, _gate) = held_consumer(&node, 1, Overflow::DropNewest, 4).await;
    assert_eq!(link.deliver(Cmd::Item(0)).await.unwrap(), Delivery::Queued);
    assert_eq!(link.deliver(Cmd::Item(1)).await.unwrap(), Delivery::DroppedNewest);
    assert_eq!(link.try_deliver(Cmd::Item(2)).unwrap(), Delivery::DroppedNewest);
    link.send(Cmd::Item(3)).await.unwrap();
    assert_eq!(link.credits(), 3, "a dropped message gives its credit back");

    let (_rx, link, _gate) = held_consumer(&node, 1, Overflow::DropOldest, 4).await;
    assert_eq!(link.try_deliver(Cmd::Item(0)).unwrap(), Delivery::Queued);
    assert_eq!(link.deliver(Cmd::Item(1)).await.unwrap(), Delivery::DroppedOldest);
    assert_eq!(link.credits(), 3, "the displaced message gave its credit back");
}
