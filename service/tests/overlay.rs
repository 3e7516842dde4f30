//! A service server in-process, asked over the real overlay by a node-like peer: time,
//! hosting with the profile's secret, login, lookup and authorization.

use std::time::Duration;

use chrono::Utc;
use overlay::{Multiaddr, Overlay, OverlayConfig, OverlayHandle, PeerId};
use service::{AdminReply, AdminRequest, Config, ServiceServer};
use wire::proto::{Login, RefusalCode, Request, Response, host_request, sign_login};
use wire::{AccountKey, MessageId};

async fn client(
    server: &ServiceServer,
) -> (
    OverlayHandle,
    PeerId,
    tokio::sync::mpsc::Receiver<overlay::Inbound>,
) {
    let mut key = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut key);
    let listen: Multiaddr = "/ip4/127.0.0.1/udp/0/quic-v1".parse().unwrap();
    let mut cfg = OverlayConfig::new(key, vec![listen]);
    cfg.request_timeout = Duration::from_secs(20);
    let (handle, inbound) = Overlay::start(cfg).await.unwrap();
    let server_id: PeerId = server.endpoints().peer_id.parse().unwrap();
    let addrs = server
        .endpoints()
        .addrs
        .iter()
        .map(|a| a.parse().unwrap())
        .collect();
    handle.add_peer_addrs(server_id, addrs).await;
    (handle, server_id, inbound)
}

fn create(server: &ServiceServer, address: &str) -> wire::AccountProfile {
    match server.admin(AdminRequest::AccountCreate {
        address: address.into(),
        name: None,
    }) {
        AdminReply::Created { profile } => profile,
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_node_hosts_logs_in_looks_up_and_gets_tokens() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("svc");
    ServiceServer::init(&dir, Some("t"), None).unwrap();
    let mut config = Config::load(&dir.join("wims-service.toml")).unwrap();
    config.overlay.listen = vec![
        "/ip4/127.0.0.1/udp/0/quic-v1".into(),
        "/ip4/127.0.0.1/tcp/0".into(),
    ];
    let server = ServiceServer::start_with(&dir, config).await.unwrap();
    assert!(dir.join("run/endpoints.json").is_file());
    let (node, sid, _inbound) = client(&server).await;
    let me = node.peer_id().to_string();

    match node.request(sid, Request::Time).await.unwrap() {
        Response::Time(ms) => assert!((ms - Utc::now().timestamp_millis()).abs() < 60_000),
        other => panic!("{other:?}"),
    }

    // Host both accounts with their profiles' secrets.
    let mut keys = Vec::new();
    for address in ["alice@alpha.h", "ann@alpha.h"] {
        let profile = create(&server, address);
        let ca = profile.ca().unwrap();
        let key = AccountKey::generate(address).unwrap();
        let host = host_request(&profile.secret().unwrap(), &me, &key, vec![]).unwrap();
        let Response::Hosted(record) = node.request(sid, host.clone()).await.unwrap() else {
            panic!("hosting {address}")
        };
        let (rec, cert) = wire::verify_record(&record, &ca).unwrap();
        assert_eq!(rec.node, me);
        assert!(wire::is_certified(&cert, address, &ca));
        assert_eq!(rec.backups[0].peer_id, server.endpoints().peer_id);
        // A lost answer is retried: same record.
        assert_eq!(
            node.request(sid, host).await.unwrap(),
            Response::Hosted(record)
        );
        keys.push(key);
    }

    let login = sign_login(
        &keys[0],
        &Login {
            address: "alice@alpha.h".into(),
            node: me.clone(),
            node_addrs: vec!["/ip4/127.0.0.1/udp/9/quic-v1".into()],
            at: Utc::now(),
        },
    )
    .unwrap();
    let Response::Record(r) = node.request(sid, Request::Login(login)).await.unwrap() else {
        panic!("login")
    };
    let ca = server.ca_cert().clone();
    assert_eq!(
        wire::verify_record(&r, &ca).unwrap().0.node_addrs,
        ["/ip4/127.0.0.1/udp/9/quic-v1"]
    );

    let lookup = Request::Lookup {
        asker: "alice@alpha.h".into(),
        address: "ann@alpha.h".into(),
    };
    assert!(matches!(
        node.request(sid, lookup).await.unwrap(),
        Response::Record(_)
    ));

    let id = MessageId::random();
    let auth = Request::Authorize {
        sender: "alice@alpha.h".into(),
        recipients: vec!["ann@alpha.h".into()],
        message_id: id,
        size: 123,
    };
    let Response::Token(t) = node.request(sid, auth).await.unwrap() else {
        panic!("authorize")
    };
    let token = wire::verify_token(&t, &ca).unwrap();
    assert_eq!(token.message_id, id);
    assert_eq!(token.recipients, ["ann@alpha.h"]);

    let refused = node
        .request(
            sid,
            Request::Authorize {
                sender: "alice@alpha.h".into(),
                recipients: vec!["bob@beta.h".into()],
                message_id: id,
                size: 1,
            },
        )
        .await
        .unwrap();
    assert!(
        matches!(&refused, Response::Refused(r) if r.code == RefusalCode::NotPartners),
        "{refused:?}"
    );

    node.shutdown().await;
    server.stop().await;
    assert!(!dir.join("run/endpoints.json").exists());
}

/// Hosts `address` (created on `server`) from `node`; returns its key.
async fn host(
    server: &ServiceServer,
    node: &OverlayHandle,
    sid: PeerId,
    address: &str,
) -> AccountKey {
    let profile = create(server, address);
    let key = AccountKey::generate(address).unwrap();
    let host = host_request(
        &profile.secret().unwrap(),
        &node.peer_id().to_string(),
        &key,
        vec![],
    )
    .unwrap();
    let resp = node.request(sid, host).await.unwrap();
    assert!(matches!(resp, Response::Hosted(_)), "{resp:?}");
    key
}

#[tokio::test(flavor = "multi_thread")]
async fn servers_of_one_network_answer_for_each_other() {
    let tmp = tempfile::tempdir().unwrap();
    let (one, two) = (tmp.path().join("one"), tmp.path().join("two"));
    ServiceServer::init(&one, Some("t"), None).unwrap();
    ServiceServer::init(&two, None, Some(&one.join("ca.key"))).unwrap();
    let port_zero = |dir: &std::path::Path| {
        let mut c = Config::load(&dir.join("wims-service.toml")).unwrap();
        c.overlay.listen = vec!["/ip4/127.0.0.1/udp/0/quic-v1".into()];
        c
    };
    let key_one = service::keys::load_server_key(&one.join("keys/server.key")).unwrap();

    // Two only needs to know one's PeerId (one asks, two answers); one needs two's addresses.
    let mut c2 = port_zero(&two);
    c2.network.peers = vec![wire::ServerAddr {
        peer_id: service::keys::peer_id(&key_one),
        addrs: vec![],
    }];
    let s2 = ServiceServer::start_with(&two, c2).await.unwrap();
    let mut c1 = port_zero(&one);
    c1.network.peers = vec![s2.endpoints().clone()];
    let s1 = ServiceServer::start_with(&one, c1).await.unwrap();

    let (node, sid1, _in) = client(&s1).await;
    let sid2: PeerId = s2.endpoints().peer_id.parse().unwrap();
    let addrs2 = s2
        .endpoints()
        .addrs
        .iter()
        .map(|a| a.parse().unwrap())
        .collect();
    node.add_peer_addrs(sid2, addrs2).await;
    host(&s1, &node, sid1, "alice@alpha.h").await;
    host(&s2, &node, sid2, "zed@alpha.h").await;

    // Server one holds alice, not zed: it asks server two.
    let lookup = Request::Lookup {
        asker: "alice@alpha.h".into(),
        address: "zed@alpha.h".into(),
    };
    let Response::Record(r) = node.request(sid1, lookup).await.unwrap() else {
        panic!("remote lookup")
    };
    let (rec, _) = wire::verify_record(&r, s1.ca_cert()).unwrap();
    assert_eq!(rec.address, "zed@alpha.h");
    assert_eq!(rec.backups[0].peer_id, s2.endpoints().peer_id);
    let auth = Request::Authorize {
        sender: "alice@alpha.h".into(),
        recipients: vec!["zed@alpha.h".into()],
        message_id: MessageId::random(),
        size: 1,
    };
    assert!(matches!(
        node.request(sid1, auth).await.unwrap(),
        Response::Token(_)
    ));
    let nobody = Request::Lookup {
        asker: "alice@alpha.h".into(),
        address: "nobody@alpha.h".into(),
    };
    let resp = node.request(sid1, nobody).await.unwrap();
    assert!(
        matches!(&resp, Response::Refused(r) if r.code == RefusalCode::UnknownAccount),
        "{resp:?}"
    );

    node.shutdown().await;
    s1.stop().await;
    s2.stop().await;
}
