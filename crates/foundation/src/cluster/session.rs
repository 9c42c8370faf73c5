//! One connection's life: the greeting, then a writer and a reader until either ends.
//!
//! The greeting: TLS first (when the cluster is secure: the chain is checked there), then each
//! dialler sends `Hello` (name, number, incarnation) and the acceptor answers with its own. A
//! peer whose number is not its name's, that is this node, or whose certificate is not for
//! its name, is refused there. Then the two settle which connection they keep (see
//! `ClusterInner::settle_dialled`): each side's first `Credit` (its receive window) is its
//! word that this connection is the one, and neither writes anything else before it.
//!
//! The writer takes frames from the link's two lanes, many at a time, into one write (so a
//! burst of small messages costs few system calls), and sends a `Tick` when it has written
//! nothing for a tick. The reader takes frames as they come and hands them to the cluster;
//! a peer silent for the detection time is taken as lost.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use rustls_pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::{TlsAcceptor, TlsConnector};

use crate::cluster::error::ClusterError;
use crate::cluster::events::DownReason;
use crate::cluster::inbound::Inbound;
use crate::cluster::link::{Link, Peer};
use crate::cluster::name::NodeName;
use crate::cluster::net::ClusterInner;
use crate::cluster::wire::{self, Frame, FrameDecoder};

/// A connection's byte stream, TLS or plain.
pub(crate) trait Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Stream for T {}

/// The most bytes the writer puts in one write.
const BATCH: usize = 256 * 1024;

/// The write buffer an idle connection keeps.
const IDLE_BUFFER: usize = 16 * 1024;

/// A greeted connection, not yet announced.
pub(crate) struct Greeted {
    pub(crate) peer: Peer,
    pub(crate) stream: Box<dyn Stream>,
    /// Bytes read past the peer's `Hello`.
    pub(crate) leftover: BytesMut,
    pub(crate) decoder: FrameDecoder,
    /// Bytes the greeting wrote and read.
    pub(crate) greeting: (u64, u64),
}

/// TLS (if the cluster is secure) and the greeting, within the connect timeout.
pub(crate) async fn greet(
    inner: &ClusterInner,
    tcp: TcpStream,
    addr: SocketAddr,
    dialled: bool,
) -> Result<Greeted, ClusterError> {
    let after = inner.config.connect_timeout;
    match tokio::time::timeout(after, greet_now(inner, tcp, addr, dialled)).await {
        Ok(result) => result,
        Err(_) => Err(ClusterError::Timeout { addr, after }),
    }
}

async fn greet_now(
    inner: &ClusterInner,
    tcp: TcpStream,
    addr: SocketAddr,
    dialled: bool,
) -> Result<Greeted, ClusterError> {
    let refused = |reason: String| ClusterError::Handshake { addr, reason };
    // A peer refused in TLS 1.3 learns it only when it reads: an error in the greeting is
    // the handshake's.
    let io = |_, e: std::io::Error| refused(e.to_string());
    let _ = tcp.set_nodelay(true);
    let (mut stream, certs): (Box<dyn Stream>, _) = match &inner.tls {
        None => (Box::new(tcp), None),
        Some(tls) if dialled => {
            let connector = TlsConnector::from(Arc::clone(&tls.client));
            let name = ServerName::try_from("foundation-node").expect("a valid DNS name");
            let stream = connector.connect(name, tcp).await.map_err(|e| refused(e.to_string()))?;
            let certs = stream.get_ref().1.peer_certificates().map(|c| c.to_vec());
            (Box::new(stream), Some(certs))
        }
        Some(tls) => {
            let acceptor = TlsAcceptor::from(Arc::clone(&tls.server));
            let stream = acceptor.accept(tcp).await.map_err(|e| refused(e.to_string()))?;
            let certs = stream.get_ref().1.peer_certificates().map(|c| c.to_vec());
            (Box::new(stream), Some(certs))
        }
    };
    let mut hello = BytesMut::new();
    let me = Frame::Hello {
        name: inner.name.as_str().to_owned(),
        node: inner.name.number(),
        creation: inner.node.state.creation,
    };
    wire::encode(&me, inner.config.max_frame, &mut hello).map_err(|e| refused(e.to_string()))?;
    // The dialler speaks first; the acceptor answers only a peer it accepts, so a refused
    // dialler learns it here, before it announces anything.
    if dialled {
        stream.write_all(&hello).await.map_err(|e| io("greet", e))?;
        stream.flush().await.map_err(|e| io("greet", e))?;
    }
    let mut decoder = FrameDecoder::new(inner.config.max_frame);
    let mut buf = BytesMut::with_capacity(4096);
    let mut read_bytes = 0u64;
    let frame = loop {
        if let Some(frame) = decoder.decode(&mut buf).map_err(|e| refused(e.to_string()))? {
            break frame;
        }
        match stream.read_buf(&mut buf).await.map_err(|e| io("greet", e))? {
            0 => return Err(refused("the peer closed the connection during the greeting".into())),
            n => read_bytes += n as u64,
        }
    };
    let Frame::Hello { name, node, creation } = frame else {
        return Err(refused(format!("expected a greeting, got {frame:?}")));
    };
    let name = NodeName::new(&name).map_err(|e| refused(e.to_string()))?;
    if name.number() != node {
        return Err(refused(format!("node `{name}` claims number {node}, not its name's")));
    }
    if name == inner.name {
        return Err(refused("it is this node".into()));
    }
    if let Some(certs) = certs {
        crate::cluster::tls::check_peer_name(certs.as_deref(), &name).map_err(refused)?;
    }
    if !dialled {
        // Answered even when the peer is connected already: the dialler learns who it
        // reached, finds the connection it has, and closes this one.
        stream.write_all(&hello).await.map_err(|e| io("greet", e))?;
        stream.flush().await.map_err(|e| io("greet", e))?;
    }
    let peer = Peer { name, number: node, creation, addr, dialled };
    let greeting = (hello.len() as u64, read_bytes - buf.len() as u64);
    Ok(Greeted { peer, stream, leftover: buf, decoder, greeting })
}

impl Greeted {
    /// The next frame of the greeting.
    pub(crate) async fn next_frame(&mut self) -> Result<Frame, String> {
        loop {
            if let Some(frame) =
                self.decoder.decode(&mut self.leftover).map_err(|e| e.to_string())?
            {
                return Ok(frame);
            }
            match self.stream.read_buf(&mut self.leftover).await.map_err(|e| e.to_string())? {
                0 => return Err("the peer closed the connection during the greeting".into()),
                n => self.greeting.1 += n as u64,
            }
        }
    }

    /// Waits for the peer's first credit: its word that this connection is the one.
    pub(crate) async fn credit(&mut self) -> Result<u64, String> {
        match self.next_frame().await? {
            Frame::Credit { bytes } => Ok(bytes),
            other => Err(format!("expected the first credit, got {other:?}")),
        }
    }

    /// Sends this node's first credit: its word that this connection is the one.
    pub(crate) async fn send_credit(&mut self, bytes: u64, max_frame: usize) -> Result<(), String> {
        let mut buf = BytesMut::new();
        wire::encode(&Frame::Credit { bytes }, max_frame, &mut buf).map_err(|e| e.to_string())?;
        self.stream.write_all(&buf).await.map_err(|e| e.to_string())?;
        self.stream.flush().await.map_err(|e| e.to_string())?;
        self.greeting.0 += buf.len() as u64;
        Ok(())
    }
}

/// Runs an announced connection until it ends; returns why.
pub(crate) async fn run(inner: Arc<ClusterInner>, link: Arc<Link>, greeted: Greeted) -> DownReason {
    let Greeted { stream, leftover, decoder, .. } = greeted;
    let (reader, writer) = tokio::io::split(stream);
    let tick = inner.config.tick;
    let mut write = std::pin::pin!(write_loop(&link, writer, tick));
    let mut read = std::pin::pin!(read_loop(&inner, &link, reader, leftover, decoder));
    tokio::select! {
        reason = &mut write => reason,
        reason = &mut read => reason,
    }
}

async fn write_loop(
    link: &Link,
    mut writer: impl AsyncWrite + Unpin,
    tick: Duration,
) -> DownReason {
    // Grown as a burst needs, given back (past 16 KiB) when the queue runs dry: an idle
    // connection holds a small write buffer at most.
    let mut batch = BytesMut::new();
    let tick_frame = link.encode(&Frame::Tick).unwrap_or_default();
    loop {
        let ready = link.out.ready.notified();
        let mut ready = std::pin::pin!(ready);
        ready.as_mut().enable();
        let (frames, messages) = link.out.take(&mut batch, BATCH);
        if batch.is_empty() {
            if link.out.is_closed() {
                return DownReason::Shutdown;
            }
            if link.is_draining() {
                // Everything queued is written: the peer reads an end of file.
                let _ = writer.shutdown().await;
                return DownReason::Shutdown;
            }
            if tokio::time::timeout(tick, ready).await.is_ok() {
                continue;
            }
            batch.extend_from_slice(&tick_frame);
        }
        if let Err(e) = writer.write_all(&batch).await {
            return DownReason::Io(e.to_string());
        }
        if let Err(e) = writer.flush().await {
            return DownReason::Io(e.to_string());
        }
        let c = &link.counters;
        link.count(&c.bytes_out, batch.len() as u64);
        link.count(&c.frames_out, frames.max(1));
        link.count(&c.messages_out, messages);
        link.count(&c.writes, 1);
        batch.clear();
        // A buffer grown by a burst goes back once the queue is empty; a small one is kept,
        // so that a write of a few frames (a call, a tick) allocates nothing.
        if batch.capacity() > 4 * BATCH
            || (batch.capacity() > IDLE_BUFFER && link.out.depth().1 == 0)
        {
            batch = BytesMut::new();
        }
    }
}

async fn read_loop(
    inner: &Arc<ClusterInner>,
    link: &Arc<Link>,
    mut reader: impl AsyncRead + Unpin,
    mut buf: BytesMut,
    mut decoder: FrameDecoder,
) -> DownReason {
    // The membership protocol declares a silent node down within the detection time; this is
    // the connection's own backstop.
    let detection = inner.config.detection * 2;
    let mut inbound = Inbound::new(inner, link);
    let mut silent_until = tokio::time::Instant::now() + detection;
    let mut full_reads = 0u32;
    loop {
        loop {
            let before = buf.len();
            match decoder.decode(&mut buf) {
                Ok(Some(frame)) => {
                    let len = before - buf.len();
                    link.count(&link.counters.frames_in, 1);
                    if let Err(why) = inbound.take(frame, len) {
                        return DownReason::Protocol(why);
                    }
                }
                Ok(None) => break,
                Err(e) => return DownReason::Protocol(e.to_string()),
            }
        }
        // Room for the next read: 8 KiB, more while reads come back full (a burst), so an idle
        // connection holds little.
        if buf.capacity() - buf.len() < 1024 {
            buf.reserve(if full_reads > 2 { 64 * 1024 } else { 8 * 1024 });
        }
        tokio::select! {
            read = reader.read_buf(&mut buf) => match read {
                Ok(0) => return DownReason::Closed,
                Ok(n) => {
                    full_reads = if buf.capacity() == buf.len() { full_reads + 1 } else { 0 };
                    link.count(&link.counters.bytes_in, n as u64);
                    silent_until = tokio::time::Instant::now() + detection;
                }
                Err(e) => return DownReason::Io(e.to_string()),
            },
            () = tokio::time::sleep_until(silent_until) => return DownReason::TimedOut,
            () = inbound.deliver() => {}
        }
    }
}
