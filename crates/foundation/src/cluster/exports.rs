//! The processes this node lets other nodes reach, and how a message from the wire becomes
//! one of theirs.
//!
//! A process's message type is known where it is spawned, not where its bytes arrive, so a
//! process receives from other nodes once it is exported
//! ([`Cluster::export`](crate::cluster::Cluster::export)): the export keeps its message type's
//! decoder. This differs from Erlang, where any pid can be sent anything, on purpose: Rust's
//! typed mailboxes need a decoder, and an export says which processes another node may reach.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::RwLock;
use serde::de::DeserializeOwned;

use crate::cluster::inbound::Delivered;
use crate::cluster::link::Link;
use crate::error::TrySendError;
use crate::{Pid, ProcessRef};

/// An exported process, seen without its message type.
pub(crate) trait Exported: Send + Sync {
    /// Its current incarnation.
    fn pid(&self) -> Pid;
    /// Whether it can still take messages.
    fn is_alive(&self) -> bool;
    /// Decodes a message for the incarnation `to` and puts it in the mailbox.
    fn deliver(&self, to: Pid, payload: &[u8], link: &Arc<Link>) -> Delivered;
}

struct Export<M>(ProcessRef<M>);

impl<M: DeserializeOwned + Send + 'static> Exported for Export<M> {
    fn pid(&self) -> Pid {
        self.0.pid()
    }

    fn is_alive(&self) -> bool {
        self.0.is_alive()
    }

    fn deliver(&self, to: Pid, payload: &[u8], link: &Arc<Link>) -> Delivered {
        let undelivered = || {
            link.count(&link.counters.undelivered, 1);
            Delivered::Done
        };
        // A message for an earlier incarnation is dropped, as Erlang drops a message to a
        // dead pid.
        if self.0.pid() != to {
            return undelivered();
        }
        let msg: M = match crate::cluster::codec::decode(payload, link) {
            Ok(msg) => msg,
            Err(e) => {
                tracing::warn!(node = %link.peer.name, %to, error = %e, "undecodable message");
                return undelivered();
            }
        };
        match self.0.try_deliver(msg) {
            Ok(_) => Delivered::Done,
            Err(TrySendError::Full(msg)) => {
                let process = self.0.clone();
                Delivered::Wait(Box::pin(async move {
                    let _ = process.push_when_room(msg).await;
                }))
            }
            Err(TrySendError::Refused(_) | TrySendError::Closed(_)) => undelivered(),
        }
    }
}

/// The exported processes, by name and by pid.
#[derive(Default)]
pub(crate) struct Exports {
    by_name: RwLock<HashMap<String, Arc<dyn Exported>>>,
    by_pid: RwLock<HashMap<Pid, Arc<dyn Exported>>>,
}

impl Exports {
    /// Exports `process` (under `name`, if given); replaces what the name named.
    pub(crate) fn insert<M>(&self, name: Option<&str>, process: &ProcessRef<M>)
    where
        M: DeserializeOwned + Send + 'static,
    {
        let export: Arc<dyn Exported> = Arc::new(Export(process.clone()));
        self.by_pid.write().insert(process.pid(), Arc::clone(&export));
        if let Some(name) = name {
            self.by_name.write().insert(name.to_owned(), export);
        }
        self.prune();
    }

    /// Withdraws a name; `true` if it named something.
    pub(crate) fn remove_name(&self, name: &str) -> bool {
        self.by_name.write().remove(name).is_some()
    }

    /// The process exported under `name`, by its current pid.
    pub(crate) fn named(&self, name: &str) -> Option<Pid> {
        let export = self.by_name.read().get(name).cloned()?;
        if !export.is_alive() {
            self.by_name.write().remove(name);
            return None;
        }
        let pid = export.pid();
        // A supervised process's next incarnation is reached by its new pid.
        self.by_pid.write().entry(pid).or_insert(export);
        Some(pid)
    }

    /// The export that takes messages for `pid`.
    pub(crate) fn get(&self, pid: Pid) -> Option<Arc<dyn Exported>> {
        self.by_pid.read().get(&pid).cloned()
    }

    /// Forgets the exports of processes that have ended for good, and pids of earlier
    /// incarnations; amortised (runs when the table has doubled since it last ran).
    fn prune(&self) {
        let mut by_pid = self.by_pid.write();
        if by_pid.len() < 64 || !by_pid.len().is_power_of_two() {
            return;
        }
        by_pid.retain(|pid, e| e.is_alive() && e.pid() == *pid);
        drop(by_pid);
        self.by_name.write().retain(|_, e| e.is_alive());
    }
}
