//! Messages to and from bytes, with what a message's serde needs to know of the connection
//! it crosses: a [`ReplyTo`](crate::ReplyTo) inside a request becomes a call number on the
//! way out and a handle that answers over the wire on the way in.

use std::cell::RefCell;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::cluster::link::Link;
use crate::cluster::net::ClusterInner;

thread_local! {
    /// While a message is encoded for a peer: the cluster, and the connection it will take.
    static ENCODING: RefCell<Option<(Arc<ClusterInner>, Arc<Link>)>> = const { RefCell::new(None) };
    /// While a message from a peer is decoded: its connection.
    static DECODING: RefCell<Option<Arc<Link>>> = const { RefCell::new(None) };
}

/// Encodes `msg` for the peer at the other end of `link`.
pub(crate) fn encode<M: Serialize>(
    msg: &M,
    inner: &Arc<ClusterInner>,
    link: &Arc<Link>,
) -> Result<Vec<u8>, postcard::Error> {
    let previous = ENCODING.replace(Some((Arc::clone(inner), Arc::clone(link))));
    let encoded = postcard::to_allocvec(msg);
    ENCODING.set(previous);
    encoded
}

/// Decodes a message that came over `link`; the whole payload must be used.
pub(crate) fn decode<M: DeserializeOwned>(
    payload: &[u8],
    link: &Arc<Link>,
) -> Result<M, postcard::Error> {
    let previous = DECODING.replace(Some(Arc::clone(link)));
    let decoded = match postcard::take_from_bytes::<M>(payload) {
        Ok((msg, [])) => Ok(msg),
        Ok(_) => Err(postcard::Error::DeserializeBadEncoding),
        Err(e) => Err(e),
    };
    DECODING.set(previous);
    decoded
}

/// The cluster and connection a message is being encoded for, if one is.
pub(crate) fn encoding() -> Option<(Arc<ClusterInner>, Arc<Link>)> {
    ENCODING.with_borrow(Clone::clone)
}

/// The connection a message is being decoded from, if one is.
pub(crate) fn decoding() -> Option<Arc<Link>> {
    DECODING.with_borrow(Clone::clone)
}
