//! Creating a process: its allocation, its place in the table, its name, its link or monitor
//! with the spawner, and its task. Also a new incarnation in a supervised process's kept
//! allocation (same address, same mailbox, new pid).

use std::sync::Arc;
use std::sync::atomic::Ordering::Acquire;

use crate::engine::control_block::ControlBlock;
use crate::engine::mailbox::{MAX_CAPACITY, Mailbox};
use crate::engine::name::Name;
use crate::engine::process_block::{AnyProcess, ProcessBlock};
use crate::engine::relations::{Entry, Watcher};
use crate::engine::run_loop;
use crate::error::{ConfigError, RegisterError, SpawnError};
use crate::memory;
use crate::process::context::InitAck;
use crate::process::overflow::Overflow;
use crate::{Context, MonitorRef, Node, Process, ProcessRef};

/// What the builder asks for.
pub(crate) struct SpawnOptions {
    pub(crate) name: Option<Name>,
    /// `None`: unbounded.
    pub(crate) capacity: Option<usize>,
    pub(crate) trap_exit: bool,
    pub(crate) link: bool,
    pub(crate) monitor: bool,
    /// Supervised: the mailbox outlives an incarnation, for the next one to adopt.
    pub(crate) held: bool,
    /// Bytes the process may hold (the BEAM's `max_heap_size`).
    pub(crate) memory_limit: Option<u64>,
    /// What a send to a full mailbox does.
    pub(crate) overflow: Overflow,
    /// End once no strong address is left and the mailbox is empty (opt-in).
    pub(crate) end_when_unreferenced: bool,
}

/// A capacity of 1 to [`MAX_CAPACITY`] (or unbounded), and an overflow policy only where the
/// mailbox can overflow.
fn check_mailbox(capacity: Option<usize>, overflow: Overflow) -> Result<(), SpawnError> {
    if let Some(cap) = capacity
        && (cap == 0 || cap > MAX_CAPACITY)
    {
        return Err(SpawnError::Config(ConfigError::new(
            "mailbox_capacity",
            cap,
            "1 to 2^61 messages, or an unbounded mailbox",
        )));
    }
    if capacity.is_none() && overflow != Overflow::Wait {
        return Err(SpawnError::Config(ConfigError::new(
            "overflow",
            overflow.as_str(),
            "wait for an unbounded mailbox (only a bounded mailbox can overflow); \
             drop_newest, drop_oldest or fail need a mailbox_capacity",
        )));
    }
    Ok(())
}

/// The smallest memory limit a process may have: below it, a process could not even hold its
/// own control block, mailbox and task.
pub(crate) const MIN_MEMORY_LIMIT: u64 = 4096;

pub(crate) fn spawn<P: Process>(
    node: &Node,
    parent: Option<&Arc<dyn AnyProcess>>,
    process: P,
    opts: &SpawnOptions,
    init_ack: Option<InitAck>,
) -> Result<(ProcessRef<P::Message>, Option<MonitorRef>), SpawnError> {
    let state = &node.state;
    if state.shutting_down.load(Acquire) {
        return Err(SpawnError::ShuttingDown);
    }
    check_mailbox(opts.capacity, opts.overflow)?;
    let parent_core = parent.map(|p| p.core());
    if (opts.link || opts.monitor) && parent_core.is_none() {
        return Err(SpawnError::Config(ConfigError::new(
            match (opts.link, opts.monitor) {
                (true, true) => "spawn_link_monitor",
                (true, false) => "spawn_link",
                _ => "spawn_monitor",
            },
            "a builder with no process to link or monitor from (Node::process)",
            "a builder from inside a process (Context::process)",
        )));
    }
    if opts.name.as_ref().is_some_and(Name::is_empty) {
        return Err(SpawnError::Name(RegisterError::EmptyName));
    }
    if let Some(limit) = opts.memory_limit
        && limit < MIN_MEMORY_LIMIT
    {
        return Err(SpawnError::Config(ConfigError::new(
            "memory_limit",
            limit,
            "at least 4,096 bytes (a process's own control block, mailbox and task)",
        )));
    }

    let account = match memory::open() {
        Some(account) => account,
        // A limit needs an account to measure against: never drop it silently.
        None if opts.memory_limit.is_some() => {
            return Err(SpawnError::NoMemoryAccount { in_use: memory::capacity() });
        }
        None => memory::RUNTIME,
    };
    let pid = state.next_pid();
    let core = ControlBlock::new(pid, parent_core.map(|p| p.pid()), opts.trap_exit, account);
    if opts.held {
        core.set_held();
    }
    core.set_memory_limit(opts.memory_limit);
    // The process pays for its own control block and mailbox (one allocation) and its task
    // (in `arm`), nothing else.
    let shared = {
        let _charged = memory::ChargeTo::new(account);
        Arc::new(ProcessBlock::new(core, Mailbox::with_overflow(opts.capacity, opts.overflow)))
    };
    let monitor = arm(node, parent_core, &shared, process, opts, init_ack)?;
    Ok((ProcessRef::from_retained(shared), monitor))
}

/// An address with no process behind it yet: the first incarnation adopts it, as a restart
/// would. Lets a feature hand out a whole group's addresses before any of them runs.
pub(crate) fn reserve<M: Send + 'static>(
    node: &Node,
    capacity: Option<usize>,
    overflow: Overflow,
) -> Result<Arc<ProcessBlock<M>>, SpawnError> {
    check_mailbox(capacity, overflow)?;
    let account = memory::open().unwrap_or(memory::RUNTIME);
    let core = ControlBlock::new(node.state.next_pid(), None, false, account);
    core.set_held();
    core.hand_over();
    let _charged = memory::ChargeTo::new(account);
    Ok(Arc::new(ProcessBlock::new(core, Mailbox::with_overflow(capacity, overflow))))
}

/// Starts a new incarnation of a supervised process in its kept allocation: a new pid, the
/// same address and the messages waiting in its mailbox. The previous incarnation must have
/// ended and handed its mailbox over.
pub(crate) fn respawn<P: Process>(
    node: &Node,
    parent: &Arc<dyn AnyProcess>,
    shared: &Arc<ProcessBlock<P::Message>>,
    process: P,
    name: Option<Name>,
    trap_exit: bool,
    init_ack: Option<InitAck>,
) -> Result<(), SpawnError> {
    let state = &node.state;
    if state.shutting_down.load(Acquire) {
        return Err(SpawnError::ShuttingDown);
    }
    if name.as_ref().is_some_and(Name::is_empty) {
        return Err(SpawnError::Name(RegisterError::EmptyName));
    }
    if !shared.core.adopt() {
        return Err(SpawnError::AddressClosed(shared.core.pid()));
    }
    if let Err(err) = renew_account(&shared.core) {
        shared.core.hand_over();
        return Err(err);
    }
    let parent_core = parent.core();
    let pid = state.next_pid();
    shared.core.begin_incarnation(pid, Some(parent_core.pid()), trap_exit);
    let opts = SpawnOptions {
        name,
        capacity: None,
        trap_exit,
        link: true,
        monitor: false,
        held: true,
        memory_limit: None,
        overflow: Overflow::Wait,
        end_when_unreferenced: false,
    };
    match arm(node, Some(parent_core), shared, process, &opts, init_ack) {
        Ok(_) => Ok(()),
        Err(err) => {
            // Back to waiting, so the supervisor can try again or let go.
            shared.core.hand_over();
            Err(err)
        }
    }
}

/// Gives a new incarnation a fresh memory account, as a restarted BEAM process gets a fresh
/// heap, and closes the previous incarnation's: what that one still holds (data it handed to
/// others, its messages not yet consumed, the control block it was charged for) moves to the
/// runtime account, and the peak starts again. The first incarnation of a reserved address
/// keeps the account it was reserved with.
///
/// The previous account is closed first, so that with every account in use a restart takes
/// its predecessor's slot back (with a new generation) rather than failing.
fn renew_account(core: &ControlBlock) -> Result<(), SpawnError> {
    let first = core.last_exit().is_none();
    if first && core.account() != memory::RUNTIME {
        return Ok(());
    }
    memory::close(core.replace_account(memory::RUNTIME));
    let fresh = match memory::open() {
        Some(account) => account,
        None if core.memory_limit().is_some() => {
            return Err(SpawnError::NoMemoryAccount { in_use: memory::capacity() });
        }
        None => memory::RUNTIME,
    };
    core.replace_account(fresh);
    Ok(())
}

/// Makes a prepared process visible (table, name, link or monitor) and starts its task.
///
/// The process's task is charged to the process; everything else here (the node's process
/// table and names, links) to the shared heap, so a child never pays for a table's rehash.
fn arm<P: Process>(
    node: &Node,
    parent: Option<&ControlBlock>,
    shared: &Arc<ProcessBlock<P::Message>>,
    process: P,
    opts: &SpawnOptions,
    init_ack: Option<InitAck>,
) -> Result<Option<MonitorRef>, SpawnError> {
    let _shared_heap = memory::ChargeTo::shared_heap();
    let state = &node.state;
    let pid = shared.core.pid();
    state.admit(pid, Arc::clone(shared) as Arc<dyn AnyProcess>);

    if let Some(name) = &opts.name {
        let mut names = state.names.write();
        if let Some(&holder) = names.get(name) {
            drop(names);
            state.forget(pid);
            return Err(SpawnError::Name(RegisterError::Taken { name: name.clone(), holder }));
        }
        names.insert(name.clone(), pid);
        shared.core.relations.lock().entries.push(Entry::Name(name.clone()));
        // The name keeps the process alive, as a strong address does; it is released with
        // the name.
        shared.core.retain();
    }

    let mut monitor = None;
    if let Some(parent) = parent.filter(|_| opts.link || opts.monitor) {
        let mut parent_rel = parent.relations.lock();
        if parent_rel.exited {
            drop(parent_rel);
            undo(node, shared);
            return Err(SpawnError::ParentExited(parent.pid()));
        }
        let mut child_rel = shared.core.relations.lock();
        if opts.link {
            parent_rel.links.insert(pid);
            child_rel.links.insert(parent.pid());
        }
        if opts.monitor {
            let mref = state.next_monitor_ref();
            parent_rel.monitoring.push((mref, pid));
            child_rel.watchers.push(Watcher::Monitor(mref, parent.pid(), None));
            monitor = Some(mref);
        }
    }

    let mut ctx = Context::new(Arc::clone(shared), node.clone());
    ctx.init_ack = init_ack;
    if opts.end_when_unreferenced {
        shared.core.set_end_when_unreferenced(true);
    }
    // Made with the task, so that the process is finished even if the task is dropped before
    // it first runs (the runtime dropped without `Node::shutdown`).
    let mut teardown = run_loop::Teardown::new(Arc::clone(shared), node.clone());
    let body = async move { run_loop::run(process, ctx, &mut teardown).await };
    let task = run_loop::Accounted::new(Arc::clone(shared), body);
    let _charged = memory::ChargeTo::new(shared.core.account());
    drop(state.runtime.spawn(task));
    Ok(monitor)
}

/// Takes back a process that was never started: out of the table and the registry.
fn undo<M>(node: &Node, shared: &Arc<ProcessBlock<M>>) {
    let state = &node.state;
    let pid = shared.core.pid();
    let rel = std::mem::take(&mut *shared.core.relations.lock());
    let mut released = 0;
    if rel.names().next().is_some() {
        let mut names = state.names.write();
        for name in rel.names() {
            if names.get(name) == Some(&pid) {
                names.remove(name);
                released += 1;
            }
        }
    }
    for _ in 0..released {
        shared.core.release();
    }
    state.forget(pid);
}
