//! Filing a message for one of this node's accounts, the one way every path does it: the local
//! recipients of the submission pipeline (SMTP submission, `wims send`, the drop folder, the
//! webmail) and messages from the network. The account's active rules decide where the copies
//! go (`rules`); without rules, or when they fail, the INBOX keeps the message. Every copy is
//! durable when this returns.

use chrono::{DateTime, Utc};
use mailbox::{StagedMessage, Store};
use rules::{Decision, Rules};

/// One message arriving for an account.
pub struct Arrival<'a> {
    pub account: u64,
    pub address: &'a str,
    /// The envelope sender (the verified sender for mail from the network).
    pub from: &'a str,
    /// Flags every copy gets (the message type's keyword).
    pub flags: &'a [&'a str],
    /// A resumable job files each copy once under this key (see `Store::deliver_once`).
    pub job: Option<&'a str>,
    pub date: Option<DateTime<Utc>>,
}

/// Where the copies went.
#[derive(Debug, Default)]
pub struct Filed {
    /// Folder name and UID of each copy filed now (a copy a resumed job had filed is left out).
    pub copies: Vec<(String, u32)>,
    /// Messages the rules would send and a refusal they would make, which this node does not
    /// carry out yet: the message was kept in the INBOX instead.
    pub not_sent: Vec<rules::Send>,
    pub not_refused: Option<String>,
}

/// Files `staged` for the arrival's account as its rules decide. Blocking.
pub fn file_for(
    store: &Store,
    rules: Option<&Rules>,
    staged: &StagedMessage,
    a: &Arrival<'_>,
) -> Result<Filed, mailbox::Error> {
    let decision = match rules {
        Some(r) => decide(r, staged, a)?,
        None => Decision::keep(),
    };
    let mut filed = Filed::default();
    let mut decision = decision;
    // Redirects, replies and refusals are not carried out by this node yet. A message the
    // script sent away or refused instead of filing is kept in the INBOX, so nothing is lost;
    // a reply not sent changes nothing about where the message goes.
    filed.not_sent = std::mem::take(&mut decision.sends);
    filed.not_refused = decision.reject.take();
    let sent_away = filed.not_sent.iter().any(|s| !s.auto_reply);
    if sent_away || filed.not_refused.is_some() {
        let inbox = decision
            .filings
            .iter()
            .any(|f| f.folder.eq_ignore_ascii_case("INBOX"));
        if !inbox {
            decision.filings.extend(Decision::keep().filings);
        }
        decision.discarded = false;
    }
    let whole = staged.size <= rules.map_or(0, |r| r.scripts().settings().max_scan);
    let mut done: Vec<String> = Vec::new();
    let max_folders = rules.map_or(0, |r| r.scripts().settings().max_folders);
    for f in &decision.filings {
        let folder = folder_for(store, a.account, &f.folder, f.create, max_folders)?;
        if done.contains(&folder) {
            continue;
        }
        let mut flags: Vec<&str> = a.flags.to_vec();
        flags.extend(f.flags.iter().map(String::as_str));
        // A message the script changed (editheader) is filed as changed when the script saw
        // all of it; of a larger one it saw only the start, so the original is filed.
        let changed = decision.created(f.message).filter(|_| whole);
        let copy = match changed {
            Some(bytes) => {
                let mut w = store.new_message()?;
                std::io::Write::write_all(&mut w, bytes)?;
                let changed = w.finish()?;
                deliver(store, &changed, a, &folder, &flags)?
            }
            None => deliver(store, staged, a, &folder, &flags)?,
        };
        if let Some(uid) = copy {
            filed.copies.push((folder.clone(), uid));
        }
        done.push(folder);
    }
    for e in &decision.errors {
        tracing::warn!(account = %a.address, error = %e, "rules: the active script failed; the message is in the INBOX");
    }
    for s in &filed.not_sent {
        tracing::warn!(account = %a.address, to = %s.to, auto_reply = s.auto_reply, "rules: a send is not carried out; the message is in the INBOX");
    }
    if filed.not_refused.is_some() {
        tracing::warn!(account = %a.address, "rules: a refusal is not carried out; the message is in the INBOX");
    }
    Ok(filed)
}

/// The rules' decision for the message, from its header and the start of its body.
fn decide(
    rules: &Rules,
    staged: &StagedMessage,
    a: &Arrival<'_>,
) -> Result<Decision, mailbox::Error> {
    let max = rules.scripts().settings().max_scan;
    let head = staged.head(max)?;
    Ok(rules
        .run(a.account, a.address, &head, a.from)
        .unwrap_or_else(Decision::keep))
}

/// The folder a filing goes to: the one named when it exists, made when the script asked for
/// that (`:create`), the name is one and the account has fewer than `max_folders`, else the
/// INBOX.
fn folder_for(
    store: &Store,
    account: u64,
    name: &str,
    create: bool,
    max_folders: usize,
) -> Result<String, mailbox::Error> {
    if name.eq_ignore_ascii_case("INBOX") {
        return Ok("INBOX".into());
    }
    let Ok(name) = mailbox::normalize_folder_name(name) else {
        return Ok("INBOX".into());
    };
    if store.folder(account, &name)?.is_some() {
        return Ok(name);
    }
    if create && store.folders(account)?.len() < max_folders {
        match store.create_folder(account, &name) {
            Ok(_) => return Ok(name),
            Err(e) => {
                tracing::warn!(error = %e, "rules: a folder could not be made; the message is in the INBOX")
            }
        }
    }
    Ok("INBOX".into())
}

fn deliver(
    store: &Store,
    staged: &StagedMessage,
    a: &Arrival<'_>,
    folder: &str,
    flags: &[&str],
) -> Result<Option<u32>, mailbox::Error> {
    match a.job {
        Some(job) => store
            .deliver_once_at(job, staged, a.account, folder, flags, a.date)
            .map(|d| d.map(|d| d.uid)),
        None => store
            .deliver(staged, a.account, folder, flags, a.date)
            .map(|d| Some(d.uid)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mailbox::StorageKey;

    fn stage(store: &Store, text: &str) -> StagedMessage {
        let mut w = store.new_message().unwrap();
        std::io::Write::write_all(&mut w, text.as_bytes()).unwrap();
        w.finish().unwrap()
    }

    /// A script sees the message's first `max_scan` bytes and no more; past it, what it would
    /// have found is not there, and the message is kept as without the rule.
    #[test]
    fn rules_see_only_the_start_of_a_large_message_and_never_lose_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), StorageKey::generate()).unwrap();
        let bob = store.add_account("bob@k.h", "pw").unwrap();
        let settings = rules::Settings {
            max_scan: 200,
            cpu_limit: 50,
            ..rules::Settings::default()
        };
        let rules = Rules::new(&store, settings, &[crate::TRUST_HEADER]).unwrap();
        let script = "require \"body\";\nif body :contains \"needle\" { discard; }\n";
        rules
            .scripts()
            .put(bob.id, "main", script.as_bytes())
            .unwrap();
        rules.scripts().activate(bob.id, Some("main")).unwrap();
        let arrival = Arrival {
            account: bob.id,
            address: &bob.address,
            from: "alice@k.h",
            flags: &[],
            job: None,
            date: None,
        };
        let early = stage(&store, "Subject: a\r\n\r\nneedle\r\n");
        let filed = file_for(&store, Some(&rules), &early, &arrival).unwrap();
        assert!(filed.copies.is_empty(), "{filed:?}");
        let late = format!("Subject: b\r\n\r\n{}needle\r\n", "x".repeat(1000));
        let filed = file_for(&store, Some(&rules), &stage(&store, &late), &arrival).unwrap();
        assert_eq!(filed.copies.len(), 1);
        assert_eq!(filed.copies[0].0, "INBOX");

        // A folder per subject, until the account has as many folders as it may.
        let cap = Rules::new(
            &store,
            rules::Settings {
                max_folders: store.folders(bob.id).unwrap().len() + 1,
                ..rules::Settings::default()
            },
            &[],
        )
        .unwrap();
        let per_subject = "require [\"fileinto\", \"mailbox\", \"variables\"];\n\
            if header :matches \"Subject\" \"*\" { fileinto :create \"S-${1}\"; }\n";
        cap.scripts()
            .put(bob.id, "per", per_subject.as_bytes())
            .unwrap();
        cap.scripts().activate(bob.id, Some("per")).unwrap();
        let one = file_for(
            &store,
            Some(&cap),
            &stage(&store, "Subject: d\r\n\r\n.\r\n"),
            &arrival,
        )
        .unwrap();
        assert_eq!(one.copies[0].0, "S-d");
        let two = file_for(
            &store,
            Some(&cap),
            &stage(&store, "Subject: e\r\n\r\n.\r\n"),
            &arrival,
        )
        .unwrap();
        assert_eq!(two.copies[0].0, "INBOX", "a folder past the cap");

        // A script may change the header, but not the line that names the verified sender.
        let edit = "require \"editheader\";\ndeleteheader \"Wims-Verified-Sender\";\n\
            addheader \"Wims-Verified-Sender\" \"mallory@k.h\";\naddheader \"X-Sorted\" \"yes\";\n";
        rules
            .scripts()
            .put(bob.id, "edit", edit.as_bytes())
            .unwrap();
        rules.scripts().activate(bob.id, Some("edit")).unwrap();
        let vouched = stage(
            &store,
            "Wims-Verified-Sender: alice@k.h\r\nSubject: f\r\n\r\nhi\r\n",
        );
        let filed = file_for(&store, Some(&rules), &vouched, &arrival).unwrap();
        let inbox = store.folder(bob.id, "INBOX").unwrap().unwrap();
        let header = store
            .message_header(inbox.id, filed.copies[0].1)
            .unwrap()
            .unwrap();
        let header = String::from_utf8_lossy(&header);
        assert!(header.contains("X-Sorted: yes"), "{header}");
        assert!(
            header.contains("Wims-Verified-Sender: alice@k.h"),
            "{header}"
        );
        assert!(!header.contains("mallory"), "{header}");

        // A vacation reply not sent leaves the filing as the script made it; a redirect not
        // carried out keeps the message in the INBOX.
        let away = "require [\"vacation\", \"fileinto\", \"mailbox\"];\n\
            vacation \"Away.\";\nfileinto :create \"Away\";\n";
        rules
            .scripts()
            .put(bob.id, "away", away.as_bytes())
            .unwrap();
        rules.scripts().activate(bob.id, Some("away")).unwrap();
        let to_bob = "From: alice@k.h\r\nTo: bob@k.h\r\nSubject: g\r\n\r\nhi\r\n";
        let filed = file_for(&store, Some(&rules), &stage(&store, to_bob), &arrival).unwrap();
        let folders: Vec<&str> = filed.copies.iter().map(|c| c.0.as_str()).collect();
        assert_eq!(folders, ["Away"]);
        assert!(
            filed.not_sent.len() == 1 && filed.not_sent[0].auto_reply,
            "{filed:?}"
        );
        rules
            .scripts()
            .put(bob.id, "away", b"redirect \"carol@k.h\";\n")
            .unwrap();
        let filed = file_for(&store, Some(&rules), &stage(&store, to_bob), &arrival).unwrap();
        let folders: Vec<&str> = filed.copies.iter().map(|c| c.0.as_str()).collect();
        assert_eq!(folders, ["INBOX"]);

        // A script that needs more instructions than the limit keeps the message.
        let busy: String = (0..100)
            .map(|i| format!("if header :is \"X-{i}\" \"{i}\" {{ discard; }}\n"))
            .collect();
        // Were the limit not met, the last line would throw the message away.
        let busy = busy + "discard;\n";
        rules
            .scripts()
            .put(bob.id, "busy", busy.as_bytes())
            .unwrap();
        rules.scripts().activate(bob.id, Some("busy")).unwrap();
        let filed = file_for(
            &store,
            Some(&rules),
            &stage(&store, "Subject: c\r\n\r\nhi\r\n"),
            &arrival,
        )
        .unwrap();
        assert_eq!(filed.copies.len(), 1, "{filed:?}");
        assert_eq!(filed.copies[0].0, "INBOX");
    }
}
