//! What a client may do before login: the capabilities it is offered, LOGIN and
//! AUTHENTICATE PLAIN (with SASL-IR).

use base64::Engine;

use mailbox::Account;

use super::{Session, State, Step, Waiting};

impl Session {
    pub(crate) fn capabilities(&self) -> String {
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
                if !self.tls {
                    caps.push("STARTTLS");
                }
                if self.tls || self.env.limits.allow_plaintext_auth {
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
                "QRESYNC",
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
                "CATENATE",
                "URLAUTH",
                "URLAUTH=BINARY",
                "UTF8=ACCEPT",
                "QUOTA",
                "QUOTA=RES-STORAGE",
                "SORT",
                "SORT=DISPLAY",
                "THREAD=ORDEREDSUBJECT",
                "THREAD=REFERENCES",
                "ESORT",
                "CONTEXT=SEARCH",
                "CONTEXT=SORT",
                "NOTIFY",
            ]),
        }
        caps.join(" ")
    }

    pub(crate) fn login(&mut self, tag: &str, user: String, password: String) -> Step {
        if !self.tls && !self.env.limits.allow_plaintext_auth {
            self.tagged(tag, "NO", Some("PRIVACYREQUIRED"), "imap-login-disabled");
            return Step::Read;
        }
        self.waiting = Waiting::Verify {
            tag: tag.to_string(),
        };
        Step::Verify { user, password }
    }

    /// The outcome of the credentials check.
    pub(crate) fn logged_in<E: std::fmt::Display>(&mut self, tag: &str, r: Result<Account, E>) {
        match r {
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
                tracing::info!(peer = %self.peer, error = %e, "imap login failed");
                self.tagged(tag, "NO", Some("AUTHENTICATIONFAILED"), "imap-auth-failed");
            }
        }
    }

    /// AUTHENTICATE PLAIN, its response inline (SASL-IR) or after a continuation.
    pub(crate) fn authenticate(
        &mut self,
        tag: &str,
        mechanism: &str,
        initial: Option<Vec<u8>>,
    ) -> Step {
        if !mechanism.eq_ignore_ascii_case("PLAIN") {
            self.tagged(tag, "NO", None, "imap-auth-mechanism");
            return Step::Read;
        }
        match initial {
            Some(data) => self.sasl_plain(tag, &data),
            None => {
                self.line("+ ");
                self.waiting = Waiting::Sasl {
                    tag: tag.to_string(),
                };
                Step::Read
            }
        }
    }

    /// The line that answers AUTHENTICATE's continuation.
    pub(crate) fn sasl_response(&mut self, tag: &str, line: &[u8]) -> Step {
        let l = String::from_utf8_lossy(line).trim().to_string();
        if l == "*" {
            self.tagged(tag, "BAD", None, "imap-auth-cancelled");
            return Step::Read;
        }
        match base64::engine::general_purpose::STANDARD.decode(l) {
            Ok(d) => self.sasl_plain(tag, &d),
            Err(_) => {
                self.tagged(tag, "BAD", None, "imap-auth-malformed");
                Step::Read
            }
        }
    }

    fn sasl_plain(&mut self, tag: &str, data: &[u8]) -> Step {
        let parts: Vec<&[u8]> = data.split(|&b| b == 0).collect();
        if parts.len() != 3 {
            self.tagged(tag, "BAD", None, "imap-auth-malformed");
            return Step::Read;
        }
        let user = String::from_utf8_lossy(parts[1]).to_string();
        let pass = String::from_utf8_lossy(parts[2]).to_string();
        let authz = String::from_utf8_lossy(parts[0]).to_string();
        if !authz.is_empty() && !authz.eq_ignore_ascii_case(&user) {
            self.tagged(tag, "NO", Some("AUTHORIZATIONFAILED"), "imap-auth-failed");
            return Step::Read;
        }
        self.login(tag, user, pass)
    }
}
