//! What a receiving node accepts over the data protocol: a real service server and two real
//! node network stacks on 127.0.0.1, with a sender that forges, tampers and replays offers
//! at the wire level. Only the authentic, authorized message is filed, exactly once.

use std::path::Path;
use std::sync::Arc;

use delivery::{Network, NetworkConfig};
use overlay::PeerId;
use wire::proto::{DataFrame, DataReply, RefusalCode, Request, Response};
use wire::{AccountKey, MessageId, SealOptions, SignedManifest, Token};

const LOOPBACK: [&str; 2] = ["/ip4/127.0.0.1/udp/0/quic-v1", "/ip4/127.0.0.1/tcp/0"];

fn config() -> NetworkConfig {
    NetworkConfig {
        listen: LOOPBACK.iter().map(|a| a.parse().unwrap()).collect(),
        retry_min: std::time::Duration::from_secs(1),
        retry_max: std::time::Duration::from_secs(2),
        collect_interval: std::time::Duration::from_secs(300),
        streams: overlay::StreamLimits::default(),
        punch_private_targets: false,
        jobs: Default::default(),
        rules: None,
    }
}

async fn node(dir: &Path) -> (Arc<Network>, mailbox::Store) {
    let store = mailbox::Store::open(&dir.join("store"), mailbox::StorageKey::generate()).unwrap();
    let key: [u8; 32] = rand::random();
    let (net, inbound) = Network::start(store.clone(), dir, key, config())
        .await
        .unwrap();
    net.spawn_tasks(inbound);
    (net, store)
}

fn profile(server: &service::ServiceServer, address: &str) -> String {
    match server.admin(service::AdminRequest::AccountCreate {
        address: address.into(),
        name: None,
    }) {
        service::AdminReply::Created { profile } => profile.to_toml().unwrap(),
        other => panic!("{other:?}"),
    }
}

struct Sender {
    net: Arc<Network>,
    key: AccountKey,
}

impl Sender {
    async fn token(&self, id: MessageId, to: &str, size: u64) -> Vec<u8> {
        let h = self.net.hosted(self.key.address()).unwrap();
        let t = h
            .client
            .authorize(self.key.address(), vec![to.into()], id, size)
            .await
            .unwrap();
        Token::encode_signed(&t)
    }

    async fn seal(
        &self,
        body: &[u8],
        signer: &AccountKey,
        to: &wire::Cert,
        authorization: Option<Vec<u8>>,
        id: MessageId,
    ) -> (SignedManifest, Vec<Vec<u8>>) {
        let mut chunks = Vec::new();
        let options = SealOptions {
            chunk_size: wire::MIN_CHUNK_SIZE,
            message_id: Some(id),
            authorization,
            ..SealOptions::default()
        };
        let sealed = wire::seal(
            body,
            signer,
            std::slice::from_ref(to),
            &options,
            &mut chunks,
        )
        .unwrap();
        (sealed.signed, chunks)
    }

    /// Offers the message and sends what is asked for; returns the receiver's last word.
    async fn offer(&self, peer: PeerId, signed: &SignedManifest, chunks: &[Vec<u8>]) -> DataReply {
        let mut s = self.net.overlay.open_data(peer).await.unwrap();
        s.send(&DataFrame::Offer(signed.clone())).await.unwrap();
        let mut reply = s.recv::<DataReply>().await.unwrap().unwrap();
        if let DataReply::Need(need) = &reply {
            for &i in need {
                let frame = DataFrame::Chunk {
                    index: i,
                    data: chunks[i as usize].clone(),
                };
                s.send(&frame).await.unwrap();
            }
            // Every chunk taken is acknowledged; a refusal ends the transfer.
            reply = s.recv::<DataReply>().await.unwrap().unwrap();
            while let DataReply::Got(_) = reply {
                reply = s.recv::<DataReply>().await.unwrap().unwrap();
            }
        }
        reply
    }
}

fn refused_with(reply: &DataReply, code: RefusalCode) -> bool {
    matches!(reply, DataReply::Refused(r) if r.code == code)
}

/// The header block of the newest message in `address`'s INBOX.
fn newest_header(store: &mailbox::Store, address: &str) -> String {
    let account = store.account(address).unwrap().unwrap();
    let inbox = store.folder(account.id, "INBOX").unwrap().unwrap();
    let uid = store
        .message_states(inbox.id)
        .unwrap()
        .iter()
        .map(|(uid, _)| *uid)
        .max()
        .unwrap();
    String::from_utf8(store.message_header(inbox.id, uid).unwrap().unwrap()).unwrap()
}

fn inbox_count(store: &mailbox::Store, address: &str) -> u32 {
    let account = store.account(address).unwrap().unwrap();
    let inbox = store.folder(account.id, "INBOX").unwrap().unwrap();
    store.status(&inbox).unwrap().messages
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_authentic_authorized_messages_are_filed_once() {
    let tmp = tempfile::tempdir().unwrap();
    let sdir = tmp.path().join("service");
    service::ServiceServer::init(&sdir, Some("test"), None).unwrap();
    let mut sconfig = service::Config::load(&sdir.join("wims-service.toml")).unwrap();
    sconfig.overlay.listen = LOOPBACK.iter().map(|s| s.to_string()).collect();
    let server = service::ServiceServer::start_with(&sdir, sconfig)
        .await
        .unwrap();
    server.admin(service::AdminRequest::PartnerAdd {
        a: "alpha.h".into(),
        b: "beta.h".into(),
    });
    let (alice_p, mallory_p, bob_p) = (
        profile(&server, "alice@alpha.h"),
        profile(&server, "mallory@alpha.h"),
        profile(&server, "bob@beta.h"),
    );

    let (a, _) = node(&tmp.path().join("a")).await;
    let (b, b_store) = node(&tmp.path().join("b")).await;
    a.host(&alice_p, "pw-alice").await.unwrap();
    a.host(&mallory_p, "pw-mallory").await.unwrap();
    b.host(&bob_p, "pw-bob").await.unwrap();
    let bob_peer = b.overlay.peer_id();
    a.overlay
        .add_peer_addrs(bob_peer, b.overlay.listen_addrs().await)
        .await;

    let alice = Sender {
        net: a.clone(),
        key: a.hosted("alice@alpha.h").unwrap().key.clone(),
    };
    let mallory_key = a.hosted("mallory@alpha.h").unwrap().key.clone();
    let bob_cert = a
        .hosted("alice@alpha.h")
        .unwrap()
        .client
        .lookup("alice@alpha.h", "bob@beta.h")
        .await
        .unwrap()
        .cert;
    let body =
        b"From: alice@alpha.h\r\nTo: bob@beta.h\r\nSubject: s\r\n\r\nhello bob\r\n".repeat(4000);
    let size = body.len() as u64;

    // A flipped bit in the manifest signature.
    let id = MessageId::random();
    let token = alice.token(id, "bob@beta.h", size).await;
    let (mut signed, chunks) = alice
        .seal(&body, &alice.key, &bob_cert, Some(token), id)
        .await;
    let n = signed.signature.len();
    signed.signature[n - 5] ^= 1;
    let reply = alice.offer(bob_peer, &signed, &chunks).await;
    assert!(refused_with(&reply, RefusalCode::BadSignature), "{reply:?}");

    // Signed by another account than the manifest's sender.
    let id = MessageId::random();
    let token = alice.token(id, "bob@beta.h", size).await;
    let (signed, chunks) = alice
        .seal(&body, &mallory_key, &bob_cert, Some(token), id)
        .await;
    let mut forged = signed.unverified().unwrap();
    forged.sender = "alice@alpha.h".into();
    let forged = SignedManifest {
        manifest: forged.encode().unwrap(),
        signature: signed.signature.clone(),
    };
    let reply = alice.offer(bob_peer, &forged, &chunks).await;
    assert!(refused_with(&reply, RefusalCode::BadSignature), "{reply:?}");

    // No token, a tampered token, a token for another message.
    let id = MessageId::random();
    let (signed, chunks) = alice.seal(&body, &alice.key, &bob_cert, None, id).await;
    let reply = alice.offer(bob_peer, &signed, &chunks).await;
    assert!(refused_with(&reply, RefusalCode::BadSignature), "{reply:?}");
    let mut token = alice.token(id, "bob@beta.h", size).await;
    let n = token.len();
    token[n - 7] ^= 1;
    let (signed, chunks) = alice
        .seal(&body, &alice.key, &bob_cert, Some(token), id)
        .await;
    let reply = alice.offer(bob_peer, &signed, &chunks).await;
    assert!(refused_with(&reply, RefusalCode::BadSignature), "{reply:?}");
    let other = alice.token(MessageId::random(), "bob@beta.h", size).await;
    let (signed, chunks) = alice
        .seal(&body, &alice.key, &bob_cert, Some(other), id)
        .await;
    let reply = alice.offer(bob_peer, &signed, &chunks).await;
    assert!(refused_with(&reply, RefusalCode::BadSignature), "{reply:?}");

    // A chunk altered in transit.
    let id = MessageId::random();
    let token = alice.token(id, "bob@beta.h", size).await;
    let (signed, mut chunks) = alice
        .seal(&body, &alice.key, &bob_cert, Some(token), id)
        .await;
    assert!(chunks.len() > 1);
    chunks[1][10] ^= 1;
    let reply = alice.offer(bob_peer, &signed, &chunks).await;
    assert!(refused_with(&reply, RefusalCode::BadSignature), "{reply:?}");

    // A message type that would break out of the IMAP FLAGS list it becomes a keyword in.
    for hostile in ["x \\Seen) * 1 EXPUNGE\r\n* 2", "in(voice", "Invoice", ""] {
        let id = MessageId::random();
        let token = alice.token(id, "bob@beta.h", size).await;
        let (signed, chunks) = alice
            .seal(&body, &alice.key, &bob_cert, Some(token), id)
            .await;
        // Our sealer refuses such a type; a hostile sender's own software signs it anyway.
        let mut manifest = signed.unverified().unwrap();
        manifest.message_type = hostile.into();
        let signed = manifest.sign_unchecked(&alice.key).unwrap();
        let reply = alice.offer(bob_peer, &signed, &chunks).await;
        assert!(
            refused_with(&reply, RefusalCode::BadRequest),
            "{hostile:?}: {reply:?}"
        );
    }
    assert_eq!(inbox_count(&b_store, "bob@beta.h"), 0);

    // The authentic message is filed and answered with a receipt that verifies.
    let id = MessageId::random();
    let token = alice.token(id, "bob@beta.h", size).await;
    let (signed, chunks) = alice
        .seal(&body, &alice.key, &bob_cert, Some(token), id)
        .await;
    let reply = alice.offer(bob_peer, &signed, &chunks).await;
    let DataReply::Delivered(receipt) = reply else {
        panic!("{reply:?}");
    };
    let r = wire::verify_receipt(&receipt, &bob_cert).unwrap();
    assert_eq!((r.message_id, r.manifest_hash), (id, signed.hash()));
    assert_eq!(inbox_count(&b_store, "bob@beta.h"), 1);

    // Offered again (a retry after a lost answer): the same receipt, no second copy.
    let again = alice.offer(bob_peer, &signed, &chunks).await;
    assert_eq!(again, DataReply::Delivered(receipt));
    assert_eq!(inbox_count(&b_store, "bob@beta.h"), 1);

    // A co-recipient reuses the id of a message it saw, with a message of its own, before the
    // genuine one arrives: both are filed, each under its own sender.
    let mallory = Sender {
        net: a.clone(),
        key: mallory_key.clone(),
    };
    let id = MessageId::random();
    let m_body = b"From: mallory@alpha.h\r\nTo: bob@beta.h\r\nSubject: first\r\n\r\nx\r\n";
    let token = mallory.token(id, "bob@beta.h", m_body.len() as u64).await;
    let (signed, chunks) = mallory
        .seal(m_body, &mallory.key, &bob_cert, Some(token), id)
        .await;
    let reply = mallory.offer(bob_peer, &signed, &chunks).await;
    assert!(matches!(reply, DataReply::Delivered(_)), "{reply:?}");
    assert_eq!(inbox_count(&b_store, "bob@beta.h"), 2);
    let token = alice.token(id, "bob@beta.h", size).await;
    let (signed, chunks) = alice
        .seal(&body, &alice.key, &bob_cert, Some(token), id)
        .await;
    let reply = alice.offer(bob_peer, &signed, &chunks).await;
    assert!(matches!(reply, DataReply::Delivered(_)), "{reply:?}");
    assert_eq!(
        inbox_count(&b_store, "bob@beta.h"),
        3,
        "the genuine message was suppressed"
    );
    // The same sender with another manifest under an id it used: refused, nothing filed.
    let token = alice.token(id, "bob@beta.h", size).await;
    let (other, chunks) = alice
        .seal(
            &body[..body.len() / 2],
            &alice.key,
            &bob_cert,
            Some(token),
            id,
        )
        .await;
    let reply = alice.offer(bob_peer, &other, &chunks).await;
    assert!(refused_with(&reply, RefusalCode::BadRequest), "{reply:?}");
    assert_eq!(inbox_count(&b_store, "bob@beta.h"), 3);

    // A header From naming another than the signer is refused; a trust header the sender
    // wrote is replaced by the receiver's own.
    let before = inbox_count(&b_store, "bob@beta.h");
    let forged = b"From: CEO <ceo@alpha.h>\r\nTo: bob@beta.h\r\nSubject: pay\r\n\r\nnow\r\n";
    let id = MessageId::random();
    let token = alice.token(id, "bob@beta.h", forged.len() as u64).await;
    let (signed, chunks) = alice
        .seal(forged, &alice.key, &bob_cert, Some(token), id)
        .await;
    let reply = alice.offer(bob_peer, &signed, &chunks).await;
    assert!(refused_with(&reply, RefusalCode::BadSignature), "{reply:?}");
    assert_eq!(inbox_count(&b_store, "bob@beta.h"), before);
    let fake = b"Wims-Verified-Sender: ceo@alpha.h\r\nFrom: alice@alpha.h\r\n\
        wims-verified-sender:\r\n ceo@alpha.h\r\nSubject: hi\r\n\r\nx\r\n";
    let id = MessageId::random();
    let token = alice.token(id, "bob@beta.h", fake.len() as u64).await;
    let (signed, chunks) = alice
        .seal(fake, &alice.key, &bob_cert, Some(token), id)
        .await;
    let reply = alice.offer(bob_peer, &signed, &chunks).await;
    assert!(matches!(reply, DataReply::Delivered(_)), "{reply:?}");
    let header = newest_header(&b_store, "bob@beta.h");
    assert!(
        header.starts_with("Wims-Verified-Sender: alice@alpha.h\r\n"),
        "{header}"
    );
    assert!(!header.to_ascii_lowercase().contains("ceo@"), "{header}");

    // A message for an account the node does not host is refused in the very words of a bad
    // signature: offers do not tell which accounts a node hosts.
    let id = MessageId::random();
    let token = alice.token(id, "bob@beta.h", size).await;
    let alice_cert = alice.key.cert();
    let (signed, chunks) = alice
        .seal(&body, &alice.key, &alice_cert, Some(token), id)
        .await;
    let unknown = alice.offer(bob_peer, &signed, &chunks).await;
    let (mut bad, chunks) = alice
        .seal(&body, &alice.key, &bob_cert, None, MessageId::random())
        .await;
    let n = bad.signature.len();
    bad.signature[n - 5] ^= 1;
    let bad_signature = alice.offer(bob_peer, &bad, &chunks).await;
    assert!(
        refused_with(&unknown, RefusalCode::BadSignature),
        "{unknown:?}"
    );
    assert_eq!(unknown, bad_signature);

    // Only the hosted accounts' service servers may make the node look for held parts.
    let notify = Request::Notify {
        address: "bob@beta.h".into(),
    };
    let answer = a.overlay.request(bob_peer, notify).await.unwrap();
    assert!(
        matches!(&answer, Response::Refused(r) if r.code == RefusalCode::BadRequest),
        "{answer:?}"
    );

    // A flood of offers from one peer: past 120 in a minute they are not even looked at
    // (each costs a directory lookup), and the answer says to come back later.
    let mut flood = 0;
    let too_many = loop {
        let reply = alice.offer(bob_peer, &bad, &chunks).await;
        flood += 1;
        if refused_with(&reply, RefusalCode::TryLater) {
            break reply;
        }
        assert_eq!(reply, bad_signature, "offer {flood}");
        assert!(flood <= 120, "offer {flood} of one minute still looked at");
    };
    assert!(
        matches!(&too_many, DataReply::Refused(r) if r.detail == "too many offers"),
        "{too_many:?}"
    );

    server.stop().await;
}
