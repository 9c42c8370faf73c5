//! What a collecting process keeps: items in the order they came, and a caller waiting until
//! there are enough (so that a test waits for the n-th event by a call, not by polling).

use foundation::ReplyTo;

/// Items in the order they came, and at most one caller waiting until there are enough.
pub(crate) struct Collected<T> {
    /// The items so far.
    items: Vec<T>,
    /// A caller waiting for this many items.
    waiting: Option<(usize, ReplyTo<Vec<T>>)>,
}

impl<T> Default for Collected<T> {
    fn default() -> Self {
        Collected { items: Vec::new(), waiting: None }
    }
}

impl<T: Clone> Collected<T> {
    /// Adds an item, answering the waiting caller if there are enough now.
    pub(crate) fn push(&mut self, item: T) {
        self.items.push(item);
        self.answer();
    }

    /// Answers `reply` with the items once there are at least `n` (at once if there are).
    pub(crate) fn wait_for(&mut self, n: usize, reply: ReplyTo<Vec<T>>) {
        self.waiting = Some((n, reply));
        self.answer();
    }

    /// The items so far.
    pub(crate) fn items(&self) -> Vec<T> {
        self.items.clone()
    }

    /// Answers the waiting caller if there are enough items.
    fn answer(&mut self) {
        if self.waiting.as_ref().is_some_and(|(n, _)| self.items.len() >= *n) {
            let (_, reply) = self.waiting.take().unwrap();
            let _ = reply.reply(self.items.clone());
        }
    }
}
