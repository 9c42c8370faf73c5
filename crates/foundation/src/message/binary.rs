//! Large payloads built once and shared by reference count: the BEAM's refc binaries.

use std::fmt;
use std::ops::{Deref, RangeBounds};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;

use bytes::Bytes;

/// Bytes held by live binaries built with [`Binary::build`] or [`Binary::copy_from_slice`].
static SHARED_BYTES: AtomicU64 = AtomicU64::new(0);

/// An immutable byte payload shared by reference count: sending it, cloning it or slicing it
/// never copies the bytes (the BEAM's reference-counted binaries).
///
/// A `Binary` built here lives on the *shared heap*: with the
/// [`AccountingAllocator`](crate::memory::AccountingAllocator) its bytes are charged to the
/// runtime, not to the process that built it, so a payload broadcast to a thousand processes
/// counts once and against nobody's memory limit (as the BEAM keeps large binaries off the
/// process heaps). [`shared_binary_bytes`] tells how much the live ones hold; the bytes go when
/// the last clone is dropped, wherever that is.
///
/// It converts to and from [`bytes::Bytes`] without copying, so it fits any I/O stack built
/// on `bytes`.
///
/// ```
/// use bytes::BufMut;
/// use foundation::message::{Binary, MessageSize};
///
/// let frame = Binary::build(1 << 20, |buf| {
///     buf.put_u32(0xF00D);
///     buf.put_bytes(7, (1 << 20) - 4);
/// });
/// let copy = frame.clone(); // a reference count, not a megabyte
/// assert_eq!(copy.len(), 1 << 20);
/// assert_eq!(&frame[..4], &[0, 0, 0xF0, 0x0D]);
/// assert_eq!(frame.slice(4..8).as_ref(), &[7, 7, 7, 7]); // a view, no copy
/// assert_eq!(frame.message_size(), 1 << 20);
/// ```
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Binary(Bytes);

impl Binary {
    /// Builds a binary on the shared heap: `fill` writes into a buffer of at least `capacity`
    /// bytes (it may write more; `bytes::BufMut` is implemented for it).
    pub fn build(capacity: usize, fill: impl FnOnce(&mut Vec<u8>)) -> Binary {
        let _shared_heap = crate::memory::ChargeTo::shared_heap();
        let mut buf = Vec::with_capacity(capacity);
        fill(&mut buf);
        buf.shrink_to_fit();
        Binary::tracked(buf)
    }

    /// Copies `data` into a new binary on the shared heap.
    pub fn copy_from_slice(data: &[u8]) -> Binary {
        let _shared_heap = crate::memory::ChargeTo::shared_heap();
        Binary::tracked(data.to_vec())
    }

    fn tracked(buf: Vec<u8>) -> Binary {
        SHARED_BYTES.fetch_add(buf.len() as u64, Relaxed);
        Binary(Bytes::from_owner(Tracked(buf)))
    }

    /// The number of bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// `true` if it holds no bytes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A view of part of it, sharing the same bytes (the BEAM's sub-binaries).
    ///
    /// # Panics
    ///
    /// If the range is out of bounds, as slicing a `[u8]` does.
    pub fn slice(&self, range: impl RangeBounds<usize>) -> Binary {
        Binary(self.0.slice(range))
    }

    /// The bytes as [`bytes::Bytes`], sharing them.
    pub fn as_bytes(&self) -> &Bytes {
        &self.0
    }

    /// Into [`bytes::Bytes`], sharing the bytes.
    pub fn into_bytes(self) -> Bytes {
        self.0
    }
}

/// Bytes held by live binaries made with [`Binary::build`] or [`Binary::copy_from_slice`]
/// (however many clones and slices share them): the shared heap's size.
pub fn shared_binary_bytes() -> u64 {
    SHARED_BYTES.load(Relaxed)
}

/// Owns a built binary's bytes and un-counts them when the last reference goes.
struct Tracked(Vec<u8>);

impl AsRef<[u8]> for Tracked {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        SHARED_BYTES.fetch_sub(self.0.len() as u64, Relaxed);
    }
}

impl Deref for Binary {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl AsRef<[u8]> for Binary {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl From<Bytes> for Binary {
    fn from(bytes: Bytes) -> Self {
        Binary(bytes)
    }
}

impl From<Binary> for Bytes {
    fn from(binary: Binary) -> Self {
        binary.0
    }
}

impl From<Vec<u8>> for Binary {
    /// Takes the vector's allocation as it is (it stays charged to whoever allocated it).
    fn from(data: Vec<u8>) -> Self {
        Binary(Bytes::from(data))
    }
}

impl From<&'static [u8]> for Binary {
    fn from(data: &'static [u8]) -> Self {
        Binary(Bytes::from_static(data))
    }
}

impl fmt::Debug for Binary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Binary({} bytes)", self.0.len())
    }
}

/// A message that knows its size in bytes, for message analytics: see
/// [`Process::message_size`](crate::Process::message_size). Implement it for your own
/// payload types (a struct holding a [`Binary`], say).
pub trait MessageSize {
    /// The message's size in bytes (its payload; what it shares by reference count counts in
    /// full, since that is what the receiver sees).
    fn message_size(&self) -> usize;
}

impl MessageSize for Binary {
    fn message_size(&self) -> usize {
        self.len()
    }
}

impl MessageSize for Bytes {
    fn message_size(&self) -> usize {
        self.len()
    }
}

impl MessageSize for bytes::BytesMut {
    fn message_size(&self) -> usize {
        self.len()
    }
}

impl MessageSize for Vec<u8> {
    fn message_size(&self) -> usize {
        self.len()
    }
}

impl MessageSize for [u8] {
    fn message_size(&self) -> usize {
        self.len()
    }
}

impl MessageSize for String {
    fn message_size(&self) -> usize {
        self.len()
    }
}

impl MessageSize for str {
    fn message_size(&self) -> usize {
        self.len()
    }
}

impl<T: MessageSize + ?Sized> MessageSize for Box<T> {
    fn message_size(&self) -> usize {
        (**self).message_size()
    }
}

impl<T: MessageSize + ?Sized> MessageSize for Arc<T> {
    fn message_size(&self) -> usize {
        (**self).message_size()
    }
}

impl<T: MessageSize + ?Sized> MessageSize for &T {
    fn message_size(&self) -> usize {
        (**self).message_size()
    }
}
