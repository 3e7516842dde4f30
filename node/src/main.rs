//! `wims`: the WIMS node.

mod account_cli;
mod cli;
mod monitor_cli;
mod network_cli;
mod rules_cli;
mod run_cli;
mod send_cli;

use std::ffi::OsString;
use std::process::ExitCode;

use anyhow::{Result, anyhow};
use node::config::{self, Config};
use node::i18n::I18n;
use node::paths::DataDir;
use node::{admin, branding, tls};

use cli::{Cli, Cmd, UpdateCmd};

fn main() -> ExitCode {
    limit_malloc_arenas();
    daemon::files::private_files();
    let args: Vec<OsString> = std::env::args_os().collect();
    // The help pages and the messages before the config is read: --lang, else the configured
    // language, else the system's. An unknown --lang is an error at once; an unknown
    // configured one falls back here and is reported once a command reads the config.
    let early = match cli::PROGRAM.texts(&cli::language(&args)) {
        Ok(t) => t,
        Err(known) => {
            let fallback = cli::PROGRAM.fallback_texts();
            if let Some(lang) = ::i18n::raw_option(&args, "lang") {
                let text = fallback.text("cli-bad-language", &[("lang", &lang), ("known", &known)]);
                eprintln!("wims: {text}");
                return ExitCode::from(2);
            }
            fallback
        }
    };
    let cli: Cli = cli::PROGRAM.parse(args, &early);
    cli::PROGRAM.finish(real_main(cli, &early))
}

fn load_config(data: &DataDir, i18n: &I18n) -> Result<Config> {
    Config::load(&data.config()).map_err(|e| anyhow!(e.text(i18n, "cli-")))
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
            run_cli::run(data, config)
        }
        Cmd::Account(cmd) => {
            let (config, i18n) = configured(&data, early, cli.lang.as_deref())?;
            account_cli::account(&data, &config, &i18n, cmd)
        }
        Cmd::LogLevel { level } => log_level(&data, early, level),
        Cmd::Rules(cmd) => {
            let (config, i18n) = configured(&data, early, cli.lang.as_deref())?;
            rules_cli::rules(&data, &config, &i18n, cmd)
        }
        Cmd::Receipts { address } => {
            let (config, i18n) = configured(&data, early, cli.lang.as_deref())?;
            let branding = load_branding(&data, &config, &i18n)?;
            network_cli::receipts(&data, &i18n, &branding, address)
        }
        Cmd::Send(args) => {
            let (_, i18n) = configured(&data, early, cli.lang.as_deref())?;
            send_cli::run(&data, &i18n, args)
        }
        Cmd::Update(UpdateCmd::Check) => {
            let (_, i18n) = configured(&data, early, cli.lang.as_deref())?;
            network_cli::update_check(&data, &i18n)
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
    match admin::call(&data.admin_socket(), &req) {
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
    cli::PROGRAM.texts(lang).map_err(|known| {
        let fallback = cli::PROGRAM.fallback_texts();
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
    daemon::files::create_private_dir(&data.root).map_err(|e| io(&data.root, e))?;
    let defaults = Config::defaults();
    let mut node_key = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut node_key);
    daemon::files::write_secret(&data.node_key(), &node_key)
        .map_err(|e| io(&data.node_key(), e))?;
    let cert = data.resolve(&defaults.tls.cert);
    let key = data.resolve(&defaults.tls.key);
    let product = branding::Branding::builtin().name;
    tls::generate(&defaults.node.hostname, &product, &cert, &key)
        .map_err(|e| anyhow!(i18n.text("cli-tls-failed", &[("reason", &e.to_string())])))?;
    let storage = mailbox::StorageKey::generate();
    daemon::files::write_secret(&data.storage_key(), storage.as_bytes())
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

fn load_branding(data: &DataDir, config: &Config, i18n: &I18n) -> Result<branding::Branding> {
    let path =
        (!config.branding.file.is_empty()).then(|| data.resolve(config.branding.file.as_ref()));
    branding::Branding::load(path.as_deref()).map_err(|e| {
        let (id, path, key) = match &e {
            branding::BrandingError::Colour(p, key, value) => (
                "cli-bad-branding-colour",
                p.display().to_string(),
                format!("colours.{key} = {value:?}"),
            ),
            branding::BrandingError::Logo(p, logo) => (
                "cli-bad-branding-logo",
                p.display().to_string(),
                logo.clone(),
            ),
            _ => ("cli-bad-branding", String::new(), String::new()),
        };
        let message = e.to_string();
        anyhow!(i18n.text(id, &[("message", &message), ("path", &path), ("key", &key)]))
    })
}

fn read_node_key(data: &DataDir, i18n: &I18n) -> Result<[u8; 32]> {
    let fail = |r: String| anyhow!(i18n.text("cli-store-failed", &[("reason", &r)]));
    std::fs::read(data.node_key())
        .map_err(|e| fail(e.to_string()))?
        .try_into()
        .map_err(|_| fail(data.node_key().display().to_string()))
}
