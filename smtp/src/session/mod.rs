//! The protocol state of one submission connection, free of I/O: complete command lines go in,
//! [`Step`]s come out. Whatever needs the network, the store or the password check is a `Step`
//! the connection carries out before it feeds the outcome back here, so every sequencing and
//! policy rule can be tested without sockets.

mod auth;
mod mail;

use smtp_proto::{Error as ParseError, Request};

use crate::reply::{Reply, Status};
use i18n::I18n;

/// Bad commands tolerated on one connection before it is closed.
pub const MAX_ERRORS: u32 = 10;
/// Failed logins tolerated on one connection; the node-wide throttle slows each of them too.
pub const MAX_AUTH_FAILURES: u32 = 3;

/// The LOGIN mechanism's traditional challenges, "Username:" and "Password:" in base64. Clients
/// match these literally, so they are protocol constants and are not translated.
const LOGIN_USER: &str = "VXNlcm5hbWU6";
const LOGIN_PASSWORD: &str = "UGFzc3dvcmQ6";

#[derive(Debug, Clone)]
pub struct Limits {
    pub hostname: String,
    pub product: String,
    pub max_message_size: u64,
    pub max_recipients: usize,
}

/// A local account as the session needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: u64,
    pub address: String,
}

/// What the connection must do next.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    Reply(Reply),
    /// Check the credentials and report with [`Session::auth_done`].
    Authenticate {
        user: String,
        password: String,
    },
    /// Look the (normalised) address up and report with [`Session::recipient_done`].
    LookupRecipient {
        address: String,
    },
    /// Send the reply, drop any input already buffered (RFC 3207 §4.2), run the TLS handshake,
    /// then call [`Session::tls_started`].
    StartTls(Reply),
    /// Open a message body and report with [`Session::data_opened`] or
    /// [`Session::data_refused`].
    Data,
    /// Read `size` octets into the transaction's body, then report with
    /// [`Session::chunk_done`] (or [`Session::message_done`] when `last`).
    Bdat {
        size: usize,
        last: bool,
    },
    /// Read and throw away `size` octets, then send the reply: the chunk was refused, but its
    /// bytes are on the wire and must not be taken for commands.
    SkipBdat {
        size: usize,
        reply: Reply,
    },
    /// Send the reply and close.
    Quit(Reply),
    /// Send the reply and close at once.
    Close(Reply),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthOutcome {
    Ok,
    Invalid,
    Unavailable,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Found(User),
    /// An account on another node of the sender's wims network that the sender may write to.
    Remote(String),
    NotHosted,
    /// On the network, but neither of the sender's domain nor a partner.
    NotAllowed,
    /// The service network could not be asked now.
    NetworkUnavailable,
    Unavailable,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    /// Taken, and queued for recipients on other nodes.
    Queued,
    TooBig,
    /// The header's From or Sender is not the authenticated account.
    ForgedSender,
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    None,
    Data,
    Bdat,
}

struct Transaction {
    utf8: bool,
    recipients: Vec<User>,
    /// Recipients on other nodes, delivered over the network.
    remote: Vec<String>,
    /// RCPT commands answered 250, duplicates included: the limit counts what the client asked.
    accepted: usize,
    body: Body,
    bdat_octets: u64,
}

enum AuthWait {
    Plain,
    LoginUser,
    LoginPassword(String),
}

/// Who gets the message once its body is complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub sender: User,
    pub recipients: Vec<User>,
    pub remote: Vec<String>,
}

pub struct Session<'a> {
    i18n: &'a I18n,
    limits: Limits,
    tls: bool,
    helo: Option<String>,
    user: Option<User>,
    tx: Option<Transaction>,
    auth: Option<AuthWait>,
    errors: u32,
    auth_failures: u32,
}

const fn st(class: u8, subject: u16, detail: u16) -> Status {
    Status(class, subject, detail)
}

/// Replies that mean the client misbehaved; enough of them end the connection.
fn counts_as_error(code: u16) -> bool {
    matches!(code, 500..=504 | 530 | 538 | 553 | 555)
}

fn strip_eol(line: &[u8]) -> &[u8] {
    let l = line.strip_suffix(b"\n").unwrap_or(line);
    l.strip_suffix(b"\r").unwrap_or(l)
}

impl<'a> Session<'a> {
    pub fn new(i18n: &'a I18n, limits: Limits, tls: bool) -> Session<'a> {
        Session {
            i18n,
            limits,
            tls,
            helo: None,
            user: None,
            tx: None,
            auth: None,
            errors: 0,
            auth_failures: 0,
        }
    }

    fn t(&self, id: &str, args: &[(&str, &str)]) -> String {
        self.i18n.text(id, args)
    }

    fn reply(&self, code: u16, status: Status, id: &str, args: &[(&str, &str)]) -> Step {
        Step::Reply(Reply::status(code, status, &self.t(id, args)))
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    pub fn helo(&self) -> Option<&str> {
        self.helo.as_deref()
    }

    /// True while the next line is an answer to an AUTH challenge rather than a command.
    pub fn awaiting_auth(&self) -> bool {
        self.auth.is_some()
    }

    /// The logged-in account, if any.
    pub fn user(&self) -> Option<&User> {
        self.user.as_ref()
    }

    /// True while a BDAT body is being assembled; the connection keeps its writer only then.
    pub fn body_in_progress(&self) -> bool {
        self.tx.as_ref().is_some_and(|t| t.body != Body::None)
    }

    /// The recipient named in the trace header: only when there is exactly one, so that no
    /// recipient learns of another (Bcc) from it.
    pub fn sole_recipient(&self) -> Option<&str> {
        match self
            .tx
            .as_ref()
            .map(|t| (t.recipients.as_slice(), t.remote.as_slice()))
        {
            Some(([one], [])) => Some(&one.address),
            Some(([], [one])) => Some(one),
            _ => None,
        }
    }

    pub fn greeting(&self) -> Reply {
        let text = self.t("smtp-greeting", &[("product", &self.limits.product)]);
        Reply::new(
            220,
            None,
            &format!("{} ESMTP {}", self.limits.hostname, text),
        )
    }

    pub fn timeout(&self) -> Reply {
        Reply::status(421, st(4, 4, 2), &self.t("smtp-timeout", &[]))
    }

    /// A line longer than the connection accepts; the rest of it was skipped.
    pub fn line_too_long(&mut self) -> Step {
        let step = if self.auth.take().is_some() {
            self.reply(500, st(5, 5, 6), "smtp-auth-line-too-long", &[])
        } else {
            self.reply(500, st(5, 5, 2), "smtp-line-too-long", &[])
        };
        self.count(step)
    }

    /// One complete line (with its line end) from the client.
    pub fn line(&mut self, line: &[u8]) -> Step {
        let step = match self.auth.take() {
            Some(wait) => self.auth_answer(wait, strip_eol(line)),
            None => match Request::parse(&mut line.iter()) {
                Ok(req) => self.command(req.into_owned()),
                Err(e) => self.parse_error(e),
            },
        };
        self.count(step)
    }

    fn count(&mut self, step: Step) -> Step {
        let code = match &step {
            Step::Reply(r) | Step::SkipBdat { reply: r, .. } => r.code,
            _ => return step,
        };
        if counts_as_error(code) {
            self.errors += 1;
            if self.errors >= MAX_ERRORS {
                tracing::debug!(errors = self.errors, "too many errors, closing");
                return Step::Close(Reply::status(
                    421,
                    st(4, 7, 0),
                    &self.t("smtp-too-many-errors", &[]),
                ));
            }
        }
        step
    }

    fn parse_error(&mut self, e: ParseError) -> Step {
        match e {
            ParseError::UnknownCommand => self.reply(500, st(5, 5, 1), "smtp-unknown-command", &[]),
            ParseError::InvalidSenderAddress => {
                self.reply(501, st(5, 1, 7), "smtp-bad-sender", &[])
            }
            ParseError::InvalidRecipientAddress => {
                self.reply(501, st(5, 1, 3), "smtp-bad-recipient", &[])
            }
            ParseError::SyntaxError { syntax } => {
                self.reply(501, st(5, 5, 2), "smtp-syntax", &[("syntax", syntax)])
            }
            ParseError::InvalidParameter { param } => {
                self.reply(501, st(5, 5, 4), "smtp-param-invalid", &[("param", param)])
            }
            ParseError::UnsupportedParameter { param } => self.reply(
                555,
                st(5, 5, 4),
                "smtp-param-unsupported",
                &[("param", &param)],
            ),
            _ => self.reply(500, st(5, 5, 2), "smtp-syntax-error", &[]),
        }
    }

    fn command(&mut self, req: Request<String>) -> Step {
        tracing::trace!(command = req.name(), "smtp command");
        match req {
            Request::Ehlo { host } => self.hello(host, true),
            Request::Helo { host } => self.hello(host, false),
            Request::StartTls => self.starttls(),
            Request::Auth {
                mechanism,
                initial_response,
            } => self.auth(mechanism, initial_response),
            Request::Mail { from } => self.mail(from),
            Request::Rcpt { to } => self.rcpt(to),
            Request::Data => self.data(),
            Request::Bdat {
                chunk_size,
                is_last,
            } => self.bdat(chunk_size, is_last),
            Request::Rset => {
                self.tx = None;
                self.reply(250, st(2, 0, 0), "smtp-reset", &[])
            }
            Request::Noop { .. } => self.reply(250, st(2, 0, 0), "smtp-ok", &[]),
            Request::Vrfy { .. } => self.reply(252, st(2, 0, 0), "smtp-vrfy", &[]),
            Request::Help { .. } => Step::Reply(Reply::new(
                214,
                Some(st(2, 0, 0)),
                &self.t("smtp-help", &[("product", &self.limits.product)]),
            )),
            Request::Quit => Step::Quit(Reply::status(221, st(2, 0, 0), &self.t("smtp-bye", &[]))),
            Request::Lhlo { .. }
            | Request::Expn { .. }
            | Request::Etrn { .. }
            | Request::Atrn { .. }
            | Request::Burl { .. } => self.reply(502, st(5, 5, 1), "smtp-not-implemented", &[]),
        }
    }

    fn hello(&mut self, host: String, extended: bool) -> Step {
        self.tx = None;
        let first = format!(
            "{} {}",
            self.limits.hostname,
            self.t("smtp-hello", &[("client", &host)])
        );
        self.helo = Some(host);
        if !extended {
            return Step::Reply(Reply::lines(250, None, vec![first]));
        }
        let mut lines = vec![
            first,
            "PIPELINING".to_string(),
            format!("SIZE {}", self.limits.max_message_size),
            "8BITMIME".to_string(),
            "SMTPUTF8".to_string(),
            "CHUNKING".to_string(),
            "ENHANCEDSTATUSCODES".to_string(),
        ];
        if self.tls {
            lines.push("AUTH PLAIN LOGIN".to_string());
        } else {
            lines.push("STARTTLS".to_string());
        }
        Step::Reply(Reply::lines(250, None, lines))
    }

    fn starttls(&mut self) -> Step {
        if self.tls {
            return self.reply(503, st(5, 5, 1), "smtp-tls-active", &[]);
        }
        Step::StartTls(Reply::status(
            220,
            st(2, 0, 0),
            &self.t("smtp-starttls", &[]),
        ))
    }

    /// Forgets everything learnt before the handshake, as RFC 3207 §4.2 requires.
    pub fn tls_started(&mut self) {
        self.tls = true;
        self.helo = None;
        self.user = None;
        self.tx = None;
        self.auth = None;
    }
}

#[cfg(test)]
#[path = "session_tests.rs"]
mod tests;
