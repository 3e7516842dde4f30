//! NAT traversal through a service server's relay: a node reachable only via its circuit
//! address answers a control request.

mod common;

use common::*;
use libp2p::multiaddr::Protocol;
use overlay::OverlayError;
use wire::proto::{DataFrame, DataReply, Request, Response};

#[tokio::test]
async fn control_request_through_a_relay_circuit() {
    let mut relay_config = config(vec![quic(), tcp()]);
    relay_config.relay_server = true;
    let (relay, relay_inbound) = start(relay_config).await;
    serve(relay_inbound);
    let relay_addr = relay
        .listen_addrs()
        .await
        .into_iter()
        // B listens on QUIC only, and only over a transport it listens on does identify give
        // it an observed address, which it needs to offer in the hole punch.
        .find(|a| a.iter().any(|p| p == Protocol::QuicV1))
        .unwrap()
        .with(Protocol::P2p(relay.peer_id()));

    let mut b_config = config(vec![quic()]);
    b_config.relays = vec![relay_addr];
    let (b, b_inbound) = start(b_config).await;
    serve(b_inbound);

    let circuit = circuit_addr(&b).await;
    assert!(
        !matches!(circuit.iter().last(), Some(Protocol::P2p(p)) if p == b.peer_id()),
        "listen addresses carry no /p2p/<self>: {circuit}"
    );

    let (a, _a_inbound) = start(config(vec![quic()])).await;
    // Talking to the relay first lets identify tell A its observed address, which the hole
    // punch needs.
    a.add_peer_addrs(relay.peer_id(), relay.listen_addrs().await)
        .await;
    assert_eq!(
        a.request(relay.peer_id(), Request::Time).await.unwrap(),
        Response::Time(SERVER_TIME)
    );
    a.add_peer_addrs(b.peer_id(), vec![circuit.with(Protocol::P2p(b.peer_id()))])
        .await;
    let response = a.request(b.peer_id(), Request::Time).await.unwrap();
    assert_eq!(response, Response::Time(SERVER_TIME));

    // Bulk data waits for the hole punch and then goes direct; 4 MiB would not fit through
    // the circuit's 128 KiB limit. The punch is best effort (dcutr gives up when a side has
    // no observed address yet, e.g. on a loaded machine), and then the designed answer is a
    // refusal, never data through the relay.
    match a.open_data(b.peer_id()).await {
        Ok(mut stream) => {
            assert!(a.is_direct(b.peer_id()).await);
            // An offer-sized first frame, then the chunk.
            stream
                .send(&DataFrame::Chunk {
                    index: 2,
                    data: vec![2u8; 1000],
                })
                .await
                .unwrap();
            assert_eq!(
                stream.recv::<DataReply>().await.unwrap(),
                Some(DataReply::Need(vec![2]))
            );
            stream
                .send(&DataFrame::Chunk {
                    index: 3,
                    data: vec![3u8; 4 * 1024 * 1024],
                })
                .await
                .unwrap();
            assert_eq!(
                stream.recv::<DataReply>().await.unwrap(),
                Some(DataReply::Need(vec![3]))
            );
        }
        Err(OverlayError::NotDirect(peer)) => {
            assert_eq!(peer, b.peer_id());
            assert!(!a.is_direct(b.peer_id()).await);
        }
        Err(e) => panic!("open_data: {e}"),
    }
}
