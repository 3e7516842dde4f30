//! The demo's welcome message: submitted as a mail client would, then its receipt awaited.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};

use super::DemoEntry;
use crate::i18n::I18n;

const RECEIPT_WAIT: Duration = Duration::from_secs(120);

/// Submits the welcome message from `from` to `to` through node A's SMTP submission port,
/// over implicit TLS and AUTH PLAIN, exactly as a mail client would.
pub(super) async fn send_welcome(
    node: &Path,
    from: &DemoEntry,
    to: &DemoEntry,
    i18n: &I18n,
) -> Result<()> {
    use base64::Engine;
    let pem = std::fs::read(node.join("tls/cert.pem"))?;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut &pem[..]) {
        roots.add(cert?)?;
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(&from.submissions).await?;
    let name = rustls::pki_types::ServerName::try_from("localhost")?;
    let tls = connector.connect(name, tcp).await?;
    let (r, mut w) = tokio::io::split(tls);
    let mut r = tokio::io::BufReader::new(r);

    async fn expect(r: &mut (impl tokio::io::AsyncBufRead + Unpin), code: &str) -> Result<()> {
        loop {
            let mut line = String::new();
            if r.read_line(&mut line).await? == 0 {
                return Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof).into());
            }
            if !line.starts_with(code) {
                return Err(anyhow!(line.trim().to_string()));
            }
            if line.as_bytes().get(3) != Some(&b'-') {
                return Ok(());
            }
        }
    }
    let plain = base64::engine::general_purpose::STANDARD
        .encode(format!("\0{}\0{}", from.address, from.password));
    let subject = i18n.text("demo-welcome-subject", &[]);
    let body = i18n.text(
        "demo-welcome-body",
        &[("from", &from.address), ("to", &to.address)],
    );
    let date = chrono::Utc::now().to_rfc2822();
    let message = format!(
        "From: <{f}>\r\nTo: <{t}>\r\nSubject: {subject}\r\nDate: {date}\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n",
        f = from.address,
        t = to.address,
        body = body.replace('\n', "\r\n").replace("\r\n.", "\r\n..")
    );
    expect(&mut r, "220").await?;
    for (cmd, code) in [
        ("EHLO demo".to_string(), "250"),
        (format!("AUTH PLAIN {plain}"), "235"),
        (format!("MAIL FROM:<{}> SMTPUTF8", from.address), "250"),
        (format!("RCPT TO:<{}>", to.address), "250"),
        ("DATA".to_string(), "354"),
    ] {
        w.write_all(format!("{cmd}\r\n").as_bytes()).await?;
        expect(&mut r, code).await?;
    }
    w.write_all(message.as_bytes()).await?;
    w.write_all(b".\r\n").await?;
    expect(&mut r, "250").await?;
    w.write_all(b"QUIT\r\n").await?;
    let _ = expect(&mut r, "221").await;
    Ok(())
}

pub(super) async fn wait_for_receipt(node: &Path, address: &str) -> bool {
    let started = Instant::now();
    let path: PathBuf = node.join("run/admin.sock");
    let req = crate::admin::Request::Receipts {
        address: address.to_string(),
    };
    while started.elapsed() < RECEIPT_WAIT {
        if let Some(Ok(crate::admin::Reply::Receipts { receipts })) =
            crate::admin::call(&path, &req)
            && !receipts.is_empty()
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    false
}
