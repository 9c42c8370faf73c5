//! Node names, and the number each name gives its node's pids.

use std::fmt;
use std::sync::Arc;

use crate::error::ConfigError;

/// The longest node name, in bytes.
pub const MAX_NAME_LEN: usize = 253;

/// A node's name in a cluster: `a`, `ingest-3`, `api.eu-west`.
///
/// A DNS name in lower case, so that a node's TLS certificate can carry it: 1 to 253 bytes of
/// lower-case ASCII letters, digits, `-` and `.`, in labels of 1 to 63 bytes that neither
/// start nor end with `-`, the last of which is not all digits (`node.1` reads as an address
/// to TLS). Lower case only, because certificates compare names without case: `A` and `a`
/// would be one node to TLS and two to the cluster. The name fixes the node's
/// number, the `node` part of every pid it makes ([`NodeName::number`]): a hash of the name,
/// so that every node of a cluster agrees on it without asking anyone. Two names that hash
/// alike cannot be in one cluster: the second is refused when it connects (one chance in
/// about 4 billion per pair).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeName(Arc<str>);

impl NodeName {
    /// Checks a name.
    pub fn new(name: &str) -> Result<NodeName, ConfigError> {
        let lower =
            |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-');
        let dns = matches!(
            rustls_pki_types::ServerName::try_from(name),
            Ok(rustls_pki_types::ServerName::DnsName(_))
        );
        let last_all_digits =
            name.rsplit('.').next().is_some_and(|l| l.chars().all(|c| c.is_ascii_digit()));
        if name.len() > MAX_NAME_LEN
            || !name.chars().all(lower)
            || !dns
            || last_all_digits
            || name.ends_with('.')
        {
            return Err(ConfigError::new(
                "name",
                format_args!("{name:?}"),
                "a lower-case DNS name: 1 to 253 bytes of `a-z`, `0-9`, `-` and `.`, labels of 1 to 63 bytes not starting or ending with `-`, the last not all digits",
            ));
        }
        Ok(NodeName(name.into()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The node number this name gives: FNV-1a of its bytes, never `0` (the number of a node
    /// outside any cluster).
    pub fn number(&self) -> u32 {
        let mut hash: u32 = 0x811c_9dc5;
        for byte in self.0.bytes() {
            hash ^= u32::from(byte);
            hash = hash.wrapping_mul(0x0100_0193);
        }
        hash.max(1)
    }
}

impl fmt::Display for NodeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for NodeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl std::str::FromStr for NodeName {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NodeName::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_and_numbered_stably() {
        assert!(NodeName::new("").is_err());
        assert!(NodeName::new("a b").is_err());
        assert!(NodeName::new(&"x".repeat(254)).is_err());
        assert!(NodeName::new("-a").is_err());
        assert!(NodeName::new("a.").is_err());
        assert!(NodeName::new("A").is_err(), "upper case");
        assert!(NodeName::new("node.1").is_err(), "reads as an address");
        assert!(NodeName::new("a.-b").is_err());
        assert!(NodeName::new(&"x".repeat(64)).is_err(), "a label over 63 bytes");
        assert!(NodeName::new("a..b").is_err());
        assert!(NodeName::new("node-1.eu").is_ok());
        let a = NodeName::new("api.eu-west-1").unwrap();
        // FNV-1a is fixed: the same name gives the same number on every machine and release.
        assert_eq!(NodeName::new("a").unwrap().number(), 0xe40c_292c);
        assert_ne!(a.number(), 0);
    }
}
