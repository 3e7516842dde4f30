//! The rules requests: an account's Sieve scripts listed, read, kept, made active and removed,
//! each script checked before it is kept (`rules::Scripts`).

use mailbox::Store;

use super::{Failure, Reply, Request, ScriptLine};

/// Why a rules request failed, as the admin protocol names it.
fn failed(address: &str, name: &str, e: rules::ScriptError) -> Reply {
    let code = match e {
        rules::ScriptError::BadName => Failure::RulesBadName,
        rules::ScriptError::TooLarge => Failure::RulesTooLarge,
        rules::ScriptError::TooMany => Failure::RulesTooMany,
        rules::ScriptError::NoSuchScript => Failure::RulesNoScript,
        rules::ScriptError::Active => Failure::RulesActive,
        rules::ScriptError::Exists => Failure::RulesExists,
        rules::ScriptError::Check(c) => {
            return Reply::Invalid {
                line: c.line,
                column: c.column,
                problem: c.problem,
            };
        }
        rules::ScriptError::Store(e) => {
            return Reply::failed(Failure::Internal, address, e.to_string());
        }
    };
    Reply::failed(code, address, name)
}

/// A rules request on the store alone (the node's or the CLI's).
pub(crate) fn execute(store: &Store, settings: &rules::Settings, req: Request) -> Reply {
    let address = match &req {
        Request::RulesList { address }
        | Request::RulesGet { address, .. }
        | Request::RulesPut { address, .. }
        | Request::RulesActivate { address, .. }
        | Request::RulesRemove { address, .. } => address.clone(),
        _ => return Reply::failed(Failure::BadRequest, "", ""),
    };
    let account = match store.account(&address) {
        Ok(Some(a)) => a,
        Ok(None) => return Reply::failed(Failure::NoAccount, address, ""),
        Err(e) => return Reply::failed(Failure::Internal, address, e.to_string()),
    };
    let scripts = match rules::Scripts::open(store, settings.clone()) {
        Ok(s) => s,
        Err(e) => return Reply::failed(Failure::Internal, address, e.to_string()),
    };
    let id = account.id;
    let done = Reply::Done {
        address: account.address.clone(),
    };
    match req {
        Request::RulesList { .. } => match scripts.list(id) {
            Ok(list) => Reply::Rules {
                scripts: list
                    .into_iter()
                    .map(|s| ScriptLine {
                        name: s.name,
                        size: s.size,
                        active: s.active,
                    })
                    .collect(),
            },
            Err(e) => failed(&address, "", e),
        },
        Request::RulesGet { name, .. } => match scripts.get(id, &name) {
            Ok(Some(text)) => Reply::Script {
                name,
                text: String::from_utf8_lossy(&text).into_owned(),
            },
            Ok(None) => failed(&address, &name, rules::ScriptError::NoSuchScript),
            Err(e) => failed(&address, &name, e),
        },
        Request::RulesPut {
            name,
            text,
            activate,
            ..
        } => {
            let kept = scripts.put(id, &name, text.as_bytes()).and_then(|_| {
                if activate {
                    scripts.activate(id, Some(&name))
                } else {
                    Ok(())
                }
            });
            match kept {
                Ok(()) => done,
                Err(e) => failed(&address, &name, e),
            }
        }
        Request::RulesActivate { name, .. } => match scripts.activate(id, name.as_deref()) {
            Ok(()) => done,
            Err(e) => failed(&address, name.as_deref().unwrap_or(""), e),
        },
        Request::RulesRemove { name, .. } => match scripts.delete(id, &name) {
            Ok(()) => done,
            Err(e) => failed(&address, &name, e),
        },
        _ => Reply::failed(Failure::BadRequest, "", ""),
    }
}
