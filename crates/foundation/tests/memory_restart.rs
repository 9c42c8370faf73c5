//! A restarted process starts on a fresh memory account, as a restarted BEAM process starts
//! with a fresh heap: what an earlier incarnation handed to others is no longer its own, so a
//! process under a limit cannot come back over its limit and die again at once, in a loop.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use foundation::memory::AccountingAllocator;
use foundation::supervisor::{ChildSpec, RestartIntensity, SupervisorSpec};
use foundation::{BoxError, Context, Node, Pid, Process, ReplyTo};

#[global_allocator]
static ALLOCATOR: AccountingAllocator = AccountingAllocator::new();

const LIMIT: u64 = 16 << 20;
/// About 60% of the limit.
const WORK: usize = (LIMIT as usize) / 10 * 6;

enum Msg {
    /// Allocate a working set of [`WORK`] bytes.
    Fill,
    /// Hand the working set over to the shared shelf, outside the process.
    Park,
    Crash,
    Ping(ReplyTo<()>),
}

struct Parker {
    shelf: Arc<Mutex<Vec<Vec<u8>>>>,
    work: Vec<u8>,
}

impl Process for Parker {
    type Message = Msg;

    async fn handle(&mut self, _ctx: &mut Context<Msg>, msg: Msg) -> Result<(), BoxError> {
        match msg {
            Msg::Fill => self.work = vec![1; WORK],
            Msg::Park => self.shelf.lock().unwrap().push(std::mem::take(&mut self.work)),
            Msg::Crash => return Err("crash on purpose".into()),
            Msg::Ping(reply) => {
                let _ = reply.reply(());
            }
        }
        Ok(())
    }
}

/// The process's figure and its peak.
fn memory(node: &Node, pid: Pid) -> (u64, u64) {
    let info = node.process_info(pid).unwrap();
    (info.memory.unwrap(), info.memory_peak.unwrap())
}

#[tokio::test(start_paused = true)]
async fn a_restarted_process_does_not_inherit_what_its_last_incarnation_handed_away() {
    let node = Node::new().unwrap();
    let shelf: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    let for_child = Arc::clone(&shelf);
    let parker = ChildSpec::worker("parker", move || Parker {
        shelf: Arc::clone(&for_child),
        work: Vec::new(),
    })
    .memory_limit(LIMIT);
    let spec = SupervisorSpec::new()
        .intensity(RestartIntensity::new(3, Duration::from_secs(5)))
        .child(parker);
    let sup = node.spawn_supervisor(spec).await.unwrap();
    let child = sup.child::<Msg>("parker").await.unwrap().unwrap();
    let first = child.pid();

    child.send(Msg::Fill).await.unwrap();
    child.send(Msg::Park).await.unwrap();
    child.call(Msg::Ping).await.unwrap();
    // Parked outside the process, the bytes are still charged to the incarnation that made them.
    assert!(memory(&node, first).0 >= WORK as u64);

    child.send(Msg::Crash).await.unwrap();
    child.call(Msg::Ping).await.unwrap(); // answered by the next incarnation
    let second = child.pid();
    assert_ne!(second, first);
    let (fresh, peak) = memory(&node, second);
    assert!(fresh < LIMIT / 10, "the next incarnation starts holding {fresh} bytes");
    assert!(peak < LIMIT / 10, "and its peak starts afresh: {peak} bytes");

    // It can use its working set again without being ended for its predecessor's bytes.
    child.send(Msg::Fill).await.unwrap();
    child.call(Msg::Ping).await.unwrap();
    assert_eq!(child.pid(), second, "not restarted again");
    let (working, _) = memory(&node, second);
    assert!((WORK as u64..LIMIT).contains(&working), "{working}");
    assert_eq!(sup.which_children().await.unwrap()[0].restarts, 1);
    assert_eq!(shelf.lock().unwrap().len(), 1, "the parked bytes are still there");
}
