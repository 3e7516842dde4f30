//! The node's TLS identity: a self-signed certificate made at init, loaded into rustls.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer};

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("certificate generation: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("{0}")]
    Rustls(#[from] rustls::Error),
    #[error("no private key in {0}")]
    NoKey(String),
    #[error("no certificate in {0}")]
    NoCert(String),
}

/// Writes a self-signed certificate for `hostname`, localhost and the loopback addresses.
pub fn generate(hostname: &str, cert: &Path, key: &Path) -> Result<(), TlsError> {
    let mut names = vec![
        hostname.to_string(),
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ];
    names.dedup();
    let certified = rcgen::generate_simple_self_signed(names)?;
    if let Some(d) = cert.parent() {
        std::fs::create_dir_all(d)?;
    }
    std::fs::write(cert, certified.cert.pem())?;
    crate::paths::write_secret(key, certified.key_pair.serialize_pem().as_bytes())?;
    Ok(())
}

pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let certs: Vec<CertificateDer<'static>> =
        rustls_pemfile::certs(&mut std::io::BufReader::new(std::fs::File::open(cert)?))
            .collect::<Result<_, _>>()?;
    if certs.is_empty() {
        return Err(TlsError::NoCert(cert.display().to_string()));
    }
    let key: PrivateKeyDer<'static> =
        rustls_pemfile::private_key(&mut std::io::BufReader::new(std::fs::File::open(key)?))?
            .ok_or_else(|| TlsError::NoKey(key.display().to_string()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    Ok(Arc::new(cfg))
}
