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
