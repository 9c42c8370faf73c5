//! Clustered nodes on loopback: started plain or with certificates from a throwaway CA.

use std::time::Duration;

use foundation::cluster::{
    Cluster, ClusterConfig, DownReason, NodeEvent, NodeEvents, NodeName, TlsIdentity,
};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, ExtendedKeyUsagePurpose, IsCa, KeyPair,
};

/// A node's settings: listening on a free loopback port, the given name.
pub(crate) fn config(name: &str) -> ClusterConfig {
    ClusterConfig::new(NodeName::new(name).unwrap()).listen("127.0.0.1:0".parse().unwrap())
}

/// A node on plain TCP.
pub(crate) async fn plain(name: &str) -> Cluster {
    config(name).insecure_plaintext().start().await.unwrap()
}

/// Two plain nodes, `a` connected to `b`; each has seen the other come up.
pub(crate) async fn pair() -> (Cluster, Cluster) {
    let a = plain("a").await;
    let b = plain("b").await;
    let mut b_events = b.node_events();
    a.connect(b.listen_addr().unwrap()).await.unwrap();
    up(&b, &mut b_events, "a").await;
    (a, b)
}

/// Waits until node `name` is connected to `cluster`, whose `events` were subscribed before
/// (so that an `Up` is never missed between the look and the wait).
pub(crate) async fn up(cluster: &Cluster, events: &mut NodeEvents, name: &str) {
    if cluster.nodes().iter().any(|n| n.name.as_str() == name) {
        return;
    }
    loop {
        match next(events).await {
            NodeEvent::Up { name: n, .. } if n.as_str() == name => return,
            _ => {}
        }
    }
}

/// Waits for node `name` to go down, skipping other events; returns why.
pub(crate) async fn down(events: &mut NodeEvents, name: &str) -> DownReason {
    loop {
        if let NodeEvent::Down { name: n, reason, .. } = next(events).await
            && n.as_str() == name
        {
            return reason;
        }
    }
}

/// The next node event, within 10 s.
pub(crate) async fn next(events: &mut NodeEvents) -> NodeEvent {
    tokio::time::timeout(Duration::from_secs(10), events.recv())
        .await
        .expect("a node event within 10 s")
        .expect("the node is running")
}

/// A throwaway certificate authority.
pub(crate) struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl Ca {
    pub(crate) fn new(name: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(rcgen::DnType::CommonName, name);
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        Ca { issuer }
    }

    /// A certificate for `dns_name`, signed by this CA, as an identity trusting `trust`.
    pub(crate) fn identity(&self, dns_name: &str, trust: &Ca) -> TlsIdentity {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(vec![dns_name.to_owned()]).unwrap();
        params.extended_key_usages =
            vec![ExtendedKeyUsagePurpose::ServerAuth, ExtendedKeyUsagePurpose::ClientAuth];
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        TlsIdentity::from_pem(
            trust.issuer.pem().as_bytes(),
            cert.pem().as_bytes(),
            key.serialize_pem().as_bytes(),
        )
        .unwrap()
    }
}

/// A TCP relay on loopback that stands for the network between two nodes: it forwards bytes
/// both ways until told to drop them (a partition: connections stay open, nothing passes, as
/// when a cable is cut or a host hangs), to delay them, or to cut every connection.
pub(crate) struct Relay {
    addr: std::net::SocketAddr,
    state: std::sync::Arc<RelayState>,
}

#[derive(Default)]
struct RelayState {
    partitioned: std::sync::atomic::AtomicBool,
    delay_ms: std::sync::atomic::AtomicU64,
    cut: tokio::sync::Notify,
    generation: std::sync::atomic::AtomicU64,
}

impl Relay {
    /// A relay to `target`.
    pub(crate) async fn to(target: std::net::SocketAddr) -> Relay {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = std::sync::Arc::new(RelayState::default());
        let shared = std::sync::Arc::clone(&state);
        tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                let Ok(outbound) = tokio::net::TcpStream::connect(target).await else { continue };
                let (ri, wi) = inbound.into_split();
                let (ro, wo) = outbound.into_split();
                let generation = shared.generation.load(std::sync::atomic::Ordering::SeqCst);
                tokio::spawn(pump(ri, wo, std::sync::Arc::clone(&shared), generation));
                tokio::spawn(pump(ro, wi, std::sync::Arc::clone(&shared), generation));
            }
        });
        Relay { addr, state }
    }

    /// Where nodes connect to reach the target through the relay.
    pub(crate) fn addr(&self) -> std::net::SocketAddr {
        self.addr
    }

    /// From now on, bytes are dropped both ways; connections stay open.
    pub(crate) fn partition(&self) {
        self.state.partitioned.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Bytes pass again (new connections; the old ones have lost what was dropped, so their
    /// nodes must have taken them as lost).
    pub(crate) fn heal(&self) {
        self.cut();
        self.state.partitioned.store(false, std::sync::atomic::Ordering::SeqCst);
    }

    /// Each chunk of bytes waits this long before it is passed on.
    pub(crate) fn delay(&self, delay: Duration) {
        self.state.delay_ms.store(delay.as_millis() as u64, std::sync::atomic::Ordering::SeqCst);
    }

    /// Closes every connection through the relay.
    pub(crate) fn cut(&self) {
        self.state.generation.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.state.cut.notify_waiters();
    }
}

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    state: std::sync::Arc<RelayState>,
    generation: u64,
) {
    use std::sync::atomic::Ordering::SeqCst;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let cut = state.cut.notified();
        if state.generation.load(SeqCst) != generation {
            return;
        }
        let n = tokio::select! {
            read = from.read(&mut buf) => match read {
                Ok(0) | Err(_) => {
                    // Behind a partition, a side that gives up is not heard: the other end
                    // stays open until the network is cut or healed.
                    if state.partitioned.load(SeqCst) {
                        state.cut.notified().await;
                    }
                    return;
                }
                Ok(n) => n,
            },
            () = cut => return,
        };
        if state.partitioned.load(SeqCst) {
            continue;
        }
        let delay = state.delay_ms.load(SeqCst);
        if delay > 0 {
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}
