//! Ecosystems from the node: starting one, and finding a running one by name.

#[cfg(doc)]
use crate::ecosystem::Members;
use crate::ecosystem::{Ecosystem, EcosystemError, EcosystemSpec, LookupError};
use crate::{Node, Process};

#[cfg(doc)]
use crate::ecosystem::FaultTolerance;

impl Node {
    /// Starts an ecosystem: a coordinator and its workers under one supervisor, and returns
    /// once every member has started.
    ///
    /// Every member's address is made before any member runs, so the [`Members`] a factory
    /// gets are complete from the first `init`. Members start in order (coordinator, then
    /// workers by index) and stop workers-first on shutdown. With
    /// [`FaultTolerance::SelfHealing`] a dead member is restarted in its address: callers
    /// never hold a stale address, and messages waiting for it are kept.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before it completes leaves nothing of the ecosystem behind, once
    /// the runtime has run: its supervisor stops as a dropped
    /// [`spawn_supervisor`](Node::spawn_supervisor) does (a member caught in its `init` is
    /// killed, the members already up are stopped, workers first, and none starts later), its
    /// name is free again, [`Node::ecosystem`] does not know it, no `started` event is told
    /// and no watcher task is left. The ecosystem is listed, watched and announced only once
    /// its start has succeeded, in the same poll as the future completes.
    pub async fn spawn_ecosystem<C: Process, W: Process>(
        &self,
        spec: EcosystemSpec<C, W>,
    ) -> Result<Ecosystem<C::Message, W::Message>, EcosystemError> {
        crate::ecosystem::spawn::spawn(self, spec).await
    }

    /// The running ecosystem named `name`, with its coordinator's and workers' message types:
    /// how one ecosystem (or any code on the node) addresses another. Its
    /// [`coordinator`](Ecosystem::coordinator) address survives restarts; pick a worker with
    /// [`route`](Ecosystem::route).
    ///
    /// Fails with [`LookupError::NoEcosystem`] if no running ecosystem has that name (it
    /// never started, or has stopped), and with [`LookupError::WrongMessageTypes`] if the
    /// types are not its own.
    pub fn ecosystem<CM: Send + 'static, WM: Send + 'static>(
        &self,
        name: &str,
    ) -> Result<Ecosystem<CM, WM>, LookupError> {
        crate::ecosystem::spawn::find(self, name)
    }
}
