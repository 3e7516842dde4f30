//! `wims send`: hands the parts to the running node, then shows each destination's sealing
//! and upload as a progress bar until every copy is delivered or handed off to the
//! recipient's servers.

use std::time::Duration;

use anyhow::{Result, anyhow};
use delivery::send::SendRequest;
use delivery::{JobProgress, Phase};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use node::admin::{self, Reply, Request};
use node::i18n::I18n;
use node::paths::DataDir;

use crate::cli::SendArgs;

const POLL: Duration = Duration::from_millis(200);

fn absolute(p: &std::path::Path) -> std::path::PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

pub fn run(data: &DataDir, i18n: &I18n, args: SendArgs) -> Result<()> {
    let body = match (&args.body, &args.body_file) {
        (Some(b), _) => b.clone(),
        (None, Some(f)) => std::fs::read_to_string(f).map_err(|e| {
            anyhow!(i18n.text(
                "cli-send-body-file",
                &[
                    ("path", &f.display().to_string()),
                    ("reason", &e.to_string())
                ]
            ))
        })?,
        (None, None) => String::new(),
    };
    let req = Request::Send(SendRequest {
        from_name: None,
        in_reply_to: None,
        from: args.from,
        to: args.to,
        cc: args.cc,
        subject: args.subject,
        body,
        message_type: args.message_type,
        attachments: args.attach.iter().map(|p| absolute(p)).collect(),
    });
    let sock = data.admin_socket();
    let reply = admin::call(&sock, &req)
        .ok_or_else(|| anyhow!(i18n.text("cli-send-not-running", &[])))??;
    let sent = match reply {
        Reply::Sent(s) => s,
        Reply::Failed {
            code,
            address,
            detail,
        } => return Err(anyhow!(code.text(i18n, &address, &detail))),
        _ => return Err(anyhow!(i18n.text("cli-store-failed", &[("reason", "")]))),
    };
    for a in &sent.local {
        println!("{}", i18n.text("cli-send-filed-local", &[("address", a)]));
    }
    if sent.remote.is_empty() {
        return Ok(());
    }
    println!(
        "{}",
        i18n.text("cli-send-queued", &[("id", &sent.message_id)])
    );
    if args.no_wait {
        return Ok(());
    }
    watch(&sock, i18n, &sent.message_id)
}

fn finished(p: &JobProgress) -> bool {
    matches!(
        p.phase,
        Phase::HandedOff | Phase::Delivered | Phase::Dropped
    )
}

/// Polls the node for the message's jobs and draws them until each is done.
fn watch(sock: &std::path::Path, i18n: &I18n, message_id: &str) -> Result<()> {
    let bars = MultiProgress::new();
    let style =
        ProgressStyle::with_template("{prefix:30} {wide_bar} {bytes:>10}/{total_bytes:10} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
    let mut shown: Vec<(String, ProgressBar, bool)> = Vec::new();
    loop {
        let req = Request::Progress {
            message_id: message_id.to_string(),
        };
        let jobs = match admin::call(sock, &req) {
            Some(Ok(Reply::Progress { jobs })) => jobs,
            _ => return Err(anyhow!(i18n.text("cli-send-not-running", &[]))),
        };
        for job in &jobs {
            let i = match shown.iter().position(|(r, _, _)| *r == job.recipient) {
                Some(i) => i,
                None => {
                    let bar = bars.add(ProgressBar::new(job.size.max(1)));
                    bar.set_style(style.clone());
                    bar.set_prefix(job.recipient.clone());
                    shown.push((job.recipient.clone(), bar, false));
                    shown.len() - 1
                }
            };
            let (_, bar, done) = &mut shown[i];
            if *done {
                continue;
            }
            draw(bar, job, i18n);
            if finished(job) {
                *done = true;
                let id = match job.phase {
                    Phase::Delivered => "cli-send-delivered",
                    Phase::HandedOff => "cli-send-handed-off",
                    _ => "cli-send-dropped",
                };
                let line = i18n.text(id, &[("address", &job.recipient)]);
                bar.finish_with_message(line.clone());
                if bars.is_hidden() {
                    println!("{line}");
                }
            }
        }
        if !jobs.is_empty() && jobs.iter().all(finished) {
            if let Some(j) = jobs.iter().find(|j| j.phase == Phase::Dropped) {
                return Err(anyhow!(
                    i18n.text("cli-send-dropped", &[("address", &j.recipient)])
                ));
            }
            return Ok(());
        }
        std::thread::sleep(POLL);
    }
}

fn draw(bar: &ProgressBar, job: &JobProgress, i18n: &I18n) {
    let (len, pos, id) = match job.phase {
        Phase::Queued => (job.size, 0, "cli-send-phase-queued"),
        Phase::Sealing => (job.size, job.sealed.min(job.size), "cli-send-phase-sealing"),
        Phase::Direct | Phase::ToServers | Phase::HandedOff | Phase::Delivered | Phase::Dropped => {
            let per = job.sealed / u64::from(job.chunks.max(1));
            let pos = (per * u64::from(job.stored)).min(job.sealed);
            let id = if job.phase == Phase::ToServers {
                "cli-send-phase-servers"
            } else {
                "cli-send-phase-uploading"
            };
            (job.sealed, pos, id)
        }
    };
    bar.set_length(len.max(1));
    bar.set_position(pos);
    bar.set_message(i18n.text(id, &[]));
}
