//! AUTH PLAIN and LOGIN (RFC 4954): the exchange, with the password check left to the
//! connection ([`Step::Authenticate`]).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use smtp_proto::{AUTH_LOGIN, AUTH_PLAIN};

use super::{
    AuthOutcome, AuthWait, LOGIN_PASSWORD, LOGIN_USER, MAX_AUTH_FAILURES, Session, Step, User, st,
};
use crate::reply::Reply;

impl Session<'_> {
    pub(super) fn auth(&mut self, mechanism: u64, initial: String) -> Step {
        if !self.tls {
            return self.reply(538, st(5, 7, 11), "smtp-auth-needs-tls", &[]);
        }
        if self.helo.is_none() {
            return self.reply(503, st(5, 5, 1), "smtp-need-ehlo", &[]);
        }
        if self.user.is_some() {
            return self.reply(503, st(5, 5, 1), "smtp-auth-already", &[]);
        }
        if self.tx.is_some() {
            return self.reply(503, st(5, 5, 1), "smtp-auth-in-transaction", &[]);
        }
        match mechanism {
            AUTH_PLAIN if initial.is_empty() => {
                self.auth = Some(AuthWait::Plain);
                Step::Reply(Reply::new(334, None, ""))
            }
            AUTH_PLAIN => self.plain(initial.as_bytes()),
            AUTH_LOGIN if initial.is_empty() => {
                self.auth = Some(AuthWait::LoginUser);
                Step::Reply(Reply::new(334, None, LOGIN_USER))
            }
            AUTH_LOGIN => self.login_user(initial.as_bytes()),
            _ => self.reply(504, st(5, 5, 4), "smtp-auth-mechanism", &[]),
        }
    }

    /// Decodes one SASL message; "=" stands for an empty one (RFC 4954 §4).
    pub(super) fn decode(b64: &[u8]) -> Option<Vec<u8>> {
        let b64 = b64.trim_ascii();
        if b64 == b"=" {
            return Some(Vec::new());
        }
        B64.decode(b64).ok()
    }

    pub(super) fn bad_base64(&self) -> Step {
        self.reply(501, st(5, 5, 2), "smtp-auth-bad-encoding", &[])
    }

    pub(super) fn auth_answer(&mut self, wait: AuthWait, line: &[u8]) -> Step {
        if line.trim_ascii() == b"*" {
            return self.reply(501, st(5, 7, 0), "smtp-auth-cancelled", &[]);
        }
        match wait {
            AuthWait::Plain => self.plain(line),
            AuthWait::LoginUser => self.login_user(line),
            AuthWait::LoginPassword(user) => {
                let Some(Ok(password)) = Self::decode(line).map(String::from_utf8) else {
                    return self.bad_base64();
                };
                self.check(user, password)
            }
        }
    }

    pub(super) fn login_user(&mut self, b64: &[u8]) -> Step {
        let Some(Ok(user)) = Self::decode(b64).map(String::from_utf8) else {
            return self.bad_base64();
        };
        self.auth = Some(AuthWait::LoginPassword(user));
        Step::Reply(Reply::new(334, None, LOGIN_PASSWORD))
    }

    /// RFC 4616: `[authzid] NUL authcid NUL passwd`.
    pub(super) fn plain(&mut self, b64: &[u8]) -> Step {
        let Some(raw) = Self::decode(b64) else {
            return self.bad_base64();
        };
        let mut parts = raw.split(|&b| b == 0);
        let (Some(authz), Some(authc), Some(pass), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return self.bad_base64();
        };
        let (Ok(authz), Ok(authc), Ok(pass)) = (
            std::str::from_utf8(authz),
            std::str::from_utf8(authc),
            std::str::from_utf8(pass),
        ) else {
            return self.bad_base64();
        };
        // Acting for another account is not offered.
        if !authz.is_empty() && !authz.eq_ignore_ascii_case(authc) {
            return self.auth_done(AuthOutcome::Invalid, None);
        }
        self.check(authc.to_string(), pass.to_string())
    }

    pub(super) fn check(&mut self, user: String, password: String) -> Step {
        if user.is_empty() || password.is_empty() {
            return self.auth_done(AuthOutcome::Invalid, None);
        }
        Step::Authenticate { user, password }
    }

    /// The outcome of a [`Step::Authenticate`].
    pub fn auth_done(&mut self, outcome: AuthOutcome, user: Option<User>) -> Step {
        match (outcome, user) {
            (AuthOutcome::Ok, Some(u)) => {
                tracing::debug!(user = %u.address, "smtp login");
                self.user = Some(u);
                self.reply(235, st(2, 7, 0), "smtp-auth-ok", &[])
            }
            (AuthOutcome::Unavailable, _) => {
                self.reply(454, st(4, 7, 0), "smtp-auth-unavailable", &[])
            }
            // Failed logins have their own, lower limit.
            _ => {
                self.auth_failures += 1;
                if self.auth_failures >= MAX_AUTH_FAILURES {
                    return Step::Close(Reply::status(
                        421,
                        st(4, 7, 0),
                        &self.t("smtp-auth-too-many", &[]),
                    ));
                }
                self.reply(535, st(5, 7, 8), "smtp-auth-failed", &[])
            }
        }
    }
}
