//! What a service server answers to each control request: plain functions of the registry,
//! the CA and the clock, with no I/O of their own, so every rule is unit-tested here.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use wire::proto::{HostRequest, Login, Refusal, RefusalCode, Request, Response, SignedLogin};
use wire::{
    CaKey, Cert, DirectoryRecord, MessageId, NetworkSigned, RECORD_VERSION, ServerAddr,
    TOKEN_VERSION, Token,
};

use crate::address::normalize_address;
use crate::registry::{Account, AccountState, HostingSecret, Registry, RegistryError};

/// Most node addresses one record carries: a node listens on a few, plus relay circuits.
const MAX_NODE_ADDRS: usize = 32;
const MAX_ADDR_LEN: usize = 512;
/// Most recipients of one token; a larger message goes out in several authorizations.
pub const MAX_RECIPIENTS: usize = 1000;

/// Directory records that other servers of the network returned for addresses this server
/// does not hold, already checked against the CA. See [`Handler::remote_needs`].
pub type RemoteRecords = BTreeMap<String, NetworkSigned>;

/// The settings requests are judged by.
#[derive(Clone, Debug)]
pub struct Settings {
    /// This server first, then the network's other servers: every record's backup list.
    pub servers: Vec<ServerAddr>,
    /// Largest plaintext size a token is issued for.
    pub max_message_size: u64,
    pub token_lifetime: Duration,
}

pub struct Handler {
    registry: Registry,
    ca: CaKey,
    ca_cert: Cert,
    settings: Settings,
}

type Answer = Result<Response, Refusal>;

fn refuse(code: RefusalCode, detail: impl Into<String>) -> Refusal {
    Refusal::new(code, detail)
}

/// A registry failure is the server's problem, not the request's: the node should retry.
fn internal(e: impl std::fmt::Display) -> Refusal {
    tracing::warn!(error = %e, "registry failure while answering a request");
    refuse(RefusalCode::TryLater, "server error")
}

impl From<RegistryError> for Refusal {
    fn from(e: RegistryError) -> Refusal {
        internal(e)
    }
}

/// The names a node may use for a certificate's fingerprint in its hosting proof: upper-case
/// hex (`Fingerprint::to_hex`, the canonical form) or lower-case.
fn fingerprint_forms(cert: &Cert) -> [String; 2] {
    let hex = cert.fingerprint().to_hex();
    let lower = hex.to_lowercase();
    [hex, lower]
}

fn check_node_addrs(addrs: &[String]) -> Result<(), Refusal> {
    if addrs.len() > MAX_NODE_ADDRS {
        return Err(refuse(RefusalCode::BadRequest, "too many node addresses"));
    }
    for a in addrs {
        if a.len() > MAX_ADDR_LEN || a.parse::<overlay::Multiaddr>().is_err() {
            return Err(refuse(
                RefusalCode::BadRequest,
                format!("not a multiaddr: {a}"),
            ));
        }
    }
    Ok(())
}

impl Handler {
    pub fn new(registry: Registry, ca: CaKey, settings: Settings) -> Handler {
        let ca_cert = ca.cert();
        Handler {
            registry,
            ca,
            ca_cert,
            settings,
        }
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Whether `peer` is one of the network's other service servers (configured peers).
    pub fn is_peer_server(&self, peer: &str) -> bool {
        self.settings
            .servers
            .iter()
            .skip(1)
            .any(|s| s.peer_id == peer)
    }

    /// Answers `req` from `peer` (PeerId text) at `now`, with no help from other servers.
    pub fn handle(&self, peer: &str, req: Request, now: DateTime<Utc>) -> Response {
        self.handle_with(peer, req, now, &RemoteRecords::new())
    }

    /// Answers `req`, also accepting the records other servers returned for addresses this
    /// server does not hold. Never panics on input; every refusal is logged.
    pub fn handle_with(
        &self,
        peer: &str,
        req: Request,
        now: DateTime<Utc>,
        remote: &RemoteRecords,
    ) -> Response {
        let kind = request_kind(&req);
        let answer = match req {
            Request::Host(h) => self.host(peer, h, None, now),
            Request::HostSigned { request, signature } => {
                self.host(peer, request, Some(&signature), now)
            }
            Request::Login(s) => self.login(peer, &s, now),
            Request::Lookup { asker, address } => self.lookup(peer, &asker, &address, remote),
            Request::Authorize {
                sender,
                recipients,
                message_id,
                size,
            } => self.authorize(peer, &sender, &recipients, message_id, size, now, remote),
            Request::Time => Ok(Response::Time(now.timestamp_millis())),
            Request::Receipt(_) => Err(refuse(
                RefusalCode::BadRequest,
                "receipts go to nodes, not to service servers",
            )),
            Request::Release => self.release(),
            // Holding requests are answered by `crate::holding`, notifications by nodes.
            Request::Waiting { .. }
            | Request::Collected { .. }
            | Request::CollectedFrom { .. }
            | Request::HoldReceipt { .. }
            | Request::Notify { .. }
            | Request::Retired => Err(refuse(
                RefusalCode::BadRequest,
                "not a request this server answers here",
            )),
        };
        match answer {
            Ok(r) => {
                tracing::debug!(%peer, request = kind, "answered");
                r
            }
            // "No release announced" is how a network without an announcement answers every
            // node's update check, not a failure worth the operator's attention.
            Err(refusal) if kind == "release" => {
                tracing::debug!(%peer, request = kind, detail = %refusal.detail, "answered");
                Response::Refused(refusal)
            }
            Err(refusal) => {
                tracing::info!(
                    %peer,
                    request = kind,
                    code = ?refusal.code,
                    detail = %refusal.detail,
                    "refused"
                );
                Response::Refused(refusal)
            }
        }
    }

    /// The lookups to send to the network's other servers before answering `req`: one for
    /// each address the request needs and this server does not hold. Only for a node's own,
    /// permitted request, and never on behalf of another server (no lookup chains).
    pub fn remote_needs(&self, peer: &str, req: &Request) -> Vec<Request> {
        if self.is_peer_server(peer) || self.settings.servers.len() < 2 {
            return Vec::new();
        }
        let (asker, wanted): (&str, Vec<&String>) = match req {
            Request::Lookup { asker, address } => (asker, vec![address]),
            Request::Authorize {
                sender, recipients, ..
            } => (sender, recipients.iter().collect()),
            _ => return Vec::new(),
        };
        let Ok(asker) = self.hosted_by(asker, peer).map(|a| a.address) else {
            return Vec::new();
        };
        let mut out: Vec<Request> = Vec::new();
        for w in wanted {
            let Some(address) = normalize_address(w) else {
                continue;
            };
            let local = matches!(self.registry.account(&address), Ok(Some(_)));
            let allowed = self.registry.allowed(&asker, &address).unwrap_or(false);
            let lookup = Request::Lookup {
                asker: asker.clone(),
                address,
            };
            if !local && allowed && !out.contains(&lookup) {
                out.push(lookup);
            }
        }
        out
    }

    /// The account `address` if it is hosted by `peer`.
    fn hosted_by(&self, address: &str, peer: &str) -> Result<Account, Refusal> {
        match self.registry.account(address)? {
            Some(a) if a.state == AccountState::Hosted && a.node.as_deref() == Some(peer) => Ok(a),
            _ => Err(refuse(
                RefusalCode::NotHostingNode,
                format!("{address} is not hosted by the requesting node"),
            )),
        }
    }

    /// The stored record of a hosted account, re-checked against the CA.
    fn stored_record(
        &self,
        account: &Account,
    ) -> Result<(NetworkSigned, DirectoryRecord, Cert), Refusal> {
        let signed = account
            .record
            .clone()
            .ok_or_else(|| internal(format!("{} is hosted but has no record", account.address)))?;
        let (record, cert) = wire::verify_record(&signed, &self.ca_cert).map_err(internal)?;
        Ok((signed, record, cert))
    }

    /// `signature`: the hosting secret's, from a `HostSigned` request; a `Host` request has
    /// only the keyed proof, which accounts created before verifiers still take.
    fn host(
        &self,
        peer: &str,
        h: HostRequest,
        signature: Option<&[u8]>,
        now: DateTime<Utc>,
    ) -> Answer {
        let unknown = || {
            refuse(
                RefusalCode::UnknownAccount,
                format!("no account {}", h.address),
            )
        };
        let account = self.registry.account(&h.address)?.ok_or_else(unknown)?;
        let cert = wire::cert_from_bytes(&h.cert)
            .map_err(|e| refuse(RefusalCode::BadRequest, format!("certificate: {e}")))?;
        if cert.is_tsk() {
            // The account's secret key never leaves its node; refuse to touch one that did.
            return Err(refuse(
                RefusalCode::BadRequest,
                "certificate carries secret keys",
            ));
        }
        // Exactly one User ID, the account's own: the CA certifies the certificate, and a
        // second identity on it would travel with that certification to every peer.
        let addresses = wire::cert_addresses(&cert);
        if cert.userids().count() != 1 || addresses != [account.address.to_ascii_lowercase()] {
            return Err(refuse(
                RefusalCode::BadRequest,
                format!(
                    "certificate must carry exactly one User ID, {}",
                    account.address
                ),
            ));
        }
        let [fpr, fpr_lower] = fingerprint_forms(&cert);
        match account.state {
            AccountState::Disabled => return Err(unknown()),
            AccountState::Hosted => return self.host_again(peer, &account, &fpr),
            AccountState::Created => {}
        }
        let forms = [&fpr, &fpr_lower];
        let (secret, good) = match (account.hosting_verifier, account.hosting_key) {
            (Some(v), _) => {
                let Some(signature) = signature else {
                    // A node from before signed hosting requests.
                    return Err(refuse(
                        RefusalCode::BadProof,
                        "a signed hosting request is needed",
                    ));
                };
                let good = forms
                    .into_iter()
                    .any(|f| wire::proto::verify_hosting(&v, peer, f, signature));
                (HostingSecret::Verifier(v), good)
            }
            (None, Some(key)) => {
                // blake3::Hash compares in constant time.
                let given = blake3::Hash::from(h.proof);
                let good = forms.into_iter().any(|f| {
                    blake3::Hash::from(wire::proto::hosting_proof(&key, peer, f)) == given
                });
                (HostingSecret::Key(key), good)
            }
            (None, None) => {
                return Err(refuse(RefusalCode::BadProof, "hosting secret already used"));
            }
        };
        if !good {
            return Err(refuse(RefusalCode::BadProof, "wrong hosting secret"));
        }
        check_node_addrs(&h.node_addrs)?;
        let certified = self.ca.certify(&cert, &account.address).map_err(|_| {
            refuse(
                RefusalCode::BadRequest,
                format!("certificate does not carry {}", account.address),
            )
        })?;
        let record = DirectoryRecord {
            version: RECORD_VERSION,
            address: account.address.clone(),
            display_name: account.display_name.clone(),
            cert: wire::cert_to_bytes(&certified).map_err(internal)?,
            node: peer.to_string(),
            node_addrs: h.node_addrs,
            backups: self.settings.servers.clone(),
            updated: now,
        };
        let signed = self.ca.sign_record(&record).map_err(internal)?;
        match self
            .registry
            .set_hosted(&account.address, &secret, peer, &fpr, signed.clone())
        {
            Ok(_) => {
                tracing::info!(%peer, address = %account.address, "account hosted");
                Ok(Response::Hosted(signed))
            }
            // Another request won the race: answer as to a retry.
            Err(RegistryError::WrongState(_)) => match self.registry.account(&account.address)? {
                Some(a) if a.state == AccountState::Hosted => self.host_again(peer, &a, &fpr),
                _ => Err(refuse(RefusalCode::BadProof, "hosting secret already used")),
            },
            Err(e) => Err(e.into()),
        }
    }

    /// A Host request for an account already hosted: the same node with the same key is
    /// retrying (its answer was lost) and gets the stored record; anyone else is refused.
    fn host_again(&self, peer: &str, account: &Account, fpr: &str) -> Answer {
        if account.node.as_deref() == Some(peer) && account.fingerprint.as_deref() == Some(fpr) {
            let (signed, _, _) = self.stored_record(account)?;
            return Ok(Response::Hosted(signed));
        }
        Err(refuse(RefusalCode::BadProof, "hosting secret already used"))
    }

    fn login(&self, peer: &str, s: &SignedLogin, now: DateTime<Utc>) -> Answer {
        let login: Login = wire::proto::decode(&s.login)
            .map_err(|e| refuse(RefusalCode::BadRequest, format!("login: {e}")))?;
        let account = match self.registry.account(&login.address)? {
            Some(a) if a.state == AccountState::Hosted => a,
            _ => {
                return Err(refuse(
                    RefusalCode::UnknownAccount,
                    format!("no hosted account {}", login.address),
                ));
            }
        };
        if account.node.as_deref() != Some(peer) || login.node != peer {
            return Err(refuse(
                RefusalCode::NotHostingNode,
                format!("{} is not hosted by the requesting node", account.address),
            ));
        }
        let (_, old, cert) = self.stored_record(&account)?;
        wire::proto::verify_login(s, &cert)
            .map_err(|e| refuse(RefusalCode::BadSignature, format!("login: {e}")))?;
        check_node_addrs(&login.node_addrs)?;
        let record = DirectoryRecord {
            node_addrs: login.node_addrs,
            // The network's server list may have changed since the last login.
            backups: self.settings.servers.clone(),
            updated: now,
            ..old
        };
        let signed = self.ca.sign_record(&record).map_err(internal)?;
        self.registry
            .update_record(&account.address, signed.clone())?;
        Ok(Response::Record(signed))
    }

    fn lookup(&self, peer: &str, asker: &str, address: &str, remote: &RemoteRecords) -> Answer {
        if !self.is_peer_server(peer) {
            self.hosted_by(asker, peer)?;
        }
        let unknown = || refuse(RefusalCode::UnknownAccount, format!("no account {address}"));
        let target = normalize_address(address).ok_or_else(unknown)?;
        // Policy before existence: a non-partner learns nothing about which accounts exist.
        if !self.registry.allowed(asker, &target)? {
            return Err(refuse(
                RefusalCode::NotPartners,
                format!("{asker} and {target} are not partners"),
            ));
        }
        match self.registry.account(&target)? {
            Some(a) if a.state == AccountState::Hosted => {
                Ok(Response::Record(self.stored_record(&a)?.0))
            }
            Some(_) => Err(unknown()),
            None => remote
                .get(&target)
                .map(|r| Response::Record(r.clone()))
                .ok_or_else(unknown),
        }
    }

    /// The stored announcement as the CA signed it: nodes verify it themselves.
    fn release(&self) -> Answer {
        match self.registry.release()? {
            Some(signed) => Ok(Response::Release(signed)),
            None => Err(refuse(RefusalCode::UnknownAccount, "no release announced")),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn authorize(
        &self,
        peer: &str,
        sender: &str,
        recipients: &[String],
        message_id: MessageId,
        size: u64,
        now: DateTime<Utc>,
        remote: &RemoteRecords,
    ) -> Answer {
        let sender = self.hosted_by(sender, peer)?.address;
        if recipients.is_empty() || recipients.len() > MAX_RECIPIENTS {
            return Err(refuse(
                RefusalCode::BadRequest,
                format!("{} recipients", recipients.len()),
            ));
        }
        if size > self.settings.max_message_size {
            return Err(refuse(
                RefusalCode::BadRequest,
                format!(
                    "message of {size} bytes exceeds the limit of {}",
                    self.settings.max_message_size
                ),
            ));
        }
        let mut canonical: Vec<String> = Vec::with_capacity(recipients.len());
        for r in recipients {
            let unknown = || refuse(RefusalCode::UnknownAccount, r.clone());
            let a = normalize_address(r).ok_or_else(unknown)?;
            if !self.registry.allowed(&sender, &a)? {
                return Err(refuse(RefusalCode::NotPartners, a));
            }
            let known = match self.registry.account(&a)? {
                Some(acc) => acc.state == AccountState::Hosted,
                None => remote.contains_key(&a),
            };
            if !known {
                return Err(refuse(RefusalCode::UnknownAccount, a));
            }
            if !canonical.contains(&a) {
                canonical.push(a);
            }
        }
        let token = Token {
            version: TOKEN_VERSION,
            message_id,
            sender,
            recipients: canonical,
            size,
            issued: now,
            expires: now + self.settings.token_lifetime,
        };
        Ok(Response::Token(
            self.ca.sign_token(&token).map_err(internal)?,
        ))
    }
}

/// The request's name for logs (never its contents: they may be large or private).
fn request_kind(req: &Request) -> &'static str {
    match req {
        Request::Host(_) | Request::HostSigned { .. } => "host",
        Request::Login(_) => "login",
        Request::Lookup { .. } => "lookup",
        Request::Authorize { .. } => "authorize",
        Request::Time => "time",
        Request::Receipt(_) => "receipt",
        Request::Release => "release",
        Request::Waiting { .. } => "waiting",
        Request::Collected { .. } => "collected",
        Request::CollectedFrom { .. } => "collected-from",
        Request::Retired => "retired",
        Request::HoldReceipt { .. } => "hold-receipt",
        Request::Notify { .. } => "notify",
    }
}

#[cfg(test)]
mod tests;
