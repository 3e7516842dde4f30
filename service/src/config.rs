//! The server's TOML configuration. The commented default file is also the source of the
//! defaults, so the two can never disagree.

use std::path::Path;

use overlay::Multiaddr;
use serde::Deserialize;
use wire::ServerAddr;

pub const DEFAULT_TOML: &str = include_str!("wims-service.default.toml");

/// Longest token lifetime, in seconds (a year): tokens are for one message's delivery, and
/// the bound keeps expiry arithmetic far from overflow.
pub const MAX_TOKEN_LIFETIME: u64 = 365 * 24 * 3600;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub service: ServiceSection,
    pub network: NetworkSection,
    pub overlay: OverlaySection,
    pub authorization: AuthorizationSection,
    pub holding: HoldingSection,
    pub log: LogSection,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSection {
    pub language: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSection {
    pub name: String,
    /// The network's other service servers, most preferred first.
    pub peers: Vec<ServerAddr>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverlaySection {
    pub listen: Vec<String>,
    pub announce: Vec<String>,
    pub relay: bool,
    pub request_timeout: u64,
    pub max_streams: usize,
    pub max_streams_per_peer: usize,
    pub first_frame_budget: usize,
    pub min_transfer_rate: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorizationSection {
    pub max_message_size: u64,
    pub token_lifetime: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoldingSection {
    pub quota_per_account: u64,
    pub expiry_days: u32,
    pub dir: String,
    pub receipts_per_sender: usize,
}

pub use daemon::config::LogSection;

/// What is wrong with a configuration file, or with its text.
pub type ConfigError = daemon::config::ConfigError<Wrong>;
pub type Invalid = daemon::config::Invalid<Wrong>;

/// A value the server cannot work with, though it is of the right kind.
#[derive(Debug, thiserror::Error)]
pub enum Wrong {
    #[error("multiaddr {0}")]
    Multiaddr(String),
    #[error("peer id {0}")]
    PeerId(String),
    #[error("authorization.token_lifetime out of range")]
    TokenLifetime,
}

impl daemon::config::Check for Wrong {
    fn text_id(&self) -> (&'static str, Vec<(&'static str, String)>) {
        match self {
            Wrong::Multiaddr(a) => ("config-multiaddr", vec![("addr", a.clone())]),
            Wrong::PeerId(p) => ("config-peer-id", vec![("peer", p.clone())]),
            Wrong::TokenLifetime => ("config-token-lifetime", vec![]),
        }
    }
}

impl Config {
    pub fn defaults() -> Config {
        daemon::config::defaults(DEFAULT_TOML)
    }

    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        daemon::config::load(path, DEFAULT_TOML, Config::check)
    }

    pub fn parse(text: &str) -> Result<Config, Invalid> {
        daemon::config::parse(text, DEFAULT_TOML, Config::check)
    }

    fn check(cfg: &Config) -> Result<(), Wrong> {
        if !(1..=MAX_TOKEN_LIFETIME).contains(&cfg.authorization.token_lifetime) {
            return Err(Wrong::TokenLifetime);
        }
        let peer_addrs = cfg.network.peers.iter().flat_map(|p| p.addrs.iter());
        for a in cfg
            .overlay
            .listen
            .iter()
            .chain(&cfg.overlay.announce)
            .chain(peer_addrs)
        {
            a.parse::<Multiaddr>()
                .map_err(|_| Wrong::Multiaddr(a.clone()))?;
        }
        for p in &cfg.network.peers {
            p.peer_id
                .parse::<overlay::PeerId>()
                .map_err(|_| Wrong::PeerId(p.peer_id.clone()))?;
        }
        Ok(())
    }

    /// The listen addresses, parsed (checked by [`Config::parse`]).
    pub fn listen_addrs(&self) -> Vec<Multiaddr> {
        self.overlay
            .listen
            .iter()
            .filter_map(|a| a.parse().ok())
            .collect()
    }

    /// The configuration file `init` writes: the commented defaults, with the network's name.
    pub fn initial_text(network: &str) -> String {
        let quoted = toml::Value::String(network.to_string()).to_string();
        DEFAULT_TOML
            .lines()
            .map(|l| {
                if l.starts_with("name = ") {
                    format!("name = {quoted}")
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
            + "\n"
    }

    /// Whether `peer` (PeerId text) is one of the network's configured service servers.
    pub fn is_peer_server(&self, peer: &str) -> bool {
        self.network.peers.iter().any(|p| p.peer_id == peer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_documented_ones() {
        let c = Config::defaults();
        assert_eq!(c.overlay.listen.len(), 2);
        assert!(c.overlay.listen[0].ends_with("/udp/4100/quic-v1"));
        assert!(c.overlay.listen[1].ends_with("/tcp/4100"));
        assert_eq!(c.authorization.token_lifetime, 24 * 3600);
        assert!(c.network.peers.is_empty());
        assert_eq!(c.listen_addrs().len(), 2);
        assert_eq!(c.holding.quota_per_account, 16 << 30);
        assert_eq!(c.holding.expiry_days, 14);
    }

    #[test]
    fn partial_files_keep_other_defaults() {
        let c = Config::parse("[overlay]\nlisten = [\"/ip4/127.0.0.1/tcp/0\"]\n").unwrap();
        assert_eq!(c.overlay.listen, ["/ip4/127.0.0.1/tcp/0"]);
        assert_eq!(c.log.level, 3);
        assert_eq!(c.service.language, "");
    }

    #[test]
    fn bad_values_are_errors() {
        assert!(Config::parse("[overlay]\nlistne = []\n").is_err());
        assert!(Config::parse("[log]\nlevel = 9\n").is_err());
        assert!(Config::parse("[overlay]\nlisten = [\"127.0.0.1:4100\"]\n").is_err());
        assert!(
            Config::parse("[network]\npeers = [{ peer_id = \"nope\", addrs = [] }]\n").is_err()
        );
        assert!(Config::parse("[authorization]\ntoken_lifetime = 0\n").is_err());
        assert!(Config::parse("[authorization]\ntoken_lifetime = 99999999999\n").is_err());
        assert!(Config::parse("not toml [").is_err());
    }

    #[test]
    fn initial_text_names_the_network() {
        let c = Config::parse(&Config::initial_text("kapur \"net\"")).unwrap();
        assert_eq!(c.network.name, "kapur \"net\"");
        assert!(Config::initial_text("x").contains("# The other service servers"));
    }
}
