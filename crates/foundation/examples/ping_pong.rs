//! Two processes bounce a counter; shows `send`, `call`, names, timers and `process_info`.
//!
//! Run: `cargo run --example ping_pong`

use std::time::Duration;

use foundation::{BoxError, Context, Node, Process, ProcessRef, ReplyTo};

enum Msg {
    Ball(u64, ProcessRef<Msg>),
    Report(ReplyTo<u64>),
    Tick,
}

#[derive(Default)]
struct Player {
    hits: u64,
}

impl Process for Player {
    type Message = Msg;

    async fn init(&mut self, ctx: &mut Context<Msg>) -> Result<(), BoxError> {
        ctx.send_interval(Duration::from_millis(100), || Msg::Tick)?;
        Ok(())
    }

    async fn handle(&mut self, ctx: &mut Context<Msg>, msg: Msg) -> Result<(), BoxError> {
        match msg {
            Msg::Ball(n, from) => {
                self.hits += 1;
                if n > 0 {
                    from.send(Msg::Ball(n - 1, ctx.myself())).await?;
                }
            }
            Msg::Report(reply) => {
                let _ = reply.reply(self.hits);
            }
            Msg::Tick => println!("{}: {} hits so far", ctx.pid(), self.hits),
        }
        Ok(())
    }
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let node = Node::new()?;
    let ping = node.process().name("ping").spawn(Player::default())?;
    let pong = node.process().name("pong").spawn(Player::default())?;

    ping.send(Msg::Ball(1_000_000, pong.clone())).await?;
    tokio::time::sleep(Duration::from_millis(350)).await;

    let hits = ping.call(Msg::Report).await? + pong.call(Msg::Report).await?;
    println!("total hits: {hits}");
    if let Some(info) = node.process_info(ping.pid()) {
        println!("ping: {info:?}");
    }
    node.shutdown(Duration::from_secs(5)).await;
    Ok(())
}
