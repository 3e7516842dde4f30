use libp2p::identity::Keypair;
use libp2p::swarm::NetworkBehaviour;
use libp2p::swarm::behaviour::toggle::Toggle;
use libp2p::{StreamProtocol, autonat, dcutr, identify, ping, relay, request_response};
use wire::proto::CONTROL_PROTOCOL;

use crate::codec::ControlCodec;
use crate::config::OverlayConfig;
use crate::punch;

pub(crate) const IDENTIFY_PROTOCOL: &str = "/wims/id/1";
const PUNCH_REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

#[derive(NetworkBehaviour)]
pub(crate) struct Behaviour {
    pub identify: identify::Behaviour,
    pub ping: ping::Behaviour,
    pub autonat: autonat::Behaviour,
    pub relay_server: Toggle<relay::Behaviour>,
    pub relay_client: relay::client::Behaviour,
    pub dcutr: dcutr::Behaviour,
    pub control: request_response::Behaviour<ControlCodec>,
    pub punch: punch::Behaviour,
    pub data: libp2p_stream::Behaviour,
}

impl Behaviour {
    pub(crate) fn new(
        key: &Keypair,
        relay_client: relay::client::Behaviour,
        config: &OverlayConfig,
    ) -> Self {
        let peer_id = key.public().to_peer_id();
        // Circuits stay at the rust-libp2p defaults (small and short-lived: 128 KiB, 2 min):
        // they only carry control messages and the hole punches; message data goes over
        // the direct connection or, failing that, to the backup servers — never through a
        // relay, so a service server's bandwidth is not everyone's transit.
        let relay_server = config
            .relay_server
            .then(|| relay::Behaviour::new(peer_id, relay::Config::default()));
        Behaviour {
            // Nodes tell peers only addresses confirmed reachable from outside: their listen
            // addresses include loopback and private LAN ones, which on the peer's side lead
            // to itself or to a stranger, and such a dial fails the whole connection attempt
            // (the first handshake to finish decides, with the wrong PeerId). The directory
            // record carries what a node can be dialled at.
            identify: identify::Behaviour::new(
                identify::Config::new(IDENTIFY_PROTOCOL.to_string(), key.public())
                    .with_agent_version(config.agent.clone())
                    .with_hide_listen_addrs(!config.relay_server),
            ),
            ping: ping::Behaviour::new(ping::Config::new()),
            autonat: autonat::Behaviour::new(peer_id, autonat::Config::default()),
            relay_server: Toggle::from(relay_server),
            relay_client,
            dcutr: dcutr::Behaviour::new(peer_id),
            control: request_response::Behaviour::with_codec(
                ControlCodec::control(),
                [(
                    StreamProtocol::new(CONTROL_PROTOCOL),
                    request_response::ProtocolSupport::Full,
                )],
                request_response::Config::default().with_request_timeout(config.request_timeout),
            ),
            // Offers are answered within a relay round trip; a punch that waits longer has
            // missed its moment.
            punch: punch::Behaviour::new(
                config.relay_server,
                config.vouch_check.clone(),
                config.punch_private_targets,
                request_response::Config::default()
                    .with_request_timeout(config.request_timeout.min(PUNCH_REQUEST_TIMEOUT)),
            ),
            data: libp2p_stream::Behaviour::new(),
        }
    }
}
