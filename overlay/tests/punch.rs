//! The hole punch protocol against peers that do not follow it: a node reached over a relay
//! circuit takes no offer at its word (too many targets, no vouch it accepts, targets the relay
//! does not see the asker at, more offers than its budgets allow), and a relay tells where it
//! sees a peer only to the other end of a circuit between the two.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;

use common::*;
use libp2p::multiaddr::Protocol;
use overlay::{Multiaddr, OverlayHandle, PeerId, VouchCheck};
use wire::NetworkSigned;
use wire::proto::{Request, Response};
use wire::punch::{PunchOffer, PunchRequest, PunchResponse, Vouch};

/// The vouch B takes (the node checks real ones: `wire::punch::check_vouch`).
fn vouch(good: bool) -> Vouch {
    let doc = |body: &[u8]| NetworkSigned {
        body: body.to_vec(),
        signature: vec![],
    };
    Vouch {
        token: doc(if good { b"expected" } else { b"forged" }),
        sender_record: doc(b""),
    }
}

struct Net {
    relay: OverlayHandle,
    relay_addrs: Vec<Multiaddr>,
    b: OverlayHandle,
    circuit: Multiaddr,
}

/// A relay, and node B listening only through a circuit on it.
async fn relay_and_node() -> Net {
    let mut relay_config = config(vec![quic(), tcp()]);
    relay_config.relay_server = true;
    let (relay, relay_inbound) = start(relay_config).await;
    serve(relay_inbound);
    let relay_addrs = relay.listen_addrs().await;
    let relay_quic = relay_addrs
        .iter()
        .find(|a| a.iter().any(|p| p == Protocol::QuicV1))
        .unwrap()
        .clone()
        .with(Protocol::P2p(relay.peer_id()));

    let mut b_config = config(vec![quic()]);
    b_config.relays = vec![relay_quic];
    b_config.vouch_check = Some(VouchCheck(Arc::new(|_, v: &Vouch| {
        v.token.body == b"expected"
    })));
    let (b, b_inbound) = start(b_config).await;
    serve(b_inbound);
    let circuit = circuit_addr(&b).await.with(Protocol::P2p(b.peer_id()));
    Net {
        relay,
        relay_addrs,
        b,
        circuit,
    }
}

/// A stranger connected to the relay and, when `circuit`, to B over a circuit.
async fn stranger(net: &Net, circuit: bool) -> OverlayHandle {
    let (a, _inbound) = start(config(vec![quic()])).await;
    a.add_peer_addrs(net.relay.peer_id(), net.relay_addrs.clone())
        .await;
    assert_eq!(
        a.request(net.relay.peer_id(), Request::Time).await.unwrap(),
        Response::Time(SERVER_TIME)
    );
    if circuit {
        a.add_peer_addrs(net.b.peer_id(), vec![net.circuit.clone()])
            .await;
        assert_eq!(
            a.request(net.b.peer_id(), Request::Time).await.unwrap(),
            Response::Time(SERVER_TIME)
        );
        assert!(!a.is_direct(net.b.peer_id()).await);
    }
    a
}

fn offer(addrs: &[&str], vouch: Option<Vouch>) -> PunchRequest {
    PunchRequest::Offer(PunchOffer {
        token: [7; 16],
        quic_addrs: addrs.iter().map(|a| a.parse().unwrap()).collect(),
        vouch,
    })
}

fn where_is(peer: PeerId) -> PunchRequest {
    PunchRequest::WhereIs {
        peer: peer.to_bytes(),
    }
}

fn refused(response: PunchResponse) -> String {
    match response {
        PunchResponse::Refused(why) => why,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// libp2p's DCUtR may turn a stranger's relayed connection to B into a direct one at any
/// moment (on loopback it always can); a request then goes over the direct connection and B
/// answers "already connected directly" before looking at the offer. The scenario is then
/// run again on a fresh network rather than checked against what it no longer tests.
struct Upgraded;

/// B's refusal of `request` from `from`, asked over the relay circuit.
async fn refusal(
    from: &OverlayHandle,
    b: PeerId,
    request: PunchRequest,
) -> Result<String, Upgraded> {
    let why = refused(from.punch_request(b, request).await.unwrap());
    if why == "already connected directly" && from.is_direct(b).await {
        return Err(Upgraded);
    }
    Ok(why)
}

#[tokio::test]
async fn offers_aim_only_at_the_asker_and_stay_within_budget() {
    for _ in 0..3 {
        if offers_scenario(relay_and_node().await).await.is_ok() {
            return;
        }
        eprintln!("a stranger's connection to B turned direct first: once more");
    }
    panic!("a direct connection came first three times over");
}

async fn offers_scenario(net: Net) -> Result<(), Upgraded> {
    let b = net.b.peer_id();
    let a = stranger(&net, true).await;

    // Three targets: one more than a peer's socket can be seen at.
    let three = offer(
        &["85.1.2.3:4001", "85.1.2.4:4001", "85.1.2.5:4001"],
        Some(vouch(true)),
    );
    assert_eq!(refusal(&a, b, three).await?, "too many addresses");

    // A victim's address with a vouch B takes: the relay sees A at 127.0.0.1, so B aims at
    // nobody and answers no offer of its own.
    let victim = offer(&["85.1.2.3:53"], Some(vouch(true)));
    let why = refusal(&a, b, victim.clone()).await?;
    assert_eq!(why, "not where your relay sees you");
    // Once per peer per 15 s, whatever the offer.
    assert_eq!(refusal(&a, b, victim.clone()).await?, "no hole punch now");

    // Strangers B does not wait to send to and that bring no vouch it takes: not joined.
    for v in [None, Some(vouch(false))] {
        let fresh = stranger(&net, true).await;
        let why = refusal(&fresh, b, offer(&["85.1.2.3:53"], v)).await?;
        assert_eq!(why, "not expected");
    }
    // Three offers a minute over one relay are looked at (these three), then none.
    let fresh = stranger(&net, true).await;
    assert_eq!(refusal(&fresh, b, victim).await?, "no hole punch now");

    // A relay joins no punch.
    let why = refused(
        a.punch_request(net.relay.peer_id(), offer(&["85.1.2.3:4001"], None))
            .await
            .unwrap(),
    );
    assert_eq!(why, "not a node");
    Ok(())
}

#[tokio::test]
async fn relays_tell_where_a_peer_is_only_to_its_circuit_partner() {
    let net = relay_and_node().await;
    let b = net.b.peer_id();
    let relay = net.relay.peer_id();

    // Connected to the relay, but no circuit to B: nothing about B.
    let c = stranger(&net, false).await;
    let why = refused(c.punch_request(relay, where_is(b)).await.unwrap());
    assert_eq!(why, "no circuit between you");
    // Nor about a peer id that is no peer id.
    let why = refused(
        c.punch_request(relay, PunchRequest::WhereIs { peer: vec![1; 40] })
            .await
            .unwrap(),
    );
    assert_eq!(why, "no such peer");

    // The other end of a circuit learns where the relay sees B: its own connection to the
    // relay, on loopback here.
    let a = stranger(&net, true).await;
    match a.punch_request(relay, where_is(b)).await.unwrap() {
        PunchResponse::SeenAt(seen) => {
            assert!(!seen.is_empty());
            assert!(
                seen.iter().all(|s: &SocketAddr| s.ip().is_loopback()),
                "{seen:?}"
            );
        }
        other => panic!("expected where B is, got {other:?}"),
    }
    // A node answers no such question.
    let why = refused(a.punch_request(b, where_is(relay)).await.unwrap());
    assert_eq!(why, "not a relay");
}
