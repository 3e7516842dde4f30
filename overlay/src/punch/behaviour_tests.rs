use super::*;

#[test]
fn circuit_addresses_name_their_relay() {
    let relay = PeerId::random();
    let target = PeerId::random();
    let dialled: Multiaddr =
        format!("/ip4/198.51.100.7/udp/4001/quic-v1/p2p/{relay}/p2p-circuit/p2p/{target}")
            .parse()
            .unwrap();
    assert_eq!(relay_of(&dialled), Some(relay));
    let listened: Multiaddr = format!("/ip4/198.51.100.7/tcp/4001/p2p/{relay}/p2p-circuit")
        .parse()
        .unwrap();
    assert_eq!(relay_of(&listened), Some(relay));
    let direct: Multiaddr = "/ip4/198.51.100.7/udp/4001/quic-v1".parse().unwrap();
    assert_eq!(relay_of(&direct), None);
    assert_eq!(
        socket_of(&direct),
        Some("198.51.100.7:4001".parse().unwrap())
    );
}

#[test]
fn relays_count_circuits_both_ways() {
    let mut b = Behaviour::new(true, None, false, request_response::Config::default());
    let (x, y) = (PeerId::random(), PeerId::random());
    b.circuit(x, y, true);
    b.circuit(x, y, true);
    b.circuit(x, y, false);
    assert_eq!(b.circuits.get(&(x, y)), Some(&1));
    assert!(!b.circuits.contains_key(&(y, x)));
    b.circuit(x, y, false);
    assert!(b.circuits.is_empty());
}
