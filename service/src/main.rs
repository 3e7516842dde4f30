//! `wims-service`: the service server of a wims network. See `docs/operator.md`.

mod cli;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Result, anyhow};
use service::i18n::I18n;
use service::paths::DataDir;
use service::{AccountState, AdminFailure, AdminReply, AdminRequest, Config, ServiceError};

use cli::{AccountCmd, Cli, Cmd, PartnerCmd, ReleaseCmd};

fn main() -> ExitCode {
    // The data folder holds the network's CA key and the held messages.
    daemon::files::private_files();
    let args: Vec<OsString> = std::env::args_os().collect();
    let lang = cli::language(&args);
    let (t, bad_lang) = match cli::PROGRAM.texts(&lang) {
        Ok(t) => (t, None),
        Err(known) => (cli::PROGRAM.fallback_texts(), Some(known)),
    };
    let cli: Cli = cli::PROGRAM.parse(args, &t);
    let result = match bad_lang {
        Some(known) => Err(anyhow!(
            t.text("error-bad-language", &[("lang", &lang), ("known", &known)])
        )),
        None => real_main(cli, &t),
    };
    cli::PROGRAM.finish(result)
}

/// A library error in the user's language.
fn say(t: &I18n) -> impl Fn(ServiceError) -> anyhow::Error + '_ {
    move |e| anyhow!(e.text(t))
}

fn real_main(cli: Cli, t: &I18n) -> Result<()> {
    let dir = cli.data.clone();
    match cli.command {
        Cmd::Init { network, join } => {
            quiet_logging(cli.log_level);
            let info = service::ServiceServer::init(&dir, network.as_deref(), join.as_deref())
                .map_err(say(t))?;
            let shown = dir.display().to_string();
            println!(
                "{}",
                t.text(
                    "init-done",
                    &[
                        ("dir", &shown),
                        ("network", &info.network),
                        ("peer", &info.peer_id),
                        ("fingerprint", &info.ca_fingerprint)
                    ]
                )
            );
            if let Some(file) = join {
                let file = file.display().to_string();
                println!("{}", t.text("init-joined", &[("file", &file)]));
            }
            Ok(())
        }
        Cmd::Run => run(&dir, cli.log_level, t),
        Cmd::Account(cmd) => {
            quiet_logging(cli.log_level);
            account(&dir, cmd, t)
        }
        Cmd::Partner(cmd) => {
            quiet_logging(cli.log_level);
            partner(&dir, cmd, t)
        }
        Cmd::Release(cmd) => {
            quiet_logging(cli.log_level);
            release(&dir, cmd, t)
        }
    }
}

/// Admin commands log warnings and errors to stderr unless asked for more.
fn quiet_logging(level: Option<u8>) {
    let _ = daemon::logging::init(level.unwrap_or(2), None, overlay::quiet_log_directives);
}

fn run(dir: &Path, log_level: Option<u8>, t: &I18n) -> Result<()> {
    let data = DataDir::new(dir);
    if !data.is_initialised() {
        return Err(say(t)(ServiceError::NotInitialised(dir.into())));
    }
    let config = Config::load(&data.config()).map_err(|e| say(t)(ServiceError::Config(e)))?;
    let level = log_level.unwrap_or(config.log.level);
    let log_file = (!config.log.file.is_empty()).then(|| data.resolve(config.log.file.as_ref()));
    let _guard = daemon::logging::init(level, log_file.as_deref(), overlay::quiet_log_directives);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let network = config.network.name.clone();
        let server = service::ServiceServer::start_with(dir, config)
            .await
            .map_err(say(t))?;
        let ep = server.endpoints();
        for addr in &ep.addrs {
            println!(
                "{}",
                t.text(
                    "run-listening",
                    &[("peer", &ep.peer_id), ("network", &network), ("addr", addr)]
                )
            );
        }
        wait_for_shutdown().await;
        println!("{}", t.text("run-stopping", &[]));
        server.stop().await;
        println!("{}", t.text("run-stopped", &[]));
        Ok(())
    })
}

async fn wait_for_shutdown() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// Sends `req` to the server of `dir` (running or not) and turns a failure into text.
fn admin(dir: &Path, req: AdminRequest, t: &I18n) -> Result<AdminReply> {
    match service::admin(dir, req).map_err(say(t))? {
        AdminReply::Failed { code, subject, .. } => {
            let id = match code {
                AdminFailure::Exists => "error-account-exists",
                AdminFailure::NoAccount => "error-no-account",
                AdminFailure::InvalidAddress => "error-invalid-address",
                AdminFailure::InvalidVersion => "error-invalid-version",
                AdminFailure::BadRequest | AdminFailure::TooLarge | AdminFailure::Internal => {
                    "error-internal"
                }
            };
            Err(anyhow!(t.text(id, &[("address", &subject)])))
        }
        reply => Ok(reply),
    }
}

/// Creates the profile file before the account, owner-only and never over an existing file,
/// so the secret cannot land where others read it or replace something.
fn open_profile_file(path: &Path, t: &I18n) -> Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| {
            let file = path.display().to_string();
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                anyhow!(t.text("error-profile-exists", &[("file", &file)]))
            } else {
                anyhow!(t.text("error-io", &[("path", &file), ("reason", &e.to_string())]))
            }
        })
}

fn account(dir: &Path, cmd: AccountCmd, t: &I18n) -> Result<()> {
    match cmd {
        AccountCmd::Create { address, name, out } => {
            let canonical = service::address::normalize_address(&address).ok_or_else(|| {
                anyhow!(t.text("error-invalid-address", &[("address", &address)]))
            })?;
            let path = out.unwrap_or_else(|| PathBuf::from(format!("{canonical}.profile")));
            let mut file = open_profile_file(&path, t)?;
            let req = AdminRequest::AccountCreate {
                address: canonical,
                name,
            };
            let written = admin(dir, req, t).and_then(|reply| {
                let AdminReply::Created { profile } = reply else {
                    return Err(anyhow!(t.text("error-internal", &[("address", &address)])));
                };
                let text = profile.to_toml().map_err(|e| {
                    anyhow!(t.text("error-internal", &[("address", &e.to_string())]))
                })?;
                std::io::Write::write_all(&mut file, text.as_bytes())
                    .and_then(|()| file.sync_all())
                    .map_err(|e| {
                        let shown = path.display().to_string();
                        anyhow!(t.text("error-io", &[("path", &shown), ("reason", &e.to_string())]))
                    })?;
                Ok(profile.address)
            });
            match written {
                Ok(address) => {
                    let file = path.display().to_string();
                    println!(
                        "{}",
                        t.text("account-created", &[("address", &address), ("file", &file)])
                    );
                    Ok(())
                }
                Err(e) => {
                    let _ = std::fs::remove_file(&path);
                    Err(e)
                }
            }
        }
        AccountCmd::List => {
            let AdminReply::Accounts { accounts } = admin(dir, AdminRequest::AccountList, t)?
            else {
                return Err(anyhow!(t.text("error-internal", &[("address", "")])));
            };
            if accounts.is_empty() {
                println!("{}", t.text("account-none", &[]));
                return Ok(());
            }
            let none = t.text("account-no-node", &[]);
            let rows: Vec<[String; 4]> = accounts
                .into_iter()
                .map(|a| {
                    let state = match a.state {
                        AccountState::Created => "state-created",
                        AccountState::Hosted => "state-hosted",
                        AccountState::Disabled => "state-disabled",
                    };
                    [
                        a.address,
                        a.display_name,
                        t.text(state, &[]),
                        a.node.unwrap_or_else(|| none.clone()),
                    ]
                })
                .collect();
            let header =
                ["list-address", "list-name", "list-state", "list-node"].map(|id| t.text(id, &[]));
            print_table(&header, &rows);
            Ok(())
        }
        AccountCmd::Disable { address } => {
            if let AdminReply::Disabled { address } =
                admin(dir, AdminRequest::AccountDisable { address }, t)?
            {
                println!("{}", t.text("account-disabled", &[("address", &address)]));
            }
            Ok(())
        }
    }
}

fn print_table(header: &[String; 4], rows: &[[String; 4]]) {
    let width = |i: usize| {
        rows.iter()
            .map(|r| r[i].chars().count())
            .chain([header[i].chars().count()])
            .max()
            .unwrap_or(0)
    };
    let widths = [width(0), width(1), width(2), width(3)];
    let line = |cells: &[String; 4]| {
        let mut out = String::new();
        for (i, c) in cells.iter().enumerate() {
            out.push_str(c);
            if i < 3 {
                let pad = widths[i] - c.chars().count() + 2;
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out
    };
    println!("{}", line(header).trim_end());
    for r in rows {
        println!("{}", line(r).trim_end());
    }
}

fn partner(dir: &Path, cmd: PartnerCmd, t: &I18n) -> Result<()> {
    match cmd {
        PartnerCmd::Add { a, b } => {
            if let AdminReply::PartnerAdded { a, b, new } =
                admin(dir, AdminRequest::PartnerAdd { a, b }, t)?
            {
                let id = if new {
                    "partner-added"
                } else {
                    "partner-exists"
                };
                println!("{}", t.text(id, &[("a", &a), ("b", &b)]));
            }
            Ok(())
        }
        PartnerCmd::Remove { a, b } => {
            if let AdminReply::PartnerRemoved { a, b, existed } =
                admin(dir, AdminRequest::PartnerRemove { a, b }, t)?
            {
                if !existed {
                    return Err(anyhow!(
                        t.text("partner-not-found", &[("a", &a), ("b", &b)])
                    ));
                }
                println!("{}", t.text("partner-removed", &[("a", &a), ("b", &b)]));
            }
            Ok(())
        }
        PartnerCmd::List => {
            if let AdminReply::Partners { pairs } = admin(dir, AdminRequest::PartnerList, t)? {
                if pairs.is_empty() {
                    println!("{}", t.text("partner-none", &[]));
                }
                for (a, b) in pairs {
                    println!("{}", t.text("partner-row", &[("a", &a), ("b", &b)]));
                }
            }
            Ok(())
        }
    }
}

fn release(dir: &Path, cmd: ReleaseCmd, t: &I18n) -> Result<()> {
    let (req, announcing) = match cmd {
        ReleaseCmd::Announce {
            version,
            notes,
            url,
        } => (
            AdminRequest::ReleaseAnnounce {
                version,
                notes,
                url,
            },
            true,
        ),
        ReleaseCmd::Show => (AdminRequest::ReleaseShow, false),
    };
    let AdminReply::Release { release } = admin(dir, req, t)? else {
        return Err(anyhow!(t.text("error-internal", &[("address", "")])));
    };
    let Some(r) = release else {
        println!("{}", t.text("release-none", &[]));
        return Ok(());
    };
    if announcing {
        let v = r.product_version.as_str();
        println!("{}", t.text("release-announced", &[("version", v)]));
    }
    let published = r.published.format("%Y-%m-%d %H:%M UTC").to_string();
    println!(
        "{}",
        t.text(
            "release-show",
            &[
                ("version", &r.product_version),
                ("published", &published),
                ("url", &r.url)
            ]
        )
    );
    if !r.notes.is_empty() {
        println!("{}", t.text("release-notes", &[("notes", &r.notes)]));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    /// Every message id quoted in the code exists in the fallback language, and every
    /// language has the same ids.
    #[test]
    fn every_used_id_exists() {
        let t = service::i18n::fallback();
        // Up to each file's tests, whose escaped quotes would throw the pairing off.
        let src: String = [
            include_str!("main.rs"),
            include_str!("cli.rs"),
            include_str!("error.rs"),
            include_str!("config.rs"),
        ]
        .iter()
        .map(|f| f.split("#[cfg(test)]").next().unwrap_or_default())
        .collect();
        let prefixes = [
            "init-", "run-", "account-", "partner-", "state-", "list-", "error-", "config-",
            "release-",
        ];
        let mut missing = Vec::new();
        for quoted in src.split('"').skip(1).step_by(2) {
            let is_id = prefixes.iter().any(|p| quoted.starts_with(p))
                && quoted.len() > 6
                && quoted
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if is_id && !t.has(quoted) {
                missing.push(quoted.to_string());
            }
        }
        assert!(missing.is_empty(), "ids missing from en-US: {missing:?}");
        assert!(
            ::i18n::differences(service::i18n::LOCALES).is_empty(),
            "{:?}",
            ::i18n::differences(service::i18n::LOCALES)
        );
    }
}
