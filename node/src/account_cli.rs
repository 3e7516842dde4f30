//! `wims account …`: accounts, passwords, quotas, drop-folder passphrases and hosting, through
//! the running node's admin socket, or straight on the store when the node is stopped.

use std::io::{BufRead, IsTerminal};

use anyhow::{Result, anyhow};
use node::admin;
use node::config::Config;
use node::i18n::I18n;
use node::paths::DataDir;

use crate::cli::{AccountCmd, DropCmd};
use crate::network_cli::with_network;
use crate::open_store;

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

pub(crate) fn account(data: &DataDir, config: &Config, i18n: &I18n, cmd: AccountCmd) -> Result<()> {
    let mut hosted_note = None;
    let req = match cmd {
        AccountCmd::Add {
            address,
            password_stdin,
        } => {
            mailbox::normalize_address(&address).map_err(|_| {
                anyhow!(i18n.text("admin-invalid-address", &[("address", &address)]))
            })?;
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
            let key = delivery::hosted_key_path(&data.root.join("keys/accounts"), &address);
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
                    anyhow!(i18n.text("admin-bad-profile", &[("reason", &e.to_string())]))
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
        | admin::Request::Progress { .. }
        | admin::Request::RulesList { .. }
        | admin::Request::RulesGet { .. }
        | admin::Request::RulesPut { .. }
        | admin::Request::RulesActivate { .. }
        | admin::Request::RulesRemove { .. } => "",
    };
    let mib = match &req {
        admin::Request::AccountQuota { limit: Some(l), .. } => (l >> 20).to_string(),
        _ => String::new(),
    };
    let reply = match admin::call(&data.admin_socket(), &req) {
        Some(r) => r?,
        None => match req {
            admin::Request::Host { profile, password } => {
                host_offline(data, i18n, &profile, &password)?
            }
            req => admin::execute(&open_store(data, i18n)?, &config.rules, req),
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
        | admin::Reply::Progress { .. }
        | admin::Reply::Rules { .. }
        | admin::Reply::Script { .. }
        | admin::Reply::Invalid { .. } => Ok(()),
        admin::Reply::Failed {
            code,
            address,
            detail,
        } => Err(anyhow!(code.text(i18n, &address, &detail))),
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
