//! A fast producer and a slow consumer, three ways: credits, an overflow policy, and a
//! broadcast of one shared payload; then what the analytics saw.
//!
//! Run: `cargo run --example flow_control`

use std::time::Duration;

use foundation::message::{Binary, CreditLink, Credited, MessageSize, Overflow, broadcast};
use foundation::{BoxError, Context, Node, Process};

/// Takes a while over each frame; reports frame sizes for the analytics.
struct Encoder;

impl Process for Encoder {
    type Message = Credited<Binary>;

    async fn handle(
        &mut self,
        _: &mut Context<Self::Message>,
        frame: Self::Message,
    ) -> Result<(), BoxError> {
        tokio::time::sleep(Duration::from_micros(200)).await;
        drop(frame); // consumed: its credit goes back to the producer
        Ok(())
    }

    fn message_size(frame: &Self::Message) -> Option<usize> {
        Some(frame.message_size())
    }
}

/// Keeps only the latest prices; slow on purpose.
struct Dashboard;

impl Process for Dashboard {
    type Message = u64;

    async fn handle(&mut self, _: &mut Context<u64>, _price: u64) -> Result<(), BoxError> {
        tokio::time::sleep(Duration::from_millis(1)).await;
        Ok(())
    }
}

/// Gets the shared configuration blob.
struct Subscriber;

impl Process for Subscriber {
    type Message = Binary;

    async fn handle(&mut self, _: &mut Context<Binary>, _config: Binary) -> Result<(), BoxError> {
        Ok(())
    }
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let node = Node::new()?;

    // 1. Credits: the producer never has more than 16 frames unconsumed, however fast it is.
    let encoder = node.spawn(Encoder)?;
    let link = CreditLink::new(&encoder, 16)?;
    let frame = Binary::build(64 * 1024, |buf| buf.resize(64 * 1024, 0xAB));
    let sent = link.send_all((0..500).map(|_| frame.clone())).await?;
    link.drained().await;
    let stats = node.process_info(encoder.pid()).expect("alive").messages;
    println!(
        "credits: sent {sent} frames of 64 KiB; the encoder got {} ({} MiB), {} sends waited for a credit, mailbox wait ~{:?}",
        stats.received,
        stats.bytes_received.unwrap_or(0) >> 20,
        stats.stalls,
        stats.mailbox_wait.unwrap_or_default(),
    );

    // 2. An overflow policy: a price feed where only recent values matter. The producer never
    //    waits; the oldest prices make room, and every drop is counted.
    let dashboard =
        node.process().mailbox_capacity(32).overflow(Overflow::DropOldest).spawn(Dashboard)?;
    for price in 0..2_000u64 {
        dashboard.send(price).await?;
    }
    let info = node.process_info(dashboard.pid()).expect("alive");
    println!(
        "overflow: 2,000 prices sent without waiting; {} dropped (oldest first), {} waiting",
        info.messages.dropped, info.mailbox_len
    );

    // 3. Broadcast: one 1 MiB blob to 1,000 subscribers, shared, not copied.
    let subscribers = (0..1_000).map(|_| node.spawn(Subscriber)).collect::<Result<Vec<_>, _>>()?;
    let config = Binary::build(1 << 20, |buf| buf.resize(1 << 20, 1));
    let report = broadcast(&subscribers, config)?;
    println!(
        "broadcast: delivered to {} of {}; shared heap holds {} MiB for all of them",
        report.delivered,
        subscribers.len(),
        foundation::message::shared_binary_bytes() >> 20,
    );

    node.shutdown(Duration::from_secs(5)).await;
    Ok(())
}
