//! `wims`: the WIMS node.

mod cli;
mod monitor_cli;
mod send_cli;

use std::ffi::OsString;
use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Result, anyhow};
use node::config::{self, Config};
use node::i18n::I18n;
use node::paths::{self, DataDir};
use node::{admin, auth, branding, ctx, limits, logging, network, server, tls};

use cli::{AccountCmd, Cli, Cmd, DropCmd, UpdateCmd};

fn main() -> ExitCode {
    limit_malloc_arenas();
    paths::private_files();
    let args: Vec<OsString> = std::env::args_os().collect();
    // The help pages and the messages before the config is read: --lang, else the configured
    // language, else the system's. An unknown --lang is an error at once; an unknown
    // configured one falls back here and is reported once a command reads the config.
    let early = match I18n::new(&cli::language(&args)) {
        Ok(t) => t,
        Err(known) => {
            // The system's language, else English: always available.
            let fallback = I18n::new("").expect("fallback locale");
            if let Some(lang) = ::i18n::raw_option(&args, "lang") {
                let text = fallback.text("cli-bad-language", &[("lang", &lang), ("known", &known)]);
                eprintln!("wims: {text}");
                return ExitCode::from(2);
            }
            fallback
        }
    };
    let cli = cli::parse(args, &early);
    match real_main(cli, &early) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line, whatever the cause: multi-line parser messages are folded.
            let msg = e
                .to_string()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            eprintln!("wims: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn load_config(data: &DataDir, i18n: &I18n) -> Result<Config> {
    Config::load(&data.config()).map_err(|e| {
        let message = match &e {
            config::ConfigError::Parse { path, problem } => {
                format!("{}: {}", path.display(), problem.text(i18n))
            }
            other => other.to_string(),
        };
        anyhow!(i18n.text("cli-bad-config", &[("message", &message)]))
    })
}

/// glibc gives threads that allocate at once arenas of their own (up to 8 per core) and keeps
/// what they free; with the runtime's workers and blocking pool passing 4 MiB chunks around,
/// that retained memory, not live data, is most of a node's peak RSS. Two arenas keep it
/// flat. Allocations of 8 MiB and more (a password check's 19 MiB, the largest frames) are
/// mapped on their own and given back when freed: otherwise glibc raises its threshold after
/// the first one and serves them from the arenas, where small allocations made meanwhile by
/// other connections pin them, and a burst of logins left hundreds of MiB behind. Called
/// before any thread starts.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; no other thread exists yet.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 8 << 20);
    }
}

/// The configuration and language of an initialised data folder, for commands that need one.
fn configured(data: &DataDir, early: &I18n, lang: Option<&str>) -> Result<(Config, I18n)> {
    if !data.is_initialised() {
        let dir = data.root.display().to_string();
        return Err(anyhow!(early.text("cli-not-initialised", &[("dir", &dir)])));
    }
    let config = load_config(data, early)?;
    let i18n = language(&config, lang, &data.config())?;
    Ok((config, i18n))
}

fn real_main(cli: Cli, early: &I18n) -> Result<()> {
    let explicit = cli.data.is_some();
    let data = DataDir::new(cli.data.clone().unwrap_or_else(DataDir::default_root));
    match cli.command {
        Cmd::Init => init(&data, early),
        Cmd::Run => {
            if !data.is_initialised() {
                if explicit {
                    let dir = data.root.display().to_string();
                    return Err(anyhow!(early.text("cli-not-initialised", &[("dir", &dir)])));
                }
                init(&data, early)?;
            }
            let mut config = load_config(&data, early)?;
            if let Some(l) = cli.log_level {
                config.log.level = l;
            }
            if let Some(l) = cli.lang {
                config.node.language = l;
            }
            run(data, config)
        }
        Cmd::Account(cmd) => {
            let (config, i18n) = configured(&data, early, cli.lang.as_deref())?;
            account(&data, &config, &i18n, cmd)
        }
        Cmd::LogLevel { level } => log_level(&data, early, level),
        Cmd::Receipts { address } => {
            let (config, i18n) = configured(&data, early, cli.lang.as_deref())?;
            let branding = load_branding(&data, &config, &i18n)?;
            receipts(&data, &i18n, &branding, address)
        }
        Cmd::Send(args) => {
            let (_, i18n) = configured(&data, early, cli.lang.as_deref())?;
            send_cli::run(&data, &i18n, args)
        }
        Cmd::Update(UpdateCmd::Check) => {
            let (_, i18n) = configured(&data, early, cli.lang.as_deref())?;
            update_check(&data, &i18n)
        }
        Cmd::MonitorToken {
            replace,
            revoke_all,
        } => {
            let (config, i18n) = configured(&data, early, cli.lang.as_deref())?;
            let branding = load_branding(&data, &config, &i18n)?;
            monitor_cli::token(&data, &i18n, &branding, replace, revoke_all)
        }
        Cmd::Demo => {
            let root = if explicit {
                data.root.clone()
            } else {
                std::env::temp_dir().join(format!("wims-demo-{}", std::process::id()))
            };
            node::demo::run(&root, !explicit, early, cli.log_level)
        }
    }
}

fn log_level(data: &DataDir, i18n: &I18n, level: u8) -> Result<()> {
    let dir = data.root.display().to_string();
    let req = admin::Request::LogLevel { level };
    match admin::call(&data.root.join("run/admin.sock"), &req) {
        Some(Ok(admin::Reply::LogLevel { level })) => {
            let level = level.to_string();
            println!("{}", i18n.text("cli-log-level-set", &[("level", &level)]));
            Ok(())
        }
        Some(Ok(_)) | Some(Err(_)) | None => {
            Err(anyhow!(i18n.text("cli-not-running", &[("dir", &dir)])))
        }
    }
}

/// The language of `--lang` (`over`), else of the configuration at `path`.
fn language(config: &Config, over: Option<&str>, path: &std::path::Path) -> Result<I18n> {
    let lang = over.unwrap_or(&config.node.language);
    I18n::new(lang).map_err(|known| {
        let fallback = I18n::new("").expect("fallback locale");
        let args = [("lang", lang), ("known", known.as_str())];
        match over {
            Some(_) => anyhow!(fallback.text("cli-bad-language", &args)),
            None => {
                let path = path.display().to_string();
                let args = [args[0], args[1], ("path", path.as_str())];
                anyhow!(fallback.text("cli-bad-language-config", &args))
            }
        }
    })
}

fn init(data: &DataDir, i18n: &I18n) -> Result<()> {
    let dir = data.root.display().to_string();
    if data.is_initialised() {
        // As `wims-service init` does: a script that meant a fresh folder must notice.
        return Err(anyhow!(
            i18n.text("cli-already-initialised", &[("dir", &dir)])
        ));
    }
    let io = |p: &std::path::Path, e: std::io::Error| {
        anyhow!(i18n.text(
            "cli-io-failed",
            &[
                ("path", &p.display().to_string()),
                ("reason", &e.to_string())
            ]
        ))
    };
    paths::create_private_dir(&data.root).map_err(|e| io(&data.root, e))?;
    let defaults = Config::defaults();
    let mut node_key = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut node_key);
    paths::write_secret(&data.node_key(), &node_key).map_err(|e| io(&data.node_key(), e))?;
    let cert = data.resolve(&defaults.tls.cert);
    let key = data.resolve(&defaults.tls.key);
    let product = branding::Branding::builtin().name;
    tls::generate(&defaults.node.hostname, &product, &cert, &key)
        .map_err(|e| anyhow!(i18n.text("cli-tls-failed", &[("reason", &e.to_string())])))?;
    let storage = mailbox::StorageKey::generate();
    paths::write_secret(&data.storage_key(), storage.as_bytes())
        .map_err(|e| io(&data.storage_key(), e))?;
    mailbox::Store::open(&data.store(), storage)
        .map_err(|e| anyhow!(i18n.text("cli-store-failed", &[("reason", &e.to_string())])))?;
    // The config goes last: its presence marks a complete data folder.
    std::fs::write(data.config(), config::DEFAULT_TOML).map_err(|e| io(&data.config(), e))?;
    println!("{}", i18n.text("cli-initialised", &[("dir", &dir)]));
    if let Some(line) = tls::fingerprint_line(&cert, i18n) {
        println!("{line}");
    }
    Ok(())
}

fn open_store(data: &DataDir, i18n: &I18n) -> Result<mailbox::Store> {
    let fail = |r: String| anyhow!(i18n.text("cli-store-failed", &[("reason", &r)]));
    let bytes = std::fs::read(data.storage_key()).map_err(|e| fail(e.to_string()))?;
    let key: [u8; 32] = bytes
        .try_into()
        .map_err(|_| fail(data.storage_key().display().to_string()))?;
    mailbox::Store::open(&data.store(), mailbox::StorageKey::from_bytes(key)).map_err(|e| match e {
        mailbox::Error::InUse => anyhow!(i18n.text(
            "cli-store-in-use",
            &[("dir", &data.root.display().to_string())]
        )),
        e => fail(e.to_string()),
    })
}

fn run(data: DataDir, config: Config) -> Result<()> {
    let i18n = language(&config, None, &data.config())?;
    let log_file = (!config.log.file.is_empty()).then(|| data.resolve(config.log.file.as_ref()));
    let _guard = logging::init(config.log.level, log_file.as_deref());
    // A folder made by an older version, or by hand, may be open to other users.
    paths::make_private(&data.root).map_err(|e| {
        let path = data.root.display().to_string();
        anyhow!(i18n.text(
            "cli-io-failed",
            &[("path", &path), ("reason", &e.to_string())]
        ))
    })?;
    let branding = load_branding(&data, &config, &i18n)?;
    let tls = tls::server_config(
        &data.resolve(&config.tls.cert),
        &data.resolve(&config.tls.key),
    )
    .map_err(|e| anyhow!(i18n.text("cli-tls-failed", &[("reason", &e.to_string())])))?;
    let store = open_store(&data, &i18n)?;
    config.limit_store(&store);
    let net_config = network_config(&config);
    let node_key = read_node_key(&data, &i18n)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let (net, inbound) =
            network::Network::start(store.clone(), &data.root, node_key, net_config)
                .await
                .map_err(|e| overlay_failed(&i18n, &data, e))?;
        net.spawn_tasks(inbound);
        let auth = auth::AuthLimiter::new(config.limits.password_checks);
        let connections = limits::ConnLimiter::new(limits::ConnCaps {
            total: config.limits.max_connections,
            per_ip: config.limits.max_connections_per_ip,
        });
        let imap = node::imap::env(&config, store.clone(), i18n.shared(), branding.name.clone());
        let ctx = Arc::new(ctx::NodeCtx {
            store,
            config,
            tls: tokio_rustls::TlsAcceptor::from(tls),
            i18n,
            branding,
            auth,
            connections,
            data_dir: data.root.clone(),
            imap,
            network: Some(net),
        });
        server::run(ctx, &data).await
    })
}

/// The overlay's start failure in the user's words: a port another program holds is named.
fn overlay_failed(i18n: &I18n, data: &DataDir, e: anyhow::Error) -> anyhow::Error {
    let in_use = e
        .downcast_ref::<overlay::OverlayError>()
        .and_then(overlay::OverlayError::port_in_use);
    if let Some([port, (_, what), addr]) = in_use {
        let args = [
            port,
            ("what", format!("overlay {what}")),
            addr,
            ("config", data.config().display().to_string()),
        ];
        return anyhow!(i18n.text_owned("cli-port-in-use", &args));
    }
    anyhow!(i18n.text("cli-overlay-failed", &[("reason", &e.to_string())]))
}

fn network_config(config: &Config) -> network::NetworkConfig {
    network::NetworkConfig {
        // Checked when the configuration was read.
        listen: config
            .overlay
            .listen
            .iter()
            .filter_map(|a| a.parse().ok())
            .collect(),
        retry_min: std::time::Duration::from_secs(config.delivery.retry_min),
        retry_max: std::time::Duration::from_secs(config.delivery.retry_max),
        collect_interval: std::time::Duration::from_secs(config.delivery.collect_interval.max(1)),
        streams: config.overlay.stream_limits(),
        punch_private_targets: config.overlay.punch_private_targets,
        jobs: node::monitor::RegistryConfig {
            queue_events: config.monitor.queue_events,
            keep_finished: std::time::Duration::from_secs(config.monitor.keep_finished),
        },
    }
}

fn load_branding(data: &DataDir, config: &Config, i18n: &I18n) -> Result<branding::Branding> {
    let path =
        (!config.branding.file.is_empty()).then(|| data.resolve(config.branding.file.as_ref()));
    branding::Branding::load(path.as_deref())
        .map_err(|m| anyhow!(i18n.text("cli-bad-branding", &[("message", &m)])))
}

fn read_node_key(data: &DataDir, i18n: &I18n) -> Result<[u8; 32]> {
    let fail = |r: String| anyhow!(i18n.text("cli-store-failed", &[("reason", &r)]));
    std::fs::read(data.node_key())
        .map_err(|e| fail(e.to_string()))?
        .try_into()
        .map_err(|_| fail(data.node_key().display().to_string()))
}

/// A new account password: from standard input, or asked twice at the terminal; at least
/// `limits.min_password_length` characters.
fn read_password(
    address: &str,
    from_stdin: bool,
    i18n: &I18n,
    config: &Config,
    prompt: &str,
) -> Result<String> {
    let pw = read_secret(address, from_stdin, i18n, prompt)?;
    let min = config.limits.min_password_length;
    if pw.chars().count() < min {
        let min = min.to_string();
        return Err(anyhow!(i18n.text("cli-password-short", &[("min", &min)])));
    }
    Ok(pw)
}

/// The password of an account being added or hosted.
fn account_password(address: &str, stdin: bool, i18n: &I18n, config: &Config) -> Result<String> {
    read_password(address, stdin, i18n, config, "cli-password-prompt")
}

/// Asks before an account and its mail are deleted; `--yes` answers for scripts.
fn confirm_remove(address: &str, yes: bool, i18n: &I18n) -> Result<()> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(anyhow!(
            i18n.text("cli-remove-needs-yes", &[("address", address)])
        ));
    }
    eprint!(
        "{} ",
        i18n.text("cli-remove-confirm", &[("address", address)])
    );
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    let word = i18n.text("cli-remove-confirm-word", &[]);
    if answer.trim().eq_ignore_ascii_case(word.trim()) {
        Ok(())
    } else {
        Err(anyhow!(i18n.text("cli-remove-cancelled", &[])))
    }
}

fn read_secret(address: &str, from_stdin: bool, i18n: &I18n, prompt: &str) -> Result<String> {
    let pw = if from_stdin || !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_string()
    } else {
        let p1 = rpassword::prompt_password(i18n.text(prompt, &[("address", address)]))?;
        let p2 = rpassword::prompt_password(i18n.text("cli-password-repeat", &[]))?;
        if p1 != p2 {
            return Err(anyhow!(i18n.text("cli-password-mismatch", &[])));
        }
        p1
    };
    if pw.is_empty() {
        return Err(anyhow!(i18n.text("cli-password-empty", &[])));
    }
    Ok(pw)
}

fn account(data: &DataDir, config: &Config, i18n: &I18n, cmd: AccountCmd) -> Result<()> {
    let mut hosted_note = None;
    let req = match cmd {
        AccountCmd::Add {
            address,
            password_stdin,
        } => {
            mailbox::normalize_address(&address)
                .map_err(|_| anyhow!(i18n.text("cli-invalid-address", &[("address", &address)])))?;
            let password = account_password(&address, password_stdin, i18n, config)?;
            admin::Request::AccountAdd { address, password }
        }
        AccountCmd::Passwd {
            address,
            password_stdin,
        } => {
            let password = read_password(
                &address,
                password_stdin,
                i18n,
                config,
                "cli-password-new-prompt",
            )?;
            admin::Request::AccountPasswd { address, password }
        }
        AccountCmd::Remove { address, yes } => {
            confirm_remove(&address, yes, i18n)?;
            let key = network::hosted_key_path(&data.root.join("keys/accounts"), &address);
            if key.exists() {
                hosted_note = Some(address.clone());
            }
            admin::Request::AccountRemove { address }
        }
        AccountCmd::Drop(DropCmd::Enable {
            address,
            passphrase_stdin,
            rate_per_hour,
        }) => {
            let passphrase = read_secret(
                &address,
                passphrase_stdin,
                i18n,
                "cli-drop-passphrase-prompt",
            )?;
            admin::Request::DropEnable {
                address,
                passphrase,
                rate_per_hour,
            }
        }
        AccountCmd::Quota { address, mib } => {
            let limit = match mib.as_str() {
                "none" => None,
                n => match n.parse::<u64>() {
                    Ok(m) if m > 0 => Some(m.saturating_mul(1 << 20)),
                    _ => return Err(anyhow!(i18n.text("cli-quota-bad", &[("value", &mib)]))),
                },
            };
            admin::Request::AccountQuota { address, limit }
        }
        AccountCmd::Drop(DropCmd::Disable { address }) => admin::Request::DropDisable { address },
        AccountCmd::List => admin::Request::AccountList,
        AccountCmd::Host {
            profile,
            password_stdin,
        } => {
            let text = std::fs::read_to_string(&profile).map_err(|e| {
                anyhow!(i18n.text(
                    "cli-io-failed",
                    &[
                        ("path", &profile.display().to_string()),
                        ("reason", &e.to_string())
                    ]
                ))
            })?;
            let address = wire::AccountProfile::from_toml(&text)
                .map(|p| p.address)
                .map_err(|e| {
                    anyhow!(i18n.text("cli-bad-profile", &[("reason", &e.to_string())]))
                })?;
            let password = account_password(&address, password_stdin, i18n, config)?;
            admin::Request::Host {
                profile: text,
                password,
            }
        }
    };
    let done_id = match &req {
        admin::Request::AccountAdd { .. } => "cli-account-added",
        admin::Request::AccountPasswd { .. } => "cli-password-changed",
        admin::Request::AccountRemove { .. } => "cli-account-removed",
        admin::Request::DropEnable { .. } => "cli-drop-enabled",
        admin::Request::DropDisable { .. } => "cli-drop-disabled",
        admin::Request::AccountQuota { limit: Some(_), .. } => "cli-quota-set",
        admin::Request::AccountQuota { limit: None, .. } => "cli-quota-cleared",
        admin::Request::Host { .. } => "cli-account-hosted",
        admin::Request::AccountList
        | admin::Request::LogLevel { .. }
        | admin::Request::Receipts { .. }
        | admin::Request::UpdateCheck
        | admin::Request::Send(_)
        | admin::Request::Progress { .. } => "",
    };
    let mib = match &req {
        admin::Request::AccountQuota { limit: Some(l), .. } => (l >> 20).to_string(),
        _ => String::new(),
    };
    let reply = match admin::call(&data.root.join("run/admin.sock"), &req) {
        Some(r) => r?,
        None => match req {
            admin::Request::Host { profile, password } => {
                host_offline(data, i18n, &profile, &password)?
            }
            req => admin::execute(&open_store(data, i18n)?, req),
        },
    };
    match reply {
        admin::Reply::Accounts { addresses } => {
            if addresses.is_empty() {
                println!("{}", i18n.text("cli-no-accounts", &[]));
            }
            for a in addresses {
                println!("{a}");
            }
            Ok(())
        }
        admin::Reply::Done { address } => {
            let done = i18n.text(done_id, &[("address", &address), ("mib", &mib)]);
            println!("{done}");
            if let Some(hosted) = hosted_note {
                let note = i18n.text("cli-account-removed-hosted", &[("address", &hosted)]);
                println!("{note}");
            }
            Ok(())
        }
        admin::Reply::LogLevel { .. }
        | admin::Reply::Receipts { .. }
        | admin::Reply::Update { .. }
        | admin::Reply::Sent(_)
        | admin::Reply::Progress { .. } => Ok(()),
        admin::Reply::Failed {
            code,
            address,
            detail,
        } => {
            let id = match code.as_str() {
                "exists" => "cli-account-exists",
                "no-account" => "cli-no-account",
                "invalid-address" => "cli-invalid-address",
                "bad-profile" => "cli-bad-profile",
                "host-refused" => "cli-host-refused",
                "host-refused-proof" => "cli-host-refused-proof",
                "host-refused-unknown" => "cli-host-refused-unknown",
                "network-unreachable" => "cli-network-unreachable",
                _ => {
                    return Err(anyhow!(
                        i18n.text("cli-store-failed", &[("reason", &detail)])
                    ));
                }
            };
            Err(anyhow!(
                i18n.text(id, &[("address", &address), ("reason", &detail)])
            ))
        }
    }
}

/// Hosting while the node is stopped: the overlay runs in this process just long enough.
fn host_offline(
    data: &DataDir,
    i18n: &I18n,
    profile: &str,
    password: &str,
) -> Result<admin::Reply> {
    with_network(data, i18n, |net| async move {
        admin::host(&net, profile, password).await
    })
}

/// `wims update check`: through the running node, else with the overlay in this process.
fn update_check(data: &DataDir, i18n: &I18n) -> Result<()> {
    let req = admin::Request::UpdateCheck;
    let reply = match admin::call(&data.root.join("run/admin.sock"), &req) {
        Some(r) => r?,
        None => with_network(
            data,
            i18n,
            |net| async move { admin::update_check(&net).await },
        )?,
    };
    match reply {
        admin::Reply::Update { status } => {
            let text = match status {
                network::UpdateStatus::Available { release } => i18n.text(
                    "cli-update-available",
                    &[
                        ("version", &release.product_version),
                        ("url", &release.url),
                        ("notes", &release.notes),
                    ],
                ),
                network::UpdateStatus::UpToDate { running } => {
                    i18n.text("cli-update-up-to-date", &[("version", &running)])
                }
                network::UpdateStatus::NoNetwork => i18n.text("cli-update-no-network", &[]),
                network::UpdateStatus::Remembered {
                    known,
                    newer,
                    running,
                    reason,
                } => {
                    let r = &known.release;
                    let fetched = known
                        .fetched
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                    let id = if newer {
                        "cli-update-remembered-available"
                    } else {
                        "cli-update-remembered-up-to-date"
                    };
                    i18n.text(
                        id,
                        &[
                            ("version", &r.product_version),
                            ("url", &r.url),
                            ("notes", &r.notes),
                            ("running", &running),
                            ("fetched", &fetched),
                            ("reason", &reason),
                        ],
                    )
                }
            };
            println!("{text}");
            Ok(())
        }
        admin::Reply::Failed { code, detail, .. } => {
            let id = match code.as_str() {
                "update-unverified" => "cli-update-unverified",
                "network-unreachable" => "cli-network-unreachable",
                _ => "cli-store-failed",
            };
            Err(anyhow!(i18n.text(id, &[("reason", &detail)])))
        }
        _ => Err(anyhow!(i18n.text("cli-store-failed", &[("reason", "")]))),
    }
}

/// Runs `work` with the node's network started in this process (the node is stopped), then
/// shuts it down again.
fn with_network<F, Fut>(data: &DataDir, i18n: &I18n, work: F) -> Result<admin::Reply>
where
    F: FnOnce(Arc<network::Network>) -> Fut,
    Fut: std::future::Future<Output = admin::Reply>,
{
    let config = load_config(data, i18n)?;
    let store = open_store(data, i18n)?;
    config.limit_store(&store);
    let node_key = read_node_key(data, i18n)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let (net, _inbound) =
            network::Network::start(store.clone(), &data.root, node_key, network_config(&config))
                .await
                .map_err(|e| overlay_failed(i18n, data, e))?;
        let reply = work(net.clone()).await;
        net.overlay.shutdown().await;
        store.flush()?;
        Ok(reply)
    })
}

fn receipts(
    data: &DataDir,
    i18n: &I18n,
    branding: &branding::Branding,
    address: String,
) -> Result<()> {
    let req = admin::Request::Receipts {
        address: address.clone(),
    };
    let reply = match admin::call(&data.root.join("run/admin.sock"), &req) {
        Some(r) => r?,
        None => admin::execute(&open_store(data, i18n)?, req),
    };
    match reply {
        admin::Reply::Receipts { receipts } => {
            // The deployment's own word for its receipts heads the list.
            let title = branding
                .receipt_title(i18n.language())
                .map(str::to_string)
                .unwrap_or_else(|| {
                    i18n.text("cli-receipts-default-title", &[("product", &branding.name)])
                });
            println!(
                "{}",
                i18n.text(
                    "cli-receipts-heading",
                    &[("title", &title), ("address", &address)]
                )
            );
            if receipts.is_empty() {
                println!("{}", i18n.text("cli-no-receipts", &[]));
            }
            for r in receipts {
                let time = chrono::DateTime::from_timestamp_millis(r.received_at)
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                    .unwrap_or_default();
                println!(
                    "{}",
                    i18n.text(
                        "cli-receipt-line",
                        &[
                            ("time", &time),
                            ("recipient", &r.recipient),
                            ("id", &r.message_id)
                        ]
                    )
                );
            }
            Ok(())
        }
        admin::Reply::Failed { detail, .. } => Err(anyhow!(
            i18n.text("cli-store-failed", &[("reason", &detail)])
        )),
        _ => Ok(()),
    }
}
