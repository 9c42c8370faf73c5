//! The wrapper every ecosystem member runs in: it reports restarts and samples messages for
//! telemetry, and otherwise hands everything to the member's own process.

use std::sync::Arc;

use crate::ecosystem::Role;
use crate::telemetry::Event;
use crate::{BoxError, Context, Down, ExitReason, Node, Pid, Process};

pub(crate) struct Member<P> {
    pub(crate) inner: P,
    pub(crate) node: Node,
    pub(crate) ecosystem: Arc<str>,
    pub(crate) role: Role,
    pub(crate) incarnation: u64,
    pub(crate) sample_every: u64,
    pub(crate) unreported: u64,
}

impl<P: Process> Process for Member<P> {
    type Message = P::Message;

    async fn init(&mut self, ctx: &mut Context<P::Message>) -> Result<(), BoxError> {
        self.inner.init(ctx).await?;
        if self.incarnation > 0 {
            let (ecosystem, pid, incarnation) =
                (self.ecosystem.to_string(), ctx.pid(), self.incarnation);
            let reason = ctx.shared.core.last_exit();
            let event = match self.role {
                Role::Coordinator => {
                    Event::CoordinatorRestarted { ecosystem, pid, incarnation, reason }
                }
                Role::Worker(index) => {
                    Event::WorkerRestarted { ecosystem, index, pid, incarnation, reason }
                }
            };
            self.node.telemetry().emit(&event);
        }
        Ok(())
    }

    async fn handle(
        &mut self,
        ctx: &mut Context<P::Message>,
        msg: P::Message,
    ) -> Result<(), BoxError> {
        let result = self.inner.handle(ctx, msg).await;
        self.unreported += 1;
        if self.sample_every != 0 && self.unreported >= self.sample_every {
            let event = Event::MessageProcessed {
                ecosystem: self.ecosystem.to_string(),
                role: self.role,
                pid: ctx.pid(),
                count: std::mem::take(&mut self.unreported),
            };
            self.node.telemetry().emit(&event);
        }
        result
    }

    async fn handle_exit(
        &mut self,
        ctx: &mut Context<P::Message>,
        from: Pid,
        reason: ExitReason,
    ) -> Result<(), BoxError> {
        self.inner.handle_exit(ctx, from, reason).await
    }

    async fn handle_down(
        &mut self,
        ctx: &mut Context<P::Message>,
        down: Down,
    ) -> Result<(), BoxError> {
        self.inner.handle_down(ctx, down).await
    }

    fn message_size(message: &P::Message) -> Option<usize> {
        P::message_size(message)
    }

    fn compact(&mut self, ctx: &mut Context<P::Message>) {
        let before = ctx.shared.core.memory();
        self.inner.compact(ctx);
        let after = ctx.shared.core.memory();
        let bytes_returned = before.zip(after).map(|(b, a)| b.saturating_sub(a));
        let event = Event::GcCompleted {
            ecosystem: self.ecosystem.to_string(),
            role: self.role,
            pid: ctx.pid(),
            bytes_returned,
        };
        self.node.telemetry().emit(&event);
    }

    async fn terminate(&mut self, ctx: &mut Context<P::Message>, reason: &ExitReason) {
        self.inner.terminate(ctx, reason).await;
    }
}

/// What an ecosystem attaches to each member's process: the engine asks it whether the member
/// compacts after each burst (`frequent_minor`), and tells through it the member's flow
/// trouble, which the ecosystem reports under its name.
pub(crate) struct MemberHook {
    pub(crate) ecosystem: Arc<str>,
    pub(crate) eager: bool,
}

impl crate::engine::hook::ProcessHook for MemberHook {
    fn compact_after_bursts(&self) -> bool {
        self.eager
    }

    fn flow(&self, node: &Node, report: &crate::engine::hook::FlowReport) {
        node.report_flow(Some(&self.ecosystem), report);
    }
}
