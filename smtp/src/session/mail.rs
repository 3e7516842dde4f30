//! A transaction: MAIL, RCPT, DATA and BDAT, up to the message's outcome.

use smtp_proto::{
    MAIL_BODY_BINARYMIME, MAIL_BY_NOTIFY, MAIL_BY_RETURN, MAIL_BY_TRACE, MAIL_CONPERM,
    MAIL_REQUIRETLS, MAIL_RET_FULL, MAIL_RET_HDRS, MAIL_SMTPUTF8, MailFrom, RCPT_CONNEG,
    RCPT_NOTIFY_DELAY, RCPT_NOTIFY_FAILURE, RCPT_NOTIFY_NEVER, RCPT_NOTIFY_SUCCESS,
    RCPT_RRVS_CONTINUE, RCPT_RRVS_REJECT, RcptTo,
};

use super::{Body, Lookup, Outcome, Plan, Session, Step, Transaction, st};
use crate::reply::Reply;

impl Session<'_> {
    /// Refusals shared by MAIL, RCPT, DATA and BDAT.
    pub(super) fn need_login(&self) -> Option<Step> {
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

    pub(super) fn mail(&mut self, from: MailFrom<String>) -> Step {
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

    pub(super) fn rcpt(&mut self, to: RcptTo<String>) -> Step {
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
    pub(super) fn need_recipients(&self) -> Option<Step> {
        let Some(tx) = self.tx.as_ref() else {
            return Some(self.reply(503, st(5, 5, 1), "smtp-need-mail", &[]));
        };
        if tx.recipients.is_empty() && tx.remote.is_empty() {
            return Some(self.reply(554, st(5, 5, 1), "smtp-no-recipients", &[]));
        }
        None
    }

    pub(super) fn data(&mut self) -> Step {
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

    pub(super) fn bdat(&mut self, size: usize, last: bool) -> Step {
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
