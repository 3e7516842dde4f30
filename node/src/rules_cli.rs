//! `wims rules …`: an account's Sieve scripts, through the running node's admin socket, or
//! straight on the store when the node is stopped; `wims rules check` needs neither.

use anyhow::{Result, anyhow};
use node::admin;
use node::config::Config;
use node::i18n::I18n;
use node::paths::DataDir;

use crate::cli::RulesCmd;
use crate::open_store;

fn read_file(path: &std::path::Path, i18n: &I18n) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| {
        anyhow!(i18n.text(
            "cli-io-failed",
            &[
                ("path", &path.display().to_string()),
                ("reason", &e.to_string())
            ]
        ))
    })
}

pub(crate) fn rules(data: &DataDir, config: &Config, i18n: &I18n, cmd: RulesCmd) -> Result<()> {
    let settings = config.rules.clone();
    let (req, done) = match cmd {
        RulesCmd::Check { file } => {
            let text = read_file(&file, i18n)?;
            let path = file.display().to_string();
            return match rules::check(text.as_bytes(), &settings) {
                Ok(_) => {
                    println!("{}", i18n.text("cli-rules-checks", &[("path", &path)]));
                    Ok(())
                }
                Err(e) => {
                    let problem = admin::texts::problem(i18n, e.line, e.column, &e.problem);
                    Err(anyhow!(i18n.text(
                        "cli-rules-check-failed",
                        &[("path", &path), ("problem", &problem)]
                    )))
                }
            };
        }
        RulesCmd::List { address } => (admin::Request::RulesList { address }, ""),
        RulesCmd::Show { address, name } => (admin::Request::RulesGet { address, name }, ""),
        RulesCmd::Put {
            address,
            name,
            file,
            activate,
        } => {
            let text = read_file(&file, i18n)?;
            let done = if activate {
                "cli-rules-kept-active"
            } else {
                "cli-rules-kept"
            };
            let req = admin::Request::RulesPut {
                address,
                name,
                text,
                activate,
            };
            (req, done)
        }
        RulesCmd::Activate { address, name } => (
            admin::Request::RulesActivate {
                address,
                name: Some(name),
            },
            "cli-rules-activated",
        ),
        RulesCmd::Off { address } => (
            admin::Request::RulesActivate {
                address,
                name: None,
            },
            "cli-rules-off",
        ),
        RulesCmd::Remove { address, name } => (
            admin::Request::RulesRemove { address, name },
            "cli-rules-removed",
        ),
    };
    let (address, name) = match &req {
        admin::Request::RulesList { address } => (address.clone(), String::new()),
        admin::Request::RulesGet { address, name }
        | admin::Request::RulesPut { address, name, .. }
        | admin::Request::RulesRemove { address, name } => (address.clone(), name.clone()),
        admin::Request::RulesActivate { address, name } => {
            (address.clone(), name.clone().unwrap_or_default())
        }
        _ => (String::new(), String::new()),
    };
    let reply = match admin::call(&data.admin_socket(), &req) {
        Some(r) => r?,
        None => admin::execute(&open_store(data, i18n)?, &settings, req),
    };
    match reply {
        admin::Reply::Rules { scripts } if scripts.is_empty() => {
            println!("{}", i18n.text("cli-rules-none", &[("address", &address)]));
        }
        admin::Reply::Rules { scripts } => {
            for s in scripts {
                let size = s.size.to_string();
                let active = if s.active { "yes" } else { "no" };
                println!(
                    "{}",
                    i18n.text(
                        "cli-rules-line",
                        &[("active", active), ("name", &s.name), ("size", &size)]
                    )
                );
            }
        }
        admin::Reply::Script { text, .. } => print!("{text}"),
        admin::Reply::Done { address } => {
            println!(
                "{}",
                i18n.text(done, &[("address", &address), ("name", &name)])
            );
        }
        admin::Reply::Invalid {
            line,
            column,
            problem,
        } => return Err(anyhow!(admin::texts::problem(i18n, line, column, &problem))),
        admin::Reply::Failed {
            code,
            address,
            detail,
        } => return Err(anyhow!(code.text(i18n, &address, &detail))),
        _ => return Err(anyhow!(i18n.text("cli-store-failed", &[("reason", "")]))),
    }
    Ok(())
}
