//! The node's TOML configuration. The commented default file is also the source of the
//! defaults, so the two can never disagree.

use std::path::{Path, PathBuf};

use serde::Deserialize;

pub const DEFAULT_TOML: &str = include_str!("wims.default.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub node: NodeSection,
    pub imap: ImapSection,
    pub submission: SubmissionSection,
    pub tls: TlsSection,
    pub log: LogSection,
    pub branding: BrandingSection,
    pub drop: DropSection,
    pub overlay: OverlaySection,
    pub delivery: DeliverySection,
    pub limits: LimitsSection,
    pub monitor: MonitorSection,
    pub web: WebSection,
    /// Message rules (`docs/rules.md`): read straight into the rules crate's limits.
    pub rules: rules::Settings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSection {
    pub hostname: String,
    pub language: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImapSection {
    pub listen: String,
    pub tls_listen: String,
    pub allow_plaintext_auth: bool,
    pub idle_timeout: u64,
    pub login_timeout: u64,
    pub max_command_size: usize,
    pub max_command_size_before_login: usize,
    pub max_append_messages: usize,
    pub max_search_contexts: usize,
    pub max_context_messages: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmissionSection {
    pub listen: String,
    pub tls_listen: String,
    pub max_message_size: u64,
    pub max_recipients: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSection {
    pub cert: PathBuf,
    pub key: PathBuf,
}

pub use daemon::config::LogSection;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrandingSection {
    pub file: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DropSection {
    pub folder: String,
    pub poll_interval: u64,
    pub settle: u64,
    pub max_file_size: u64,
    pub max_attachment_size: u64,
    pub attachment_folder: String,
    pub rate_per_hour: u32,
    pub types: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverlaySection {
    pub listen: Vec<String>,
    pub max_streams: usize,
    pub max_streams_per_peer: usize,
    pub first_frame_budget: usize,
    pub min_transfer_rate: u64,
    pub punch_private_targets: bool,
}

impl OverlaySection {
    pub fn stream_limits(&self) -> overlay::StreamLimits {
        overlay::StreamLimits {
            total: self.max_streams,
            per_peer: self.max_streams_per_peer,
            first_frame_budget: self.first_frame_budget,
            min_rate: self.min_transfer_rate,
            ..overlay::StreamLimits::default()
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsSection {
    pub max_connections: usize,
    pub max_connections_per_ip: usize,
    pub password_checks: usize,
    pub write_timeout: u64,
    pub max_mime_parts: usize,
    pub max_mime_depth: usize,
    /// Distinct keywords one folder may have.
    pub max_keywords_per_folder: usize,
    pub min_password_length: usize,
    /// MiB of mail an account may keep unless it has a quota of its own; 0 means none.
    pub default_quota_mib: u64,
}

/// The monitor endpoint (`docs/monitor-api.md`) and what a monitor may cost the node.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonitorSection {
    pub listen: String,
    /// Seconds a monitor has to finish TLS and send its hello.
    pub handshake_timeout: u64,
    /// Largest hello, in bytes.
    pub max_hello_size: usize,
    pub max_connections: usize,
    pub max_connections_per_ip: usize,
    /// Events kept for monitors that read slowly.
    pub queue_events: usize,
    /// Seconds a finished job stays listed.
    pub keep_finished: u64,
}

/// The web interface (`docs/web.md`) and what a browser may cost the node.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebSection {
    pub enabled: bool,
    pub listen: String,
    /// Seconds a session may stay unused before it is logged out.
    pub session_idle: u64,
    pub max_sessions: usize,
    pub max_connections: usize,
    pub max_connections_per_ip: usize,
    /// Largest form body, in bytes.
    pub max_form_size: usize,
    /// Seconds a browser has to send a request's head; also how long an idle connection stays.
    pub request_timeout: u64,
    pub page_size: usize,
    /// Bytes of one text part the read view shows.
    pub max_text_part: u64,
    /// Bytes of attachments one message written in the webmail may carry.
    pub max_upload_size: u64,
    /// Contacts one account's address book may hold.
    pub max_contacts: usize,
    /// Folders an account may have for the webmail to make another.
    pub max_folders: usize,
}

impl WebSection {
    /// The listen address, empty when the web interface is off.
    pub fn listen_spec(&self) -> String {
        if self.enabled {
            self.listen.clone()
        } else {
            String::new()
        }
    }

    pub fn settings(&self) -> web::Settings {
        use std::time::Duration;
        web::Settings {
            session_idle: Duration::from_secs(self.session_idle),
            max_sessions: self.max_sessions,
            max_connections: self.max_connections,
            max_connections_per_ip: self.max_connections_per_ip,
            max_form_size: self.max_form_size,
            request_timeout: Duration::from_secs(self.request_timeout),
            page_size: self.page_size,
            max_text_part: self.max_text_part,
            max_upload_size: self.max_upload_size,
            max_contacts: self.max_contacts,
            max_folders: self.max_folders,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliverySection {
    pub retry_min: u64,
    pub retry_max: u64,
    pub collect_interval: u64,
}

/// What is wrong with a configuration file, or with its text.
pub type ConfigError = daemon::config::ConfigError<Wrong>;
pub type Invalid = daemon::config::Invalid<Wrong>;

/// A value the node cannot work with, though it is of the right kind.
#[derive(Debug, thiserror::Error)]
pub enum Wrong {
    #[error("drop.poll_interval 0")]
    PollInterval,
    #[error("drop.types {0:?}")]
    TypeName(String),
    #[error("overlay.listen {0:?}")]
    OverlayAddr(String),
    #[error("delivery.retry_min > delivery.retry_max")]
    Retry,
    #[error("{0} 0")]
    Zero(&'static str),
    #[error("{0} > {1}")]
    TooLarge(&'static str, usize),
}

impl daemon::config::Check for Wrong {
    fn text_id(&self) -> (&'static str, Vec<(&'static str, String)>) {
        match self {
            Wrong::PollInterval => ("cli-config-poll-interval", vec![]),
            Wrong::TypeName(t) => ("cli-config-type-name", vec![("type", t.clone())]),
            Wrong::OverlayAddr(a) => ("cli-config-overlay-addr", vec![("addr", a.clone())]),
            Wrong::Retry => ("cli-config-retry", vec![]),
            Wrong::Zero(k) => ("cli-config-zero", vec![("key", k.to_string())]),
            Wrong::TooLarge(k, max) => (
                "cli-config-too-large",
                vec![("key", k.to_string()), ("max", max.to_string())],
            ),
        }
    }
}

impl Config {
    pub fn defaults() -> Config {
        daemon::config::defaults(DEFAULT_TOML)
    }

    /// How much MIME structure the store records per message.
    pub fn mime_limits(&self) -> mailbox::MimeLimits {
        mailbox::MimeLimits {
            max_parts: self.limits.max_mime_parts,
            max_depth: self.limits.max_mime_depth,
        }
    }

    /// Gives the store the bounds it keeps on what is filed into it.
    pub fn limit_store(&self, store: &mailbox::Store) {
        store.set_mime_limits(self.mime_limits());
        store.set_max_keywords(self.limits.max_keywords_per_folder);
    }

    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        daemon::config::load(path, DEFAULT_TOML, Config::check)
    }

    pub fn parse(text: &str) -> Result<Config, Invalid> {
        daemon::config::parse(text, DEFAULT_TOML, Config::check)
    }

    fn check(cfg: &Config) -> Result<(), Wrong> {
        if cfg.drop.poll_interval == 0 {
            return Err(Wrong::PollInterval);
        }
        if let Some(t) = cfg.drop.types.iter().find(|t| !wire::is_message_type(t)) {
            return Err(Wrong::TypeName(t.clone()));
        }
        if let Some(a) = cfg
            .overlay
            .listen
            .iter()
            .find(|a| a.parse::<overlay::Multiaddr>().is_err())
        {
            return Err(Wrong::OverlayAddr(a.clone()));
        }
        if cfg.delivery.retry_min == 0 || cfg.delivery.retry_min > cfg.delivery.retry_max {
            return Err(Wrong::Retry);
        }
        // A zero here would lock every client out, which is never what was meant.
        let nonzero = [
            ("imap.login_timeout", cfg.imap.login_timeout as usize),
            ("imap.max_command_size", cfg.imap.max_command_size),
            (
                "imap.max_command_size_before_login",
                cfg.imap.max_command_size_before_login,
            ),
            ("imap.max_append_messages", cfg.imap.max_append_messages),
            ("imap.max_search_contexts", cfg.imap.max_search_contexts),
            ("imap.max_context_messages", cfg.imap.max_context_messages),
            ("limits.max_connections", cfg.limits.max_connections),
            (
                "limits.max_connections_per_ip",
                cfg.limits.max_connections_per_ip,
            ),
            ("limits.password_checks", cfg.limits.password_checks),
            ("limits.write_timeout", cfg.limits.write_timeout as usize),
            ("limits.max_mime_parts", cfg.limits.max_mime_parts),
            ("limits.max_mime_depth", cfg.limits.max_mime_depth),
            (
                "limits.max_keywords_per_folder",
                cfg.limits.max_keywords_per_folder,
            ),
            ("overlay.max_streams", cfg.overlay.max_streams),
            (
                "overlay.max_streams_per_peer",
                cfg.overlay.max_streams_per_peer,
            ),
            (
                "overlay.min_transfer_rate",
                cfg.overlay.min_transfer_rate as usize,
            ),
            (
                "monitor.handshake_timeout",
                cfg.monitor.handshake_timeout as usize,
            ),
            ("monitor.max_hello_size", cfg.monitor.max_hello_size),
            ("monitor.max_connections", cfg.monitor.max_connections),
            (
                "monitor.max_connections_per_ip",
                cfg.monitor.max_connections_per_ip,
            ),
            ("monitor.queue_events", cfg.monitor.queue_events),
            ("web.session_idle", cfg.web.session_idle as usize),
            ("web.max_sessions", cfg.web.max_sessions),
            ("web.max_connections", cfg.web.max_connections),
            ("web.max_connections_per_ip", cfg.web.max_connections_per_ip),
            ("web.max_form_size", cfg.web.max_form_size),
            ("web.request_timeout", cfg.web.request_timeout as usize),
            ("web.page_size", cfg.web.page_size),
            ("web.max_text_part", cfg.web.max_text_part as usize),
            ("web.max_upload_size", cfg.web.max_upload_size as usize),
            ("web.max_contacts", cfg.web.max_contacts),
            ("web.max_folders", cfg.web.max_folders),
            ("rules.max_script_size", cfg.rules.max_script_size),
            ("rules.max_scripts", cfg.rules.max_scripts),
            ("rules.max_scan", cfg.rules.max_scan as usize),
            ("rules.cpu_limit", cfg.rules.cpu_limit),
            ("rules.max_folders", cfg.rules.max_folders),
        ];
        if let Some((key, _)) = nonzero.iter().find(|(_, v)| *v == 0) {
            return Err(Wrong::Zero(key));
        }
        // A longer hello could not be read anyway: the protocol's frames end there.
        let frame = monitor_api::limits::MAX_FRAME_BYTES;
        if cfg.monitor.max_hello_size > frame {
            return Err(Wrong::TooLarge("monitor.max_hello_size", frame));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_files_keep_other_defaults() {
        let c = Config::parse("[imap]\nlisten = \"127.0.0.1:0\"\n").unwrap();
        assert_eq!(c.imap.listen, "127.0.0.1:0");
        assert_eq!(c.imap.tls_listen, "127.0.0.1:1993");
        assert_eq!(c.submission.listen, "127.0.0.1:1587");
        assert!(!c.imap.allow_plaintext_auth);
    }

    #[test]
    fn unknown_keys_and_bad_levels_are_errors() {
        assert!(Config::parse("[imap]\nlistne = \"x\"\n").is_err());
        assert!(Config::parse("[log]\nlevel = 9\n").is_err());
        assert!(Config::parse("not toml [").is_err());
        assert!(Config::parse("[drop]\ntypes = [\"Bad Type\"]\n").is_err());
        let c = Config::parse("[drop]\ntypes = [\"credit-note\"]\n").unwrap();
        assert_eq!(c.drop.types, ["credit-note"]);
        assert_eq!(c.drop.folder, "drop");
    }

    #[test]
    fn monitor_defaults_and_bounds() {
        let c = Config::defaults();
        assert_eq!(c.monitor.listen, "127.0.0.1:7070");
        assert_eq!(c.monitor.max_hello_size, 16384);
        assert!(Config::parse("[monitor]\nlisten = \"\"\n").is_ok());
        assert!(Config::parse("[monitor]\nhandshake_timeout = 0\n").is_err());
        let big = Config::parse("[monitor]\nmax_hello_size = 300000\n").unwrap_err();
        assert!(matches!(
            big,
            Invalid::Value(Wrong::TooLarge("monitor.max_hello_size", _))
        ));
    }
}
