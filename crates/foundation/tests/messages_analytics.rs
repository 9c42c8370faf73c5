//! Message analytics read against tokio's paused clock: time in the mailbox and rates.

use std::time::Duration;

use foundation::{BoxError, Context, Node, Process, ReplyTo};

enum Msg {
    Work,
    Done(ReplyTo<()>),
}

/// Takes one millisecond (of the paused clock) per message.
struct Slow;

impl Process for Slow {
    type Message = Msg;

    async fn handle(&mut self, _ctx: &mut Context<Msg>, msg: Msg) -> Result<(), BoxError> {
        match msg {
            Msg::Work => tokio::time::sleep(Duration::from_millis(1)).await,
            Msg::Done(reply) => {
                let _ = reply.reply(());
            }
        }
        Ok(())
    }
}

/// 1,100 messages queued at once and handled at 1 ms each: the first sample (at the first
/// message) times the message then last in the mailbox, the 1,100th, sent at t = 0 and
/// taken at t ≈ 1,099 ms, from the sample's start at t ≈ 1 ms.
#[tokio::test(start_paused = true)]
async fn the_mailbox_wait_is_sampled_from_the_message_last_in_line() {
    let node = Node::new().unwrap();
    let slow = node.process().mailbox_capacity(2048).spawn(Slow).unwrap();
    for _ in 0..1100 {
        slow.try_send(Msg::Work).unwrap_or_else(|_| panic!("room for all"));
    }
    slow.call(Msg::Done).await.unwrap();
    let stats = node.process_info(slow.pid()).unwrap().messages;
    let wait = stats.mailbox_wait.expect("a sample completed");
    assert!(
        wait >= Duration::from_millis(1000) && wait <= Duration::from_millis(1100),
        "sampled wait {wait:?}; the message waited about 1,099 ms"
    );
    assert_eq!(stats.received, 1101);
}

/// Rates cover the most recent window of at least a second.
#[tokio::test(start_paused = true)]
async fn rates_cover_the_last_second_or_more() {
    let node = Node::new().unwrap();
    let slow = node.process().mailbox_capacity(4096).spawn(Slow).unwrap();
    for _ in 0..3000 {
        slow.try_send(Msg::Work).unwrap_or_else(|_| panic!("room for all"));
    }
    slow.call(Msg::Done).await.unwrap();
    let stats = node.process_info(slow.pid()).unwrap().messages;
    // One message per millisecond: about 1,000 per second, whichever window closed last.
    assert!(
        (900.0..=1100.0).contains(&stats.received_per_sec),
        "received_per_sec {}",
        stats.received_per_sec
    );
    // Quiet for a while: the open window, now two seconds and more, shows the slowdown.
    tokio::time::sleep(Duration::from_secs(10)).await;
    let quiet = node.process_info(slow.pid()).unwrap().messages.received_per_sec;
    assert!(quiet < stats.received_per_sec / 2.0, "after 10 s of nothing: {quiet}");
}
