//! A minimal async IMAP client: one command at a time, tagged completion, `{n}` literals in
//! responses skipped over (counted, not kept).

use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// Accepts any server certificate: the targets are throwaway servers on loopback.
#[derive(Debug)]
struct AcceptAny(Vec<SignatureScheme>);

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }
    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.clone()
    }
}

/// Where and how to connect.
#[derive(Clone)]
pub struct Target {
    pub host: String,
    pub port: u16,
    pub tls: Option<TlsConnector>,
}

impl Target {
    pub fn new(host: &str, port: u16, tls: bool) -> Result<Self> {
        let tls = if tls {
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let schemes = provider
                .signature_verification_algorithms
                .supported_schemes();
            let config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()?
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAny(schemes)))
                .with_no_client_auth();
            Some(TlsConnector::from(Arc::new(config)))
        } else {
            None
        };
        Ok(Target {
            host: host.to_string(),
            port,
            tls,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Ok,
    No,
    Bad,
}

/// The server's answer to one command.
pub struct Reply {
    pub status: Status,
    /// The tagged line after the tag, without CRLF.
    pub text: String,
    /// Untagged responses, one per logical line; literal contents are left out.
    pub untagged: Vec<Vec<u8>>,
}

impl Reply {
    pub fn is_ok(&self) -> bool {
        self.status == Status::Ok
    }

    /// `* N EXISTS`, the last one given.
    pub fn exists(&self) -> Option<u32> {
        self.untagged.iter().rev().find_map(|l| {
            let s = std::str::from_utf8(l).ok()?;
            let mut w = s.split_ascii_whitespace();
            let (_, n, kw) = (w.next()?, w.next()?, w.next()?);
            kw.eq_ignore_ascii_case("EXISTS")
                .then(|| n.parse().ok())
                .flatten()
        })
    }

    /// `(seq, uid)` of every `* N FETCH (... UID u ...)` response.
    pub fn fetch_uids(&self) -> Vec<(u32, u32)> {
        let mut out = Vec::with_capacity(self.untagged.len());
        for l in &self.untagged {
            let Ok(s) = std::str::from_utf8(l) else {
                continue;
            };
            let mut w = s.split_ascii_whitespace();
            let (Some(_), Some(seq), Some(kw)) = (w.next(), w.next(), w.next()) else {
                continue;
            };
            if !kw.eq_ignore_ascii_case("FETCH") {
                continue;
            }
            let Ok(seq) = seq.parse::<u32>() else {
                continue;
            };
            let toks: Vec<&str> = s
                .split(|c: char| c.is_ascii_whitespace() || c == '(' || c == ')')
                .filter(|t| !t.is_empty())
                .collect();
            if let Some(i) = toks.iter().position(|t| t.eq_ignore_ascii_case("UID"))
                && let Some(uid) = toks.get(i + 1).and_then(|u| u.parse().ok())
            {
                out.push((seq, uid));
            }
        }
        out
    }

    /// The UID from `[APPENDUID validity uid]` in the tagged line.
    pub fn append_uid(&self) -> Option<u32> {
        let up = self.text.to_ascii_uppercase();
        let at = up.find("[APPENDUID ")?;
        let rest = &self.text[at + "[APPENDUID ".len()..];
        let end = rest.find(']')?;
        rest[..end].split_ascii_whitespace().nth(1)?.parse().ok()
    }
}

pub struct Client {
    io: BufReader<Box<dyn Io>>,
    next_tag: u32,
    line: Vec<u8>,
    /// Bytes of literal data received (message bodies and the like).
    pub literal_bytes: u64,
}

/// `{n}` at the end of a response line (before CRLF).
fn literal_len(line: &[u8]) -> Option<u64> {
    let l = line.strip_suffix(b"\r\n").or(line.strip_suffix(b"\n"))?;
    let l = l.strip_suffix(b"}")?;
    let open = l.iter().rposition(|&b| b == b'{')?;
    let digits = &l[open + 1..];
    if digits.is_empty() || digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

fn trim_crlf(mut l: &[u8]) -> &[u8] {
    while let [rest @ .., b'\r' | b'\n'] = l {
        l = rest;
    }
    l
}

impl Client {
    /// Connects and reads the greeting.
    pub async fn connect(t: &Target) -> Result<Self> {
        let tcp = TcpStream::connect((t.host.as_str(), t.port))
            .await
            .with_context(|| format!("connect {}:{}", t.host, t.port))?;
        tcp.set_nodelay(true)?;
        let io: Box<dyn Io> = match &t.tls {
            Some(conn) => {
                let name = ServerName::try_from(t.host.clone())
                    .unwrap_or_else(|_| ServerName::try_from("localhost").expect("valid name"));
                Box::new(conn.connect(name, tcp).await.context("TLS handshake")?)
            }
            None => Box::new(tcp),
        };
        let mut c = Client {
            io: BufReader::with_capacity(64 * 1024, io),
            next_tag: 1,
            line: Vec::with_capacity(4096),
            literal_bytes: 0,
        };
        let greeting = c.read_logical().await?;
        if !greeting.starts_with(b"* OK") && !greeting.starts_with(b"* PREAUTH") {
            bail!("greeting: {}", String::from_utf8_lossy(&greeting));
        }
        Ok(c)
    }

    /// Reads one response line, skipping over any literals it carries; the literal markers
    /// stay in the returned line, the data does not.
    async fn read_logical(&mut self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        loop {
            self.line.clear();
            let n = self.io.read_until(b'\n', &mut self.line).await?;
            if n == 0 {
                bail!("connection closed by server");
            }
            match literal_len(&self.line) {
                Some(len) => {
                    out.extend_from_slice(trim_crlf(&self.line));
                    let copied =
                        tokio::io::copy(&mut (&mut self.io).take(len), &mut tokio::io::sink())
                            .await?;
                    if copied != len {
                        bail!("connection closed inside a literal");
                    }
                    self.literal_bytes += len;
                }
                None => {
                    out.extend_from_slice(trim_crlf(&self.line));
                    return Ok(out);
                }
            }
        }
    }

    async fn send(&mut self, bytes: &[u8]) -> Result<()> {
        self.io.write_all(bytes).await?;
        self.io.flush().await?;
        Ok(())
    }

    fn tag(&mut self) -> String {
        let t = format!("a{}", self.next_tag);
        self.next_tag += 1;
        t
    }

    /// Reads until the tagged completion of `tag`. With `literal`, a continuation request
    /// (`+`) is answered by sending it.
    async fn read_reply(&mut self, tag: &str, mut literal: Option<&[u8]>) -> Result<Reply> {
        let mut untagged = Vec::new();
        loop {
            let l = self.read_logical().await?;
            if l.first() == Some(&b'+') {
                match literal.take() {
                    Some(data) => {
                        let mut buf = Vec::with_capacity(data.len() + 2);
                        buf.extend_from_slice(data);
                        buf.extend_from_slice(b"\r\n");
                        self.send(&buf).await?;
                        continue;
                    }
                    None => bail!("unexpected continuation: {}", String::from_utf8_lossy(&l)),
                }
            }
            if l.len() > tag.len() && l.starts_with(tag.as_bytes()) && l[tag.len()] == b' ' {
                let text = String::from_utf8_lossy(&l[tag.len() + 1..]).into_owned();
                let word = text.split_ascii_whitespace().next().unwrap_or("");
                let status = if word.eq_ignore_ascii_case("OK") {
                    Status::Ok
                } else if word.eq_ignore_ascii_case("NO") {
                    Status::No
                } else if word.eq_ignore_ascii_case("BAD") {
                    Status::Bad
                } else {
                    return Err(anyhow!("bad tagged line: {}", String::from_utf8_lossy(&l)));
                };
                return Ok(Reply {
                    status,
                    text,
                    untagged,
                });
            }
            untagged.push(l);
        }
    }

    /// Closes the connection (TLS close_notify, then FIN).
    pub async fn close(mut self) {
        let _ = self.io.shutdown().await;
    }

    /// Sends `TAG cmd` and waits for its completion.
    pub async fn command(&mut self, cmd: &str) -> Result<Reply> {
        let tag = self.tag();
        let line = format!("{tag} {cmd}\r\n");
        self.send(line.as_bytes()).await?;
        self.read_reply(&tag, None).await
    }

    /// Sends `TAG cmd {n}`, the literal after the server's go-ahead, and waits for completion.
    pub async fn command_literal(&mut self, cmd: &str, literal: &[u8]) -> Result<Reply> {
        let tag = self.tag();
        let line = format!("{tag} {cmd} {{{}}}\r\n", literal.len());
        self.send(line.as_bytes()).await?;
        self.read_reply(&tag, Some(literal)).await
    }
}

/// Quotes an IMAP string (the benchmark only quotes plain ASCII).
pub fn quote(s: &str) -> String {
    let mut q = String::with_capacity(s.len() + 2);
    q.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            q.push('\\');
        }
        q.push(c);
    }
    q.push('"');
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(lines: &[&str], text: &str) -> Reply {
        Reply {
            status: Status::Ok,
            text: text.into(),
            untagged: lines.iter().map(|l| l.as_bytes().to_vec()).collect(),
        }
    }

    #[test]
    fn parses_responses() {
        assert_eq!(literal_len(b"* 1 FETCH (BODY[] {123}\r\n"), Some(123));
        assert_eq!(literal_len(b"* 1 FETCH (FLAGS ())\r\n"), None);
        let r = reply(
            &[
                "* 3 EXISTS",
                "* 1 FETCH (UID 7 FLAGS (\\Seen))",
                "* 2 FETCH (FLAGS () UID 9)",
            ],
            "OK [APPENDUID 1700 42] done",
        );
        assert_eq!(r.exists(), Some(3));
        assert_eq!(r.fetch_uids(), vec![(1, 7), (2, 9)]);
        assert_eq!(r.append_uid(), Some(42));
    }
}
