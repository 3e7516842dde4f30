//! The server's TOML configuration. The commented default file is also the source of the
//! defaults, so the two can never disagree.

use std::path::{Path, PathBuf};

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

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSection {
    pub level: u8,
    pub file: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {problem}")]
    Parse { path: PathBuf, problem: Invalid },
}

/// What is wrong with a configuration text. Syntax errors carry the TOML parser's own words;
/// [`Invalid::text_id`] names the text for the others.
#[derive(Debug, thiserror::Error)]
pub enum Invalid {
    /// Broken TOML, an unknown key or a value of the wrong kind, with its line.
    #[error("{0}")]
    File(#[from] ::i18n::toml_check::Problem),
    #[error("{0}")]
    Syntax(String),
    #[error("log.level {0}")]
    LogLevel(u8),
    #[error("multiaddr {0}")]
    Multiaddr(String),
    #[error("peer id {0}")]
    PeerId(String),
    #[error("authorization.token_lifetime out of range")]
    TokenLifetime,
}

impl Invalid {
    /// The problem in `t`'s language.
    pub fn text(&self, t: &::i18n::I18n) -> String {
        match self {
            Invalid::File(p) => p.text(t, ""),
            other => {
                let (id, args) = other.text_id();
                t.text_owned(id, &args)
            }
        }
    }

    /// The Fluent id and arguments describing the problem.
    pub fn text_id(&self) -> (&'static str, Vec<(&'static str, String)>) {
        match self {
            // Its ids are the shared checker's; [`Invalid::text`] speaks them.
            Invalid::File(p) => ("config-syntax", vec![("message", p.to_string())]),
            Invalid::Syntax(m) => ("config-syntax", vec![("message", m.clone())]),
            Invalid::LogLevel(l) => ("config-log-level", vec![("level", l.to_string())]),
            Invalid::Multiaddr(a) => ("config-multiaddr", vec![("addr", a.clone())]),
            Invalid::PeerId(p) => ("config-peer-id", vec![("peer", p.clone())]),
            Invalid::TokenLifetime => ("config-token-lifetime", vec![]),
        }
    }
}

impl Config {
    pub fn defaults() -> Config {
        toml::from_str(DEFAULT_TOML).expect("built-in default configuration parses")
    }

    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.into(),
            source,
        })?;
        Self::parse(&text).map_err(|problem| ConfigError::Parse {
            path: path.into(),
            problem,
        })
    }

    pub fn parse(text: &str) -> Result<Config, Invalid> {
        let base = ::i18n::toml_check::merged(text, DEFAULT_TOML)?;
        let cfg: Config = base
            .try_into()
            .map_err(|e: toml::de::Error| Invalid::Syntax(e.message().to_string()))?;
        if cfg.log.level > 5 {
            return Err(Invalid::LogLevel(cfg.log.level));
        }
        if !(1..=MAX_TOKEN_LIFETIME).contains(&cfg.authorization.token_lifetime) {
            return Err(Invalid::TokenLifetime);
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
                .map_err(|_| Invalid::Multiaddr(a.clone()))?;
        }
        for p in &cfg.network.peers {
            p.peer_id
                .parse::<overlay::PeerId>()
                .map_err(|_| Invalid::PeerId(p.peer_id.clone()))?;
        }
        Ok(cfg)
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
