//! Registered names.

use std::fmt;
use std::sync::Arc;

/// A registered name: unique within its namespace on a node.
///
/// Names in the default namespace come from strings: `Name::from("cache")`. A namespace keeps
/// names of different owners apart (`Name::scoped("orders", "coordinator")`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Name {
    namespace: Arc<str>,
    name: Arc<str>,
}

impl Name {
    /// A name in the default namespace.
    pub fn new(name: impl Into<Arc<str>>) -> Self {
        Name { namespace: Arc::from(""), name: name.into() }
    }

    /// A name in a namespace.
    pub fn scoped(namespace: impl Into<Arc<str>>, name: impl Into<Arc<str>>) -> Self {
        Name { namespace: namespace.into(), name: name.into() }
    }

    /// The namespace (`""` for the default one).
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The name within its namespace.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.name.is_empty()
    }
}

impl From<&str> for Name {
    fn from(name: &str) -> Self {
        Name::new(name)
    }
}

impl From<String> for Name {
    fn from(name: String) -> Self {
        Name::new(name)
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.namespace.is_empty() {
            f.write_str(&self.name)
        } else {
            write!(f, "{}/{}", self.namespace, self.name)
        }
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Name({self})")
    }
}
