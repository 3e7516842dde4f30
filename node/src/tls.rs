//! The node's TLS identity: a self-signed certificate made at init, loaded into rustls.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer};

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// A certificate or key file that cannot be read, with its path.
    #[error("{path}: {source}")]
    File {
        path: String,
        source: std::io::Error,
    },
    #[error("certificate generation: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("{0}")]
    Rustls(#[from] rustls::Error),
    #[error("no private key in {0}")]
    NoKey(String),
    #[error("no certificate in {0}")]
    NoCert(String),
}

/// How long the self-signed certificate is valid: the longest a client accepts for a server
/// certificate (825 days); a new one is made with `wims init` in a fresh folder.
const CERT_DAYS: i64 = 825;

/// Writes a self-signed certificate for `hostname`, this machine's name, localhost and the
/// loopback addresses. Its subject names the node (`CN=<hostname>, O=<product> node`), which
/// is what a mail client shows when it asks the user to trust it.
pub fn generate(hostname: &str, product: &str, cert: &Path, key: &Path) -> Result<(), TlsError> {
    let mut names = vec![hostname.to_string()];
    names.extend(machine_name());
    names.extend(["localhost", "127.0.0.1", "::1"].map(String::from));
    let mut seen = std::collections::HashSet::new();
    names.retain(|n| seen.insert(n.to_ascii_lowercase()));
    let mut params = rcgen::CertificateParams::new(names)?;
    let mut dn = rcgen::DistinguishedName::new();
    dn.push(rcgen::DnType::CommonName, hostname);
    dn.push(rcgen::DnType::OrganizationName, format!("{product} node"));
    params.distinguished_name = dn;
    let day = |d: chrono::NaiveDate| {
        use chrono::Datelike;
        rcgen::date_time_ymd(d.year(), d.month() as u8, d.day() as u8)
    };
    // A day back, so a client whose clock runs a little behind accepts it at once.
    let today = chrono::Utc::now().date_naive();
    params.not_before = day(today - chrono::Days::new(1));
    params.not_after = day(today + chrono::Days::new(CERT_DAYS as u64));
    let key_pair = rcgen::KeyPair::generate()?;
    let certified = params.self_signed(&key_pair)?;
    if let Some(d) = cert.parent() {
        std::fs::create_dir_all(d)?;
    }
    std::fs::write(cert, certified.pem())?;
    daemon::files::write_secret(key, key_pair.serialize_pem().as_bytes())?;
    Ok(())
}

/// This machine's host name, when it has a usable one.
fn machine_name() -> Option<String> {
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most `buf.len()` bytes into our buffer.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return None;
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    let name = std::str::from_utf8(&buf[..end]).ok()?.trim();
    let usable = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    usable.then(|| name.to_ascii_lowercase())
}

/// The SHA-256 fingerprint of the first certificate in the PEM file `cert`, as mail clients
/// and `openssl x509 -fingerprint -sha256` show it (`AB:CD:…`).
pub fn fingerprint(cert: &Path) -> Result<String, TlsError> {
    use sha2::Digest;
    let mut reader = std::io::BufReader::new(std::fs::File::open(cert)?);
    let der = rustls_pemfile::certs(&mut reader)
        .next()
        .ok_or_else(|| TlsError::NoCert(cert.display().to_string()))??;
    let digest = sha2::Sha256::digest(der.as_ref());
    Ok(digest
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":"))
}

/// The line that shows the user the fingerprint of `cert`, to compare with what the mail
/// client shows.
pub fn fingerprint_line(cert: &Path, i18n: &crate::i18n::I18n) -> Option<String> {
    let fp = fingerprint(cert).ok()?;
    let path = cert.display().to_string();
    Some(i18n.text(
        "cli-cert-fingerprint",
        &[("fingerprint", &fp), ("path", &path)],
    ))
}

pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let open = |path: &Path| {
        std::fs::File::open(path)
            .map(std::io::BufReader::new)
            .map_err(|source| TlsError::File {
                path: path.display().to_string(),
                source,
            })
    };
    let certs: Vec<CertificateDer<'static>> = rustls_pemfile::certs(&mut open(cert)?)
        .collect::<Result<_, _>>()
        .map_err(|source| TlsError::File {
            path: cert.display().to_string(),
            source,
        })?;
    if certs.is_empty() {
        return Err(TlsError::NoCert(cert.display().to_string()));
    }
    let key: PrivateKeyDer<'static> = rustls_pemfile::private_key(&mut open(key)?)
        .map_err(|source| TlsError::File {
            path: key.display().to_string(),
            source,
        })?
        .ok_or_else(|| TlsError::NoKey(key.display().to_string()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    Ok(Arc::new(cfg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_certificate_names_the_node_and_has_a_sane_validity() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
        generate("mail.kapur.h", "WIMS", &cert, &key).unwrap();
        server_config(&cert, &key).unwrap();
        let fp = fingerprint(&cert).unwrap();
        assert_eq!(fp.len(), 32 * 3 - 1);
        assert!(fp.bytes().all(|b| b == b':' || b.is_ascii_hexdigit()));
        let pem = std::fs::read(&cert).unwrap();
        let der = rustls_pemfile::certs(&mut &pem[..])
            .next()
            .unwrap()
            .unwrap();
        // The subject's names are in the DER as plain strings.
        let has = |s: &str| der.windows(s.len()).any(|w| w == s.as_bytes());
        assert!(has("mail.kapur.h") && has("WIMS node"));
        assert!(!has("rcgen"));
    }
}
