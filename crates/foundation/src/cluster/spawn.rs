//! Remote spawn: a node registers factories under names; another node asks it to run one
//! with serialised arguments, and gets an address of the new process (Erlang's
//! `spawn(Node, Fun)`, with the function known by name on the spawning node, since code does
//! not travel).
//!
//! The new process is exported (by pid) as it starts, so the caller can send to it at once.
//! It is not linked to the caller: link or monitor its pid once it is returned.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;

use parking_lot::RwLock;
use serde::de::DeserializeOwned;

use crate::cluster::exports::Exports;
use crate::cluster::link::Link;
use crate::error::SpawnError;
use crate::{Node, Pid, ProcessRef};

/// A factory seen without its types.
pub(crate) trait Factory: Send + Sync {
    /// Decodes the arguments, spawns, exports; the new process's pid, or why not.
    fn spawn(
        &self,
        node: &Node,
        exports: &Exports,
        args: &[u8],
        link: &Arc<Link>,
    ) -> Result<Pid, String>;
}

struct Typed<A, M, F> {
    make: F,
    types: PhantomData<fn(A) -> M>,
}

impl<A, M, F> Factory for Typed<A, M, F>
where
    A: DeserializeOwned,
    M: DeserializeOwned + Send + 'static,
    F: Fn(&Node, A) -> Result<ProcessRef<M>, SpawnError> + Send + Sync,
{
    fn spawn(
        &self,
        node: &Node,
        exports: &Exports,
        args: &[u8],
        link: &Arc<Link>,
    ) -> Result<Pid, String> {
        let args: A = crate::cluster::codec::decode(args, link)
            .map_err(|e| format!("the arguments did not decode: {e}"))?;
        let process = (self.make)(node, args).map_err(|e| e.to_string())?;
        exports.insert(None, &process);
        Ok(process.pid())
    }
}

/// The factories this node runs for others, by name.
#[derive(Default)]
pub(crate) struct Factories {
    by_name: RwLock<HashMap<String, Arc<dyn Factory>>>,
}

impl Factories {
    pub(crate) fn insert<A, M, F>(&self, name: &str, make: F)
    where
        A: DeserializeOwned + 'static,
        M: DeserializeOwned + Send + 'static,
        F: Fn(&Node, A) -> Result<ProcessRef<M>, SpawnError> + Send + Sync + 'static,
    {
        let factory: Arc<dyn Factory> = Arc::new(Typed { make, types: PhantomData });
        self.by_name.write().insert(name.to_owned(), factory);
    }

    pub(crate) fn get(&self, name: &str) -> Option<Arc<dyn Factory>> {
        self.by_name.read().get(name).cloned()
    }
}
