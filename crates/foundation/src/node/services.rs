//! What the node keeps for the features above the engine: its telemetry, and the directory of
//! its running ecosystems; and how it tells a process's flow trouble.

use crate::Node;
use crate::ecosystem::directory::Directory;
use crate::engine::hook::FlowReport;
use crate::telemetry::{Event, Telemetry};

/// The node's services, beside the engine's state.
#[derive(Default)]
pub(crate) struct Services {
    pub(crate) telemetry: Telemetry,
    pub(crate) ecosystems: Directory,
    /// The cluster this node is part of, if any.
    #[cfg(feature = "cluster")]
    pub(crate) cluster: std::sync::OnceLock<std::sync::Arc<crate::cluster::net::ClusterInner>>,
}

impl Node {
    /// Tells a process's flow trouble as telemetry events (`messages.dropped`,
    /// `messages.flow_stalled`), naming the ecosystem it is a member of, if any.
    pub(crate) fn report_flow(&self, ecosystem: Option<&str>, report: &FlowReport) {
        let ecosystem = ecosystem.map(str::to_owned);
        if let Some((count, total)) = report.dropped {
            self.telemetry().emit(&Event::MessagesDropped {
                ecosystem: ecosystem.clone(),
                pid: report.pid,
                policy: report.policy,
                count,
                total,
            });
        }
        if let Some((count, total)) = report.stalled {
            self.telemetry().emit(&Event::FlowStalled { ecosystem, pid: report.pid, count, total });
        }
    }
}
