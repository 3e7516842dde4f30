//! What a peer that opens data streams to us can make us hold: streams over the per-peer cap
//! are reset, a first frame is small, and a frame that trickles in misses its deadline.

mod common;

use std::time::Duration;

use common::*;
use overlay::{Inbound, OverlayError, StreamLimits};
use tokio::sync::mpsc;
use wire::proto::{DataFrame, MAX_FIRST_FRAME_BYTES};

/// A server that hands every inbound data stream to the test, with the given limits.
async fn server(
    limits: StreamLimits,
) -> (overlay::OverlayHandle, mpsc::Receiver<overlay::DataStream>) {
    let mut c = config(vec![tcp()]);
    c.streams = limits;
    let (server, mut inbound) = start(c).await;
    let (tx, rx) = mpsc::channel(16);
    tokio::spawn(async move {
        while let Some(event) = inbound.recv().await {
            if let Inbound::Data { stream, .. } = event {
                let _ = tx.send(stream).await;
            }
        }
    });
    (server, rx)
}

async fn client_of(server: &overlay::OverlayHandle) -> overlay::OverlayHandle {
    let (client, _inbound) = start(config(vec![tcp()])).await;
    client
        .add_peer_addrs(server.peer_id(), server.listen_addrs().await)
        .await;
    client
}

#[tokio::test]
async fn streams_over_the_per_peer_cap_are_reset() {
    let limits = StreamLimits {
        per_peer: 2,
        ..StreamLimits::default()
    };
    let (server, mut streams) = server(limits).await;
    let client = client_of(&server).await;
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut s = client.open_data(server.peer_id()).await.unwrap();
        s.send(&DataFrame::Holding(vec![1])).await.unwrap();
        held.push(s);
    }
    let mut kept = Vec::new();
    for _ in 0..2 {
        let s = tokio::time::timeout(Duration::from_secs(20), streams.recv()).await;
        kept.push(s.expect("a stream within the cap arrives").unwrap());
    }
    // The third is reset: the application never sees it, and its opener hears nothing back.
    let third = client.open_data(server.peer_id()).await;
    if let Ok(mut s) = third {
        let _ = s.send(&DataFrame::Holding(vec![1])).await;
        let answer = tokio::time::timeout(Duration::from_secs(20), s.recv::<DataFrame>()).await;
        assert!(
            matches!(answer, Ok(Ok(None) | Err(_))),
            "the third stream was served: {answer:?}"
        );
    }
    assert!(
        tokio::time::timeout(Duration::from_millis(500), streams.recv())
            .await
            .is_err(),
        "a stream over the cap reached the application"
    );
    // Once one closes, a new one is taken.
    drop(kept.pop());
    drop(held.pop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut s = client.open_data(server.peer_id()).await.unwrap();
    s.send(&DataFrame::Holding(vec![2])).await.unwrap();
    let mut again = tokio::time::timeout(Duration::from_secs(20), streams.recv())
        .await
        .expect("a freed place is taken")
        .unwrap();
    assert_eq!(
        again.recv::<DataFrame>().await.unwrap(),
        Some(DataFrame::Holding(vec![2]))
    );
}

#[tokio::test]
async fn a_first_frame_larger_than_an_offer_is_refused() {
    let (server, mut streams) = server(StreamLimits::default()).await;
    let client = client_of(&server).await;
    let mut s = client.open_data(server.peer_id()).await.unwrap();
    // A chunk frame of 4 MiB is fine later on a stream, never as its first frame.
    let len = MAX_FIRST_FRAME_BYTES as u32 + 1;
    let mut raw = len.to_be_bytes().to_vec();
    raw.extend_from_slice(&[0u8; 64]);
    s.send_raw(&raw).await.unwrap();
    let mut inbound = streams.recv().await.unwrap();
    let result = inbound.recv_data().await;
    assert!(
        matches!(result, Err(OverlayError::TooLarge { max, .. }) if max == MAX_FIRST_FRAME_BYTES),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_trickling_frame_misses_its_deadline() {
    let limits = StreamLimits {
        min_rate: 1 << 20,
        frame_grace: Duration::from_secs(1),
        ..StreamLimits::default()
    };
    let (server, mut streams) = server(limits).await;
    let client = client_of(&server).await;
    let mut s = client.open_data(server.peer_id()).await.unwrap();
    // 1 MiB announced at 1 MiB/s: 2 s allowed. One byte every 100 ms keeps the stream from
    // ever being idle, but never finishes the frame.
    s.send_raw(&(1u32 << 20).to_be_bytes()).await.unwrap();
    let trickle = tokio::spawn(async move {
        for _ in 0..100 {
            if s.send_raw(&[0]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let mut inbound = streams.recv().await.unwrap();
    let started = std::time::Instant::now();
    let result = inbound.recv_data().await;
    assert!(matches!(result, Err(OverlayError::Timeout)), "{result:?}");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "the trickle was cut off only after {:?}",
        started.elapsed()
    );
    trickle.abort();
}
