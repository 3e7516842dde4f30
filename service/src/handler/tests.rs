use super::*;
use wire::proto::{hosting_key, hosting_proof, hosting_verifier, sign_hosting, sign_login};
use wire::{AccountKey, SignedReceipt};

const NODE: &str = "12D3KooWnodeA";
const OTHER_NODE: &str = "12D3KooWnodeB";
const PEER_SERVER: &str = "12D3KooWserver2";

struct Rig {
    _dir: tempfile::TempDir,
    h: Handler,
    ca: Cert,
}

fn rig() -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let registry = Registry::in_memory();
    let ca = CaKey::generate("test").unwrap();
    let ca_cert = ca.cert();
    let settings = Settings {
        servers: vec![
            ServerAddr {
                peer_id: "12D3KooWserver1".into(),
                addrs: vec!["/ip4/127.0.0.1/udp/4100/quic-v1".into()],
            },
            ServerAddr {
                peer_id: PEER_SERVER.into(),
                addrs: vec!["/ip4/127.0.0.1/udp/4200/quic-v1".into()],
            },
        ],
        max_message_size: 1_000_000,
        token_lifetime: Duration::hours(24),
    };
    Rig {
        _dir: dir,
        h: Handler::new(registry, ca, settings),
        ca: ca_cert,
    }
}

fn host_request(address: &str, secret: &[u8], node: &str, key: &AccountKey) -> Request {
    let proof = hosting_proof(&hosting_key(secret), node, &key.fingerprint().to_hex());
    Request::Host(HostRequest {
        address: address.into(),
        cert: key.public_bytes().unwrap(),
        proof,
        node_addrs: vec!["/ip4/10.0.0.1/udp/4001/quic-v1".into()],
    })
}

fn refused(r: &Response) -> RefusalCode {
    match r {
        Response::Refused(f) => f.code,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn refusal(r: &Response) -> &Refusal {
    match r {
        Response::Refused(f) => f,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

impl Rig {
    /// Creates `address` and hosts it on `node`; returns its key and record.
    fn hosted(&self, address: &str, node: &str) -> (AccountKey, NetworkSigned) {
        let secret = address.as_bytes();
        self.h
            .registry()
            .create_account(
                address,
                "Name",
                HostingSecret::Key(hosting_key(secret)),
                Utc::now(),
            )
            .unwrap();
        let key = AccountKey::generate(address).unwrap();
        match self
            .h
            .handle(node, host_request(address, secret, node, &key), Utc::now())
        {
            Response::Hosted(r) => (key, r),
            other => panic!("hosting {address}: {other:?}"),
        }
    }

    fn lookup(&self, peer: &str, asker: &str, address: &str) -> Response {
        self.h.handle(
            peer,
            Request::Lookup {
                asker: asker.into(),
                address: address.into(),
            },
            Utc::now(),
        )
    }

    fn authorize(&self, peer: &str, sender: &str, recipients: &[&str], size: u64) -> Response {
        self.h.handle(
            peer,
            Request::Authorize {
                sender: sender.into(),
                recipients: recipients.iter().map(|r| r.to_string()).collect(),
                message_id: MessageId::random(),
                size,
            },
            Utc::now(),
        )
    }
}

#[test]
fn host_with_the_right_proof_certifies_and_uses_the_secret_once() {
    let r = rig();
    let (key, signed) = r.hosted("bob@kapur.h", NODE);
    let (record, cert) = wire::verify_record(&signed, &r.ca).unwrap();
    assert_eq!(record.address, "bob@kapur.h");
    assert_eq!(record.display_name, "Name");
    assert_eq!(record.node, NODE);
    assert_eq!(record.node_addrs, ["/ip4/10.0.0.1/udp/4001/quic-v1"]);
    assert_eq!(record.backups, r.h.settings().servers);
    assert_eq!(cert.fingerprint(), key.fingerprint());
    let a = r.h.registry().account("bob@kapur.h").unwrap().unwrap();
    assert_eq!(a.state, AccountState::Hosted);
    assert_eq!(a.hosting_key, None);

    // The same node retrying with the same key gets the same record back.
    let again = r.h.handle(
        NODE,
        host_request("bob@kapur.h", b"bob@kapur.h", NODE, &key),
        Utc::now(),
    );
    assert_eq!(again, Response::Hosted(signed));
    // Another node, or another key, cannot reuse the secret.
    let other = r.h.handle(
        OTHER_NODE,
        host_request("bob@kapur.h", b"bob@kapur.h", OTHER_NODE, &key),
        Utc::now(),
    );
    assert_eq!(refused(&other), RefusalCode::BadProof);
    let key2 = AccountKey::generate("bob@kapur.h").unwrap();
    let new_key = r.h.handle(
        NODE,
        host_request("bob@kapur.h", b"bob@kapur.h", NODE, &key2),
        Utc::now(),
    );
    assert_eq!(refused(&new_key), RefusalCode::BadProof);
}

#[test]
fn host_with_a_bad_proof_is_refused_and_leaves_the_secret_usable() {
    let r = rig();
    r.h.registry()
        .create_account(
            "bob@kapur.h",
            "Bob",
            HostingSecret::Key(hosting_key(b"right")),
            Utc::now(),
        )
        .unwrap();
    let key = AccountKey::generate("bob@kapur.h").unwrap();
    let wrong = r.h.handle(
        NODE,
        host_request("bob@kapur.h", b"wrong", NODE, &key),
        Utc::now(),
    );
    assert_eq!(refused(&wrong), RefusalCode::BadProof);
    // A proof made for another node does not work from this one.
    let stolen = r.h.handle(
        OTHER_NODE,
        host_request("bob@kapur.h", b"right", NODE, &key),
        Utc::now(),
    );
    assert_eq!(refused(&stolen), RefusalCode::BadProof);
    // Lower-case fingerprint hex is accepted too.
    let proof = hosting_proof(
        &hosting_key(b"right"),
        NODE,
        &key.fingerprint().to_hex().to_lowercase(),
    );
    let ok = r.h.handle(
        NODE,
        Request::Host(HostRequest {
            address: "Bob@Kapur.h".into(),
            cert: key.public_bytes().unwrap(),
            proof,
            node_addrs: vec![],
        }),
        Utc::now(),
    );
    assert!(matches!(ok, Response::Hosted(_)), "{ok:?}");
}

#[test]
fn host_refuses_unknown_disabled_foreign_and_malformed() {
    let r = rig();
    let key = AccountKey::generate("bob@kapur.h").unwrap();
    let unknown = r.h.handle(
        NODE,
        host_request("bob@kapur.h", b"s", NODE, &key),
        Utc::now(),
    );
    assert_eq!(refused(&unknown), RefusalCode::UnknownAccount);

    r.h.registry()
        .create_account(
            "carol@kapur.h",
            "",
            HostingSecret::Key(hosting_key(b"s")),
            Utc::now(),
        )
        .unwrap();
    // Bob's certificate does not carry carol's address.
    let foreign = r.h.handle(
        NODE,
        host_request("carol@kapur.h", b"s", NODE, &key),
        Utc::now(),
    );
    assert_eq!(refused(&foreign), RefusalCode::BadRequest);

    let garbage = r.h.handle(
        NODE,
        Request::Host(HostRequest {
            address: "carol@kapur.h".into(),
            cert: vec![1, 2, 3],
            proof: [0; 32],
            node_addrs: vec![],
        }),
        Utc::now(),
    );
    assert_eq!(refused(&garbage), RefusalCode::BadRequest);

    let carol = AccountKey::generate("carol@kapur.h").unwrap();
    let mut bad_addrs = host_request("carol@kapur.h", b"s", NODE, &carol);
    if let Request::Host(h) = &mut bad_addrs {
        h.node_addrs = vec!["not a multiaddr".into()];
    }
    assert_eq!(
        refused(&r.h.handle(NODE, bad_addrs, Utc::now())),
        RefusalCode::BadRequest
    );

    // A certificate with a second User ID besides the account's is not certified.
    let (two, _) = sequoia_openpgp::cert::CertBuilder::new()
        .add_userid("<carol@kapur.h>")
        .add_userid("<ceo@kapur.h>")
        .add_signing_subkey()
        .generate()
        .unwrap();
    let two_ids = Request::Host(HostRequest {
        address: "carol@kapur.h".into(),
        cert: wire::cert_to_bytes(&two).unwrap(),
        proof: hosting_proof(&hosting_key(b"s"), NODE, &two.fingerprint().to_hex()),
        node_addrs: vec![],
    });
    let answer = r.h.handle(NODE, two_ids, Utc::now());
    assert_eq!(refused(&answer), RefusalCode::BadRequest);
    assert!(refusal(&answer).detail.contains("exactly one User ID"));

    r.h.registry().disable("carol@kapur.h").unwrap();
    let disabled = r.h.handle(
        NODE,
        host_request("carol@kapur.h", b"s", NODE, &carol),
        Utc::now(),
    );
    assert_eq!(refused(&disabled), RefusalCode::UnknownAccount);
}

#[test]
fn login_updates_addresses_only_from_the_hosting_node() {
    let r = rig();
    let (key, _) = r.hosted("bob@kapur.h", NODE);
    let login = |node: &str, k: &AccountKey| {
        Request::Login(
            sign_login(
                k,
                &Login {
                    address: "bob@kapur.h".into(),
                    node: node.into(),
                    node_addrs: vec!["/ip4/10.0.0.2/tcp/4001".into()],
                    at: Utc::now(),
                },
            )
            .unwrap(),
        )
    };
    match r.h.handle(NODE, login(NODE, &key), Utc::now()) {
        Response::Record(s) => {
            let (rec, _) = wire::verify_record(&s, &r.ca).unwrap();
            assert_eq!(rec.node_addrs, ["/ip4/10.0.0.2/tcp/4001"]);
            assert_eq!(
                r.h.registry()
                    .account("bob@kapur.h")
                    .unwrap()
                    .unwrap()
                    .record,
                Some(s)
            );
        }
        other => panic!("{other:?}"),
    }
    let wrong_peer = r.h.handle(OTHER_NODE, login(OTHER_NODE, &key), Utc::now());
    assert_eq!(refused(&wrong_peer), RefusalCode::NotHostingNode);
    let wrong_claim = r.h.handle(NODE, login(OTHER_NODE, &key), Utc::now());
    assert_eq!(refused(&wrong_claim), RefusalCode::NotHostingNode);
    let impostor = AccountKey::generate("bob@kapur.h").unwrap();
    let forged = r.h.handle(NODE, login(NODE, &impostor), Utc::now());
    assert_eq!(refused(&forged), RefusalCode::BadSignature);
    let garbage = r.h.handle(
        NODE,
        Request::Login(SignedLogin {
            login: vec![9; 3],
            signature: vec![],
        }),
        Utc::now(),
    );
    assert_eq!(refused(&garbage), RefusalCode::BadRequest);
}

#[test]
fn lookup_follows_domains_and_partnerships() {
    let r = rig();
    r.hosted("alice@alpha.h", NODE);
    r.hosted("ann@alpha.h", OTHER_NODE);
    r.hosted("bob@beta.h", OTHER_NODE);
    r.hosted("gus@gamma.h", OTHER_NODE);

    // Same domain.
    assert!(matches!(
        r.lookup(NODE, "alice@alpha.h", "ANN@alpha.h"),
        Response::Record(_)
    ));
    // Not partners; the refusal does not depend on whether the account exists.
    assert_eq!(
        refused(&r.lookup(NODE, "alice@alpha.h", "bob@beta.h")),
        RefusalCode::NotPartners
    );
    assert_eq!(
        refused(&r.lookup(NODE, "alice@alpha.h", "nobody@beta.h")),
        RefusalCode::NotPartners
    );
    // Address partnership, either way round.
    r.h.registry()
        .add_partner("bob@beta.h", "alice@alpha.h")
        .unwrap();
    match r.lookup(NODE, "alice@alpha.h", "bob@beta.h") {
        Response::Record(s) => {
            assert_eq!(
                wire::verify_record(&s, &r.ca).unwrap().0.address,
                "bob@beta.h"
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        r.lookup(OTHER_NODE, "bob@beta.h", "alice@alpha.h"),
        Response::Record(_)
    ));
    // Domain partnership.
    assert_eq!(
        refused(&r.lookup(NODE, "alice@alpha.h", "gus@gamma.h")),
        RefusalCode::NotPartners
    );
    r.h.registry().add_partner("gamma.h", "alpha.h").unwrap();
    assert!(matches!(
        r.lookup(NODE, "alice@alpha.h", "gus@gamma.h"),
        Response::Record(_)
    ));
    assert_eq!(
        refused(&r.lookup(NODE, "alice@alpha.h", "nobody@gamma.h")),
        RefusalCode::UnknownAccount
    );
    // Only the asker's own node may ask on its behalf, except another server.
    assert_eq!(
        refused(&r.lookup(OTHER_NODE, "alice@alpha.h", "ann@alpha.h")),
        RefusalCode::NotHostingNode
    );
    assert!(matches!(
        r.lookup(PEER_SERVER, "alice@alpha.h", "ann@alpha.h"),
        Response::Record(_)
    ));
    // Disabled accounts are gone from the directory.
    r.h.registry().disable("ann@alpha.h").unwrap();
    assert_eq!(
        refused(&r.lookup(NODE, "alice@alpha.h", "ann@alpha.h")),
        RefusalCode::UnknownAccount
    );
}

#[test]
fn lookup_misses_are_asked_of_other_servers() {
    let r = rig();
    r.hosted("alice@alpha.h", NODE);
    let req = Request::Lookup {
        asker: "alice@alpha.h".into(),
        address: "Zed@alpha.h".into(),
    };
    assert_eq!(
        r.h.remote_needs(NODE, &req),
        [Request::Lookup {
            asker: "alice@alpha.h".into(),
            address: "zed@alpha.h".into()
        }]
    );
    // Not for another server's request, nor for a node asking for someone else.
    assert!(r.h.remote_needs(PEER_SERVER, &req).is_empty());
    assert!(r.h.remote_needs(OTHER_NODE, &req).is_empty());
    let mut remote = RemoteRecords::new();
    let rec = NetworkSigned {
        body: vec![1],
        signature: vec![2],
    };
    remote.insert("zed@alpha.h".into(), rec.clone());
    assert_eq!(
        r.h.handle_with(NODE, req, Utc::now(), &remote),
        Response::Record(rec)
    );
}

#[test]
fn authorize_issues_tokens_the_ca_signed() {
    let r = rig();
    r.hosted("alice@alpha.h", NODE);
    r.hosted("ann@alpha.h", OTHER_NODE);
    r.hosted("bob@beta.h", OTHER_NODE);
    r.h.registry().add_partner("alpha.h", "bob@beta.h").unwrap();
    let now = Utc::now();
    let id = MessageId::random();
    let resp = r.h.handle(
        NODE,
        Request::Authorize {
            sender: "Alice@alpha.h".into(),
            recipients: vec![
                "ann@alpha.h".into(),
                "BOB@beta.h".into(),
                "ann@alpha.h".into(),
            ],
            message_id: id,
            size: 1000,
        },
        now,
    );
    let Response::Token(signed) = resp else {
        panic!("{resp:?}")
    };
    let token = wire::verify_token(&signed, &r.ca).unwrap();
    assert_eq!(token.version, TOKEN_VERSION);
    assert_eq!(token.message_id, id);
    assert_eq!(token.sender, "alice@alpha.h");
    assert_eq!(token.recipients, ["ann@alpha.h", "bob@beta.h"]);
    assert_eq!(token.size, 1000);
    assert_eq!(
        token.expires.timestamp_millis() - token.issued.timestamp_millis(),
        24 * 3600 * 1000
    );
    let other_ca = CaKey::generate("other").unwrap();
    assert!(wire::verify_token(&signed, &other_ca.cert()).is_err());
    // Partnership works the other way round too.
    assert!(matches!(
        r.authorize(OTHER_NODE, "bob@beta.h", &["alice@alpha.h"], 1),
        Response::Token(_)
    ));
}

#[test]
fn authorize_refuses_naming_the_recipient() {
    let r = rig();
    r.hosted("alice@alpha.h", NODE);
    r.hosted("ann@alpha.h", OTHER_NODE);
    r.hosted("bob@beta.h", OTHER_NODE);
    r.h.registry()
        .create_account(
            "new@alpha.h",
            "",
            HostingSecret::Key(hosting_key(b"x")),
            Utc::now(),
        )
        .unwrap();

    let not_partner = r.authorize(NODE, "alice@alpha.h", &["ann@alpha.h", "bob@beta.h"], 1);
    assert_eq!(refusal(&not_partner).code, RefusalCode::NotPartners);
    assert_eq!(refusal(&not_partner).detail, "bob@beta.h");
    let unknown = r.authorize(NODE, "alice@alpha.h", &["who@alpha.h"], 1);
    assert_eq!(refusal(&unknown).code, RefusalCode::UnknownAccount);
    assert_eq!(refusal(&unknown).detail, "who@alpha.h");
    let not_hosted = r.authorize(NODE, "alice@alpha.h", &["new@alpha.h"], 1);
    assert_eq!(refusal(&not_hosted).code, RefusalCode::UnknownAccount);
    r.h.registry().disable("ann@alpha.h").unwrap();
    let disabled = r.authorize(NODE, "alice@alpha.h", &["ann@alpha.h"], 1);
    assert_eq!(refusal(&disabled).code, RefusalCode::UnknownAccount);
    assert_eq!(refusal(&disabled).detail, "ann@alpha.h");

    let wrong_node = r.authorize(OTHER_NODE, "alice@alpha.h", &["alice@alpha.h"], 1);
    assert_eq!(refused(&wrong_node), RefusalCode::NotHostingNode);
    let too_big = r.authorize(NODE, "alice@alpha.h", &["alice@alpha.h"], 1_000_001);
    assert_eq!(refused(&too_big), RefusalCode::BadRequest);
    let nobody = r.authorize(NODE, "alice@alpha.h", &[], 1);
    assert_eq!(refused(&nobody), RefusalCode::BadRequest);
    // A disabled sender cannot send.
    r.h.registry().disable("alice@alpha.h").unwrap();
    let gone = r.authorize(NODE, "alice@alpha.h", &["alice@alpha.h"], 1);
    assert_eq!(refused(&gone), RefusalCode::NotHostingNode);
}

#[test]
fn time_and_receipts() {
    let r = rig();
    let now = Utc::now();
    assert_eq!(
        r.h.handle(NODE, Request::Time, now),
        Response::Time(now.timestamp_millis())
    );
    let receipt = Request::Receipt(SignedReceipt {
        receipt: vec![],
        signature: vec![],
    });
    assert_eq!(
        refused(&r.h.handle(NODE, receipt, now)),
        RefusalCode::BadRequest
    );
}

#[test]
fn release_is_refused_until_announced_then_returned_as_signed() {
    let r = rig();
    let now = Utc::now();
    let none = r.h.handle(NODE, Request::Release, now);
    assert_eq!(refused(&none), RefusalCode::UnknownAccount);
    let ca = CaKey::generate("announcer").unwrap();
    let signed = ca
        .sign_release(&wire::Release {
            version: wire::RELEASE_VERSION,
            product_version: "9.0.0".into(),
            notes: String::new(),
            url: "https://example.invalid/r".into(),
            published: now,
        })
        .unwrap();
    r.h.registry().set_release(&signed).unwrap();
    assert_eq!(
        r.h.handle(NODE, Request::Release, now),
        Response::Release(signed)
    );
}

/// An account created now: the server keeps only the verifier, and only a request signed with
/// the profile's secret hosts it; what a copy of the registry holds does not.
#[test]
fn hosting_needs_the_secrets_signature_and_the_registry_cannot_make_one() {
    let rig = rig();
    let secret = [42u8; 32];
    let verifier = hosting_verifier(&secret);
    rig.h
        .registry()
        .create_account(
            "dan@kapur.h",
            "Dan",
            HostingSecret::Verifier(verifier),
            Utc::now(),
        )
        .unwrap();
    let key = AccountKey::generate("dan@kapur.h").unwrap();
    let fpr = key.fingerprint().to_hex();
    let signed = |signature: Vec<u8>| Request::HostSigned {
        request: HostRequest {
            address: "dan@kapur.h".into(),
            cert: key.public_bytes().unwrap(),
            proof: [0; 32],
            node_addrs: vec![],
        },
        signature,
    };
    // The older keyed proof, even made from the right secret, is not enough any more.
    let older = host_request("dan@kapur.h", &secret, NODE, &key);
    assert_eq!(
        refused(&rig.h.handle(NODE, older, Utc::now())),
        RefusalCode::BadProof
    );
    // Whoever read the registry has the verifier: signing with it as a secret fails.
    let forged = signed(sign_hosting(&verifier, NODE, &fpr));
    assert_eq!(
        refused(&rig.h.handle(NODE, forged, Utc::now())),
        RefusalCode::BadProof
    );
    // A signature for another node is no use to this one.
    let elsewhere = signed(sign_hosting(&secret, OTHER_NODE, &fpr));
    assert_eq!(
        refused(&rig.h.handle(NODE, elsewhere, Utc::now())),
        RefusalCode::BadProof
    );
    let good = signed(sign_hosting(&secret, NODE, &fpr));
    assert!(matches!(
        rig.h.handle(NODE, good.clone(), Utc::now()),
        Response::Hosted(_)
    ));
    let a = rig.h.registry().account("dan@kapur.h").unwrap().unwrap();
    assert_eq!(a.hosting_verifier, None);
    // A retry by the same node gets its record; the secret hosts nothing else.
    assert!(matches!(
        rig.h.handle(NODE, good, Utc::now()),
        Response::Hosted(_)
    ));
    let again = signed(sign_hosting(&secret, OTHER_NODE, &fpr));
    assert_eq!(
        refused(&rig.h.handle(OTHER_NODE, again, Utc::now())),
        RefusalCode::BadProof
    );
}
