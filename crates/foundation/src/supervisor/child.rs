//! Starting and holding a supervisor's children: one incarnation of a child, started afresh
//! or in the address it kept, and the supervisor's hold on that address.

use std::sync::Arc;

use crate::engine::process_block::AnyProcess;
use crate::error::SpawnError;
use crate::process::context::InitAck;
use crate::supervisor::SupervisorSpec;
use crate::supervisor::server::{Supervisor, SupervisorMsg};
use crate::{Context, Name, Pid, Process, ProcessRef};

/// How a child is started: afresh, or as a new incarnation in the address it had.
#[derive(Clone, Copy)]
pub(crate) enum StartMode<'a> {
    Fresh,
    Adopt(&'a ChildProcess),
}

/// What a start did.
pub(crate) enum Started {
    /// A new process, in a new address: the supervisor holds it from now on.
    Fresh(ChildProcess),
    /// A new incarnation in the address the child had.
    Adopted,
    /// Nothing: the child's factory said so (OTP's `ignore`). No `init` runs.
    Ignored,
}

/// Starts one incarnation of a child, linked to the supervisor whose context is given.
pub(crate) type ChildStart = Arc<
    dyn Fn(
            &Context<SupervisorMsg>,
            &StartArgs,
            StartMode<'_>,
            InitAck,
        ) -> Result<Started, SpawnError>
        + Send
        + Sync,
>;

/// The per-child options a start needs.
#[derive(Clone, Debug)]
pub(crate) struct StartArgs {
    pub(crate) name: Option<Name>,
    /// `None`: unbounded.
    pub(crate) capacity: Option<usize>,
    /// Bytes each incarnation may hold.
    pub(crate) memory_limit: Option<u64>,
}

/// Starts what `make()` gives linked to the supervisor, as a new process or in the address
/// `mode` names; nothing if it gives `None`.
pub(crate) fn start_child<P: Process>(
    ctx: &Context<SupervisorMsg>,
    args: &StartArgs,
    mode: StartMode<'_>,
    trap_exit: bool,
    make: impl FnOnce() -> Option<P>,
    ack: InitAck,
) -> Result<Started, SpawnError> {
    let Some(process) = make() else {
        return Ok(Started::Ignored);
    };
    let (name, capacity) = (args.name.clone(), args.capacity);
    match mode {
        StartMode::Fresh => {
            let mut builder = ctx.process().held().trap_exit(trap_exit).init_ack(ack);
            if let Some(limit) = args.memory_limit {
                builder = builder.memory_limit(limit);
            }
            builder = match capacity {
                Some(capacity) => builder.mailbox_capacity(capacity),
                None => builder.unbounded_mailbox(),
            };
            if let Some(name) = name {
                builder = builder.name(name);
            }
            builder.spawn_link(process).map(|r| Started::Fresh(r.into()))
        }
        StartMode::Adopt(previous) => {
            let shared = Arc::clone(&previous.process)
                .into_any()
                .downcast::<crate::engine::process_block::ProcessBlock<P::Message>>()
                .map_err(|_| SpawnError::AddressClosed(previous.pid()))?;
            let supervisor = Arc::clone(&ctx.shared) as Arc<dyn AnyProcess>;
            crate::engine::spawn::respawn(
                ctx.node(),
                &supervisor,
                &shared,
                process,
                name,
                trap_exit,
                Some(ack),
            )
            .map(|()| Started::Adopted)
        }
    }
}

/// Starts `make()` in the reserved address `address`, for its first incarnation and every
/// restart.
pub(crate) fn start_reserved<P: Process>(
    ctx: &Context<SupervisorMsg>,
    args: &StartArgs,
    mode: StartMode<'_>,
    address: &Arc<crate::engine::process_block::ProcessBlock<P::Message>>,
    make: impl FnOnce() -> P,
    ack: InitAck,
) -> Result<Started, SpawnError> {
    let supervisor = Arc::clone(&ctx.shared) as Arc<dyn AnyProcess>;
    crate::engine::spawn::respawn(
        ctx.node(),
        &supervisor,
        address,
        make(),
        args.name.clone(),
        false,
        Some(ack),
    )?;
    Ok(match mode {
        StartMode::Fresh => {
            Started::Fresh(ChildProcess::held(Arc::clone(address) as Arc<dyn AnyProcess>))
        }
        StartMode::Adopt(_) => Started::Adopted,
    })
}

/// A supervised child's address, held strongly so that the child stays alive while
/// supervised. Dropping it lets the child go: its mailbox closes once no incarnation runs.
pub(crate) struct ChildProcess {
    process: Arc<dyn AnyProcess>,
}

impl ChildProcess {
    /// Holds `process` (takes a strong count).
    pub(crate) fn held(process: Arc<dyn AnyProcess>) -> Self {
        process.core().retain();
        ChildProcess { process }
    }

    pub(crate) fn pid(&self) -> Pid {
        self.process.core().pid()
    }

    pub(crate) fn process(&self) -> &Arc<dyn AnyProcess> {
        &self.process
    }
}

impl<M: Send + 'static> From<ProcessRef<M>> for ChildProcess {
    fn from(r: ProcessRef<M>) -> Self {
        let process = Arc::clone(&r.shared) as Arc<dyn AnyProcess>;
        process.core().retain();
        drop(r);
        ChildProcess { process }
    }
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        let core = self.process.core();
        if core.orphan() {
            self.process.close(0);
        }
        core.release();
    }
}

/// Starts a supervisor linked to the calling supervisor (a nested supervisor).
pub(crate) fn start_linked(
    ctx: &Context<SupervisorMsg>,
    spec: SupervisorSpec,
    args: &StartArgs,
    mode: StartMode<'_>,
    ack: InitAck,
) -> Result<Started, SpawnError> {
    let args = StartArgs { capacity: None, ..args.clone() };
    start_child(ctx, &args, mode, true, || Some(Supervisor::new(spec)), ack)
}
