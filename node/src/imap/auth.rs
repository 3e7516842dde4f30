//! What a client may do before login: the capabilities it is offered, LOGIN and
//! AUTHENTICATE PLAIN (with SASL-IR).

use std::time::Duration;

use base64::Engine;

use super::session::{Flow, Session, State};

impl Session {
    pub(super) fn capabilities(&self) -> String {
        let mut caps = vec![
            "IMAP4rev1",
            "IMAP4rev2",
            "LITERAL+",
            "ID",
            "ENABLE",
            "SASL-IR",
        ];
        match self.state {
            State::NotAuthenticated => {
                if !self.conn.stream.is_tls() {
                    caps.push("STARTTLS");
                }
                if self.conn.stream.is_tls() || self.ctx.config.imap.allow_plaintext_auth {
                    caps.push("AUTH=PLAIN");
                } else {
                    caps.push("LOGINDISABLED");
                }
            }
            _ => caps.extend([
                "IDLE",
                "UIDPLUS",
                "MOVE",
                "SPECIAL-USE",
                "CONDSTORE",
                "NAMESPACE",
                "UNSELECT",
                "CHILDREN",
                "ESEARCH",
                "SEARCHRES",
                "LIST-EXTENDED",
                "LIST-STATUS",
                "STATUS=SIZE",
                "BINARY",
                "COMPRESS=DEFLATE",
                "MULTIAPPEND",
                "UTF8=ACCEPT",
                "QUOTA",
                "QUOTA=RES-STORAGE",
                "SORT",
                "SORT=DISPLAY",
                "THREAD=ORDEREDSUBJECT",
                "THREAD=REFERENCES",
                "ESORT",
            ]),
        }
        caps.join(" ")
    }

    pub(super) async fn login(&mut self, tag: &str, user: &str, pass: &str) {
        if !self.conn.stream.is_tls() && !self.ctx.config.imap.allow_plaintext_auth {
            self.tagged(tag, "NO", Some("PRIVACYREQUIRED"), "imap-login-disabled");
            return;
        }
        match self.ctx.authenticate(user, pass, self.peer.ip()).await {
            Ok(account) => {
                tracing::info!(peer = %self.peer, account = %account.address, "imap login");
                self.state = State::Authenticated(account);
                let caps = self.capabilities();
                self.tagged(
                    tag,
                    "OK",
                    Some(&format!("CAPABILITY {caps}")),
                    "imap-auth-ok",
                );
            }
            Err(e) => {
                tracing::info!(peer = %self.peer, user = ?user, error = %e, "imap login failed");
                self.tagged(tag, "NO", Some("AUTHENTICATIONFAILED"), "imap-auth-failed");
            }
        }
    }

    /// AUTHENTICATE PLAIN, its response inline (SASL-IR) or after a continuation.
    pub(super) async fn authenticate(
        &mut self,
        tag: &str,
        mechanism: &str,
        initial: Option<Vec<u8>>,
    ) -> std::io::Result<Flow> {
        if !mechanism.eq_ignore_ascii_case("PLAIN") {
            self.tagged(tag, "NO", None, "imap-auth-mechanism");
            return Ok(Flow::Continue);
        }
        let data = match initial {
            Some(r) => r,
            None => {
                self.line("+ ");
                self.conn.flush().await?;
                let wait = Duration::from_secs(self.ctx.config.imap.login_timeout);
                let read = self.conn.read_line(8192);
                let Ok(line) = tokio::time::timeout(wait, read).await else {
                    let t = self.t("imap-bye-timeout");
                    self.line(&format!("* BYE {t}"));
                    return Ok(Flow::Close);
                };
                let line = match line {
                    Ok(Some(l)) => l,
                    Ok(None) => return Ok(Flow::Close),
                    Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                        self.tagged(tag, "BAD", None, "imap-auth-malformed");
                        return Ok(Flow::Continue);
                    }
                    Err(e) => return Err(e),
                };
                let l = String::from_utf8_lossy(&line).trim().to_string();
                if l == "*" {
                    self.tagged(tag, "BAD", None, "imap-auth-cancelled");
                    return Ok(Flow::Continue);
                }
                match base64::engine::general_purpose::STANDARD.decode(l) {
                    Ok(d) => d,
                    Err(_) => {
                        self.tagged(tag, "BAD", None, "imap-auth-malformed");
                        return Ok(Flow::Continue);
                    }
                }
            }
        };
        let parts: Vec<&[u8]> = data.split(|&b| b == 0).collect();
        if parts.len() != 3 {
            self.tagged(tag, "BAD", None, "imap-auth-malformed");
            return Ok(Flow::Continue);
        }
        let user = String::from_utf8_lossy(parts[1]).to_string();
        let pass = String::from_utf8_lossy(parts[2]).to_string();
        let authz = String::from_utf8_lossy(parts[0]).to_string();
        if !authz.is_empty() && !authz.eq_ignore_ascii_case(&user) {
            self.tagged(tag, "NO", Some("AUTHORIZATIONFAILED"), "imap-auth-failed");
            return Ok(Flow::Continue);
        }
        self.login(tag, &user, &pass).await;
        Ok(Flow::Continue)
    }
}
