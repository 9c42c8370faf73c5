//! Mutual TLS between nodes: each shows a certificate for its name, signed by the cluster's CA.
//!
//! The handshake checks the chain (a peer without a certificate from the cluster's CA is
//! refused there, before a byte of the protocol); the greeting that follows checks that the
//! certificate names the node the peer says it is, so a node cannot pass itself off as
//! another with its own valid certificate.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use tokio_rustls::rustls;
use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::crypto::CryptoProvider;
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::cluster::error::ClusterError;
use crate::cluster::name::NodeName;

/// A node's TLS identity: the cluster's CA certificate, the node's certificate chain (its
/// own first), and its private key, all PEM.
#[derive(Clone)]
pub struct TlsIdentity {
    roots: Arc<RootCertStore>,
    chain: Vec<CertificateDer<'static>>,
    key: Arc<PrivateKeyDer<'static>>,
}

impl TlsIdentity {
    /// Reads PEM text: the CA's certificate(s), the node's chain, the node's key (PKCS#8,
    /// PKCS#1 or SEC1).
    pub fn from_pem(ca: &[u8], chain: &[u8], key: &[u8]) -> Result<TlsIdentity, ClusterError> {
        let bad = |what: &'static str, e: &dyn fmt::Display| ClusterError::Tls {
            what,
            reason: e.to_string(),
        };
        let mut roots = RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(ca) {
            let cert = cert.map_err(|e| bad("the CA certificate", &e))?;
            roots.add(cert).map_err(|e| bad("the CA certificate", &e))?;
        }
        if roots.is_empty() {
            return Err(bad("the CA certificate", &"no certificate in the PEM text"));
        }
        let chain = CertificateDer::pem_slice_iter(chain)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| bad("the node's certificate", &e))?;
        if chain.is_empty() {
            return Err(bad("the node's certificate", &"no certificate in the PEM text"));
        }
        let key = PrivateKeyDer::from_pem_slice(key).map_err(|e| bad("the node's key", &e))?;
        Ok(TlsIdentity { roots: Arc::new(roots), chain, key: Arc::new(key) })
    }

    /// Reads the three PEM files.
    pub fn from_pem_files(
        ca: impl AsRef<Path>,
        chain: impl AsRef<Path>,
        key: impl AsRef<Path>,
    ) -> Result<TlsIdentity, ClusterError> {
        let read = |what: &'static str, path: &Path| {
            std::fs::read(path)
                .map_err(|e| ClusterError::Tls { what, reason: format!("{}: {e}", path.display()) })
        };
        TlsIdentity::from_pem(
            &read("the CA certificate", ca.as_ref())?,
            &read("the node's certificate", chain.as_ref())?,
            &read("the node's key", key.as_ref())?,
        )
    }

    /// rustls over *ring*: it builds with a Rust toolchain alone (aws-lc-rs, rustls's
    /// default, needs a C toolchain and CMake). rustls deprecates it for want of post-quantum
    /// key exchange; moving to aws-lc-rs is one line here once the build can take it.
    #[allow(deprecated)]
    fn provider() -> Arc<CryptoProvider> {
        Arc::new(rustls::crypto::ring::default_provider())
    }

    /// The configuration for connections this node opens.
    pub(crate) fn client_config(&self) -> Result<Arc<rustls::ClientConfig>, ClusterError> {
        let provider = Self::provider();
        let verifier =
            Arc::new(ClusterCa { roots: Arc::clone(&self.roots), provider: Arc::clone(&provider) });
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| tls_error("the TLS versions", &e))?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_client_auth_cert(self.chain.clone(), self.key.clone_key())
            .map_err(|e| tls_error("the node's certificate and key", &e))?;
        // The peer's name is checked against its certificate after the greeting, not by SNI.
        config.enable_sni = false;
        Ok(Arc::new(config))
    }

    /// The configuration for connections this node accepts: a client certificate from the
    /// cluster's CA is required.
    pub(crate) fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, ClusterError> {
        let provider = Self::provider();
        let clients =
            WebPkiClientVerifier::builder_with_provider(Arc::clone(&self.roots), provider.clone())
                .build()
                .map_err(|e| tls_error("the CA certificate", &e))?;
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| tls_error("the TLS versions", &e))?
            .with_client_cert_verifier(clients)
            .with_single_cert(self.chain.clone(), self.key.clone_key())
            .map_err(|e| tls_error("the node's certificate and key", &e))?;
        Ok(Arc::new(config))
    }
}

impl fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsIdentity")
            .field("ca_certificates", &self.roots.len())
            .field("chain", &self.chain.len())
            .finish_non_exhaustive()
    }
}

fn tls_error(what: &'static str, e: &dyn fmt::Display) -> ClusterError {
    ClusterError::Tls { what, reason: e.to_string() }
}

/// Checks that the peer's certificate names `name` (the chain was checked in the handshake).
pub(crate) fn check_peer_name(
    certs: Option<&[CertificateDer<'_>]>,
    name: &NodeName,
) -> Result<(), String> {
    let cert = certs.and_then(|c| c.first()).ok_or("the peer showed no certificate")?;
    let cert = webpki::EndEntityCert::try_from(cert).map_err(|e| e.to_string())?;
    let server_name = ServerName::try_from(name.as_str()).map_err(|e| e.to_string())?;
    cert.verify_is_valid_for_subject_name(&server_name)
        .map_err(|e| format!("its certificate is not for node `{name}`: {e}"))
}

/// Checks a server's chain against the cluster's CA, whatever name it was dialled by (a seed
/// is known by its address; its name is checked after the greeting).
#[derive(Debug)]
struct ClusterCa {
    roots: Arc<RootCertStore>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for ClusterCa {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let cert = webpki::EndEntityCert::try_from(end_entity).map_err(pki_error)?;
        cert.verify_for_usage(
            self.provider.signature_verification_algorithms.all,
            &self.roots.roots,
            intermediates,
            now,
            webpki::KeyUsage::server_auth(),
            None,
            None,
        )
        .map_err(pki_error)?;
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

fn pki_error(e: webpki::Error) -> rustls::Error {
    use rustls::CertificateError as C;
    rustls::Error::InvalidCertificate(match e {
        webpki::Error::UnknownIssuer => C::UnknownIssuer,
        webpki::Error::CertExpired { .. } => C::Expired,
        webpki::Error::CertNotValidYet { .. } => C::NotValidYet,
        other => C::Other(rustls::OtherError(Arc::new(other))),
    })
}
