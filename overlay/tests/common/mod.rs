//! Helpers shared by the overlay integration tests: peers on 127.0.0.1 with ephemeral ports.

#![allow(dead_code)]

use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use overlay::{Inbound, Multiaddr, Overlay, OverlayConfig, OverlayHandle};
use tokio::sync::mpsc;
use wire::proto::{DataFrame, DataReply, Request, Response};

pub const SERVER_TIME: i64 = 1_700_000_000_000;

pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}

/// A distinct key per peer within one test binary.
pub fn key() -> [u8; 32] {
    static NEXT: AtomicU8 = AtomicU8::new(1);
    [NEXT.fetch_add(1, Ordering::Relaxed); 32]
}

pub fn quic() -> Multiaddr {
    "/ip4/127.0.0.1/udp/0/quic-v1".parse().unwrap()
}

pub fn tcp() -> Multiaddr {
    "/ip4/127.0.0.1/tcp/0".parse().unwrap()
}

pub fn config(listen: Vec<Multiaddr>) -> OverlayConfig {
    init_tracing();
    let mut config = OverlayConfig::new(key(), listen);
    // Generous: only bounds a broken test, never asserts a duration.
    config.request_timeout = Duration::from_secs(20);
    config
}

pub async fn start(config: OverlayConfig) -> (OverlayHandle, mpsc::Receiver<Inbound>) {
    Overlay::start(config).await.expect("overlay starts")
}

/// Answers `Time` with [`SERVER_TIME`]; on data streams, answers each chunk with
/// `Need([index])` and checks that the payload is `len` bytes of `index as u8`.
pub fn serve(mut inbound: mpsc::Receiver<Inbound>) {
    tokio::spawn(async move {
        while let Some(event) = inbound.recv().await {
            match event {
                Inbound::Request { request, reply, .. } => {
                    let response = match request {
                        Request::Time => Response::Time(SERVER_TIME),
                        _ => Response::Done,
                    };
                    let _ = reply.send(response);
                }
                Inbound::Data { mut stream, .. } => {
                    tokio::spawn(async move {
                        while let Ok(Some(frame)) = stream.recv::<DataFrame>().await {
                            if let DataFrame::Chunk { index, data } = frame {
                                assert!(data.iter().all(|&b| b == index as u8));
                                stream.send(&DataReply::Need(vec![index])).await.unwrap();
                            }
                        }
                    });
                }
            }
        }
    });
}

/// `node`'s relay circuit address, once its reservation is up (a few round trips); the bound
/// only keeps a broken run from hanging.
pub async fn circuit_addr(node: &OverlayHandle) -> Multiaddr {
    tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            if let Some(addr) = node
                .listen_addrs()
                .await
                .into_iter()
                .find(|a| a.iter().any(|p| p == overlay::Protocol::P2pCircuit))
            {
                return addr;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("a circuit address")
}
