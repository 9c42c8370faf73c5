//! Credit links: at most a window of unconsumed messages between two processes, and no credit
//! lost or invented when the receiver panics, is restarted, exits, or the sender goes away.
//! The receiver records what it gets in a list shared with the test (it survives restarts).
//! Commands travel on a second link (a link has its own window), and a `Sync` round trip on it
//! means every earlier message has been handled (paused current-thread runtimes throughout).

use std::collections::VecDeque;
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use foundation::message::{Credit, CreditLink, Credited, MAX_CREDITS};
use foundation::supervisor::{ChildSpec, RestartIntensity, SupervisorSpec};
use foundation::{BoxError, Context, ExitReason, Node, Process, ProcessRef};
use proptest::prelude::*;
use tokio::sync::oneshot;

enum Cmd {
    Item(u64),                         // recorded, then held or consumed per the mode
    Poison(u64),                       // recorded, then the handler panics
    Block(oneshot::Receiver<()>),      // the handler waits for the gate, credit in hand
    Release(usize),                    // consumes the oldest k held messages (or credits)
    Grant(usize),                      // Credited::grant on this message's own link
    GrantHeld(usize),                  // Credit::grant on the oldest held credit's link
    Sync(Option<oneshot::Sender<()>>), // answered once everything before it is handled
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Consume,    // items consumed at once
    Slow,       // each item takes 1 ms (virtual), then is recorded and consumed
    Hold,       // items kept whole, credit included
    HoldCredit, // items consumed, their credits kept apart (Credited::into_parts)
}

type Seen = Arc<Mutex<Vec<u64>>>;

struct Receiver {
    mode: Mode,
    seen: Seen,
    held: VecDeque<Credited<Cmd>>,
    credits: VecDeque<Credit>,
}

impl Receiver {
    fn new(mode: Mode, seen: &Seen) -> Self {
        Receiver { mode, seen: Arc::clone(seen), held: VecDeque::new(), credits: VecDeque::new() }
    }
}

impl Process for Receiver {
    type Message = Credited<Cmd>;

    async fn handle(
        &mut self,
        _ctx: &mut Context<Credited<Cmd>>,
        mut msg: Credited<Cmd>,
    ) -> Result<(), BoxError> {
        match &mut *msg {
            Cmd::Item(n) => {
                let n = *n;
                if self.mode == Mode::Slow {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                self.seen.lock().unwrap().push(n);
                match self.mode {
                    Mode::Hold => self.held.push_back(msg),
                    Mode::HoldCredit => self.credits.push_back(msg.into_parts().1),
                    Mode::Consume | Mode::Slow => {}
                }
            }
            Cmd::Poison(n) => {
                self.seen.lock().unwrap().push(*n);
                panic!("poisoned on purpose");
            }
            Cmd::Block(gate) => _ = gate.await,
            Cmd::Release(k) => {
                let k = *k;
                self.held.drain(..k.min(self.held.len()));
                self.credits.drain(..k.min(self.credits.len()));
            }
            Cmd::Grant(extra) => {
                let extra = *extra;
                msg.grant(extra);
            }
            Cmd::GrantHeld(extra) => self.credits.front().expect("a held credit").grant(*extra),
            Cmd::Sync(reply) => _ = reply.take().expect("one reply").send(()),
        }
        Ok(())
    }
}

fn spawn(node: &Node, mode: Mode) -> (ProcessRef<Credited<Cmd>>, Seen) {
    let seen = Seen::default();
    (node.spawn(Receiver::new(mode, &seen)).unwrap(), seen)
}

/// A supervisor (one-for-one) of one permanent receiver `"rx"`.
fn supervised(mode: Mode, seen: &Seen, max_restarts: u32) -> SupervisorSpec {
    let seen = Arc::clone(seen);
    SupervisorSpec::new()
        .intensity(RestartIntensity::new(max_restarts, Duration::from_secs(5)))
        .child(ChildSpec::worker("rx", move || Receiver::new(mode, &seen)))
}

/// Waits until the receiver has handled everything sent on `ctl` before.
async fn sync(ctl: &CreditLink<Cmd>) {
    let (tx, rx) = oneshot::channel();
    ctl.send(Cmd::Sync(Some(tx))).await.unwrap();
    rx.await.unwrap();
}

/// Waits for every credit of `link` to be back; fails (after 10 virtual minutes) if one never is.
async fn drained(link: &CreditLink<Cmd>) {
    let wait = Duration::from_secs(600);
    tokio::time::timeout(wait, link.drained()).await.expect("credits were lost");
    assert_eq!((link.credits(), link.in_flight()), (link.window(), 0));
}

fn seen(seen: &Seen) -> Vec<u64> {
    seen.lock().unwrap().clone()
}

fn stalls(node: &Node, rx: &ProcessRef<Credited<Cmd>>) -> u64 {
    node.process_info(rx.pid()).unwrap().messages.stalls
}

/// `(credits, in_flight, window)`.
fn state(link: &CreditLink<Cmd>) -> (usize, usize, usize) {
    (link.credits(), link.in_flight(), link.window())
}

fn push(link: &CreditLink<Cmd>, cmds: impl IntoIterator<Item = Cmd>) {
    cmds.into_iter().for_each(|cmd| link.try_send(cmd).unwrap());
}

fn assert_no_credit(link: &CreditLink<Cmd>, n: u64) {
    let err = link.try_send(Cmd::Item(n)).unwrap_err();
    assert!(err.is_no_credit(), "{err:?}");
    assert!(matches!(err.into_inner(), Cmd::Item(m) if m == n), "the message is given back");
}

async fn assert_closed(link: &CreditLink<Cmd>, n: u64) {
    let err = link.send(Cmd::Item(n)).await.unwrap_err();
    assert!(err.is_closed(), "{err:?}");
    assert!(matches!(err.into_inner(), Cmd::Item(m) if m == n), "the message is given back");
    let err = link.try_send(Cmd::Item(n)).unwrap_err();
    assert!(err.is_closed(), "{err:?}");
    assert!(matches!(err.into_inner(), Cmd::Item(m) if m == n), "the message is given back");
    assert_eq!(link.credits(), link.window(), "a failed send gives its credit back");
}

/// The receiver consumes everything it holds; then every credit of `link` must come back.
async fn release_all(ctl: &CreditLink<Cmd>, link: &CreditLink<Cmd>) {
    ctl.send(Cmd::Release(usize::MAX)).await.unwrap();
    drained(link).await;
}

#[tokio::test(start_paused = true)]
async fn a_link_needs_one_to_max_credits() {
    let node = Node::new().unwrap();
    let (rx, _) = spawn(&node, Mode::Consume);
    for credits in [0, MAX_CREDITS + 1] {
        let err = CreditLink::new(&rx, credits).unwrap_err();
        assert_eq!(err.field(), "credits", "{err:?}");
    }
    let link = CreditLink::new(&rx, 1).unwrap();
    assert_eq!((state(&link), link.pid()), ((1, 0, 1), rx.pid()));
}

#[tokio::test(start_paused = true)]
async fn at_most_a_window_of_messages_is_in_flight() {
    let node = Node::new().unwrap();
    let (rx, got) = spawn(&node, Mode::Hold);
    let ctl = CreditLink::new(&rx, 16).unwrap();
    let link = CreditLink::new(&rx, 3).unwrap();
    for n in 0..3 {
        link.try_send(Cmd::Item(n)).unwrap();
        assert_eq!(state(&link), (2 - n as usize, n as usize + 1, 3));
    }
    assert_no_credit(&link, 3);
    // Received is not consumed: the held messages keep their credits.
    sync(&ctl).await;
    assert_eq!(seen(&got), [0, 1, 2]);
    assert_eq!(state(&link), (0, 3, 3));
    assert_no_credit(&link, 3);
    assert_eq!(stalls(&node, &rx), 0);

    // A send with no credit waits (a stall) until the receiver consumes something.
    let mut send = pin!(link.send(Cmd::Item(3)));
    assert!(futures::poll!(send.as_mut()).is_pending());
    assert_eq!(stalls(&node, &rx), 1);
    ctl.send(Cmd::Release(2)).await.unwrap();
    send.await.unwrap();
    sync(&ctl).await;
    assert_eq!(seen(&got), [0, 1, 2, 3]);
    assert_eq!(state(&link), (1, 2, 3));
    assert_eq!(stalls(&node, &rx), 1);
    release_all(&ctl, &link).await;
}

#[tokio::test(start_paused = true)]
async fn send_all_and_send_stream_deliver_everything_once_in_order() {
    let node = Node::new().unwrap();
    let (rx, got) = spawn(&node, Mode::Slow);
    let link = CreditLink::new(&rx, 4).unwrap();
    assert_eq!(link.send_all((0..100).map(Cmd::Item)).await.unwrap(), 100);
    // The consumer is slower: the last sends are not consumed yet.
    assert!(link.in_flight() > 0 && seen(&got).len() < 100);
    link.drained().await;
    assert_eq!(seen(&got), (0..100).collect::<Vec<_>>(), "drained before all were consumed");
    assert_eq!(state(&link), (4, 0, 4));

    let stream = futures::stream::iter((100..200).map(Cmd::Item));
    assert_eq!(link.send_stream(stream).await.unwrap(), 100);
    assert!(link.in_flight() > 0 && seen(&got).len() < 200);
    link.drained().await;
    assert_eq!(seen(&got), (0..200).collect::<Vec<_>>(), "drained before all were consumed");
    assert_eq!(state(&link), (4, 0, 4));
    assert!(stalls(&node, &rx) > 0, "a window of 4 made the sender wait");
}

#[tokio::test(start_paused = true)]
async fn into_parts_keeps_the_credit_and_grants_widen_the_window() {
    let node = Node::new().unwrap();
    let (rx, got) = spawn(&node, Mode::HoldCredit);
    let ctl = CreditLink::new(&rx, 16).unwrap();
    let link = CreditLink::new(&rx, 2).unwrap();
    push(&link, [Cmd::Item(0), Cmd::Item(1)]);
    sync(&ctl).await;
    // The messages are consumed, their credits are not back.
    assert_eq!(seen(&got), [0, 1]);
    assert_eq!(state(&link), (0, 2, 2));
    assert_no_credit(&link, 2);

    // Credit::grant: three more, at once, with nothing consumed.
    ctl.send(Cmd::GrantHeld(3)).await.unwrap();
    sync(&ctl).await;
    assert_eq!(state(&link), (3, 2, 5));
    push(&link, (2..5).map(Cmd::Item));
    assert_no_credit(&link, 5);
    sync(&ctl).await;
    assert_eq!(seen(&got), [0, 1, 2, 3, 4]);
    assert_eq!(state(&link), (0, 5, 5));
    release_all(&ctl, &link).await;

    // Credited::grant, from a message of the link itself.
    link.try_send(Cmd::Grant(2)).unwrap();
    sync(&ctl).await;
    assert_eq!(state(&link), (7, 0, 7));
    push(&link, (5..12).map(Cmd::Item));
    assert_no_credit(&link, 12);
    sync(&ctl).await;
    assert_eq!(seen(&got), (0..12).collect::<Vec<_>>());
    release_all(&ctl, &link).await;
}

#[tokio::test(start_paused = true)]
async fn credits_survive_a_panic_and_a_restart() {
    let node = Node::new().unwrap();
    let got = Seen::default();
    let sup = node.spawn_supervisor(supervised(Mode::Hold, &got, 10)).await.unwrap();
    let rx = sup.child::<Credited<Cmd>>("rx").await.unwrap().unwrap();
    let first = rx.pid();
    let ctl = CreditLink::new(&rx, 16).unwrap();
    let link = CreditLink::new(&rx, 6).unwrap();
    push(&link, [Cmd::Item(0), Cmd::Item(1)]);
    sync(&ctl).await;
    // A crash, and two items queued behind it for the next incarnation.
    let (open, gate) = oneshot::channel();
    ctl.send(Cmd::Block(gate)).await.unwrap();
    push(&link, [Cmd::Poison(2), Cmd::Item(3), Cmd::Item(4)]);
    assert_eq!(state(&link), (1, 5, 6));
    open.send(()).unwrap();
    sync(&ctl).await;

    assert_ne!(rx.pid(), first, "restarted");
    assert_eq!(sup.which_children().await.unwrap()[0].restarts, 1);
    assert_eq!(seen(&got), [0, 1, 2, 3, 4]);
    // 0 and 1 went with the crashed incarnation, 2 with the panic; 3 and 4 are held anew.
    assert_eq!(state(&link), (4, 2, 6));
    release_all(&ctl, &link).await;
}

#[tokio::test(start_paused = true)]
async fn credits_come_back_when_the_receiver_exits_for_good() {
    let node = Node::new().unwrap();
    let got = Seen::default();
    let sup = node.spawn_supervisor(supervised(Mode::Hold, &got, 0)).await.unwrap();
    let rx = sup.child::<Credited<Cmd>>("rx").await.unwrap().unwrap();
    let ctl = CreditLink::new(&rx, 16).unwrap();
    let link = CreditLink::new(&rx, 6).unwrap();
    push(&link, [Cmd::Item(0)]);
    sync(&ctl).await;
    let (open, gate) = oneshot::channel();
    ctl.send(Cmd::Block(gate)).await.unwrap();
    push(&link, [Cmd::Poison(1), Cmd::Item(2), Cmd::Item(3)]);
    assert_eq!(state(&link), (2, 4, 6));
    open.send(()).unwrap();

    // No restart allowed: the address closes and its queued messages are dropped.
    assert!(rx.exited().await.is_panic());
    let _ = sup.exited().await;
    assert!(!rx.is_alive());
    drained(&link).await;
    assert_eq!(seen(&got), [0, 1]);
    assert_closed(&link, 9).await;

    // Killed: one held, one blocking its handler, two queued behind it.
    let (rx, got) = spawn(&node, Mode::Hold);
    let link = CreditLink::new(&rx, 5).unwrap();
    let (_open, gate) = oneshot::channel();
    push(&link, [Cmd::Item(0), Cmd::Block(gate), Cmd::Item(1), Cmd::Item(2)]);
    while node.process_info(rx.pid()).unwrap().mailbox_len > 2 {
        tokio::task::yield_now().await;
    }
    assert_eq!(seen(&got), [0]);
    assert_eq!(state(&link), (1, 4, 5));
    assert!(node.kill(rx.pid()));
    assert_eq!(rx.exited().await, ExitReason::Killed);
    drained(&link).await;
    assert_closed(&link, 3).await;
}

#[tokio::test(start_paused = true)]
async fn dropping_the_sender_leaves_messages_in_flight_untouched() {
    let node = Node::new().unwrap();
    let (rx, got) = spawn(&node, Mode::Hold);
    let ctl = CreditLink::new(&rx, 16).unwrap();
    let link = CreditLink::new(&rx, 4).unwrap();
    let early = link.clone();
    let (open, gate) = oneshot::channel();
    ctl.send(Cmd::Block(gate)).await.unwrap();
    let clone = link.clone();
    push(&link, [Cmd::Item(0)]);
    push(&clone, [Cmd::Item(1), Cmd::Item(2)]);
    assert_eq!(state(&early), (1, 3, 4), "clones share the credits");
    drop((link, clone));
    open.send(()).unwrap();
    sync(&ctl).await;
    assert_eq!(seen(&got), [0, 1, 2]);
    assert_eq!(state(&early), (1, 3, 4));
    release_all(&ctl, &early).await;

    // Every link and address gone mid-flight: the receiver still handles what was sent, then
    // ends for want of an address (it asked to end when unreferenced).
    let got = Seen::default();
    let rx =
        node.process().end_when_unreferenced().spawn(Receiver::new(Mode::Consume, &got)).unwrap();
    let pid = rx.pid();
    let link = CreditLink::new(&rx, 8).unwrap();
    drop(rx);
    let (open, gate) = oneshot::channel();
    push(&link, [Cmd::Block(gate)]);
    push(&link, (0..5).map(Cmd::Item));
    let clone = link.clone();
    drop((link, clone));
    open.send(()).unwrap();
    assert_eq!(node.wait_exit(pid).await, ExitReason::Normal);
    assert_eq!(seen(&got), [0, 1, 2, 3, 4]);
}

#[tokio::test(start_paused = true)]
async fn drained_waits_with_the_largest_window() {
    let node = Node::new().unwrap();
    let (rx, _) = spawn(&node, Mode::Hold);
    let ctl = CreditLink::new(&rx, 4).unwrap();
    let link = CreditLink::new(&rx, MAX_CREDITS).unwrap();
    push(&link, [Cmd::Item(0)]);
    sync(&ctl).await;
    assert_eq!(link.in_flight(), 1);
    let mut wait = pin!(link.drained());
    assert!(futures::poll!(wait.as_mut()).is_pending(), "drained with a message in flight");
    ctl.send(Cmd::Release(1)).await.unwrap();
    wait.await;
    assert_eq!(link.in_flight(), 0);
}

// Property: random sends, consumptions, crashes and new links, against a model.

#[derive(Clone, Debug)]
enum Op {
    Send(usize),    // try_send this many items on the current link
    Consume(usize), // the receiver consumes this many held items, oldest first, any link
    Crash(usize),   // a poisoned item (on the control link if no credit), then k items queued
    Relink(usize),  // the link is dropped and a new one made, with this window
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (1..=5usize).prop_map(Op::Send),
        3 => (1..=5usize).prop_map(Op::Consume),
        1 => (0..=3usize).prop_map(Op::Crash),
        1 => (1..=4usize).prop_map(Op::Relink),
    ]
}

/// `try_send`s `k` items, the model (`in_flight`) saying which are accepted; returns how many.
fn send_items(
    link: &CreditLink<Cmd>,
    k: usize,
    in_flight: usize,
    next: &mut u64,
    sent: &mut Vec<u64>,
) -> usize {
    let accepted = k.min(link.window() - in_flight); // the window is checked after every step
    for i in 0..k {
        if i < accepted {
            link.try_send(Cmd::Item(*next)).unwrap();
            sent.push(*next);
            assert_eq!(link.in_flight(), in_flight + i + 1);
        } else {
            assert_no_credit(link, *next);
        }
        *next += 1;
    }
    accepted
}

async fn check(mut window: usize, ops: Vec<Op>) {
    let node = Node::new().unwrap();
    let got = Seen::default();
    let sup = node.spawn_supervisor(supervised(Mode::Hold, &got, 1_000)).await.unwrap();
    let rx = sup.child::<Credited<Cmd>>("rx").await.unwrap().unwrap();
    let ctl = CreditLink::new(&rx, 64).unwrap();
    let mut link = CreditLink::new(&rx, window).unwrap();
    // Clones of the dropped links, to watch their credits; the current link is `link`.
    let mut old: Vec<(CreditLink<Cmd>, usize)> = Vec::new();
    // The model: the link (its generation) of each held item, oldest first.
    let mut held: VecDeque<usize> = VecDeque::new();
    let (mut sent, mut next, mut crashes) = (Vec::new(), 0, 0);
    let mine = |held: &VecDeque<usize>, g| held.iter().filter(|h| **h == g).count();
    for op in ops {
        match op {
            Op::Send(k) => {
                let accepted = send_items(&link, k, mine(&held, old.len()), &mut next, &mut sent);
                held.extend(std::iter::repeat_n(old.len(), accepted));
            }
            Op::Consume(k) => {
                ctl.send(Cmd::Release(k)).await.unwrap();
                held.drain(..k.min(held.len()));
            }
            Op::Crash(k) => {
                let mut in_flight = mine(&held, old.len());
                match link.try_send(Cmd::Poison(next)) {
                    Ok(()) => in_flight += 1,
                    Err(e) => {
                        assert!(e.is_no_credit() && in_flight == window, "{e:?}");
                        ctl.send(e.into_inner()).await.unwrap();
                    }
                }
                sent.push(next);
                next += 1;
                // Queued behind the poison: the next incarnation holds them.
                let queued = send_items(&link, k, in_flight, &mut next, &mut sent);
                crashes += 1;
                held.clear();
                held.extend(std::iter::repeat_n(old.len(), queued));
            }
            Op::Relink(w) => {
                old.push((link.clone(), window));
                link = CreditLink::new(&rx, w).unwrap();
                window = w;
            }
        }
        sync(&ctl).await;
        let n = mine(&held, old.len());
        assert_eq!(state(&link), (window - n, n, window));
        for (g, (link, window)) in old.iter().enumerate() {
            let n = mine(&held, g);
            assert_eq!(state(link), (window - n, n, *window), "a dropped link's credits");
        }
        assert_eq!(seen(&got), sent);
    }
    ctl.send(Cmd::Release(usize::MAX)).await.unwrap();
    for link in old.iter().map(|(l, _)| l).chain([&link, &ctl]) {
        drained(link).await;
    }
    assert_eq!(link.window(), window);
    assert_eq!(seen(&got), sent, "every item sent was received exactly once, in order");
    assert_eq!(sup.which_children().await.unwrap()[0].restarts, crashes);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn credits_are_exact_under_sends_consumption_crashes_and_relinks(
        window in 1..=4usize,
        ops in proptest::collection::vec(op(), 1..=24),
    ) {
        let mut rt = tokio::runtime::Builder::new_current_thread();
        rt.enable_all().start_paused(true).build().unwrap().block_on(check(window, ops));
    }
}
