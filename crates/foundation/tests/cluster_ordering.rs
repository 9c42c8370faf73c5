//! A pair's order across nodes: what one process sends another, messages and signals, arrives
//! in the order it was sent, even when the messages wait in the sender's node (a small send
//! buffer keeps them queued there) and the signal would otherwise go first.

mod common;

use common::cluster::{config, up};
use foundation::cluster::Cluster;
use foundation::{BoxError, Context, ExitReason, Pid, Process, ProcessRef, ReplyTo};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
enum Rec {
    Item(u32),
    Get(ReplyTo<Vec<Seen>>),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
enum Seen {
    Item(u32),
    Exit,
}

/// Traps exits and keeps what it receives, in order.
#[derive(Default)]
struct Recorder(Vec<Seen>);

impl Process for Recorder {
    type Message = Rec;
    async fn init(&mut self, ctx: &mut Context<Rec>) -> Result<(), BoxError> {
        ctx.trap_exit(true);
        Ok(())
    }
    async fn handle(&mut self, _ctx: &mut Context<Rec>, msg: Rec) -> Result<(), BoxError> {
        match msg {
            Rec::Item(n) => self.0.push(Seen::Item(n)),
            Rec::Get(reply) => drop(reply.reply(self.0.clone())),
        }
        Ok(())
    }
    async fn handle_exit(
        &mut self,
        _ctx: &mut Context<Rec>,
        _from: Pid,
        _reason: ExitReason,
    ) -> Result<(), BoxError> {
        self.0.push(Seen::Exit);
        Ok(())
    }
}

/// Links to the recorder, sends it `n` items, then crashes: the exit signal must come last.
struct Burst {
    to: ProcessRef<Rec>,
    n: u32,
}

impl Process for Burst {
    type Message = ();
    async fn handle(&mut self, ctx: &mut Context<()>, (): ()) -> Result<(), BoxError> {
        ctx.link(self.to.pid())?;
        for i in 0..self.n {
            self.to.send(Rec::Item(i)).await?;
        }
        Err("done, and crashing".into())
    }
}

async fn small_pair() -> (Cluster, Cluster) {
    // A frame budget of a few messages: most of a burst waits in the sender's address.
    let small = |name| config(name).insecure_plaintext().max_frame(1024).send_buffer(1024);
    let a = small("a").start().await.unwrap();
    let b = small("b").start().await.unwrap();
    let mut events = b.node_events();
    a.connect(b.listen_addr().unwrap()).await.unwrap();
    up(&b, &mut events, "a").await;
    (a, b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exit_signal_arrives_after_the_messages_sent_before_it() {
    let (a, b) = small_pair().await;
    let recorder = b.node().spawn(Recorder::default()).unwrap();
    b.export("recorder", &recorder);
    for round in 0..5 {
        let to = a.lookup::<Rec>(b.name(), "recorder").await.unwrap();
        let n = 2_000;
        let burst = a.node().spawn(Burst { to, n }).unwrap();
        burst.send(()).await.unwrap();
        let reason = burst.exited().await;
        assert!(reason.to_string().contains("crashing"), "{reason}");
        let expected: Vec<Seen> =
            (0..round + 1).flat_map(|_| (0..n).map(Seen::Item).chain([Seen::Exit])).collect();
        // Wait (10 s at most) until the recorder has as much as it should.
        let seen = tokio::time::timeout(std::time::Duration::from_secs(10), async {
            loop {
                let seen = recorder.call(Rec::Get).await.unwrap();
                if seen.len() >= expected.len() {
                    return seen;
                }
                tokio::task::yield_now().await;
            }
        })
        .await
        .expect("every item and the exit within 10 s");
        assert_eq!(seen.len(), expected.len(), "round {round}: every item, once");
        assert!(seen == expected, "round {round}: the exit overtook an item");
    }
}
