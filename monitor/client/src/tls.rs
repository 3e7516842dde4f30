//! The TLS side of trust on first use: a verifier that accepts exactly one certificate, the
//! one whose fingerprint is expected, and remembers what the node presented so that a refusal
//! can say which certificate it was.

use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};

use crate::known_hosts::Fingerprint;

#[derive(Debug)]
pub(crate) struct Pinned {
    /// `None`: nothing is trusted yet; the handshake fails and the presented fingerprint is
    /// handed to the caller to decide.
    expected: Option<Fingerprint>,
    presented: Presented,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        // The node's certificate is self-signed and names no host the monitor could check:
        // the pin is the whole of the trust, so neither name nor dates are looked at.
        let fp = Fingerprint::of(end_entity.as_ref());
        if let Ok(mut p) = self.presented.lock() {
            *p = Some(fp);
        }
        if self.expected == Some(fp) {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General("certificate not trusted".into()))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algs = &self.provider.signature_verification_algorithms;
        rustls::crypto::verify_tls12_signature(message, cert, dss, algs)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algs = &self.provider.signature_verification_algorithms;
        rustls::crypto::verify_tls13_signature(message, cert, dss, algs)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Where the verifier leaves the fingerprint the node presented.
pub(crate) type Presented = Arc<Mutex<Option<Fingerprint>>>;

/// A client configuration trusting only `expected`; the returned cell holds the fingerprint
/// the node presented once the handshake has seen it.
pub(crate) fn config(
    expected: Option<Fingerprint>,
) -> Result<(Arc<ClientConfig>, Presented), rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let presented = Arc::new(Mutex::new(None));
    let verifier = Pinned {
        expected,
        presented: presented.clone(),
        provider: provider.clone(),
    };
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok((Arc::new(config), presented))
}

/// A client configuration trusting exactly the certificate with fingerprint `expected`: the
/// pinning `wims-monitor` does, for other clients of the endpoint (the end-to-end tests).
pub fn pinned_config(expected: Fingerprint) -> Result<Arc<ClientConfig>, rustls::Error> {
    Ok(config(Some(expected))?.0)
}

/// The name sent in the handshake: the host itself when it is a valid name or address (the
/// node ignores it either way).
pub(crate) fn server_name(host: &str) -> ServerName<'static> {
    ServerName::try_from(host.to_string())
        .unwrap_or_else(|_| ServerName::try_from("localhost").expect("a valid name"))
}
