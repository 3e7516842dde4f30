//! Running the active script on one message for one account: what to do with it, decided
//! without any I/O. The filing code asks the store what the script needs to know (through
//! [`Lookups`]) and carries out the [`Decision`] in the one filing path.
//!
//! Whatever the script does, mail is never lost: a run that fails (an error, the instruction
//! limit) or that would leave the message nowhere keeps it in the INBOX.

use sieve::{Envelope, Event, Input};

use crate::Compiled;

/// What a script may ask about the account while it runs.
pub trait Lookups {
    /// Whether every one of these folders exists (`mailboxexists`).
    fn folders_exist(&mut self, names: &[String]) -> bool;
    /// Whether `id` was seen in the last `expiry` seconds; it counts as seen from now on
    /// (`duplicate`, and the vacation reply sent once a period to each sender).
    fn seen(&mut self, id: &str, expiry: u64) -> bool;
    /// A script of the account the running one includes.
    fn include(&mut self, name: &str) -> Option<Compiled>;
}

/// One copy to file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filing {
    pub folder: String,
    /// System flags (`\Seen`) and keywords, as the script set them.
    pub flags: Vec<String>,
    /// Make the folder when it does not exist (`fileinto :create`); without it a missing
    /// folder means the INBOX.
    pub create: bool,
    /// Which message: 0 the one that arrived, others one the script changed (`created`).
    pub message: usize,
}

/// A message the script sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Send {
    pub to: String,
    pub message: usize,
    /// A vacation reply (sent from the null sender), not a redirect.
    pub auto_reply: bool,
}

/// What to do with the message.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Decision {
    pub filings: Vec<Filing>,
    /// The script threw it away (`discard`) and it is filed nowhere.
    pub discarded: bool,
    pub sends: Vec<Send>,
    /// The script refused it (`reject`, `ereject`), with its reason.
    pub reject: Option<String>,
    /// Messages the script made, by number: a changed header, a vacation reply.
    pub created: Vec<(usize, Vec<u8>)>,
    /// What went wrong while it ran (for the log and the account's rules page).
    pub errors: Vec<String>,
}

impl Decision {
    /// The message as it arrived, filed in the INBOX: what happens without rules, and after a
    /// run that went wrong.
    pub fn keep() -> Decision {
        Decision {
            filings: vec![Filing {
                folder: "INBOX".into(),
                flags: Vec::new(),
                create: false,
                message: 0,
            }],
            ..Decision::default()
        }
    }

    /// The message `n`'s bytes as the script made them; `None` for the original.
    pub fn created(&self, n: usize) -> Option<&[u8]> {
        self.created
            .iter()
            .find(|(i, _)| *i == n)
            .map(|(_, b)| b.as_slice())
    }
}

/// Runs `script` on `message` (its header and the start of its body) sent by `from` to
/// `to`, the account's address.
pub fn decide(
    runtime: &sieve::Runtime,
    script: &Compiled,
    message: &[u8],
    from: &str,
    to: &str,
    look: &mut dyn Lookups,
) -> Decision {
    let mut ctx = runtime
        .filter(message)
        .with_envelope(Envelope::From, from)
        .with_envelope(Envelope::To, to)
        .with_user_address(to);
    let mut d = Decision::default();
    let mut input = Input::script("active", script.clone());
    // A vacation reply is the message made just before the send that carries it.
    let mut vacation_pending = false;
    while let Some(step) = ctx.run(input) {
        input = match step {
            Ok(Event::Keep { flags, message_id }) => {
                d.filings.push(Filing {
                    folder: "INBOX".into(),
                    flags,
                    create: false,
                    message: message_id,
                });
                Input::True
            }
            Ok(Event::FileInto {
                folder,
                flags,
                create,
                message_id,
                ..
            }) => {
                d.filings.push(Filing {
                    folder,
                    flags,
                    create,
                    message: message_id,
                });
                Input::True
            }
            Ok(Event::Discard) => {
                d.discarded = true;
                Input::True
            }
            Ok(Event::Reject { reason, .. }) => {
                d.reject = Some(reason);
                Input::True
            }
            Ok(Event::SendMessage {
                recipient: sieve::Recipient::Address(to),
                message_id,
                ..
            }) => {
                d.sends.push(Send {
                    to,
                    message: message_id,
                    auto_reply: std::mem::take(&mut vacation_pending),
                });
                Input::True
            }
            Ok(Event::CreatedMessage {
                message_id,
                message,
            }) => {
                d.created.push((message_id, message));
                Input::True
            }
            Ok(Event::DuplicateId { id, expiry, .. }) => {
                let seen = look.seen(&id, expiry);
                // The vacation test asks this first; when unseen, its reply follows.
                vacation_pending = !seen && id.starts_with("_v");
                Input::from(seen)
            }
            Ok(Event::MailboxExists { mailboxes, .. }) => {
                let names: Vec<String> = mailboxes
                    .into_iter()
                    .map(|m| match m {
                        sieve::Mailbox::Name(n) | sieve::Mailbox::Id(n) => n,
                    })
                    .collect();
                Input::from(look.folders_exist(&names))
            }
            Ok(Event::IncludeScript { name, .. }) => match look.include(&name) {
                Some(s) => Input::script(name.to_string(), s),
                None => {
                    d.errors
                        .push(format!("include {}: no such script", name.as_str()));
                    Input::False
                }
            },
            // Lists, notifications and the rest are not offered: the answer is no.
            Ok(_) => Input::False,
            Err(e) => {
                d.errors.push(e.to_string());
                Input::True
            }
        };
    }
    // Never lost: after an error, or when the script left it nowhere, the INBOX keeps it.
    let kept_whole = d
        .filings
        .iter()
        .any(|f| f.folder.eq_ignore_ascii_case("INBOX") && f.message == 0);
    let redirected = d.sends.iter().any(|s| !s.auto_reply);
    let nowhere = d.filings.is_empty() && !d.discarded && d.reject.is_none() && !redirected;
    if (!d.errors.is_empty() && !kept_whole) || nowhere {
        d.filings.push(Decision::keep().filings.remove(0));
        d.discarded = false;
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Settings, check};
    use std::collections::HashSet;

    #[derive(Default)]
    struct World {
        folders: HashSet<String>,
        seen: HashSet<String>,
    }

    impl Lookups for World {
        fn folders_exist(&mut self, names: &[String]) -> bool {
            names.iter().all(|n| self.folders.contains(n))
        }
        fn seen(&mut self, id: &str, _expiry: u64) -> bool {
            !self.seen.insert(id.to_string())
        }
        fn include(&mut self, _name: &str) -> Option<Compiled> {
            None
        }
    }

    const INVOICE: &[u8] = b"From: Alice <alice@alpha.h>\r\nTo: bob@beta.h\r\nSubject: March\r\n\
        Message-ID: <m1@alpha.h>\r\nX-Wims-Type: invoice\r\n\r\nPay me.\r\n";

    fn run(script: &str, message: &[u8], world: &mut World) -> Decision {
        let s = Settings::default();
        let compiled = check(script.as_bytes(), &s).unwrap();
        decide(
            &s.runtime(),
            &compiled,
            message,
            "alice@alpha.h",
            "bob@beta.h",
            world,
        )
    }

    #[test]
    fn an_invoice_is_filed_flagged_and_others_kept() {
        let script = "require [\"fileinto\", \"imap4flags\", \"mailbox\"];\n\
            if header :is \"X-Wims-Type\" \"invoice\" {\n\
              fileinto :create :flags \"\\\\Flagged\" \"Invoices\";\n}\n";
        let d = run(script, INVOICE, &mut World::default());
        assert_eq!(
            d.filings,
            vec![Filing {
                folder: "Invoices".into(),
                flags: vec!["\\Flagged".into()],
                create: true,
                message: 0
            }]
        );
        let other = b"From: alice@alpha.h\r\nSubject: hi\r\n\r\nhi\r\n";
        assert_eq!(run(script, other, &mut World::default()), Decision::keep());
    }

    #[test]
    fn a_failing_script_keeps_the_message() {
        // An instruction the engine does not know stops the run after the first filing.
        let script = "require [\"fileinto\", \"ihave\"];\nfileinto \"A\";\nfrobnicate;\n";
        let d = run(script, INVOICE, &mut World::default());
        assert!(!d.errors.is_empty(), "{d:?}");
        assert!(
            d.filings.contains(&Decision::keep().filings.remove(0)),
            "{d:?}"
        );
        assert!(d.filings.iter().any(|f| f.folder == "A"), "{d:?}");
    }

    #[test]
    fn vacation_answers_a_sender_once() {
        let script = "require \"vacation\";\nvacation :days 7 \"Away until Monday.\";\n";
        let mut world = World::default();
        let d = run(script, INVOICE, &mut world);
        assert_eq!(d.sends.len(), 1, "{d:?}");
        assert!(d.sends[0].auto_reply && d.sends[0].to == "alice@alpha.h");
        let reply = d.created(d.sends[0].message).unwrap();
        let text = String::from_utf8_lossy(reply);
        assert!(
            text.contains("Auto-Submitted: auto-replied") && text.contains("Away until Monday.")
        );
        assert_eq!(d.filings, Decision::keep().filings);
        let again = run(script, INVOICE, &mut world);
        assert!(again.sends.is_empty(), "{again:?}");
    }

    #[test]
    fn discard_redirect_and_reject_are_decisions() {
        let d = run("discard;\n", INVOICE, &mut World::default());
        assert!(d.discarded && d.filings.is_empty());
        let d = run(
            "redirect \"carol@gamma.h\";\n",
            INVOICE,
            &mut World::default(),
        );
        assert_eq!(
            d.sends,
            vec![Send {
                to: "carol@gamma.h".into(),
                message: 0,
                auto_reply: false
            }]
        );
        assert!(d.filings.is_empty());
        let d = run(
            "require \"reject\";\nreject \"not here\";\n",
            INVOICE,
            &mut World::default(),
        );
        assert_eq!(d.reject.as_deref(), Some("not here"));
        assert!(d.filings.is_empty());
    }
}
