//! The wire format: what two nodes say to each other over their connection.
//!
//! # Layout
//!
//! A connection carries frames. Each frame is
//!
//! ```text
//! length: u32, big-endian   (the bytes that follow: 1 to the receiver's maximum)
//! version: u8               (WIRE_VERSION)
//! body: a Frame, in postcard (https://postcard.jamesmunns.com/wire-format)
//! ```
//!
//! Byte strings inside a body (a message's payload, a gossip packet) are postcard byte arrays
//! (a length, then the bytes), read and written whole (`serde_bytes`), never byte by byte.
//!
//! The length prefix is tokio-util's `LengthDelimitedCodec`; the body is serde through
//! postcard, a compact format with a written specification and a stable 1.x wire format (not
//! bincode, whose format has changed between majors). The version byte comes first so that a
//! node can refuse a peer speaking another version before reading its body.
//!
//! # Untrusted bytes
//!
//! Everything here reads bytes from another machine, so nothing trusts them:
//!
//! - The length is checked against the receiver's maximum ([`FrameDecoder::new`]) **before**
//!   anything is buffered or allocated for the frame: a peer announcing 4 GiB gets
//!   [`WireError::TooLarge`] at once, whatever follows.
//! - Inside a frame, every length (a string, a payload) is bounded by the frame's own bytes:
//!   postcard takes a string or a byte vector of `n` bytes only if `n` bytes are there, so no
//!   allocation is sized by an unchecked number.
//! - A frame whose body does not decode, or has bytes left over, is
//!   [`WireError::Malformed`]; a frame with another version is [`WireError::Version`]. Each
//!   error is final for the connection (the stream cannot be resynchronised); what was decoded
//!   before it stands.
//! - The decoder never panics, on any input: property tests feed it random and mutated
//!   frames, and a fuzz target (`fuzz/`) runs it under libFuzzer, its corpus replayed by the
//!   tests.
//!
//! # Lanes
//!
//! [`Frame::is_signal`] tells the frames that must never wait behind data (links, monitors,
//! exits, downs) from the messages (`Send`). The transport keeps them in two queues and writes
//! signals first, so an exit signal is never stuck behind a backlog of messages; ordering
//! between one pair of processes is kept by sending a pair's signals behind that pair's
//! earlier messages, as the local mailbox does for trapped exits.

use std::fmt;

use bytes::BytesMut;
use serde::{Deserialize, Serialize};
use tokio_util::codec::{Decoder, Encoder, LengthDelimitedCodec};

use crate::error::Chain;
use crate::exit::{Panic, PanicLocation};
use crate::{ExitReason, MonitorRef, Pid};

/// The version of the wire format this build speaks.
pub const WIRE_VERSION: u8 = 1;

/// The default largest frame a node accepts: 8 MiB (a message larger than this is refused by
/// its sender, not split).
pub const DEFAULT_MAX_FRAME: usize = 8 * 1024 * 1024;

/// Bytes of the length prefix.
const LENGTH_BYTES: usize = 4;

/// A process on the wire: its node, that node's incarnation, and its number there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct WirePid {
    /// The node.
    pub node: u32,
    /// The node's incarnation.
    pub creation: u32,
    /// The number on that node.
    pub local: u64,
}

impl From<Pid> for WirePid {
    fn from(pid: Pid) -> Self {
        WirePid { node: pid.node(), creation: pid.creation(), local: pid.local_id() }
    }
}

impl From<WirePid> for Pid {
    fn from(pid: WirePid) -> Self {
        Pid::new(pid.node, pid.creation, pid.local)
    }
}

/// A monitor reference on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct WireRef {
    /// The node that made it.
    pub node: u32,
    /// That node's incarnation.
    pub creation: u32,
    /// Its number there.
    pub id: u64,
}

impl From<MonitorRef> for WireRef {
    fn from(r: MonitorRef) -> Self {
        WireRef { node: r.node(), creation: r.creation(), id: r.id() }
    }
}

impl From<WireRef> for MonitorRef {
    fn from(r: WireRef) -> Self {
        MonitorRef::new(r.node, r.creation, r.id)
    }
}

/// An exit reason on the wire. An error travels as its text with its chain of sources (the
/// error value itself stays on its node); everything else travels whole.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum WireReason {
    /// [`ExitReason::Normal`].
    Normal,
    /// [`ExitReason::Shutdown`].
    Shutdown(Option<String>),
    /// [`ExitReason::Killed`].
    Killed,
    /// [`ExitReason::Kill`].
    Kill,
    /// [`ExitReason::Panicked`]: the message, and the file, line and column if known.
    Panicked {
        /// The panic's message.
        message: String,
        /// Where it happened.
        location: Option<(String, u32, u32)>,
    },
    /// [`ExitReason::Error`], as text with its chain of sources.
    Error(String),
    /// [`ExitReason::NoProc`].
    NoProc,
    /// [`ExitReason::NoConnection`].
    NoConnection,
    /// [`ExitReason::MemoryLimit`].
    MemoryLimit {
        /// The limit, in bytes.
        limit: u64,
        /// What the process held, in bytes.
        held: u64,
    },
}

impl From<&ExitReason> for WireReason {
    fn from(reason: &ExitReason) -> Self {
        match reason {
            ExitReason::Normal => WireReason::Normal,
            ExitReason::Shutdown(why) => WireReason::Shutdown(why.as_deref().map(str::to_owned)),
            ExitReason::Killed => WireReason::Killed,
            ExitReason::Kill => WireReason::Kill,
            ExitReason::Panicked(panic) => WireReason::Panicked {
                message: panic.message().to_owned(),
                location: panic.location().map(|at| (at.file().to_owned(), at.line(), at.column())),
            },
            ExitReason::Error(error) => WireReason::Error(Chain(&**error).to_string()),
            ExitReason::NoProc => WireReason::NoProc,
            ExitReason::NoConnection => WireReason::NoConnection,
            ExitReason::MemoryLimit { limit, held } => {
                WireReason::MemoryLimit { limit: *limit, held: *held }
            }
        }
    }
}

impl From<WireReason> for ExitReason {
    fn from(reason: WireReason) -> Self {
        match reason {
            WireReason::Normal => ExitReason::Normal,
            WireReason::Shutdown(why) => ExitReason::Shutdown(why.map(Into::into)),
            WireReason::Killed => ExitReason::Killed,
            WireReason::Kill => ExitReason::Kill,
            WireReason::Panicked { message, location } => ExitReason::Panicked(Panic::new(
                message.into(),
                location.map(|(file, line, column)| PanicLocation::new(&file, line, column)),
            )),
            WireReason::Error(text) => ExitReason::error(text),
            WireReason::NoProc => ExitReason::NoProc,
            WireReason::NoConnection => ExitReason::NoConnection,
            WireReason::MemoryLimit { limit, held } => ExitReason::MemoryLimit { limit, held },
        }
    }
}

/// One frame between two nodes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Frame {
    /// The first frame each side sends: who it is.
    Hello {
        /// The node's name.
        name: String,
        /// The node's number in the cluster.
        node: u32,
        /// The node's incarnation.
        creation: u32,
    },
    /// Keeps an idle connection seen alive.
    Tick,
    /// Flow control: the receiver has room for this many more bytes of `Send` frames.
    Credit {
        /// Bytes granted.
        bytes: u64,
    },
    /// A message for a process; `payload` is the message, serialised by its type's serde.
    Send {
        /// The sending process, if the sender is one.
        from: Option<WirePid>,
        /// The receiving process.
        to: WirePid,
        /// The message.
        #[serde(with = "serde_bytes")]
        payload: Vec<u8>,
    },
    /// `from` links to `to`.
    Link {
        /// The process linking.
        from: WirePid,
        /// The process linked to.
        to: WirePid,
    },
    /// `from` unlinks from `to`.
    Unlink {
        /// The process unlinking.
        from: WirePid,
        /// The process unlinked from.
        to: WirePid,
    },
    /// An exit signal.
    Exit {
        /// The sender.
        from: WirePid,
        /// The receiver.
        to: WirePid,
        /// Why.
        reason: WireReason,
        /// Whether it comes from a link (rather than an explicit `exit`).
        link: bool,
    },
    /// `from` monitors `to`.
    Monitor {
        /// The process monitoring.
        from: WirePid,
        /// The process monitored.
        to: WirePid,
        /// The monitor.
        reference: WireRef,
    },
    /// `from` stops monitoring `to`.
    Demonitor {
        /// The process that monitored.
        from: WirePid,
        /// The process monitored.
        to: WirePid,
        /// The monitor.
        reference: WireRef,
    },
    /// A monitored process has ended.
    Down {
        /// The process that monitored.
        to: WirePid,
        /// The monitor.
        reference: WireRef,
        /// The process that ended.
        pid: WirePid,
        /// Why.
        reason: WireReason,
    },
    /// Asks the peer for the process it exports under `name`.
    Lookup {
        /// The question's number, repeated in the answer.
        id: u64,
        /// The name.
        name: String,
    },
    /// The answer to a `Lookup`: the process, if one is exported under the name.
    Found {
        /// The question's number.
        id: u64,
        /// The process.
        pid: Option<WirePid>,
    },
    /// The reply to a call made from the peer.
    Reply {
        /// The call's number (from the request's `ReplyTo`).
        id: u64,
        /// The reply, serialised by its type's serde.
        #[serde(with = "serde_bytes")]
        payload: Vec<u8>,
    },
    /// A call made from the peer will get no reply: the server dropped its `ReplyTo`, or
    /// ended holding it (`reason`).
    NoReply {
        /// The call's number.
        id: u64,
        /// The server's exit reason, if it ended.
        reason: Option<WireReason>,
    },
    /// A packet of the membership protocol (SWIM), opaque here.
    Gossip {
        /// The packet.
        #[serde(with = "serde_bytes")]
        packet: Vec<u8>,
    },
    /// Asks the peer to run the factory it registered as `factory`.
    Spawn {
        /// The question's number, repeated in the answer.
        id: u64,
        /// The factory's name.
        factory: String,
        /// Its arguments, serialised by their type's serde.
        #[serde(with = "serde_bytes")]
        args: Vec<u8>,
    },
    /// A process of the sender joined (`joined`) or left one membership of a process group.
    Group {
        /// The group's scope.
        scope: String,
        /// The group.
        group: String,
        /// The process.
        pid: WirePid,
        /// Joined, or left.
        joined: bool,
    },
    /// The answer to a `Spawn`: the new process, or why there is none.
    Spawned {
        /// The question's number.
        id: u64,
        /// The new process, or the reason.
        result: Result<WirePid, String>,
    },
}

impl Frame {
    /// `true` for the frames that must never wait behind messages: links, monitors, exit
    /// signals and downs.
    pub fn is_signal(&self) -> bool {
        matches!(
            self,
            Frame::Link { .. }
                | Frame::Unlink { .. }
                | Frame::Exit { .. }
                | Frame::Monitor { .. }
                | Frame::Demonitor { .. }
                | Frame::Down { .. }
        )
    }
}

/// A frame that cannot be read or written. Every one is final for the connection.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WireError {
    /// The frame's length is outside what is allowed (1 byte to the maximum): refused before
    /// anything was buffered for it.
    TooLarge {
        /// The length announced (or, when writing, the frame's).
        len: u64,
        /// The maximum.
        max: usize,
    },
    /// The frame speaks another version of the wire format.
    Version {
        /// The version the frame has.
        got: u8,
    },
    /// The frame's body is not a frame (or has bytes left over): postcard's reason.
    Malformed(String),
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::TooLarge { len, max } => {
                write!(f, "invalid frame `length` = {len}: allowed values are 1 to {max} bytes")
            }
            WireError::Version { got } => {
                write!(f, "invalid frame `version` = {got}: allowed values are {WIRE_VERSION}")
            }
            WireError::Malformed(why) => write!(f, "malformed frame: {why}"),
        }
    }
}

impl std::error::Error for WireError {}

/// Reads frames from the bytes of a connection, as they arrive.
#[derive(Debug)]
pub struct FrameDecoder {
    framing: LengthDelimitedCodec,
    max: usize,
    /// The framing has read a frame's length and waits for its bytes: what `buf` starts with
    /// is no longer a length.
    in_frame: bool,
}

impl FrameDecoder {
    /// A decoder that accepts frames of at most `max_frame` bytes (after the length prefix).
    pub fn new(max_frame: usize) -> Self {
        FrameDecoder { framing: framing(max_frame), max: max_frame, in_frame: false }
    }

    /// The next frame in `buf`, taking its bytes out; `Ok(None)` until a whole frame is there.
    /// After an error the connection must be closed: the bytes that follow cannot be trusted
    /// to start a frame.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, WireError> {
        // The length is checked here first, to name it in the error (the codec would refuse it
        // too, before reserving anything).
        let has_head = buf.len() >= LENGTH_BYTES;
        if !self.in_frame
            && let Some(head) = buf.get(..LENGTH_BYTES)
        {
            let len = u64::from(u32::from_be_bytes([head[0], head[1], head[2], head[3]]));
            if len == 0 || len > self.max as u64 {
                return Err(WireError::TooLarge { len, max: self.max });
            }
        }
        let frame = match self.framing.decode(buf) {
            Ok(Some(frame)) => {
                self.in_frame = false;
                frame
            }
            Ok(None) => {
                // With a whole length in `buf`, the framing has taken it and waits for the rest.
                self.in_frame |= has_head;
                return Ok(None);
            }
            Err(e) => return Err(WireError::Malformed(e.to_string())),
        };
        let (&version, body) =
            frame.split_first().ok_or(WireError::TooLarge { len: 0, max: self.max })?;
        if version != WIRE_VERSION {
            return Err(WireError::Version { got: version });
        }
        match postcard::take_from_bytes::<Frame>(body) {
            Ok((frame, [])) => Ok(Some(frame)),
            Ok((_, rest)) => {
                Err(WireError::Malformed(format!("{} bytes after the frame", rest.len())))
            }
            Err(e) => Err(WireError::Malformed(e.to_string())),
        }
    }
}

impl Default for FrameDecoder {
    fn default() -> Self {
        FrameDecoder::new(DEFAULT_MAX_FRAME)
    }
}

/// Writes `frame` to `buf` (length, version, body), or refuses it if it is larger than
/// `max_frame` bytes: the receiver would refuse it, so it is never sent.
pub fn encode(frame: &Frame, max_frame: usize, buf: &mut BytesMut) -> Result<(), WireError> {
    let body = postcard::to_extend(frame, vec![WIRE_VERSION])
        .map_err(|e| WireError::Malformed(e.to_string()))?;
    let body = bytes::Bytes::from(body);
    if body.len() > max_frame {
        return Err(WireError::TooLarge { len: body.len() as u64, max: max_frame });
    }
    framing(max_frame).encode(body, buf).map_err(|e| WireError::Malformed(e.to_string()))
}

/// tokio-util's length-delimited framing, as the format says: a 4-byte big-endian length.
fn framing(max_frame: usize) -> LengthDelimitedCodec {
    LengthDelimitedCodec::builder()
        .length_field_length(LENGTH_BYTES)
        .big_endian()
        .max_frame_length(max_frame)
        .new_codec()
}
