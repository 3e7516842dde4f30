//! Where the window meets the connection: updates from the client's thread, the show/hide
//! requests of the control socket, and the dialog's buttons.

use druid::{
    AppDelegate, Command, DelegateCtx, Env, ExtEventSink, Handled, Selector, SingleUse, Target,
    WindowHandle, WindowId,
};
use monitor_api::Credentials;
use monitor_client::{ClientError, Settings, Update};

use crate::control::Request;
use crate::profiles::{Profile, Profiles};
use crate::secrets::{self, FOUND};
use crate::state::AppState;

pub const UPDATE: Selector<SingleUse<Update>> = Selector::new("wims-monitor.update");
pub const CONTROL: Selector<Request> = Selector::new("wims-monitor.control");
pub const CONNECT: Selector = Selector::new("wims-monitor.connect");
pub const TRUST: Selector = Selector::new("wims-monitor.trust");
pub const NEXT_PROFILE: Selector = Selector::new("wims-monitor.next-profile");

pub struct Delegate {
    pub sink: ExtEventSink,
    pub window: Option<WindowHandle>,
    pub start_hidden: bool,
    /// Whether the window is mapped (what the tray's click toggles).
    pub shown: bool,
    pub control_path: std::path::PathBuf,
    pub profiles: Profiles,
    pub next_profile: usize,
}

/// Starts the connection loop for `target` and `credentials`; its updates come back as
/// [`UPDATE`] commands.
pub fn connect(
    data: &mut AppState,
    sink: ExtEventSink,
    target: monitor_client::Target,
    credentials: Credentials,
) {
    let mut m = data.model.borrow_mut();
    let settings = Settings {
        target,
        credentials: credentials.clone(),
        known_hosts: m.known_hosts.clone(),
        accept: m.accept,
        client: format!("wims-monitor {}", env!("CARGO_PKG_VERSION")),
    };
    // The old loop, if any, ends when its handle is dropped.
    m.handle = None;
    m.table = monitor_model::JobTable::new();
    m.selected = None;
    m.conn = None;
    m.credentials = Some(credentials);
    m.pending_certificate = None;
    match monitor_client::spawn(settings, move |u| {
        let _ = sink.submit_command(UPDATE, SingleUse::new(u), Target::Auto);
    }) {
        Ok(h) => m.handle = Some(h),
        Err(e) => tracing::error!(error = %e, "cannot start the connection"),
    }
    drop(m);
    data.dialog = false;
    data.message.clear();
    data.changed();
}

impl Delegate {
    /// The loop gave up: a person must act. With everything given on the command line there
    /// is no one to ask: the line goes to stderr and the program ends.
    fn stopped(&mut self, e: ClientError, data: &mut AppState) {
        let mut m = data.model.borrow_mut();
        let line = e.text(&m.t);
        if m.scripted {
            eprintln!("{line}");
            let _ = std::fs::remove_file(&self.control_path);
            std::process::exit(1);
        }
        if let ClientError::UnknownCertificate { fingerprint, .. } = &e {
            m.pending_certificate = Some(*fingerprint);
        }
        m.handle = None;
        drop(m);
        data.message = line;
        data.dialog = true;
        if let Some(w) = &self.window {
            w.show();
        }
    }

    /// The secret store answered for a profile: fills the dialog (if it still shows that
    /// profile) and, for a start that named node and account, connects.
    fn found(&mut self, found: secrets::Found, data: &mut AppState) {
        let p = &found.profile;
        let operator = p.account.is_empty();
        let same = data.address.trim() == p.address
            && data.operator == operator
            && (operator || data.account.trim() == p.account);
        if !same || !data.dialog {
            return;
        }
        match found.secret {
            Some(secret) => {
                data.secret = secret;
                data.remember = true;
                data.model.borrow_mut().saved = Some(found.profile.clone());
                if found.connect {
                    // Everything came from the command line and the store: a refusal ends the
                    // program, as with --password-stdin.
                    data.model.borrow_mut().scripted = true;
                    self.connect_from_dialog(data);
                }
            }
            None if found.connect => {
                data.message = data
                    .model
                    .borrow()
                    .t
                    .text("monitor-dialog-nothing-saved", &[]);
            }
            None => {}
        }
        data.changed();
    }

    fn connect_from_dialog(&mut self, data: &mut AppState) {
        let target = match monitor_client::Target::parse(&data.address) {
            Ok(t) => t,
            Err(e) => {
                data.message = e.text(&data.model.borrow().t);
                return;
            }
        };
        let missing = data.secret.is_empty() || (!data.operator && data.account.trim().is_empty());
        if missing {
            data.message = data.model.borrow().t.text("monitor-dialog-missing", &[]);
            return;
        }
        let credentials = if data.operator {
            Credentials::Operator {
                token: data.secret.trim().to_string(),
            }
        } else {
            Credentials::Account {
                address: data.account.trim().to_string(),
                password: data.secret.clone(),
            }
        };
        let profile = Profile {
            address: data.address.trim().to_string(),
            account: if data.operator {
                String::new()
            } else {
                data.account.trim().to_string()
            },
        };
        self.profiles.remember(profile.clone());
        if let Err(e) = self.profiles.save(&crate::paths::profiles()) {
            tracing::warn!(error = %e, "profiles not saved");
        }
        // Saved once the node has taken it (a mistyped password is not kept); unticked, the
        // one the store gave the dialog goes now.
        let secret = data.secret.clone();
        let remember = data.remember;
        connect(data, self.sink.clone(), target, credentials);
        let mut m = data.model.borrow_mut();
        if remember {
            m.pending_save = Some((profile, secret));
        } else if m.saved.as_ref() == Some(&profile) {
            m.saved = None;
            secrets::store_in_background(profile, None);
        }
    }
}

impl AppDelegate<AppState> for Delegate {
    fn command(
        &mut self,
        _ctx: &mut DelegateCtx,
        _target: Target,
        cmd: &Command,
        data: &mut AppState,
        _env: &Env,
    ) -> Handled {
        if let Some(u) = cmd.get(UPDATE) {
            if let Some(u) = u.take() {
                let r = data.model.borrow_mut().apply(u);
                if let Err(e) = r {
                    self.stopped(e, data);
                }
                data.changed();
            }
            return Handled::Yes;
        }
        if let Some(req) = cmd.get(CONTROL) {
            let show = match req {
                Request::Show => true,
                Request::Hide => false,
                Request::Toggle => !self.shown,
                Request::Quit => {
                    druid::Application::global().quit();
                    return Handled::Yes;
                }
            };
            if let Some(w) = &self.window {
                if show {
                    w.show();
                    w.bring_to_front_and_focus();
                } else {
                    w.hide();
                }
                self.shown = show;
            }
            return Handled::Yes;
        }
        if let Some(found) = cmd.get(FOUND) {
            if let Some(found) = found.take() {
                self.found(found, data);
            }
            return Handled::Yes;
        }
        if cmd.is(CONNECT) {
            self.connect_from_dialog(data);
            return Handled::Yes;
        }
        if cmd.is(TRUST) {
            let fp = data.model.borrow_mut().pending_certificate.take();
            if let Some(fp) = fp {
                data.model.borrow_mut().accept = Some(fp);
                self.connect_from_dialog(data);
            }
            return Handled::Yes;
        }
        if cmd.is(NEXT_PROFILE) {
            if let Some(p) = self.profiles.list.get(self.next_profile).cloned() {
                self.next_profile = (self.next_profile + 1) % self.profiles.list.len();
                data.address = p.address.clone();
                data.operator = p.account.is_empty();
                data.account = p.account.clone();
                data.secret.clear();
                data.remember = false;
                secrets::load_in_background(self.sink.clone(), p, false);
            }
            return Handled::Yes;
        }
        Handled::No
    }

    fn window_added(
        &mut self,
        _id: WindowId,
        handle: WindowHandle,
        _data: &mut AppState,
        _env: &Env,
        _ctx: &mut DelegateCtx,
    ) {
        // druid shows a window after it is added: the hide waits for the event loop.
        if self.start_hidden {
            let _ = self
                .sink
                .submit_command(CONTROL, Request::Hide, Target::Auto);
        }
        self.window = Some(handle);
    }
}
