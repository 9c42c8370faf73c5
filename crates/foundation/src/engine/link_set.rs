//! The set of processes one process is linked with.

use std::collections::HashSet;

use crate::Pid;

/// Below this many links a vector is faster than hashing; above it, a set keeps every
/// operation O(1).
const FEW: usize = 16;

/// A process's links: a vector while there are few (most processes have one or two), a hash set
/// once there are many (a supervisor of ten thousand children), so adding, checking and
/// removing a link stay cheap however many there are: a child's restart under a supervisor
/// with thousands of children does not scan its every link. 24 bytes either way, as a `Vec`.
#[derive(Debug)]
pub(crate) enum LinkSet {
    Few(Vec<Pid>),
    // Boxed: a `HashSet` is 48 bytes, twice the vector, in every process's control block.
    #[allow(clippy::box_collection)]
    Many(Box<HashSet<Pid>>),
}

impl Default for LinkSet {
    fn default() -> Self {
        LinkSet::Few(Vec::new())
    }
}

impl LinkSet {
    /// Adds a link; `false` if it was there already.
    pub(crate) fn insert(&mut self, pid: Pid) -> bool {
        match self {
            LinkSet::Few(v) if v.contains(&pid) => false,
            LinkSet::Few(v) if v.len() < FEW => {
                v.push(pid);
                true
            }
            LinkSet::Few(v) => {
                let mut set: HashSet<Pid> = v.drain(..).collect();
                set.insert(pid);
                *self = LinkSet::Many(Box::new(set));
                true
            }
            LinkSet::Many(s) => s.insert(pid),
        }
    }

    /// Removes a link; `false` if there was none.
    pub(crate) fn remove(&mut self, pid: Pid) -> bool {
        match self {
            LinkSet::Few(v) => match v.iter().position(|p| *p == pid) {
                Some(i) => {
                    v.remove(i);
                    true
                }
                None => false,
            },
            LinkSet::Many(s) => s.remove(&pid),
        }
    }

    #[cfg(all(test, not(foundation_loom)))]
    pub(crate) fn len(&self) -> usize {
        match self {
            LinkSet::Few(v) => v.len(),
            LinkSet::Many(s) => s.len(),
        }
    }

    /// The links: in the order they were made while few, by pid once many.
    pub(crate) fn to_vec(&self) -> Vec<Pid> {
        match self {
            LinkSet::Few(v) => v.clone(),
            LinkSet::Many(s) => {
                let mut pids: Vec<Pid> = s.iter().copied().collect();
                pids.sort_unstable();
                pids
            }
        }
    }
}

#[cfg(all(test, not(foundation_loom)))]
mod tests {
    use super::*;

    fn pid(n: u64) -> Pid {
        Pid::new(0, 0, n)
    }

    #[test]
    fn a_set_behaves_the_same_few_or_many() {
        let mut links = LinkSet::default();
        for n in 1..=100 {
            assert!(links.insert(pid(n)));
            assert!(!links.insert(pid(n)), "a link is made once");
            assert_eq!(links.len(), n as usize);
        }
        assert!(matches!(links, LinkSet::Many(_)));
        assert!(links.to_vec().contains(&pid(50)) && !links.to_vec().contains(&pid(101)));
        assert!(links.remove(pid(50)) && !links.remove(pid(50)));
        assert_eq!(links.to_vec().len(), 99);
        assert_eq!(links.to_vec(), (1..=100).filter(|n| *n != 50).map(pid).collect::<Vec<_>>());
        assert_eq!(std::mem::size_of::<LinkSet>(), std::mem::size_of::<Vec<Pid>>());
    }

    #[test]
    fn few_links_keep_their_order() {
        let mut links = LinkSet::default();
        for n in [3, 1, 2] {
            links.insert(pid(n));
        }
        links.remove(pid(1));
        assert_eq!(links.to_vec(), vec![pid(3), pid(2)]);
    }
}
