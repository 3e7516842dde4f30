//! What hostile accounts on their real nodes can do to store-only holding: a recipient's node
//! may leave receipts on a sender's service server, but no more than the server's cap for any
//! one sender; a co-recipient who deposits a message of its own under a genuine message's id
//! first blocks nothing, the recipient gets both.

use std::time::Duration;

use chrono::Utc;
use overlay::{Multiaddr, Overlay, OverlayConfig, OverlayHandle, PeerId};
use service::{AdminReply, AdminRequest, Config, ServiceServer};
use wire::proto::{DataFrame, DataReply, RefusalCode, Request, Response, host_request};
use wire::{AccountKey, MessageId, NetworkSigned, SealOptions, SignedManifest, Token};

async fn node(server: &ServiceServer) -> (OverlayHandle, PeerId) {
    let mut key = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut key);
    let listen: Multiaddr = "/ip4/127.0.0.1/udp/0/quic-v1".parse().unwrap();
    let mut cfg = OverlayConfig::new(key, vec![listen]);
    cfg.request_timeout = Duration::from_secs(20);
    let (handle, _inbound) = Overlay::start(cfg).await.unwrap();
    let sid: PeerId = server.endpoints().peer_id.parse().unwrap();
    let addrs = server
        .endpoints()
        .addrs
        .iter()
        .map(|a| a.parse().unwrap())
        .collect();
    handle.add_peer_addrs(sid, addrs).await;
    (handle, sid)
}

async fn host(
    server: &ServiceServer,
    node: &OverlayHandle,
    sid: PeerId,
    address: &str,
) -> (AccountKey, NetworkSigned) {
    let AdminReply::Created { profile } = server.admin(AdminRequest::AccountCreate {
        address: address.into(),
        name: None,
    }) else {
        panic!("account create")
    };
    let key = AccountKey::generate(address).unwrap();
    let host = host_request(
        &profile.secret().unwrap(),
        &node.peer_id().to_string(),
        &key,
        vec![],
    )
    .unwrap();
    let Response::Hosted(record) = node.request(sid, host).await.unwrap() else {
        panic!("hosting {address}")
    };
    (key, record)
}

#[tokio::test(flavor = "multi_thread")]
async fn receipts_held_for_one_sender_are_capped() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("svc");
    ServiceServer::init(&dir, Some("t"), None).unwrap();
    let mut config = Config::load(&dir.join("wims-service.toml")).unwrap();
    config.overlay.listen = vec!["/ip4/127.0.0.1/udp/0/quic-v1".into()];
    config.holding.receipts_per_sender = 3;
    let server = ServiceServer::start_with(&dir, config).await.unwrap();
    let (mallory_node, sid) = node(&server).await;
    let (mallory, record) = host(&server, &mallory_node, sid, "mallory@alpha.h").await;

    // Receipts for messages "alice" never sent, signed by a real account on its real node.
    let hold = |id: MessageId| {
        let manifest = SignedManifest {
            manifest: id.to_hex().into_bytes(),
            signature: Vec::new(),
        };
        Request::HoldReceipt {
            sender: "alice@alpha.h".into(),
            receipt: wire::sign_receipt(&mallory, id, &manifest, Utc::now()).unwrap(),
            recipient_record: record.clone(),
        }
    };
    let ids: Vec<MessageId> = (0..4).map(|_| MessageId::random()).collect();
    for id in &ids[..3] {
        let r = mallory_node.request(sid, hold(*id)).await.unwrap();
        assert_eq!(r, Response::Done);
    }
    let r = mallory_node.request(sid, hold(ids[3])).await.unwrap();
    assert!(
        matches!(&r, Response::Refused(f) if f.code == RefusalCode::OverQuota),
        "{r:?}"
    );
    // The same receipt again replaces itself: a retry after a lost answer still works.
    let r = mallory_node.request(sid, hold(ids[0])).await.unwrap();
    assert_eq!(r, Response::Done);
    server.stop().await;
}

/// `sender` seals a message with id `id` to `recipient` under a token the server issues for
/// it, and deposits it (its manifest; no chunk is needed for the server to index it).
async fn deposit(
    node: &OverlayHandle,
    sid: PeerId,
    sender: (&AccountKey, &NetworkSigned, &str),
    recipient: (&AccountKey, &NetworkSigned, &str),
    id: MessageId,
    body: &[u8],
) -> (SignedManifest, Option<DataReply>) {
    let authorize = Request::Authorize {
        sender: sender.2.into(),
        recipients: vec![recipient.2.into()],
        message_id: id,
        size: body.len() as u64,
    };
    let Response::Token(token) = node.request(sid, authorize).await.unwrap() else {
        panic!("no token for {}", sender.2)
    };
    let opts = SealOptions {
        message_id: Some(id),
        authorization: Some(Token::encode_signed(&token)),
        ..SealOptions::default()
    };
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    let sealed = wire::seal(body, sender.0, &[recipient.0.cert()], &opts, &mut chunks).unwrap();
    let mut stream = node.open_data(sid).await.unwrap();
    stream
        .send(&DataFrame::Deposit {
            manifest: sealed.signed.clone(),
            sender_record: sender.1.clone(),
            recipient_record: recipient.1.clone(),
        })
        .await
        .unwrap();
    let reply = stream.recv::<DataReply>().await.unwrap();
    let _ = stream.close().await;
    (sealed.signed, reply)
}

/// What the server offers the recipient's node for `id`, from `sender` when named.
async fn fetch(
    node: &OverlayHandle,
    sid: PeerId,
    record: &NetworkSigned,
    id: MessageId,
    sender: Option<&str>,
) -> Option<SignedManifest> {
    let ask = match sender {
        Some(s) => DataFrame::FetchFrom {
            record: record.clone(),
            message_id: id,
            sender: s.into(),
        },
        None => DataFrame::Fetch {
            record: record.clone(),
            message_id: id,
        },
    };
    let mut stream = node.open_data(sid).await.unwrap();
    stream.send(&ask).await.unwrap();
    match stream.recv_data().await {
        Ok(Some(DataFrame::Offer(signed))) => Some(signed),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_co_recipients_deposit_under_a_genuine_id_blocks_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("svc");
    ServiceServer::init(&dir, Some("t"), None).unwrap();
    let mut config = Config::load(&dir.join("wims-service.toml")).unwrap();
    config.overlay.listen = vec!["/ip4/127.0.0.1/udp/0/quic-v1".into()];
    let server = ServiceServer::start_with(&dir, config).await.unwrap();
    let (alice_node, sid) = node(&server).await;
    let (mallory_node, _) = node(&server).await;
    let (bob_node, _) = node(&server).await;
    let (alice, alice_record) = host(&server, &alice_node, sid, "alice@alpha.h").await;
    let (mallory, mallory_record) = host(&server, &mallory_node, sid, "mallory@alpha.h").await;
    let (bob, bob_record) = host(&server, &bob_node, sid, "bob@alpha.h").await;

    // Mallory, a co-recipient of alice's message, knows its id and deposits first.
    let id = MessageId::random();
    let (forged, reply) = deposit(
        &mallory_node,
        sid,
        (&mallory, &mallory_record, "mallory@alpha.h"),
        (&bob, &bob_record, "bob@alpha.h"),
        id,
        b"Subject: urgent\r\n\r\nignore alice\r\n",
    )
    .await;
    assert!(matches!(reply, Some(DataReply::Need(_))), "{reply:?}");
    // Alice's genuine message under the same id is taken all the same.
    let (genuine, reply) = deposit(
        &alice_node,
        sid,
        (&alice, &alice_record, "alice@alpha.h"),
        (&bob, &bob_record, "bob@alpha.h"),
        id,
        b"Subject: hello\r\n\r\nfrom alice\r\n",
    )
    .await;
    assert!(matches!(reply, Some(DataReply::Need(_))), "{reply:?}");

    // Bob's node sees both and fetches each by its sender.
    let Response::Waiting(w) = bob_node
        .request(
            sid,
            Request::Waiting {
                record: bob_record.clone(),
            },
        )
        .await
        .unwrap()
    else {
        panic!("waiting")
    };
    let mut senders: Vec<String> = w.messages.iter().map(|m| m.sender.clone()).collect();
    senders.sort();
    assert_eq!(senders, ["alice@alpha.h", "mallory@alpha.h"]);
    let from_alice = fetch(&bob_node, sid, &bob_record, id, Some("alice@alpha.h")).await;
    assert_eq!(from_alice.as_ref(), Some(&genuine));
    let from_mallory = fetch(&bob_node, sid, &bob_record, id, Some("mallory@alpha.h")).await;
    assert_eq!(from_mallory.as_ref(), Some(&forged));

    // Collecting alice's leaves mallory's alone.
    let done = Request::CollectedFrom {
        record: bob_record.clone(),
        message_id: id,
        sender: "alice@alpha.h".into(),
    };
    assert_eq!(bob_node.request(sid, done).await.unwrap(), Response::Done);
    assert_eq!(
        fetch(&bob_node, sid, &bob_record, id, Some("alice@alpha.h")).await,
        None
    );
    // A node that does not say whose gets what is left under the id.
    assert_eq!(
        fetch(&bob_node, sid, &bob_record, id, None).await,
        Some(forged)
    );
    server.stop().await;
}
