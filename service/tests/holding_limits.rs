//! A recipient's node may leave receipts on a sender's service server; a hostile one cannot
//! leave more than the server's cap for any one sender.

use std::time::Duration;

use chrono::Utc;
use overlay::{Multiaddr, Overlay, OverlayConfig, OverlayHandle, PeerId};
use service::{AdminReply, AdminRequest, Config, ServiceServer};
use wire::proto::{HostRequest, RefusalCode, Request, Response, hosting_key, hosting_proof};
use wire::{AccountKey, MessageId, NetworkSigned, SignedManifest};

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
    let proof = hosting_proof(
        &hosting_key(&profile.secret().unwrap()),
        &node.peer_id().to_string(),
        &key.fingerprint().to_hex(),
    );
    let host = Request::Host(HostRequest {
        address: address.into(),
        cert: key.public_bytes().unwrap(),
        proof,
        node_addrs: vec![],
    });
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
