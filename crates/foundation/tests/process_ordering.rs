//! Erlang's ordering between a pair of processes: everything one process sends another
//! (messages, exit signals, `Down`s) arrives in the order sent. A trapped exit and a `Down`
//! queue behind the sender's earlier messages; an untrapped exit signal and `kill` act at once.
//! (The `process` module's docs state the rule.)

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use foundation::message::Overflow;
use foundation::{
    BoxError, Context, ExitReason, MonitorRef, Node, Pid, Process, ProcessRef, ReplyTo,
};
use tokio::sync::oneshot;

/// What the recorder saw, in order.
#[derive(Clone, Debug, PartialEq)]
enum Seen {
    Note(u64, u32),
    Exit(Pid, ExitReason),
    Down(Pid, ExitReason),
}

enum Msg {
    /// A note from sender `id`, its `n`-th.
    Note(u64, u32),
    Log(ReplyTo<Vec<Seen>>),
    /// Waits in the handler until released.
    Block(ReplyTo<()>, oneshot::Receiver<()>),
    Monitor(Pid, ReplyTo<MonitorRef>),
    Link(Pid, ReplyTo<()>),
}

#[derive(Default)]
struct Recorder {
    log: Vec<Seen>,
    /// Notes handled, shared with the test (for a recorder that dies).
    handled: Arc<Mutex<u64>>,
}

impl Process for Recorder {
    type Message = Msg;

    async fn handle(&mut self, ctx: &mut Context<Msg>, msg: Msg) -> Result<(), BoxError> {
        match msg {
            Msg::Note(id, n) => {
                self.log.push(Seen::Note(id, n));
                *self.handled.lock().unwrap() += 1;
            }
            Msg::Log(reply) => drop(reply.reply(self.log.clone())),
            Msg::Block(entered, release) => {
                let _ = entered.reply(());
                let _ = release.await;
            }
            Msg::Monitor(pid, reply) => drop(reply.reply(ctx.monitor(pid))),
            Msg::Link(pid, reply) => {
                ctx.link(pid)?;
                let _ = reply.reply(());
            }
        }
        Ok(())
    }

    async fn handle_exit(
        &mut self,
        _ctx: &mut Context<Msg>,
        from: Pid,
        reason: ExitReason,
    ) -> Result<(), BoxError> {
        self.log.push(Seen::Exit(from, reason));
        Ok(())
    }

    async fn handle_down(
        &mut self,
        _ctx: &mut Context<Msg>,
        down: foundation::Down,
    ) -> Result<(), BoxError> {
        self.log.push(Seen::Down(down.pid, down.reason));
        Ok(())
    }
}

/// One step of a sender's script.
#[derive(Clone)]
enum Step {
    Note(u32),
    /// `exit(to, reason)`.
    Exit(ExitReason),
    /// Return an error from the handler.
    Fail,
}

/// Plays a script at a recorder when told to.
struct Sender {
    id: u64,
}

enum Go {
    Play(ProcessRef<Msg>, Vec<Step>),
}

impl Process for Sender {
    type Message = Go;

    async fn handle(&mut self, ctx: &mut Context<Go>, msg: Go) -> Result<(), BoxError> {
        let Go::Play(to, script) = msg;
        for step in script {
            match step {
                Step::Note(n) => to.send(Msg::Note(self.id, n)).await?,
                Step::Exit(reason) => {
                    ctx.exit(to.pid(), reason);
                }
                Step::Fail => return Err(format!("sender {} fails", self.id).into()),
            }
        }
        Ok(())
    }
}

fn trapping(node: &Node) -> ProcessRef<Msg> {
    node.process().trap_exit(true).spawn(Recorder::default()).unwrap()
}

async fn watch(recorder: &ProcessRef<Msg>, pid: Pid) {
    recorder.call(|r| Msg::Link(pid, r)).await.unwrap();
    recorder.call(|r| Msg::Monitor(pid, r)).await.unwrap();
}

fn notes(id: u64, n: u32) -> Vec<Seen> {
    (0..n).map(|i| Seen::Note(id, i)).collect()
}

/// A child that sends its result and then fails is seen to send its result before it is seen
/// dead: by its trapping link and by its monitor alike.
#[tokio::test(start_paused = true)]
async fn a_result_sent_before_a_failure_arrives_before_the_exit_and_the_down() {
    let node = Node::new().unwrap();
    let recorder = trapping(&node);
    let child = node.spawn(Sender { id: 7 }).unwrap();
    watch(&recorder, child.pid()).await;
    let script = vec![Step::Note(0), Step::Note(1), Step::Note(2), Step::Fail];
    child.send(Go::Play(recorder.clone(), script)).await.unwrap();
    let reason = child.exited().await;
    assert_eq!(reason, ExitReason::error("sender 7 fails"));

    let mut want = notes(7, 3);
    want.push(Seen::Exit(child.pid(), reason.clone()));
    want.push(Seen::Down(child.pid(), reason));
    assert_eq!(recorder.call(Msg::Log).await.unwrap(), want);
}

/// An exit signal sent with `exit/2` to a trapping process takes its place between the
/// sender's messages: after the ones sent before it, before the ones sent after it.
#[tokio::test(start_paused = true)]
async fn a_trapped_exit_signal_keeps_its_place_among_the_senders_messages() {
    let node = Node::new().unwrap();
    let recorder = trapping(&node);
    let sender = node.spawn(Sender { id: 1 }).unwrap();
    let script = vec![Step::Note(0), Step::Exit(ExitReason::shutdown_with("nudge")), Step::Note(1)];
    sender.send(Go::Play(recorder.clone(), script)).await.unwrap();
    // The sender's messages are all in before the log is asked for (it is the next in line).
    let log = loop {
        let log = recorder.call(Msg::Log).await.unwrap();
        if log.len() == 3 {
            break log;
        }
        tokio::task::yield_now().await;
    };
    assert_eq!(
        log,
        [
            Seen::Note(1, 0),
            Seen::Exit(sender.pid(), ExitReason::shutdown_with("nudge")),
            Seen::Note(1, 1)
        ]
    );
}

/// An exit signal the receiver does not trap acts at once, whatever is queued: the queued
/// messages are never handled, and the receiver ends with the signal's reason.
#[tokio::test(start_paused = true)]
async fn an_untrapped_exit_signal_acts_at_once() {
    let node = Node::new().unwrap();
    let handled = Arc::new(Mutex::new(0));
    let recorder =
        node.spawn(Recorder { handled: Arc::clone(&handled), ..Recorder::default() }).unwrap();
    let (release, gate) = oneshot::channel();
    recorder.call(|r| Msg::Block(r, gate)).await.unwrap();
    for n in 0..10 {
        recorder.send(Msg::Note(0, n)).await.unwrap();
    }
    assert!(node.exit(recorder.pid(), ExitReason::error("stop now")));
    assert_eq!(recorder.exited().await, ExitReason::error("stop now"));
    drop(release);
    assert_eq!(*handled.lock().unwrap(), 0, "queued messages were handled after the signal");
}

/// A trapped exit and a `Down` are never refused for want of room: they queue past a full
/// mailbox's bound, and count in its length.
#[tokio::test(start_paused = true)]
async fn ordered_signals_are_never_refused_for_want_of_room() {
    let node = Node::new().unwrap();
    let recorder =
        node.process().trap_exit(true).mailbox_capacity(1).spawn(Recorder::default()).unwrap();
    let child = node.spawn(Sender { id: 3 }).unwrap();
    watch(&recorder, child.pid()).await;
    let (release, gate) = oneshot::channel();
    recorder.call(|r| Msg::Block(r, gate)).await.unwrap();
    recorder.send(Msg::Note(0, 0)).await.unwrap();
    assert!(recorder.try_send(Msg::Note(0, 1)).unwrap_err().is_full());
    child.send(Go::Play(recorder.clone(), vec![Step::Fail])).await.unwrap();
    let reason = child.exited().await;
    assert_eq!(node.process_info(recorder.pid()).unwrap().mailbox_len, 3);
    release.send(()).unwrap();
    assert_eq!(
        recorder.call(Msg::Log).await.unwrap(),
        [
            Seen::Note(0, 0),
            Seen::Exit(child.pid(), reason.clone()),
            Seen::Down(child.pid(), reason)
        ]
    );
}

/// Under `DropOldest`, a `Down` that reaches the head of a full mailbox is not dropped: it is
/// handled before the messages queued behind it, which are the ones the policy keeps.
#[tokio::test(start_paused = true)]
async fn drop_oldest_never_drops_a_down_and_keeps_it_ahead_of_later_messages() {
    let node = Node::new().unwrap();
    let recorder = node
        .process()
        .mailbox_capacity(2)
        .overflow(Overflow::DropOldest)
        .spawn(Recorder::default())
        .unwrap();
    let child = node.spawn(Sender { id: 9 }).unwrap();
    recorder.call(|r| Msg::Monitor(child.pid(), r)).await.unwrap();
    let (release, gate) = oneshot::channel();
    recorder.call(|r| Msg::Block(r, gate)).await.unwrap();
    // The child's note, then its Down, fill the mailbox.
    child.send(Go::Play(recorder.clone(), vec![Step::Note(0), Step::Fail])).await.unwrap();
    let reason = child.exited().await;
    // Three more notes: the first displaces the child's note; the next finds the Down at the
    // head and displaces the note behind it instead.
    for n in 1..=3 {
        recorder.send(Msg::Note(0, n)).await.unwrap();
    }
    release.send(()).unwrap();
    let log = recorder.call(Msg::Log).await.unwrap();
    assert_eq!(log[0], Seen::Down(child.pid(), reason), "{log:?}");
    assert!(log[1..].iter().all(|s| matches!(s, Seen::Note(0, _))), "{log:?}");
    assert!(log.contains(&Seen::Note(0, 3)), "the newest note is kept: {log:?}");
    let dropped = node.process_info(recorder.pid()).unwrap().messages.dropped;
    assert_eq!(dropped as usize, 4 - (log.len() - 1), "every note is handled or counted");
}

/// Under load, on a multi-thread runtime: fifty senders each send two hundred notes and then
/// fail, all at once, to one trapping recorder that links to and monitors each. Whatever the
/// interleaving, each sender's notes arrive in order, all of them before its exit and its
/// `Down`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_load_every_senders_messages_precede_its_exit_and_down() {
    const SENDERS: u64 = 50;
    const NOTES: u32 = 200;
    let node = Node::new().unwrap();
    let recorder = node.process().trap_exit(true).unbounded_mailbox().spawn(Recorder::default());
    let recorder = recorder.unwrap();
    let mut senders = Vec::new();
    for id in 0..SENDERS {
        let sender = node.spawn(Sender { id }).unwrap();
        watch(&recorder, sender.pid()).await;
        senders.push(sender);
    }
    let script: Vec<Step> = (0..NOTES).map(Step::Note).chain([Step::Fail]).collect();
    for sender in &senders {
        sender.send(Go::Play(recorder.clone(), script.clone())).await.unwrap();
    }
    for sender in &senders {
        sender.exited().await;
    }
    let ids: HashMap<Pid, u64> = senders.iter().zip(0..).map(|(s, id)| (s.pid(), id)).collect();
    let log = loop {
        let log = recorder.call(Msg::Log).await.unwrap();
        if log.len() == (SENDERS as usize) * (NOTES as usize + 2) {
            break log;
        }
        tokio::task::yield_now().await;
    };
    let mut next = vec![0u32; SENDERS as usize];
    let mut ended = vec![(false, false); SENDERS as usize];
    for seen in &log {
        match seen {
            Seen::Note(id, n) => {
                let i = *id as usize;
                assert!(!ended[i].0 && !ended[i].1, "sender {id}'s note {n} came after its end");
                assert_eq!(*n, next[i], "sender {id}'s notes out of order");
                next[i] += 1;
            }
            Seen::Exit(pid, _) => {
                let i = ids[pid] as usize;
                assert_eq!(next[i], NOTES, "sender {i}'s exit overtook its notes");
                ended[i].0 = true;
            }
            Seen::Down(pid, _) => {
                let i = ids[pid] as usize;
                assert_eq!(next[i], NOTES, "sender {i}'s Down overtook its notes");
                ended[i].1 = true;
            }
        }
    }
    assert!(ended.iter().all(|(exit, down)| *exit && *down));
}
