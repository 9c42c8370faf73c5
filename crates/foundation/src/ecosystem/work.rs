//! Handing out work with acknowledgements: nothing acknowledged is lost, nothing handed out is
//! forgotten.
//!
//! A [`Dispatcher`] hands each payload to a worker as a [`Job`]. The worker calls
//! [`Job::ack`] when the work is done. A job that is dropped without an acknowledgement (its
//! worker crashed while handling it, its worker is gone for good and its mailbox was dropped,
//! or the worker simply dropped it) goes back to the dispatcher, which hands it to another
//! live worker.
//!
//! The guarantee, where jobs wait and what a job costs are on [`Dispatcher`].

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Weak};
use std::time::Duration;

use event_listener::{Event, EventListener};
use parking_lot::Mutex;
use tokio::time::Instant;

use crate::ecosystem::members::Backlog;
use crate::ecosystem::{CoordinatorStart, Members};
use crate::{ProcessRef, TrySendError};

/// How many workers a job is offered to, without waiting, before the dispatcher waits for room.
const OFFERS: usize = 8;

/// A piece of work, owned by the worker handling it until it calls [`ack`](Job::ack).
pub struct Job<T: Send + 'static> {
    id: u64,
    payload: Option<T>,
    ledger: Arc<dyn Ledger<T>>,
}

impl<T: Send + 'static> Job<T> {
    /// The job's id: the same every time the job is handed out again.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The work.
    pub fn payload(&self) -> &T {
        self.payload.as_ref().expect("a job's payload is present until it is acknowledged")
    }

    /// The work, to change it (progress kept if the job goes round again).
    pub fn payload_mut(&mut self) -> &mut T {
        self.payload.as_mut().expect("a job's payload is present until it is acknowledged")
    }

    /// The work is done: the job will not be handed out again. Returns the payload.
    pub fn ack(mut self) -> T {
        let payload = self.payload.take().expect("a job is acknowledged once");
        self.ledger.acked(self.id);
        payload
    }
}

impl<T: Send + 'static> Drop for Job<T> {
    fn drop(&mut self) {
        if let Some(payload) = self.payload.take() {
            self.ledger.returned(self.id, payload);
        }
    }
}

impl<T: Send + 'static> fmt::Debug for Job<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Job").field("id", &self.id).finish_non_exhaustive()
    }
}

trait Ledger<T>: Send + Sync {
    fn acked(&self, id: u64);
    fn returned(&self, id: u64, payload: T);
}

/// Counts of a dispatcher's work.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WorkStats {
    /// Jobs handed in with [`Dispatcher::dispatch`].
    pub dispatched: u64,
    /// Jobs acknowledged.
    pub acked: u64,
    /// Times a job came back unacknowledged and was handed out again.
    pub returned: u64,
    /// Jobs not yet acknowledged (waiting to be sent, in a mailbox, or being handled).
    pub outstanding: u64,
    /// Jobs waiting to be sent.
    pub pending: usize,
    /// How long the oldest job waiting to be sent has waited (since it was dispatched, or since
    /// it came back); `None` when none waits.
    pub oldest_wait: Option<Duration>,
}

/// A job waiting to be sent, and since when.
struct Waiting<T> {
    id: u64,
    payload: T,
    since: Instant,
}

struct State<T> {
    next_id: u64,
    pending: VecDeque<Waiting<T>>,
    stats: WorkStats,
}

impl<T> State<T> {
    /// Queues a job; the queue lives on the shared heap, not on the caller's account.
    fn push(&mut self, waiting: Waiting<T>, front: bool) {
        let _shared_heap = crate::memory::ChargeTo::new(crate::memory::RUNTIME);
        if front {
            self.pending.push_front(waiting);
        } else {
            self.pending.push_back(waiting);
        }
    }
}

/// The workers a dispatcher hands jobs to: an ecosystem's members, seen without the
/// coordinator's message type.
trait Workers<WM>: Send + Sync {
    fn version(&self) -> u64;
    fn snapshot(&self) -> Vec<ProcessRef<WM>>;
    fn listen(&self) -> EventListener;
}

impl<CM: Send + 'static, WM: Send + 'static> Workers<WM> for Members<CM, WM> {
    fn version(&self) -> u64 {
        Members::version(self)
    }

    fn snapshot(&self) -> Vec<ProcessRef<WM>> {
        self.workers()
    }

    fn listen(&self) -> EventListener {
        self.listen_changes()
    }
}

struct Inner<T: Send + 'static, WM> {
    workers: Box<dyn Workers<WM>>,
    wrap: Box<dyn Fn(Job<T>) -> WM + Send + Sync>,
    state: Mutex<State<T>>,
    work: Event,
    /// Itself, for the jobs it makes.
    me: Weak<Inner<T, WM>>,
}

impl<T: Send + 'static, WM: Send + 'static> Ledger<T> for Inner<T, WM> {
    fn acked(&self, _id: u64) {
        let mut state = self.state.lock();
        state.stats.acked += 1;
        state.stats.outstanding -= 1;
    }

    fn returned(&self, id: u64, payload: T) {
        let mut state = self.state.lock();
        state.stats.returned += 1;
        state.push(Waiting { id, payload, since: Instant::now() }, false);
        drop(state);
        self.work.notify(1);
    }
}

impl<T: Send + 'static, WM> Drop for Inner<T, WM> {
    fn drop(&mut self) {
        // The pump may be waiting: let it find the dispatcher gone and end.
        self.work.notify(usize::MAX);
    }
}

impl<T: Send + 'static, WM: Send + 'static> Backlog for Inner<T, WM> {
    fn backlog(&self) -> (usize, Option<Duration>) {
        let state = self.state.lock();
        (state.pending.len(), state.pending.front().map(|w| w.since.elapsed()))
    }
}

/// Hands work to an ecosystem's workers with acknowledgements: a [`Job`] dropped without
/// [`Job::ack`] comes back and goes to another live worker.
///
/// # The guarantee: at-least-once execution, at-most-once acknowledgement
///
/// There is only ever one `Job` for a piece of work, so a job is acknowledged **at most
/// once**, and it is handed out again until it is, so it runs **at least once**. It can run
/// more than once: a worker that did the work (and, say, recorded its result somewhere) but
/// died, or failed to confirm the result, before calling [`Job::ack`] drops the job, and the
/// work is done again by another worker. This is the guarantee of any queue with
/// acknowledgements; "exactly once" is not something a dispatcher can promise on its own.
/// What gives **exactly-once effects** is an idempotent ledger: record each result under its
/// [`Job::id`] (the same every time the job is handed out), and let a second write of the
/// same id change nothing. `foundation demo` does exactly this, and reports the jobs that ran
/// twice and why.
///
/// # Where jobs wait
///
/// Jobs waiting in a worker's mailbox when the worker is restarted stay there for its next
/// incarnation (addresses are stable), so only the job being handled at the crash goes round
/// again. The dispatcher sends with backpressure: it offers a job to the next workers in turn
/// and, when those it tried are full, waits for room at the next one; it never drops a job.
/// While no worker's address is open (every worker gone for good), jobs wait in the dispatcher
/// and go out as soon as a worker is added. The jobs waiting in a dispatcher are part of its
/// ecosystem's health (see [`Health::work_backlog`](super::Health::work_backlog)).
///
/// # Cost
///
/// Handing out a job costs O(1), amortised, whatever the number of workers: the dispatcher
/// keeps its own rotation of the workers' addresses, refreshed only when workers are added or
/// removed, and drops a worker from it the first time it finds its address closed. The
/// dispatcher's queue lives on the shared heap (it outlives any coordinator that uses it), so
/// no process is charged for it.
///
/// Workers under a drop policy ([`Overflow`](crate::message::Overflow)) drop a job they have
/// no room for; it comes back and is handed out again, which keeps the dispatcher busy while
/// the workers are full: feed workers with the default `wait` policy.
///
/// # Use
///
/// Make it in the coordinator's factory and keep it across coordinator restarts by saving it
/// in the snapshot store, so that work in flight survives the coordinator too:
///
/// ```
/// use foundation::ecosystem::{CoordinatorStart, Dispatcher, EcosystemConfig, EcosystemSpec, Job};
/// use foundation::{BoxError, Context, Node, Process};
/// use tokio::sync::mpsc;
///
/// enum CoordMsg {
///     Submit(u64),
/// }
///
/// enum WorkerMsg {
///     Job(Job<u64>),
/// }
///
/// struct Coordinator {
///     dispatcher: Dispatcher<u64, WorkerMsg>,
/// }
///
/// /// The dispatcher made at the first start, recovered at every restart.
/// fn dispatcher(start: &CoordinatorStart<CoordMsg, WorkerMsg>) -> Dispatcher<u64, WorkerMsg> {
///     start.recovered().unwrap_or_else(|| {
///         let made = Dispatcher::new(start, WorkerMsg::Job);
///         start.snapshots().save(made.clone());
///         made
///     })
/// }
///
/// impl Process for Coordinator {
///     type Message = CoordMsg;
///
///     async fn handle(&mut self, _: &mut Context<CoordMsg>, msg: CoordMsg) -> Result<(), BoxError> {
///         let CoordMsg::Submit(n) = msg;
///         self.dispatcher.dispatch(n);
///         Ok(())
///     }
/// }
///
/// /// Squares numbers; records each result under its job's id, then acknowledges.
/// struct Worker {
///     results: mpsc::UnboundedSender<(u64, u64)>,
/// }
///
/// impl Process for Worker {
///     type Message = WorkerMsg;
///
///     async fn handle(&mut self, _: &mut Context<WorkerMsg>, msg: WorkerMsg) -> Result<(), BoxError> {
///         let WorkerMsg::Job(job) = msg;
///         self.results.send((job.id(), job.payload() * job.payload()))?;
///         job.ack();
///         Ok(())
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), BoxError> {
/// let node = Node::new()?;
/// let (results, mut ledger) = mpsc::unbounded_channel();
/// let spec = EcosystemSpec::new(EcosystemConfig::new("squares").workers(2))
///     .coordinator(|start| Coordinator { dispatcher: dispatcher(start) })
///     .worker(move |_| Worker { results: results.clone() });
/// let squares = node.spawn_ecosystem(spec).await?;
/// for n in 1..=3 {
///     squares.coordinator().send(CoordMsg::Submit(n)).await?;
/// }
/// let mut done = Vec::new();
/// for _ in 0..3 {
///     done.push(ledger.recv().await.expect("the workers are alive").1);
/// }
/// done.sort();
/// assert_eq!(done, [1, 4, 9]);
/// node.shutdown(std::time::Duration::from_secs(5)).await;
/// # Ok(()) }
/// ```
pub struct Dispatcher<T: Send + 'static, WM> {
    inner: Arc<Inner<T, WM>>,
}

impl<T: Send + 'static, WM: Send + 'static> Dispatcher<T, WM> {
    /// A dispatcher over the ecosystem's workers; `wrap` makes a worker message of a job.
    pub fn new<CM: Send + 'static>(
        start: &CoordinatorStart<CM, WM>,
        wrap: impl Fn(Job<T>) -> WM + Send + Sync + 'static,
    ) -> Self {
        Self::over(start.members(), &start.node, wrap)
    }

    fn over<CM: Send + 'static>(
        members: &Members<CM, WM>,
        node: &crate::Node,
        wrap: impl Fn(Job<T>) -> WM + Send + Sync + 'static,
    ) -> Self {
        let inner = Arc::new_cyclic(|me| Inner {
            workers: Box::new(members.clone()),
            wrap: Box::new(wrap),
            state: Mutex::new(State {
                next_id: 0,
                pending: VecDeque::new(),
                stats: WorkStats::default(),
            }),
            work: Event::new(),
            me: me.clone(),
        });
        let backlog: Weak<dyn Backlog> = Arc::downgrade(&inner) as Weak<Inner<T, WM>>;
        members.register_backlog(backlog);
        drop(node.state.runtime.spawn(pump(Arc::downgrade(&inner))));
        Dispatcher { inner }
    }

    /// Hands in a piece of work; it goes to the next worker in turn whose address is open.
    /// Returns its job id. Never waits: the job waits in the dispatcher until a worker has room.
    pub fn dispatch(&self, payload: T) -> u64 {
        let mut state = self.inner.state.lock();
        let id = state.next_id;
        state.next_id += 1;
        state.stats.dispatched += 1;
        state.stats.outstanding += 1;
        state.push(Waiting { id, payload, since: Instant::now() }, false);
        drop(state);
        self.inner.work.notify(1);
        id
    }

    /// Counts so far.
    pub fn stats(&self) -> WorkStats {
        let state = self.inner.state.lock();
        WorkStats {
            pending: state.pending.len(),
            oldest_wait: state.pending.front().map(|w| w.since.elapsed()),
            ..state.stats
        }
    }
}

/// The dispatcher's own turn over the workers: the addresses as of the members' last change,
/// less those found closed since.
struct Rotation<WM> {
    workers: Vec<ProcessRef<WM>>,
    version: Option<u64>,
    cursor: usize,
}

impl<WM: Send + 'static> Rotation<WM> {
    /// Takes the members' list again if workers were added or removed since.
    fn refresh(&mut self, source: &dyn Workers<WM>) {
        let version = source.version();
        if self.version != Some(version) {
            self.workers = source.snapshot();
            self.version = Some(version);
        }
    }

    /// The next worker in turn whose address is open; a closed one leaves the rotation.
    fn next(&mut self) -> Option<ProcessRef<WM>> {
        while !self.workers.is_empty() {
            let at = self.cursor % self.workers.len();
            self.cursor = self.cursor.wrapping_add(1);
            if self.workers[at].is_alive() {
                return Some(self.workers[at].clone());
            }
            self.workers.swap_remove(at);
        }
        None
    }
}

/// Sends pending jobs to workers, waiting for room; stops when the dispatcher is gone.
async fn pump<T: Send + 'static, WM: Send + 'static>(inner: Weak<Inner<T, WM>>) {
    let mut rotation = Rotation { workers: Vec::new(), version: None, cursor: 0 };
    let mut sent: u32 = 0;
    loop {
        let Some(ledger) = inner.upgrade() else { return };
        let work = ledger.work.listen();
        let members = ledger.workers.listen();
        loop {
            rotation.refresh(&*ledger.workers);
            let Some(worker) = rotation.next() else {
                // No worker to take a job: jobs wait until one is added.
                break;
            };
            let next = ledger.state.lock().pending.pop_front();
            let Some(Waiting { id, payload, .. }) = next else { break };
            let Some(me) = ledger.me.upgrade() else { return };
            let job = Job { id, payload: Some(payload), ledger: me as Arc<dyn Ledger<T>> };
            let mut msg = Some((ledger.wrap)(job));
            // Offered to this worker and the next few without waiting; then it waits for room.
            let mut target = worker;
            for _ in 0..OFFERS.min(rotation.workers.len()) {
                let Some(m) = msg.take() else { break };
                match target.try_send(m) {
                    // Taken (or dropped by a drop policy, which drops the job: it comes back).
                    Ok(()) => break,
                    Err(TrySendError::Full(m)) => msg = Some(m),
                    Err(refused) => msg = Some(refused.into_inner()),
                }
                match rotation.next() {
                    Some(next) => target = next,
                    None => break,
                }
            }
            if let Some(msg) = msg
                && let Err(refused) = target.send(msg).await
            {
                // The worker is gone, or refuses under its overflow policy: dropping the
                // message drops the job, which comes back by itself. A refusal is retried
                // after a pause, so that a dispatcher does not spin on refusing workers.
                let is_refused = refused.is_refused();
                drop(refused);
                if is_refused {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            }
            sent = sent.wrapping_add(1);
            if sent.is_multiple_of(256) {
                // A long queue must not hold the runtime's thread.
                tokio::task::yield_now().await;
            }
        }
        drop(ledger);
        // New work, a worker added or removed, or the dispatcher's end (which notifies
        // `work`, and ends the pump at the next upgrade).
        futures::future::select(work, members).await;
    }
}

impl<T: Send + 'static, WM> Clone for Dispatcher<T, WM> {
    fn clone(&self) -> Self {
        Dispatcher { inner: Arc::clone(&self.inner) }
    }
}

impl<T: Send + 'static, WM> fmt::Debug for Dispatcher<T, WM> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dispatcher").finish_non_exhaustive()
    }
}
