//! Handing out work with acknowledgements: nothing acknowledged is lost, nothing handed out is
//! forgotten.
//!
//! A [`Dispatcher`] hands each payload to a worker as a [`Job`]. The worker calls
//! [`Job::ack`] when the work is done. A job that is dropped without an acknowledgement (its
//! worker crashed while handling it, its worker is gone for good and its mailbox was dropped,
//! or the worker simply dropped it) goes back to the dispatcher, which hands it to another
//! live worker. There is only ever one `Job` for a piece of work, so a job is acknowledged at
//! most once; and it is retried until it is.
//!
//! Jobs waiting in a worker's mailbox when the worker is restarted stay there for its next
//! incarnation (addresses are stable), so only the job being handled at the crash goes round
//! again. The dispatcher sends with backpressure: a full worker makes it wait (or move on to
//! another worker), never drop.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Weak};

use event_listener::Event;
use parking_lot::Mutex;

use crate::ProcessRef;
use crate::ecosystem::{CoordinatorStart, Members};

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
}

struct State<T> {
    next_id: u64,
    pending: VecDeque<(u64, T)>,
    stats: WorkStats,
    next_worker: usize,
}

struct Inner<T: Send + 'static, WM> {
    workers: Box<dyn Fn() -> Vec<ProcessRef<WM>> + Send + Sync>,
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
        state.pending.push_back((id, payload));
        drop(state);
        self.work.notify(1);
    }
}

/// Hands work to an ecosystem's workers with acknowledgements: a [`Job`] dropped without
/// [`Job::ack`] comes back and goes to another live worker, so acknowledged work is done
/// exactly once.
///
/// Make it in the coordinator's factory and keep it across coordinator restarts by saving it
/// in the snapshot store, so that work in flight survives the coordinator too:
///
/// ```
/// # use foundation::ecosystem::{CoordinatorStart, Dispatcher, Job};
/// enum WorkerMsg { Job(Job<u64>) }
/// fn dispatcher<CM: Send + 'static>(start: &CoordinatorStart<CM, WorkerMsg>) -> Dispatcher<u64, WorkerMsg> {
///     start.recovered().unwrap_or_else(|| {
///         let made = Dispatcher::new(start, WorkerMsg::Job);
///         start.snapshots().save(made.clone());
///         made
///     })
/// }
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
        let members = members.clone();
        let inner = Arc::new_cyclic(|me| Inner {
            workers: Box::new(move || members.workers()),
            wrap: Box::new(wrap),
            state: Mutex::new(State {
                next_id: 0,
                pending: VecDeque::new(),
                stats: WorkStats::default(),
                next_worker: 0,
            }),
            work: Event::new(),
            me: me.clone(),
        });
        drop(node.state.runtime.spawn(pump(Arc::downgrade(&inner))));
        Dispatcher { inner }
    }

    /// Hands in a piece of work; it goes to a live worker, round-robin. Returns its job id.
    pub fn dispatch(&self, payload: T) -> u64 {
        let mut state = self.inner.state.lock();
        let id = state.next_id;
        state.next_id += 1;
        state.stats.dispatched += 1;
        state.stats.outstanding += 1;
        state.pending.push_back((id, payload));
        drop(state);
        self.inner.work.notify(1);
        id
    }

    /// Counts so far.
    pub fn stats(&self) -> WorkStats {
        let state = self.inner.state.lock();
        WorkStats { pending: state.pending.len(), ..state.stats }
    }
}

/// Sends pending jobs to live workers, waiting for room; stops when the dispatcher is gone.
async fn pump<T: Send + 'static, WM: Send + 'static>(inner: Weak<Inner<T, WM>>) {
    loop {
        let Some(ledger) = inner.upgrade() else { return };
        let listener = ledger.work.listen();
        loop {
            let next = ledger.state.lock().pending.pop_front();
            let Some((id, payload)) = next else { break };
            let live: Vec<_> =
                (ledger.workers)().into_iter().filter(ProcessRef::is_alive).collect();
            let Some(me) = ledger.me.upgrade() else { return };
            if live.is_empty() {
                // No worker to take it: keep it until one comes back (a restart, added workers).
                ledger.state.lock().pending.push_front((id, payload));
                break;
            }
            let pick = {
                let mut state = ledger.state.lock();
                state.next_worker = state.next_worker.wrapping_add(1);
                state.next_worker % live.len()
            };
            let job = Job { id, payload: Some(payload), ledger: me as Arc<dyn Ledger<T>> };
            // A worker that closes meanwhile hands the message back: dropping it drops the job,
            // which comes back to `pending` by itself.
            let _ = live[pick].send((ledger.wrap)(job)).await;
        }
        drop(ledger);
        listener.await;
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
