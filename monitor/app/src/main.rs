//! `wims-monitor`: a window that shows a node's jobs live (`docs/monitor-api.md`).
//!
//! With `--address` and credentials on the command line it connects at once; otherwise it
//! opens the connection dialog. One instance runs per user: `--show` and `--hide` given to a
//! second start are passed to the first, which maps or unmaps its window.

mod branding;
mod cli;
mod control;
mod delegate;
mod paths;
mod profiles;
mod secrets;
mod state;
mod tray;
mod ui;

use std::cell::RefCell;
use std::io::{BufRead, Read};
use std::process::ExitCode;
use std::rc::Rc;

use druid::{AppLauncher, WindowDesc};
use monitor_api::Credentials;
use monitor_client::{Fingerprint, KnownHosts, Target};
use monitor_model::texts::{self, I18n};

use crate::control::Request;
use crate::state::{AppState, Model};

/// A line for the person on stderr, and a failed exit.
fn fail(line: String) -> ExitCode {
    eprintln!("{line}");
    ExitCode::FAILURE
}

/// The credentials the command line gives, if it gives any.
fn credentials(cli: &cli::Cli, t: &I18n) -> Result<Option<Credentials>, String> {
    if let Some(path) = &cli.token_file {
        let text = std::fs::read(path)
            .ok()
            .filter(|b| b.len() <= monitor_api::limits::MAX_SECRET_BYTES + 2)
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| {
                t.text(
                    "monitor-cli-token-unreadable",
                    &[("path", &path.display().to_string())],
                )
            })?;
        return Ok(Some(Credentials::Operator {
            token: text.trim().to_string(),
        }));
    }
    if cli.password_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .take(monitor_api::limits::MAX_SECRET_BYTES as u64 + 2)
            .read_line(&mut line)
            .map_err(|_| t.text("monitor-cli-password-unreadable", &[]))?;
        let password = line.trim_end_matches(['\r', '\n']).to_string();
        let Some(account) = cli.account.clone() else {
            return Ok(None);
        };
        return Ok(Some(Credentials::Account {
            address: account,
            password,
        }));
    }
    Ok(None)
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("WIMS_MONITOR_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let t = match texts::load(&cli::language(&args)) {
        Ok(t) => t,
        Err(e) => return fail(e.text()),
    };
    let cli = cli::parse(args, &t);

    // One instance per user: a second start passes --show/--hide on and ends.
    let control_path = paths::control_socket();
    let request = match (cli.show, cli.hide) {
        (true, _) => Some(Request::Show),
        (_, true) => Some(Request::Hide),
        _ => None,
    };
    let listener = match control::listen(&control_path) {
        Ok(Some(l)) => l,
        Ok(None) => {
            return match request.map(|r| control::send(&control_path, r)) {
                Some(Ok(true)) => ExitCode::SUCCESS,
                _ => fail(t.text("monitor-cli-already-running", &[])),
            };
        }
        Err(e) => {
            return fail(t.text(
                "monitor-cli-control-failed",
                &[
                    ("path", &control_path.display().to_string()),
                    ("detail", &e.to_string()),
                ],
            ));
        }
    };

    let accept = match cli.accept_certificate.as_deref().map(Fingerprint::parse) {
        Some(None) => {
            let value = cli.accept_certificate.clone().unwrap_or_default();
            return fail(t.text("monitor-cli-bad-fingerprint", &[("value", &value)]));
        }
        Some(Some(fp)) => Some(fp),
        None => None,
    };
    let target = match cli.address.as_deref().map(Target::parse) {
        Some(Err(e)) => return fail(e.text(&t)),
        Some(Ok(target)) => Some(target),
        None => None,
    };
    let creds = match credentials(&cli, &t) {
        Ok(c) => c,
        Err(line) => return fail(line),
    };
    let scripted = target.is_some() && creds.is_some();
    let known_hosts = KnownHosts::new(cli.known_hosts.clone().unwrap_or_else(paths::known_hosts));
    let branding = branding::Branding::load();
    let title = match &target {
        Some(target) => t.text(
            "monitor-window-title",
            &[("product", &branding.name), ("target", &target.to_string())],
        ),
        None => t.text("monitor-window-title-idle", &[("product", &branding.name)]),
    };
    let profiles = profiles::Profiles::load(&paths::profiles());
    let first = profiles.list.first().cloned().unwrap_or_default();
    // The saved secret of the profile the dialog opens with; with node and account named on
    // the command line and no secret given, the monitor connects with the saved one.
    let lookup = match (&cli.address, &cli.account, &creds) {
        (Some(address), Some(account), None) => Some((
            profiles::Profile {
                address: address.trim().to_string(),
                account: account.trim().to_string(),
            },
            true,
        )),
        (None, None, None) if !first.address.is_empty() => Some((first.clone(), false)),
        _ => None,
    };
    let remember = match (&target, &creds) {
        (Some(target), Some(Credentials::Account { address, password })) if cli.remember => Some((
            profiles::Profile {
                address: target.to_string(),
                account: address.clone(),
            },
            password.clone(),
        )),
        _ => None,
    };
    let root = ui::root(&t);
    let model = Model {
        t,
        branding,
        table: monitor_model::JobTable::new(),
        conn: None,
        sort: monitor_model::Sort::default(),
        filter: monitor_model::Filter::default(),
        selected: None,
        handle: None,
        known_hosts,
        accept,
        scripted,
        pending_certificate: None,
        credentials: None,
        pending_save: None,
        saved: None,
    };
    // A saved profile without an account is an operator's.
    let operator = cli.token_file.is_some()
        || (cli.account.is_none() && first.account.is_empty() && !first.address.is_empty());
    let mut data = AppState {
        rev: 0,
        dialog: true,
        address: cli.address.clone().unwrap_or(first.address),
        operator,
        account: cli.account.clone().unwrap_or(first.account),
        secret: String::new(),
        remember: false,
        message: String::new(),
        hide_finished: false,
        model: Rc::new(RefCell::new(model)),
    };

    let window = WindowDesc::new(root)
        .title(title)
        .window_size((1100.0, 720.0));
    let primary = data.model.borrow().branding.primary;
    let launcher =
        AppLauncher::with_window(window).configure_env(move |env, _| ui::light_theme(env, primary));
    let sink = launcher.get_external_handle();
    let control_sink = sink.clone();
    if let Err(e) = control::serve(listener, control_path.clone(), move |r| {
        let _ = control_sink.submit_command(delegate::CONTROL, r, druid::Target::Auto);
    }) {
        tracing::warn!(error = %e, "no show/hide control");
    }
    {
        let m = data.model.borrow();
        tray::start(sink.clone(), &m.t, &m.branding);
    }
    if let (Some(target), Some(creds)) = (target, creds) {
        delegate::connect(&mut data, sink.clone(), target, creds);
        data.model.borrow_mut().pending_save = remember;
    } else if let Some((profile, connect)) = lookup {
        secrets::load_in_background(sink.clone(), profile, connect);
    }
    let delegate = delegate::Delegate {
        sink,
        window: None,
        start_hidden: request == Some(Request::Hide),
        shown: true,
        control_path: control_path.clone(),
        profiles,
        next_profile: 1,
    };
    let result = launcher.delegate(delegate).launch(data);
    let _ = std::fs::remove_file(&control_path);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(format!("{e}")),
    }
}
