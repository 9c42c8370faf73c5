//! Sending, calling, mailbox bounds and process ends, through the public API.

use std::time::Duration;

use foundation::{BoxError, Context, ExitReason, Node, Process, ReplyTo};

enum Msg {
    Add(u64),
    Total(ReplyTo<u64>),
    Ignore(ReplyTo<u64>),
    Sleep(Duration),
    Fail,
    Panic,
    Stop,
}

struct Counter(u64);

impl Process for Counter {
    type Message = Msg;

    async fn handle(&mut self, ctx: &mut Context<Msg>, msg: Msg) -> Result<(), BoxError> {
        match msg {
            Msg::Add(n) => self.0 += n,
            Msg::Total(reply) => {
                let _ = reply.reply(self.0);
            }
            Msg::Ignore(reply) => drop(reply),
            Msg::Sleep(d) => tokio::time::sleep(d).await,
            Msg::Fail => return Err("deliberate failure".into()),
            Msg::Panic => panic!("Simulated error"),
            Msg::Stop => ctx.stop(ExitReason::Normal),
        }
        Ok(())
    }
}

#[tokio::test]
async fn send_then_call_sees_every_message_in_order() {
    let node = Node::new().unwrap();
    let counter = node.spawn(Counter(0)).unwrap();
    for n in 1..=100 {
        counter.send(Msg::Add(n)).await.unwrap();
    }
    assert_eq!(counter.call(Msg::Total).await.unwrap(), 5050);
    let info = node.process_info(counter.pid()).unwrap();
    assert_eq!(info.messages_handled, 101);
    assert_eq!(info.memory, None, "memory is never guessed");
}

#[tokio::test]
async fn panic_in_handler_becomes_exit_reason_and_node_survives() {
    let node = Node::new().unwrap();
    let victim = node.spawn(Counter(0)).unwrap();
    let bystander = node.spawn(Counter(7)).unwrap();
    victim.send(Msg::Panic).await.unwrap();
    let reason = victim.exited().await;
    assert!(matches!(&reason, ExitReason::Panicked(m) if &**m == "Simulated error"), "{reason:?}");
    assert_eq!(bystander.call(Msg::Total).await.unwrap(), 7);
}

#[tokio::test]
async fn error_from_handler_ends_process_with_error_reason() {
    let node = Node::new().unwrap();
    let p = node.spawn(Counter(0)).unwrap();
    p.send(Msg::Fail).await.unwrap();
    let reason = p.exited().await;
    assert_eq!(reason.to_string(), "error: deliberate failure");
}

#[tokio::test]
async fn send_to_dead_process_returns_the_message() {
    let node = Node::new().unwrap();
    let p = node.spawn(Counter(0)).unwrap();
    p.send(Msg::Stop).await.unwrap();
    assert_eq!(p.exited().await, ExitReason::Normal);
    let err = p.send(Msg::Add(5)).await.unwrap_err();
    assert!(matches!(err.into_inner(), Msg::Add(5)));
    let err = p.try_send(Msg::Add(6)).unwrap_err();
    assert!(err.is_closed());
    assert!(matches!(err.into_inner(), Msg::Add(6)));
}

#[tokio::test(start_paused = true)]
async fn call_to_dead_process_fails_at_once_with_reason() {
    let node = Node::new().unwrap();
    let p = node.spawn(Counter(0)).unwrap();
    p.send(Msg::Panic).await.unwrap();
    p.exited().await;
    let started = tokio::time::Instant::now();
    let err = p.call(Msg::Total).await.unwrap_err();
    assert!(err.is_no_process(), "{err}");
    assert!(err.exit_reason().unwrap().is_panic());
    assert_eq!(started.elapsed(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn dropped_reply_fails_the_call_at_once() {
    let node = Node::new().unwrap();
    let p = node.spawn(Counter(0)).unwrap();
    let started = tokio::time::Instant::now();
    let err = p.call(Msg::Ignore).await.unwrap_err();
    assert!(err.is_no_reply(), "{err}");
    assert_eq!(started.elapsed(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn call_times_out_after_default_five_seconds() {
    let node = Node::new().unwrap();
    let p = node.spawn(Counter(0)).unwrap();
    p.send(Msg::Sleep(Duration::from_secs(60))).await.unwrap();
    let started = tokio::time::Instant::now();
    let err = p.call(Msg::Total).await.unwrap_err();
    assert!(err.is_timeout());
    assert_eq!(started.elapsed(), Duration::from_secs(5));
}

#[tokio::test(start_paused = true)]
async fn bounded_mailbox_pushes_back_and_gives_messages_back() {
    let node = Node::new().unwrap();
    let p = node.process().mailbox_capacity(2).spawn(Counter(0)).unwrap();
    // Occupy the process so the mailbox fills.
    p.send(Msg::Sleep(Duration::from_secs(10))).await.unwrap();
    tokio::task::yield_now().await;
    p.try_send(Msg::Add(1)).unwrap();
    p.try_send(Msg::Add(2)).unwrap();
    let full = p.try_send(Msg::Add(3)).unwrap_err();
    assert!(full.is_full());
    let timed_out = p.send_timeout(Msg::Add(3), Duration::from_secs(1)).await.unwrap_err();
    assert!(timed_out.is_timeout());
    assert!(matches!(timed_out.into_inner(), Msg::Add(3)));
    // Once the sleeper is done, room opens and a waiting send goes through.
    p.send(Msg::Add(3)).await.unwrap();
    assert_eq!(p.call(Msg::Total).await.unwrap(), 6);
}

#[tokio::test]
async fn zero_capacity_is_a_typed_error() {
    let node = Node::new().unwrap();
    let err = node.process().mailbox_capacity(0).spawn(Counter(0)).unwrap_err();
    assert!(err.to_string().contains("mailbox_capacity"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn dropping_every_address_ends_only_a_process_that_asked_for_it() {
    let node = Node::new().unwrap();
    // By default a process lives until it exits, as on the BEAM.
    let p = node.spawn(Counter(0)).unwrap();
    let (weak, pid) = (p.downgrade(), p.pid());
    drop(p);
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert!(node.is_alive(pid));
    let again = weak.upgrade().expect("still reachable");
    again.send(Msg::Add(2)).await.unwrap();
    assert_eq!(again.call(Msg::Total).await.unwrap(), 2);

    // Opted in: it ends, normally, once the last address is gone and its mailbox is empty.
    let p = node.process().end_when_unreferenced().spawn(Counter(0)).unwrap();
    let (weak, pid) = (p.downgrade(), p.pid());
    drop(p);
    assert_eq!(node.wait_exit(pid).await, ExitReason::Normal);
    assert!(weak.upgrade().is_none());
}
