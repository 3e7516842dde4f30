//! Two peers on 127.0.0.1 talking directly: control requests over QUIC and TCP, a data
//! stream round trip, refusal of oversize frames, and failing (not hanging) dials.

mod common;

use common::*;
use overlay::{Inbound, OverlayError};
use tokio::sync::oneshot;
use wire::proto::{DataFrame, DataReply, MAX_FRAME_BYTES, Request, Response};

async fn control_round_trip(listen: overlay::Multiaddr) {
    let (server, inbound) = start(config(vec![listen.clone()])).await;
    serve(inbound);
    let (client, _client_inbound) = start(config(vec![listen])).await;

    let addrs = server.listen_addrs().await;
    assert!(!addrs.is_empty());
    client.add_peer_addrs(server.peer_id(), addrs).await;

    let response = client
        .request(server.peer_id(), Request::Time)
        .await
        .unwrap();
    assert_eq!(response, Response::Time(SERVER_TIME));
    // A second request reuses the connection.
    let response = client
        .request(server.peer_id(), Request::Time)
        .await
        .unwrap();
    assert_eq!(response, Response::Time(SERVER_TIME));
    assert!(client.is_direct(server.peer_id()).await);

    client.shutdown().await;
    server.shutdown().await;
}

#[tokio::test]
async fn control_request_over_quic() {
    control_round_trip(quic()).await;
}

#[tokio::test]
async fn control_request_over_tcp() {
    control_round_trip(tcp()).await;
}

#[tokio::test]
async fn dropped_reply_is_an_error_for_the_requester() {
    let (server, mut inbound) = start(config(vec![tcp()])).await;
    tokio::spawn(async move {
        while let Some(event) = inbound.recv().await {
            drop(event);
        }
    });
    let (client, _inbound) = start(config(vec![tcp()])).await;
    client
        .add_peer_addrs(server.peer_id(), server.listen_addrs().await)
        .await;
    assert!(
        client
            .request(server.peer_id(), Request::Time)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn data_stream_carries_a_4_mib_chunk_and_a_reply() {
    let (server, inbound) = start(config(vec![quic(), tcp()])).await;
    serve(inbound);
    let (client, _inbound) = start(config(vec![quic()])).await;
    client
        .add_peer_addrs(server.peer_id(), server.listen_addrs().await)
        .await;

    let mut stream = client.open_data(server.peer_id()).await.unwrap();
    assert_eq!(stream.peer(), server.peer_id());
    // A stream's first frame is small (an offer); chunks follow.
    stream
        .send(&DataFrame::Chunk {
            index: 6,
            data: vec![6u8; 1000],
        })
        .await
        .unwrap();
    let reply: DataReply = stream.recv().await.unwrap().expect("a reply");
    assert_eq!(reply, DataReply::Need(vec![6]));
    let chunk = DataFrame::Chunk {
        index: 7,
        data: vec![7u8; 4 * 1024 * 1024],
    };
    stream.send(&chunk).await.unwrap();
    let reply: DataReply = stream.recv().await.unwrap().expect("a reply");
    assert_eq!(reply, DataReply::Need(vec![7]));
    // And a second frame on the same stream.
    stream
        .send(&DataFrame::Chunk {
            index: 8,
            data: vec![8u8; 1000],
        })
        .await
        .unwrap();
    assert_eq!(
        stream.recv::<DataReply>().await.unwrap(),
        Some(DataReply::Need(vec![8]))
    );
    stream.close().await.unwrap();
    // The server ends its side once it sees ours end.
    assert_eq!(stream.recv::<DataReply>().await.unwrap(), None);
}

#[tokio::test]
async fn oversize_frame_is_refused_by_the_reader() {
    let (server, mut inbound) = start(config(vec![tcp()])).await;
    let (result_tx, result_rx) = oneshot::channel();
    tokio::spawn(async move {
        if let Some(Inbound::Data { mut stream, .. }) = inbound.recv().await {
            let first = stream.recv::<DataFrame>().await;
            assert!(matches!(first, Ok(Some(_))), "{first:?}");
            let _ = result_tx.send(stream.recv::<DataFrame>().await);
        }
    });
    let (client, _inbound) = start(config(vec![tcp()])).await;
    client
        .add_peer_addrs(server.peer_id(), server.listen_addrs().await)
        .await;

    let mut stream = client.open_data(server.peer_id()).await.unwrap();
    let small = DataFrame::Chunk {
        index: 0,
        data: vec![0u8; 10],
    };
    stream.send(&small).await.unwrap();
    let len = MAX_FRAME_BYTES as u32 + 1;
    let mut raw = len.to_be_bytes().to_vec();
    raw.extend_from_slice(&[0u8; 64]);
    stream.send_raw(&raw).await.unwrap();

    let result = result_rx.await.unwrap();
    assert!(
        matches!(result, Err(OverlayError::TooLarge { len: l, max }) if l == len as usize && max == MAX_FRAME_BYTES),
        "{result:?}"
    );
}

#[tokio::test]
async fn oversize_frame_is_refused_by_the_writer() {
    let (server, inbound) = start(config(vec![tcp()])).await;
    serve(inbound);
    let (client, _inbound) = start(config(vec![tcp()])).await;
    client
        .add_peer_addrs(server.peer_id(), server.listen_addrs().await)
        .await;
    let mut stream = client.open_data(server.peer_id()).await.unwrap();
    let chunk = DataFrame::Chunk {
        index: 0,
        data: vec![0u8; MAX_FRAME_BYTES],
    };
    assert!(matches!(
        stream.send(&chunk).await,
        Err(OverlayError::TooLarge { .. })
    ));
}

fn some_peer() -> overlay::PeerId {
    libp2p::identity::Keypair::ed25519_from_bytes(key())
        .unwrap()
        .public()
        .to_peer_id()
}

#[tokio::test]
async fn request_to_a_closed_tcp_port_fails() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (client, _inbound) = start(config(vec![tcp()])).await;
    let peer = some_peer();
    let addr = format!("/ip4/127.0.0.1/tcp/{port}").parse().unwrap();
    client.add_peer_addrs(peer, vec![addr]).await;
    let result = client.request(peer, Request::Time).await;
    assert!(matches!(result, Err(OverlayError::Dial(_))), "{result:?}");
    let result = client.open_data(peer).await;
    assert!(matches!(result, Err(OverlayError::Dial(_))), "{result:?}");
}

#[tokio::test]
async fn request_to_a_closed_quic_port_fails() {
    let port = std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (client, _inbound) = start(config(vec![quic()])).await;
    let peer = some_peer();
    let addr = format!("/ip4/127.0.0.1/udp/{port}/quic-v1")
        .parse()
        .unwrap();
    client.add_peer_addrs(peer, vec![addr]).await;
    let result = client.request(peer, Request::Time).await;
    assert!(
        matches!(result, Err(OverlayError::Dial(_) | OverlayError::Timeout)),
        "{result:?}"
    );
}

#[tokio::test]
async fn request_to_a_peer_without_addresses_fails() {
    let (client, _inbound) = start(config(vec![tcp()])).await;
    let result = client.request(some_peer(), Request::Time).await;
    assert!(matches!(result, Err(OverlayError::Dial(_))), "{result:?}");
}

#[tokio::test]
async fn requests_fail_after_shutdown() {
    let (server, inbound) = start(config(vec![tcp()])).await;
    serve(inbound);
    let addrs = server.listen_addrs().await;
    let peer = server.peer_id();
    server.shutdown().await;
    assert!(server.request(peer, Request::Time).await.is_err());

    let (client, _inbound) = start(config(vec![tcp()])).await;
    client.add_peer_addrs(peer, addrs).await;
    assert!(client.request(peer, Request::Time).await.is_err());
}
