//! The node as the SMTP driver's [`Backend`]: logins against the store (throttled), recipients
//! in the store or on the sender's wims network, bodies written into the store, and filing
//! through the one submission pipeline.

use std::net::IpAddr;

use ::smtp::{AuthOutcome, Backend, Lookup, Outcome, Plan, User};
use chrono::{DateTime, Utc};

use super::Submission;
use delivery::submit::{Outgoing, SubmitError};
use delivery::{Network, RemoteCheck};
use endpoints::auth::AuthError;

pub(super) struct NodeBackend<'a>(pub(super) &'a Submission);

impl Backend for NodeBackend<'_> {
    type Writer = mailbox::MessageWriter;

    async fn authenticate(
        &self,
        user: &str,
        password: &str,
        peer: IpAddr,
    ) -> (AuthOutcome, Option<User>) {
        match self
            .0
            .clients
            .login
            .authenticate(user, password, peer)
            .await
        {
            Ok(a) => (
                AuthOutcome::Ok,
                Some(User {
                    id: a.id,
                    address: a.address,
                }),
            ),
            Err(AuthError::Invalid) => {
                tracing::debug!(%peer, user, "smtp login failed");
                (AuthOutcome::Invalid, None)
            }
            Err(e) => {
                tracing::warn!(%peer, error = %e, "smtp login could not be checked");
                (AuthOutcome::Unavailable, None)
            }
        }
    }

    async fn lookup(&self, sender: &User, address: &str) -> Lookup {
        let store = self.0.outbox.store.clone();
        let a = address.to_string();
        // Accounts of a wims network follow its rules even when they share this node.
        let network = self.0.outbox.network.as_ref().and_then(|net| {
            let sender = sender.address.clone();
            net.hosted(&sender).map(|_| (net.clone(), sender))
        });
        let ask =
            async |net: &Network, sender: &str| match net.check_recipient(sender, address).await {
                RemoteCheck::Allowed => Ok(()),
                RemoteCheck::NotAllowed => Err(Lookup::NotAllowed),
                RemoteCheck::Unknown => Err(Lookup::NotHosted),
                RemoteCheck::Unavailable => Err(Lookup::NetworkUnavailable),
            };
        let found = mailbox::blocking::run(move || store.account(&a)).await;
        match found.unwrap_or_else(|e| Err(e.into())) {
            Ok(Some(account)) => {
                if let Some((net, sender)) = &network
                    && net.hosted(&account.address).is_some()
                    && let Err(refusal) = ask(net, sender).await
                {
                    return refusal;
                }
                Lookup::Found(User {
                    id: account.id,
                    address: account.address,
                })
            }
            Ok(None) => match &network {
                Some((net, sender)) => match ask(net, sender).await {
                    Ok(()) => Lookup::Remote(address.to_string()),
                    Err(refusal) => {
                        tracing::info!(
                            sender,
                            address,
                            ?refusal,
                            "smtp recipient refused by the network"
                        );
                        refusal
                    }
                },
                None => {
                    tracing::debug!(address, "smtp recipient not hosted here");
                    Lookup::NotHosted
                }
            },
            Err(e) => {
                tracing::warn!(address, error = %e, "smtp recipient lookup failed");
                Lookup::Unavailable
            }
        }
    }

    async fn open_body(&self) -> Option<mailbox::MessageWriter> {
        let store = self.0.outbox.store.clone();
        let opened = mailbox::blocking::run(move || store.new_message()).await;
        match opened.unwrap_or_else(|e| Err(e.into())) {
            Ok(w) => Some(w),
            Err(e) => {
                tracing::warn!(error = %e, "smtp could not start a message body");
                None
            }
        }
    }

    /// Files the message through the submission pipeline. The reply is 250 only when every
    /// copy and delivery job is durable.
    async fn submit(&self, writer: mailbox::MessageWriter, plan: Plan, peer: IpAddr) -> Outcome {
        let store = self.0.outbox.store.clone();
        let network = self.0.outbox.network.clone();
        let (from, count) = (
            plan.sender.address.clone(),
            plan.recipients.len() + plan.remote.len(),
        );
        let queued = !plan.remote.is_empty();
        let now = self.now();
        let done = mailbox::blocking::run(move || -> Result<u64, SubmitError> {
            let staged = writer.finish()?;
            let message_type = staged.message_type().unwrap_or_else(|| "message".into());
            let local: Vec<(u64, String)> = plan
                .recipients
                .iter()
                .map(|r| (r.id, r.address.clone()))
                .collect();
            let out = Outgoing {
                sender: &plan.sender.address,
                sender_id: plan.sender.id,
                local: &local,
                remote: &plan.remote,
                message_type: &message_type,
                message_id: None,
                job: None,
                date: Some(now),
            };
            delivery::submit::file(&store, network.as_deref(), &staged, &out)?;
            Ok(staged.size)
        })
        .await;
        match done.unwrap_or_else(|e| Err(mailbox::Error::from(e).into())) {
            Ok(size) => {
                tracing::info!(%peer, from, recipients = count, size, "message submitted");
                if queued {
                    Outcome::Queued
                } else {
                    Outcome::Delivered
                }
            }
            Err(SubmitError::ForgedSender { field, claimed }) => {
                tracing::info!(%peer, from, field, claimed = ?claimed, "smtp message refused: header names another sender");
                Outcome::ForgedSender
            }
            Err(e) => {
                tracing::warn!(from, error = %e, "smtp delivery failed");
                Outcome::Failed
            }
        }
    }

    fn now(&self) -> DateTime<Utc> {
        relay_client::clock::now()
    }
}
