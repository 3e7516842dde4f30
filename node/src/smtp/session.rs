//! The protocol state of one submission connection, free of I/O: complete command lines go in,
//! [`Step`]s come out. Whatever needs the network, the store or the password check is a `Step`
//! the connection carries out before it feeds the outcome back here, so every sequencing and
//! policy rule can be tested without sockets.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use smtp_proto::{
    AUTH_LOGIN, AUTH_PLAIN, Error as ParseError, MAIL_BODY_BINARYMIME, MAIL_BY_NOTIFY,
    MAIL_BY_RETURN, MAIL_BY_TRACE, MAIL_CONPERM, MAIL_REQUIRETLS, MAIL_RET_FULL, MAIL_RET_HDRS,
    MAIL_SMTPUTF8, MailFrom, RCPT_CONNEG, RCPT_NOTIFY_DELAY, RCPT_NOTIFY_FAILURE,
    RCPT_NOTIFY_NEVER, RCPT_NOTIFY_SUCCESS, RCPT_RRVS_CONTINUE, RCPT_RRVS_REJECT, RcptTo, Request,
};

use super::reply::{Reply, Status};
use crate::i18n::I18n;

/// Bad commands tolerated on one connection before it is closed.
pub const MAX_ERRORS: u32 = 10;
/// Failed logins tolerated on one connection; the node-wide throttle slows each of them too.
pub const MAX_AUTH_FAILURES: u32 = 3;

/// The LOGIN mechanism's traditional challenges, "Username:" and "Password:" in base64. Clients
/// match these literally, so they are protocol constants and are not translated.
const LOGIN_USER: &str = "VXNlcm5hbWU6";
const LOGIN_PASSWORD: &str = "UGFzc3dvcmQ6";

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

    fn auth(&mut self, mechanism: u64, initial: String) -> Step {
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
    fn decode(b64: &[u8]) -> Option<Vec<u8>> {
        let b64 = b64.trim_ascii();
        if b64 == b"=" {
            return Some(Vec::new());
        }
        B64.decode(b64).ok()
    }

    fn bad_base64(&self) -> Step {
        self.reply(501, st(5, 5, 2), "smtp-auth-bad-encoding", &[])
    }

    fn auth_answer(&mut self, wait: AuthWait, line: &[u8]) -> Step {
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

    fn login_user(&mut self, b64: &[u8]) -> Step {
        let Some(Ok(user)) = Self::decode(b64).map(String::from_utf8) else {
            return self.bad_base64();
        };
        self.auth = Some(AuthWait::LoginPassword(user));
        Step::Reply(Reply::new(334, None, LOGIN_PASSWORD))
    }

    /// RFC 4616: `[authzid] NUL authcid NUL passwd`.
    fn plain(&mut self, b64: &[u8]) -> Step {
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

    fn check(&mut self, user: String, password: String) -> Step {
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

    /// Refusals shared by MAIL, RCPT, DATA and BDAT.
    fn need_login(&self) -> Option<Step> {
        if !self.tls {
            return Some(self.reply(530, st(5, 7, 0), "smtp-need-tls", &[]));
        }
        if self.helo.is_none() {
            return Some(self.reply(503, st(5, 5, 1), "smtp-need-ehlo", &[]));
        }
        if self.user.is_none() {
            return Some(self.reply(530, st(5, 7, 0), "smtp-need-auth", &[]));
        }
        None
    }

    fn mail(&mut self, from: MailFrom<String>) -> Step {
        if let Some(refusal) = self.need_login() {
            return refusal;
        }
        if self.tx.is_some() {
            return self.reply(503, st(5, 5, 1), "smtp-nested-mail", &[]);
        }
        if let Some(param) = unsupported_mail_param(&from) {
            return self.reply(
                555,
                st(5, 5, 4),
                "smtp-param-unsupported",
                &[("param", param)],
            );
        }
        let max = self.limits.max_message_size;
        if from.size as u64 > max {
            return self.reply(
                552,
                st(5, 3, 4),
                "smtp-too-big",
                &[("max", &max.to_string())],
            );
        }
        let utf8 = from.flags & MAIL_SMTPUTF8 != 0;
        if !utf8 && !from.address.is_ascii() {
            return self.reply(553, st(5, 6, 7), "smtp-need-smtputf8", &[]);
        }
        let user = self.user.as_ref().expect("checked by need_login");
        match mailbox::normalize_address(&from.address) {
            Ok(a) if a == user.address => {}
            _ => {
                let shown = if from.address.is_empty() {
                    "<>"
                } else {
                    &from.address
                };
                return self.reply(
                    553,
                    st(5, 7, 1),
                    "smtp-sender-not-owned",
                    &[("address", shown), ("account", &user.address)],
                );
            }
        }
        self.tx = Some(Transaction {
            utf8,
            recipients: Vec::new(),
            remote: Vec::new(),
            accepted: 0,
            body: Body::None,
            bdat_octets: 0,
        });
        self.reply(
            250,
            st(2, 1, 0),
            "smtp-sender-ok",
            &[("address", &from.address)],
        )
    }

    fn rcpt(&mut self, to: RcptTo<String>) -> Step {
        if let Some(refusal) = self.need_login() {
            return refusal;
        }
        let Some(tx) = self.tx.as_ref() else {
            return self.reply(503, st(5, 5, 1), "smtp-need-mail", &[]);
        };
        if tx.body != Body::None {
            return self.reply(503, st(5, 5, 1), "smtp-rcpt-after-data", &[]);
        }
        if let Some(param) = unsupported_rcpt_param(&to) {
            return self.reply(
                555,
                st(5, 5, 4),
                "smtp-param-unsupported",
                &[("param", param)],
            );
        }
        if !tx.utf8 && !to.address.is_ascii() {
            return self.reply(553, st(5, 6, 7), "smtp-need-smtputf8", &[]);
        }
        if tx.accepted >= self.limits.max_recipients {
            let max = self.limits.max_recipients.to_string();
            return self.reply(
                452,
                st(4, 5, 3),
                "smtp-too-many-recipients",
                &[("max", &max)],
            );
        }
        let Ok(address) = mailbox::normalize_address(&to.address) else {
            return self.reply(501, st(5, 1, 3), "smtp-bad-recipient", &[]);
        };
        if tx.recipients.iter().any(|r| r.address == address) || tx.remote.contains(&address) {
            self.tx.as_mut().expect("checked").accepted += 1;
            return self.reply(
                250,
                st(2, 1, 5),
                "smtp-recipient-ok",
                &[("address", &address)],
            );
        }
        Step::LookupRecipient { address }
    }

    /// The outcome of a [`Step::LookupRecipient`].
    pub fn recipient_done(&mut self, address: &str, found: Lookup) -> Step {
        let Some(tx) = self.tx.as_mut() else {
            return self.reply(503, st(5, 5, 1), "smtp-need-mail", &[]);
        };
        match found {
            Lookup::Found(user) => {
                tx.accepted += 1;
                if !tx.recipients.iter().any(|r| r.id == user.id) {
                    tx.recipients.push(user);
                }
                self.reply(
                    250,
                    st(2, 1, 5),
                    "smtp-recipient-ok",
                    &[("address", address)],
                )
            }
            Lookup::Remote(address) => {
                tx.accepted += 1;
                if !tx.remote.contains(&address) {
                    tx.remote.push(address.clone());
                }
                self.reply(
                    250,
                    st(2, 1, 5),
                    "smtp-recipient-ok",
                    &[("address", &address)],
                )
            }
            Lookup::NotHosted => self.reply(
                550,
                st(5, 1, 1),
                "smtp-recipient-not-local",
                &[("address", address), ("host", &self.limits.hostname)],
            ),
            Lookup::NotAllowed => self.reply(
                550,
                st(5, 7, 1),
                "smtp-recipient-not-partner",
                &[("address", address)],
            ),
            Lookup::NetworkUnavailable => {
                self.reply(451, st(4, 4, 3), "smtp-network-unavailable", &[])
            }
            Lookup::Unavailable => self.reply(451, st(4, 3, 0), "smtp-local-error", &[]),
        }
    }

    /// Refusals shared by DATA and BDAT once the login is fine.
    fn need_recipients(&self) -> Option<Step> {
        let Some(tx) = self.tx.as_ref() else {
            return Some(self.reply(503, st(5, 5, 1), "smtp-need-mail", &[]));
        };
        if tx.recipients.is_empty() && tx.remote.is_empty() {
            return Some(self.reply(554, st(5, 5, 1), "smtp-no-recipients", &[]));
        }
        None
    }

    fn data(&mut self) -> Step {
        if let Some(refusal) = self.need_login().or_else(|| self.need_recipients()) {
            return refusal;
        }
        if self.tx.as_ref().is_some_and(|t| t.body != Body::None) {
            return self.reply(503, st(5, 5, 1), "smtp-data-after-bdat", &[]);
        }
        Step::Data
    }

    /// The body is open; the client may send it now.
    pub fn data_opened(&mut self) -> Reply {
        if let Some(tx) = self.tx.as_mut() {
            tx.body = Body::Data;
        }
        Reply::new(354, None, &self.t("smtp-data-go-ahead", &[]))
    }

    /// The body could not be opened (store failure).
    pub fn data_refused(&mut self) -> Step {
        self.tx = None;
        self.reply(451, st(4, 3, 0), "smtp-local-error", &[])
    }

    fn bdat(&mut self, size: usize, last: bool) -> Step {
        let refusal = self
            .need_login()
            .or_else(|| self.need_recipients())
            .or_else(|| {
                let tx = self.tx.as_ref()?;
                let max = self.limits.max_message_size;
                (tx.bdat_octets.saturating_add(size as u64) > max).then(|| {
                    self.reply(
                        552,
                        st(5, 3, 4),
                        "smtp-too-big",
                        &[("max", &max.to_string())],
                    )
                })
            });
        if let Some(Step::Reply(reply)) = refusal {
            if reply.code == 552 {
                // The transaction is over: later chunks of it are refused as out of sequence.
                self.tx = None;
            }
            return Step::SkipBdat { size, reply };
        }
        let tx = self.tx.as_mut().expect("checked by need_recipients");
        tx.body = Body::Bdat;
        tx.bdat_octets += size as u64;
        Step::Bdat { size, last }
    }

    /// A BDAT chunk other than the last was stored (`ok`) or could not be.
    pub fn chunk_done(&mut self, size: usize, ok: bool) -> Step {
        if !ok {
            self.tx = None;
            return self.reply(451, st(4, 3, 0), "smtp-local-error", &[]);
        }
        self.reply(
            250,
            st(2, 0, 0),
            "smtp-chunk-ok",
            &[("size", &size.to_string())],
        )
    }

    /// Sender and recipients of the message whose body just ended.
    pub fn plan(&self) -> Option<Plan> {
        let tx = self.tx.as_ref()?;
        Some(Plan {
            sender: self.user.clone()?,
            recipients: tx.recipients.clone(),
            remote: tx.remote.clone(),
        })
    }

    /// The message whose body just ended was filed, refused or lost; the transaction is over.
    pub fn message_done(&mut self, outcome: Outcome) -> Step {
        self.tx = None;
        match outcome {
            Outcome::Delivered => self.reply(250, st(2, 0, 0), "smtp-delivered", &[]),
            Outcome::Queued => self.reply(250, st(2, 0, 0), "smtp-queued", &[]),
            Outcome::ForgedSender => {
                let who = self.user().map(|u| u.address.clone()).unwrap_or_default();
                self.reply(550, st(5, 7, 1), "smtp-forged-sender", &[("address", &who)])
            }
            Outcome::TooBig => {
                let max = self.limits.max_message_size.to_string();
                self.reply(552, st(5, 3, 4), "smtp-too-big", &[("max", &max)])
            }
            Outcome::Failed => self.reply(451, st(4, 3, 0), "smtp-local-error", &[]),
        }
    }
}

/// MAIL parameters smtp-proto understands but this server does not offer. AUTH= (RFC 4954 §5)
/// is accepted and ignored: the authenticated account is the sender whatever it says.
fn unsupported_mail_param(from: &MailFrom<String>) -> Option<&'static str> {
    let f = from.flags;
    if f & MAIL_BODY_BINARYMIME != 0 {
        Some("BODY=BINARYMIME")
    } else if f & (MAIL_RET_FULL | MAIL_RET_HDRS) != 0 {
        Some("RET")
    } else if from.env_id.is_some() {
        Some("ENVID")
    } else if f & (MAIL_BY_NOTIFY | MAIL_BY_RETURN | MAIL_BY_TRACE) != 0 || from.by != 0 {
        Some("BY")
    } else if f & MAIL_REQUIRETLS != 0 {
        Some("REQUIRETLS")
    } else if f & MAIL_CONPERM != 0 {
        Some("CONPERM")
    } else if from.hold_for != 0 {
        Some("HOLDFOR")
    } else if from.hold_until != 0 {
        Some("HOLDUNTIL")
    } else if from.mt_priority != 0 {
        Some("MT-PRIORITY")
    } else if from.trans_id.is_some() {
        Some("TRANSID")
    } else if from.solicit.is_some() {
        Some("SOLICIT")
    } else if from.mtrk.is_some() {
        Some("MTRK")
    } else {
        None
    }
}

fn unsupported_rcpt_param(to: &RcptTo<String>) -> Option<&'static str> {
    let f = to.flags;
    if f & (RCPT_NOTIFY_NEVER | RCPT_NOTIFY_SUCCESS | RCPT_NOTIFY_FAILURE | RCPT_NOTIFY_DELAY) != 0
    {
        Some("NOTIFY")
    } else if to.orcpt.is_some() {
        Some("ORCPT")
    } else if f & (RCPT_RRVS_REJECT | RCPT_RRVS_CONTINUE) != 0 {
        Some("RRVS")
    } else if f & RCPT_CONNEG != 0 {
        Some("CONNEG")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn i18n() -> &'static I18n {
        use std::sync::OnceLock;
        static I: OnceLock<I18n> = OnceLock::new();
        I.get_or_init(|| I18n::new("en-US").unwrap())
    }

    fn limits() -> Limits {
        Limits {
            hostname: "node.kapur.h".into(),
            product: "WIMS".into(),
            max_message_size: 1000,
            max_recipients: 3,
        }
    }

    fn alice() -> User {
        User {
            id: 1,
            address: "alice@kapur.h".into(),
        }
    }

    fn bob() -> User {
        User {
            id: 2,
            address: "bob@kapur.h".into(),
        }
    }

    fn code(step: &Step) -> u16 {
        match step {
            Step::Reply(r) | Step::Quit(r) | Step::Close(r) | Step::StartTls(r) => r.code,
            Step::SkipBdat { reply, .. } => reply.code,
            other => panic!("not a reply: {other:?}"),
        }
    }

    fn text(step: &Step) -> String {
        match step {
            Step::Reply(r) | Step::Quit(r) | Step::Close(r) | Step::StartTls(r) => {
                String::from_utf8(r.to_bytes()).unwrap()
            }
            Step::SkipBdat { reply, .. } => String::from_utf8(reply.to_bytes()).unwrap(),
            other => panic!("not a reply: {other:?}"),
        }
    }

    fn send(s: &mut Session<'_>, line: &str) -> Step {
        s.line(format!("{line}\r\n").as_bytes())
    }

    /// A session past STARTTLS, EHLO and a successful AUTH PLAIN as alice.
    fn logged_in() -> Session<'static> {
        let mut s = Session::new(i18n(), limits(), true);
        assert_eq!(code(&send(&mut s, "EHLO client.test")), 250);
        let creds = B64.encode(b"\0alice@kapur.h\0secret");
        match send(&mut s, &format!("AUTH PLAIN {creds}")) {
            Step::Authenticate { user, password } => {
                assert_eq!(
                    (user.as_str(), password.as_str()),
                    ("alice@kapur.h", "secret")
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(code(&s.auth_done(AuthOutcome::Ok, Some(alice()))), 235);
        s
    }

    fn with_recipient() -> Session<'static> {
        let mut s = logged_in();
        assert_eq!(code(&send(&mut s, "MAIL FROM:<Alice@Kapur.h>")), 250);
        let step = send(&mut s, "RCPT TO:<bob@kapur.h>");
        assert_eq!(
            step,
            Step::LookupRecipient {
                address: "bob@kapur.h".into()
            }
        );
        assert_eq!(
            code(&s.recipient_done("bob@kapur.h", Lookup::Found(bob()))),
            250
        );
        s
    }

    #[test]
    fn greeting_names_the_host() {
        let s = Session::new(i18n(), limits(), false);
        let g = String::from_utf8(s.greeting().to_bytes()).unwrap();
        assert!(g.starts_with("220 node.kapur.h ESMTP "), "{g}");
        assert!(g.contains("WIMS"));
    }

    #[test]
    fn ehlo_offers_auth_only_after_tls() {
        let mut s = Session::new(i18n(), limits(), false);
        let t = text(&send(&mut s, "EHLO client.test"));
        for ext in [
            "PIPELINING",
            "SIZE 1000",
            "8BITMIME",
            "SMTPUTF8",
            "CHUNKING",
            "ENHANCEDSTATUSCODES",
            "STARTTLS",
        ] {
            assert!(
                t.contains(&format!("250-{ext}\r\n")) || t.contains(&format!("250 {ext}\r\n")),
                "{ext}: {t}"
            );
        }
        assert!(!t.contains("AUTH"), "{t}");
        assert!(matches!(send(&mut s, "STARTTLS"), Step::StartTls(r) if r.code == 220));
        s.tls_started();
        // The EHLO before the handshake no longer counts.
        assert_eq!(code(&send(&mut s, "MAIL FROM:<alice@kapur.h>")), 503);
        let t = text(&send(&mut s, "EHLO client.test"));
        assert!(t.contains("AUTH PLAIN LOGIN"), "{t}");
        assert!(!t.contains("STARTTLS"), "{t}");
        assert_eq!(code(&send(&mut s, "STARTTLS")), 503);
    }

    #[test]
    fn auth_and_mail_are_refused_before_tls() {
        let mut s = Session::new(i18n(), limits(), false);
        send(&mut s, "EHLO client.test");
        let creds = B64.encode(b"\0alice@kapur.h\0secret");
        let step = send(&mut s, &format!("AUTH PLAIN {creds}"));
        assert_eq!(code(&step), 538);
        assert!(text(&step).starts_with("538 5.7.11 "));
        let step = send(&mut s, "AUTH LOGIN");
        assert_eq!(code(&step), 538);
        let step = send(&mut s, "MAIL FROM:<alice@kapur.h>");
        assert!(text(&step).starts_with("530 5.7.0 "));
    }

    #[test]
    fn mail_requires_auth() {
        let mut s = Session::new(i18n(), limits(), true);
        send(&mut s, "EHLO client.test");
        assert!(text(&send(&mut s, "MAIL FROM:<alice@kapur.h>")).starts_with("530 5.7.0 "));
        assert_eq!(code(&send(&mut s, "RCPT TO:<bob@kapur.h>")), 530);
        assert_eq!(code(&send(&mut s, "DATA")), 530);
        let step = send(&mut s, "BDAT 5 LAST");
        assert!(matches!(step, Step::SkipBdat { size: 5, ref reply } if reply.code == 530));
    }

    #[test]
    fn auth_plain_with_challenge_and_cancel() {
        let mut s = Session::new(i18n(), limits(), true);
        send(&mut s, "EHLO client.test");
        let step = send(&mut s, "AUTH PLAIN");
        assert_eq!(text(&step), "334 \r\n");
        assert!(s.awaiting_auth());
        assert_eq!(code(&send(&mut s, "*")), 501);
        assert!(!s.awaiting_auth());
        send(&mut s, "AUTH PLAIN");
        let step = send(&mut s, &B64.encode(b"alice@kapur.h\0alice@kapur.h\0pw"));
        assert!(matches!(step, Step::Authenticate { ref user, .. } if user == "alice@kapur.h"));
        // Authorising as someone else is refused without a password check.
        send(&mut s, "AUTH PLAIN");
        let step = send(&mut s, &B64.encode(b"bob@kapur.h\0alice@kapur.h\0pw"));
        assert_eq!(code(&step), 535);
        assert_eq!(code(&send(&mut s, "AUTH PLAIN !!notbase64")), 501);
    }

    #[test]
    fn auth_login_both_ways() {
        let mut s = Session::new(i18n(), limits(), true);
        send(&mut s, "EHLO client.test");
        assert_eq!(text(&send(&mut s, "AUTH LOGIN")), "334 VXNlcm5hbWU6\r\n");
        assert_eq!(
            text(&send(&mut s, &B64.encode("alice@kapur.h"))),
            "334 UGFzc3dvcmQ6\r\n"
        );
        let step = send(&mut s, &B64.encode("pw"));
        assert_eq!(
            step,
            Step::Authenticate {
                user: "alice@kapur.h".into(),
                password: "pw".into()
            }
        );
        // smtplib's form: the user name as initial response.
        let line = format!("AUTH LOGIN {}", B64.encode("alice@kapur.h"));
        assert_eq!(text(&send(&mut s, &line)), "334 UGFzc3dvcmQ6\r\n");
        assert!(matches!(
            send(&mut s, &B64.encode("pw")),
            Step::Authenticate { .. }
        ));
        assert_eq!(code(&send(&mut s, "AUTH CRAM-MD5")), 504);
    }

    #[test]
    fn repeated_auth_failures_close() {
        let mut s = Session::new(i18n(), limits(), true);
        send(&mut s, "EHLO client.test");
        for _ in 1..MAX_AUTH_FAILURES {
            assert_eq!(code(&s.auth_done(AuthOutcome::Invalid, None)), 535);
        }
        assert!(matches!(s.auth_done(AuthOutcome::Invalid, None), Step::Close(r) if r.code == 421));
        assert_eq!(code(&s.auth_done(AuthOutcome::Unavailable, None)), 454);
    }

    #[test]
    fn sender_must_be_the_account() {
        let mut s = logged_in();
        assert_eq!(code(&send(&mut s, "AUTH PLAIN AGFAYg==")), 503);
        for bad in ["<bob@kapur.h>", "<alice@elsewhere.h>", "<>"] {
            let step = send(&mut s, &format!("MAIL FROM:{bad}"));
            assert!(
                text(&step).starts_with("553 5.7.1 "),
                "{bad}: {}",
                text(&step)
            );
        }
        let step = send(
            &mut s,
            "MAIL FROM:<ALICE@kapur.h> BODY=8BITMIME SMTPUTF8 AUTH=<>",
        );
        assert!(text(&step).starts_with("250 2.1.0 "), "{}", text(&step));
        assert_eq!(code(&send(&mut s, "MAIL FROM:<alice@kapur.h>")), 503);
    }

    #[test]
    fn size_parameter_over_the_limit() {
        let mut s = logged_in();
        let step = send(&mut s, "MAIL FROM:<alice@kapur.h> SIZE=1001");
        assert!(text(&step).starts_with("552 5.3.4 "));
        assert_eq!(
            code(&send(&mut s, "MAIL FROM:<alice@kapur.h> SIZE=1000")),
            250
        );
    }

    #[test]
    fn unsupported_parameters() {
        let mut s = logged_in();
        assert_eq!(
            code(&send(&mut s, "MAIL FROM:<alice@kapur.h> BODY=BINARYMIME")),
            555
        );
        assert_eq!(
            code(&send(&mut s, "MAIL FROM:<alice@kapur.h> RET=FULL")),
            555
        );
        assert_eq!(
            code(&send(&mut s, "MAIL FROM:<alice@kapur.h> FOO=BAR")),
            555
        );
        assert_eq!(code(&send(&mut s, "MAIL FROM:<alice@kapur.h>")), 250);
        assert_eq!(
            code(&send(&mut s, "RCPT TO:<bob@kapur.h> NOTIFY=NEVER")),
            555
        );
    }

    #[test]
    fn non_ascii_addresses_need_smtputf8() {
        let mut s = logged_in();
        assert_eq!(code(&send(&mut s, "MAIL FROM:<alice@kapur.h>")), 250);
        let step = send(&mut s, "RCPT TO:<jürgen@kapur.h>");
        assert!(text(&step).starts_with("553 5.6.7 "));
        send(&mut s, "RSET");
        assert_eq!(
            code(&send(&mut s, "MAIL FROM:<alice@kapur.h> SMTPUTF8")),
            250
        );
        assert!(matches!(
            send(&mut s, "RCPT TO:<jürgen@kapur.h>"),
            Step::LookupRecipient { .. }
        ));
    }

    #[test]
    fn recipients_local_foreign_duplicate_and_limit() {
        let mut s = with_recipient();
        assert_eq!(s.sole_recipient(), Some("bob@kapur.h"));
        send(&mut s, "RCPT TO:<carol@elsewhere.h>");
        let step = s.recipient_done("carol@elsewhere.h", Lookup::NotHosted);
        assert!(text(&step).starts_with("550 5.1.1 "), "{}", text(&step));
        assert!(text(&step).contains("carol@elsewhere.h"));
        assert_eq!(code(&send(&mut s, "RCPT TO:<>")), 501);
        // A duplicate needs no lookup but still counts against the limit.
        assert_eq!(code(&send(&mut s, "RCPT TO:<BOB@kapur.h>")), 250);
        assert!(matches!(
            send(&mut s, "RCPT TO:<alice@kapur.h>"),
            Step::LookupRecipient { .. }
        ));
        assert_eq!(
            code(&s.recipient_done("alice@kapur.h", Lookup::Found(alice()))),
            250
        );
        assert_eq!(s.sole_recipient(), None);
        let step = send(&mut s, "RCPT TO:<bob@kapur.h>");
        assert!(text(&step).starts_with("452 4.5.3 "));
        let plan = s.plan().unwrap();
        assert_eq!(plan.sender, alice());
        assert_eq!(plan.recipients, vec![bob(), alice()]);
    }

    #[test]
    fn data_sequence() {
        let mut s = logged_in();
        assert_eq!(code(&send(&mut s, "DATA")), 503);
        send(&mut s, "MAIL FROM:<alice@kapur.h>");
        assert!(text(&send(&mut s, "DATA")).starts_with("554 5.5.1 "));
        send(&mut s, "RCPT TO:<bob@kapur.h>");
        s.recipient_done("bob@kapur.h", Lookup::Found(bob()));
        assert_eq!(send(&mut s, "DATA"), Step::Data);
        assert_eq!(s.data_opened().code, 354);
        assert!(s.body_in_progress());
        assert!(text(&s.message_done(Outcome::Delivered)).starts_with("250 2.0.0 "));
        assert!(!s.body_in_progress());
        assert!(s.plan().is_none());
        assert_eq!(code(&send(&mut s, "RCPT TO:<bob@kapur.h>")), 503);
    }

    #[test]
    fn data_too_big_or_failed_ends_the_transaction() {
        let mut s = with_recipient();
        assert_eq!(send(&mut s, "DATA"), Step::Data);
        s.data_opened();
        assert!(text(&s.message_done(Outcome::TooBig)).starts_with("552 5.3.4 "));
        let mut s = with_recipient();
        send(&mut s, "DATA");
        assert!(text(&s.data_refused()).starts_with("451 4.3.0 "));
        assert_eq!(code(&send(&mut s, "DATA")), 503);
    }

    #[test]
    fn bdat_chunks_and_limits() {
        let mut s = with_recipient();
        assert_eq!(
            send(&mut s, "BDAT 400"),
            Step::Bdat {
                size: 400,
                last: false
            }
        );
        assert!(text(&s.chunk_done(400, true)).starts_with("250 2.0.0 "));
        assert_eq!(code(&send(&mut s, "DATA")), 503);
        assert_eq!(code(&send(&mut s, "RCPT TO:<alice@kapur.h>")), 503);
        assert_eq!(
            send(&mut s, "BDAT 600"),
            Step::Bdat {
                size: 600,
                last: false
            }
        );
        // One octet over the limit: refused, skipped, and the transaction is gone.
        let step = send(&mut s, "BDAT 1 LAST");
        assert!(matches!(step, Step::SkipBdat { size: 1, ref reply } if reply.code == 552));
        assert!(!s.body_in_progress());
        let step = send(&mut s, "BDAT 3 LAST");
        assert!(matches!(step, Step::SkipBdat { size: 3, ref reply } if reply.code == 503));
    }

    #[test]
    fn bdat_zero_last() {
        let mut s = with_recipient();
        assert_eq!(
            send(&mut s, "BDAT 0 LAST"),
            Step::Bdat {
                size: 0,
                last: true
            }
        );
        assert_eq!(s.plan().unwrap().recipients, vec![bob()]);
        assert_eq!(code(&s.message_done(Outcome::Delivered)), 250);
    }

    #[test]
    fn bdat_without_recipients_is_skipped() {
        let mut s = logged_in();
        send(&mut s, "MAIL FROM:<alice@kapur.h>");
        let step = send(&mut s, "BDAT 10 LAST");
        assert!(matches!(step, Step::SkipBdat { size: 10, ref reply } if reply.code == 554));
    }

    #[test]
    fn rset_helo_and_simple_commands() {
        let mut s = with_recipient();
        assert_eq!(code(&send(&mut s, "RSET")), 250);
        assert!(s.plan().is_none());
        assert!(text(&send(&mut s, "NOOP")).starts_with("250 2.0.0"));
        assert!(text(&send(&mut s, "VRFY bob")).starts_with("252 "));
        let help = text(&send(&mut s, "HELP"));
        assert!(help.starts_with("214"), "{help}");
        assert_eq!(code(&send(&mut s, "EXPN list")), 502);
        assert!(matches!(send(&mut s, "QUIT"), Step::Quit(r) if r.code == 221));
        // HELO starts over but keeps the login.
        send(&mut s, "MAIL FROM:<alice@kapur.h>");
        assert_eq!(
            text(&send(&mut s, "HELO other.test")),
            "250 node.kapur.h Hello other.test\r\n"
        );
        assert!(s.plan().is_none());
        assert_eq!(code(&send(&mut s, "MAIL FROM:<alice@kapur.h>")), 250);
    }

    #[test]
    fn malformed_commands_then_too_many_errors() {
        let mut s = Session::new(i18n(), limits(), true);
        assert!(text(&send(&mut s, "FROB")).starts_with("500 5.5.1 "));
        assert!(text(&send(&mut s, "MAIL TO:<x@y>")).starts_with("501 "));
        assert!(text(&send(&mut s, "EHLO")).starts_with("501 "));
        assert!(text(&send(&mut s, "")).starts_with("500 "));
        assert!(text(&s.line_too_long()).starts_with("500 5.5.2 "));
        // The session still works after errors.
        assert_eq!(code(&send(&mut s, "EHLO client.test")), 250);
        for _ in 5..MAX_ERRORS - 1 {
            assert_eq!(code(&send(&mut s, "FROB")), 500);
        }
        assert!(matches!(send(&mut s, "FROB"), Step::Close(r) if r.code == 421));
    }

    #[test]
    fn auth_line_too_long_cancels_the_exchange() {
        let mut s = Session::new(i18n(), limits(), true);
        send(&mut s, "EHLO client.test");
        send(&mut s, "AUTH PLAIN");
        assert!(text(&s.line_too_long()).starts_with("500 5.5.6 "));
        assert!(!s.awaiting_auth());
    }

    #[test]
    fn bare_lf_lines_are_commands_too() {
        let mut s = Session::new(i18n(), limits(), true);
        assert_eq!(code(&s.line(b"NOOP\n")), 250);
    }
}
