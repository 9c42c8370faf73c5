//! Compile-time checks that the public handles, values and errors can cross threads and tasks.
//!
//! Every item below is moved into, or shared between, tokio tasks by real code (a `Node` is
//! cloned into every process; addresses, pids and exit reasons travel in messages; timers and
//! call errors are returned from handlers). If one of them loses `Send` or `Sync`, this file
//! stops compiling.

use std::cell::Cell;
use std::time::Duration;

use foundation::message::{CreditTrySendError, Delivery};
use foundation::registry::{GroupEvent, GroupEventKind, GroupMonitor, RecvError};
use foundation::{
    BoxError, CallError, ConfigError, Context, Down, ExitReason, Groups, LinkError, MonitorRef,
    Name, Node, NodeError, Pid, Process, ProcessBuilder, ProcessInfo, ProcessRef, ProcessStatus,
    RegisterError, Registry, ReplyTo, SendError, SendTimeoutError, ShutdownReport, SpawnError,
    TimerRef, TrySendError, WeakProcessRef,
};

fn send_sync<T: Send + Sync>() {}

fn send<T: Send>(_: &T) {}

/// A message type that is `Send` but not `Sync`: addresses must still be `Send + Sync`, since
/// only one task (the receiver) ever touches a message at a time.
struct NotSync(Cell<u32>);

struct Sink;

impl Process for Sink {
    type Message = NotSync;

    async fn handle(&mut self, _ctx: &mut Context<NotSync>, msg: NotSync) -> Result<(), BoxError> {
        msg.0.set(msg.0.get() + 1);
        Ok(())
    }
}

struct Echo;

impl Process for Echo {
    type Message = (u64, ReplyTo<u64>);

    async fn handle(
        &mut self,
        _ctx: &mut Context<Self::Message>,
        (n, reply): Self::Message,
    ) -> Result<(), BoxError> {
        let _ = reply.reply(n);
        Ok(())
    }
}

#[test]
fn handles_values_and_errors_are_send_and_sync() {
    send_sync::<Node>();
    send_sync::<ProcessRef<u64>>();
    send_sync::<ProcessRef<NotSync>>();
    send_sync::<WeakProcessRef<u64>>();
    send_sync::<WeakProcessRef<NotSync>>();
    send_sync::<Pid>();
    send_sync::<MonitorRef>();
    send_sync::<ExitReason>();
    send_sync::<Down>();
    send_sync::<ReplyTo<u64>>();
    send_sync::<ReplyTo<NotSync>>();
    send_sync::<TimerRef>();
    send_sync::<ConfigError>();
    send_sync::<CallError>();
    send_sync::<ProcessInfo>();
    send_sync::<ProcessStatus>();
    send_sync::<Name>();
    send_sync::<ShutdownReport>();
    send_sync::<SpawnError>();
    send_sync::<RegisterError>();
    send_sync::<LinkError>();
    send_sync::<NodeError>();
    send_sync::<SendError<u64>>();
    send_sync::<TrySendError<u64>>();
    send_sync::<SendTimeoutError<u64>>();
    send_sync::<Delivery>();
    send_sync::<CreditTrySendError<u64>>();
    send_sync::<Registry<'static>>();
    send_sync::<Groups<'static>>();
    send_sync::<GroupMonitor>();
    send_sync::<GroupEvent>();
    send_sync::<GroupEventKind>();
    send_sync::<RecvError>();
    send_sync::<ProcessBuilder>();
    send_sync::<Context<u64>>();
}

#[test]
fn errors_are_std_errors_usable_as_box_error() {
    fn is_error<E: std::error::Error + Send + Sync + 'static>() {}
    is_error::<CallError>();
    is_error::<SpawnError>();
    is_error::<RegisterError>();
    is_error::<LinkError>();
    is_error::<NodeError>();
    is_error::<ConfigError>();
    is_error::<SendError<u64>>();
    is_error::<TrySendError<u64>>();
    is_error::<SendTimeoutError<u64>>();
    is_error::<CreditTrySendError<u64>>();
    is_error::<RecvError>();
}

/// The futures of the public async API can be spawned on a multi-threaded runtime.
#[tokio::test]
async fn public_futures_are_send() {
    let node = Node::new().unwrap();
    let sink = node.spawn(Sink).unwrap();
    let pid = sink.pid();

    let exited = sink.exited();
    send(&exited);
    let sent = sink.send(NotSync(Cell::new(0)));
    send(&sent);
    let timed = sink.send_timeout(NotSync(Cell::new(0)), Duration::from_secs(1));
    send(&timed);
    let delivered = sink.deliver(NotSync(Cell::new(0)));
    send(&delivered);
    let wait = node.wait_exit(pid);
    send(&wait);
    let stop = node.stop(pid, Duration::from_secs(1));
    send(&stop);
    let shutdown = node.shutdown(Duration::from_secs(1));
    send(&shutdown);
    let (mut monitor, _) = node.groups().monitor("g");
    let heard = monitor.recv();
    send(&heard);
    drop((exited, sent, timed, delivered, wait, stop, heard));

    let echo = node.spawn(Echo).unwrap();
    let call = echo.call(|r| (7, r));
    send(&call);
    assert_eq!(call.await.unwrap(), 7);

    // The checked futures really run: the shutdown ends the sink.
    let report = shutdown.await;
    assert_eq!(report.stopped, 2);
    assert_eq!(sink.exited().await, ExitReason::Shutdown(None));
}
