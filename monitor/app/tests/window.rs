//! The real `wims-monitor` window under Xvfb, connected from another address (127.0.0.2) to
//! a real node while a large message goes from node A to node B: it shows the job (a
//! screenshot that is not blank), hides and shows on `--hide`/`--show` from a second start and
//! on clicks on its tray icon, keeps the password in the desktop's secret store and logs in
//! with it on a later start, reconnects after node A restarts, and refuses a wrong password
//! and an unknown certificate with their localised lines.
//!
//! Next to the window, the test watches the same node through `monitor-client` and
//! `monitor-model` to see the job appear, move (parts placed, a rate) and finish with its
//! receipt, and a second job, sent while node B is stopped, place its parts with the service
//! servers. Needs Xvfb, xdotool, xwininfo, ImageMagick's import, dbus-daemon, gnome-keyring
//! and secret-tool (under `CI` their absence fails the test). `WIMS_MONITOR_SCREENSHOT=PATH`
//! keeps the screenshot.

mod desktop;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;

use desktop::{Keyring, SessionBus, Tray, Xvfb};
use std::time::{Duration, Instant};

use monitor_api::{Activity, Credentials, JobState, Place, Stage, StageState};
use monitor_client::{Fingerprint, KnownHosts, Settings, Target, Update};
use monitor_model::JobTable;
use wims_tests::{Node, Service, require_tool};

const ALICE_PW: &str = "alice-window-lantern";
const BOB_PW: &str = "bob-window-kettle";
const WAIT: Duration = Duration::from_secs(180);
const TITLE: &str = "WIMS Monitor";

/// One user's environment for the monitor: its own config and runtime folders.
struct Desk {
    display: String,
    bus: String,
    config: PathBuf,
    runtime: PathBuf,
}

impl Desk {
    fn new(display: &str, bus: &SessionBus, root: &Path, name: &str) -> Desk {
        let config = root.join(name).join("config");
        let runtime = root.join(name).join("run");
        std::fs::create_dir_all(&config).unwrap();
        desktop::private_dir(&runtime);
        Desk {
            display: display.to_string(),
            bus: bus.address.clone(),
            config,
            runtime,
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_wims-monitor"));
        c.args(args)
            .env("DISPLAY", &self.display)
            .env("XDG_CONFIG_HOME", &self.config)
            .env("XDG_RUNTIME_DIR", &self.runtime)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus)
            .env_remove("WAYLAND_DISPLAY")
            .env("NO_AT_BRIDGE", "1")
            .env("GTK_A11Y", "none");
        c
    }

    /// Starts the monitor with `password` on stdin.
    fn spawn(&self, args: &[&str], password: &str) -> Child {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start wims-monitor");
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "{password}").unwrap();
        drop(stdin);
        child
    }

    /// Runs the monitor to its end (bounded).
    fn run(&self, args: &[&str], password: &str) -> Output {
        let t = Instant::now();
        let child = self.spawn(args, password);
        let out = wait_output(child, Duration::from_secs(90));
        eprintln!("wims-monitor {}: {:?}", args.join(" "), t.elapsed());
        out
    }

    fn tool(&self, tool: &str, args: &[&str]) -> Output {
        Command::new(tool)
            .args(args)
            .env("DISPLAY", &self.display)
            .output()
            .unwrap_or_else(|e| panic!("{tool}: {e}"))
    }

    /// The visible windows with the monitor's title.
    fn visible(&self) -> Vec<String> {
        let out = self.tool("xdotool", &["search", "--onlyvisible", "--name", TITLE]);
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn wait_visible(&self, visible: bool, what: &str) {
        wait_for(WAIT, what, || self.visible().is_empty() != visible);
    }
}

fn wait_output(mut child: Child, limit: Duration) -> Output {
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "wims-monitor still running after {limit:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.wait_with_output().unwrap()
}

/// The job table as the test's own monitor sees it.
struct Observer {
    rx: mpsc::Receiver<Update>,
    table: JobTable,
    /// A delivery was seen with a rate above zero.
    rate_seen: bool,
    /// A delivery's piece map was seen part placed, part still here or missing: filling.
    filling_seen: bool,
    _handle: monitor_client::Handle,
}

impl Observer {
    fn start(settings: Settings) -> Observer {
        let (tx, rx) = mpsc::channel();
        let handle = monitor_client::spawn(settings, move |u| {
            let _ = tx.send(u);
        })
        .unwrap();
        Observer {
            rx,
            table: JobTable::new(),
            rate_seen: false,
            filling_seen: false,
            _handle: handle,
        }
    }

    /// Notes what the deliveries show after each update, between the test's own checks.
    fn look(&mut self) {
        for j in self.table.jobs() {
            if j.activity != Activity::Delivery {
                continue;
            }
            self.rate_seen |= j.rate > 0;
            if let Some(m) = &j.chunks {
                let counts = m.counts();
                let placed = |p: &Place| matches!(p, Place::Peer | Place::Server(_));
                let some_placed = counts.iter().any(|(p, n)| placed(p) && *n > 0);
                let some_left = counts.iter().any(|(p, n)| !placed(p) && *n > 0);
                self.filling_seen |= some_placed && some_left;
            }
        }
    }

    /// Applies updates until `done` holds for the table (or fails after [`WAIT`]).
    fn until(&mut self, what: &str, mut done: impl FnMut(&JobTable) -> bool) {
        let started = Instant::now();
        while !done(&self.table) {
            let left = WAIT
                .checked_sub(started.elapsed())
                .unwrap_or_else(|| panic!("{what}: not within {WAIT:?}"));
            match self.rx.recv_timeout(left.min(Duration::from_millis(500))) {
                Ok(Update::Frame(f)) => {
                    self.table.apply(f);
                    self.look();
                }
                Ok(Update::Stopped(e)) => panic!("{what}: the observer stopped: {e}"),
                Ok(_) | Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(e) => panic!("{what}: {e}"),
            }
        }
        eprintln!("{what}: {:?}", started.elapsed());
    }
}

fn delivery(table: &JobTable) -> Option<&monitor_api::Job> {
    table
        .jobs()
        .into_iter()
        .find(|j| j.activity == Activity::Delivery)
}

fn signal(node: &Node, sig: libc::c_int) {
    let pid = node.pid().expect("node runs") as libc::pid_t;
    // SAFETY: kill(2) on the node process this test started and has not reaped.
    unsafe { libc::kill(pid, sig) };
}

/// Sends alice's message with an attachment of `mib` MiB (a fixed pattern, so that it does not
/// compress) from node `a`; `wims send` returns once the message is queued.
fn send_attachment(a: &Node, mib: u32, subject: &str, body: &str, extra: &[&str]) {
    let file = a.pattern_file(&format!("attachment-{mib}.bin"), (mib as usize) << 20);
    let mut extra = extra.to_vec();
    extra.extend(["--attach", file.to_str().unwrap()]);
    let out = a.send_alice_to_bob(subject, body, &extra);
    assert!(out.status.success(), "wims send: {out:?}");
}

/// Polls `done` until it holds, failing after `limit`.
fn wait_for(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
    eprintln!("{what}: {:?}", started.elapsed());
}

/// How many times the window has logged in to `node` (its log, all starts).
fn connections(node: &Node) -> usize {
    node.log()
        .lines()
        .filter(|l| l.contains("monitor connected") && l.contains("wims-monitor"))
        .count()
}

/// Fails if any file under `dir` contains `secret`.
fn assert_no_file_holds(dir: &Path, secret: &str) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            assert_no_file_holds(&path, secret);
        } else if let Ok(bytes) = std::fs::read(&path) {
            let found = bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
            assert!(!found, "{} holds the password", path.display());
        }
    }
}

fn last_line(s: &str) -> &str {
    s.lines()
        .rfind(|l| !l.trim().is_empty())
        .unwrap_or_default()
        .trim()
}

/// Distinct colours in a PNG, as ImageMagick counts them.
fn colours(png: &Path) -> u64 {
    let out = Command::new("identify")
        .args(["-format", "%k"])
        .arg(png)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0)
}

fn screenshot(desk: &Desk, path: &Path) -> u64 {
    let out = desk.tool("import", &["-window", "root", path.to_str().unwrap()]);
    assert!(out.status.success(), "import: {out:?}");
    colours(path)
}

#[test]
fn the_window_follows_a_large_message_and_hides_shows_reconnects_and_refuses() {
    for (tool, package) in [
        ("Xvfb", "xvfb"),
        ("xdotool", "xdotool"),
        ("xwininfo", "x11-utils"),
        ("import", "imagemagick"),
        ("identify", "imagemagick"),
        ("dbus-daemon", "dbus"),
        ("gnome-keyring-daemon", "gnome-keyring"),
        ("secret-tool", "libsecret-tools"),
    ] {
        if !require_tool(tool, package) {
            return;
        }
    }
    let x = Xvfb::start();
    let root = tempfile::tempdir().unwrap();
    let bus = SessionBus::start(root.path());
    let keyring = Keyring::start(&bus, &root.path().join("keyring"));
    let tray = Tray::start(&bus);

    let service = Service::start();
    let alice = service.create_account("alice@alpha.h", "Alice Alpha");
    let bob = service.create_account("bob@beta.h", "Bob Beta");
    service.partner("alpha.h", "beta.h");
    // The monitor endpoint on a second loopback address: the window is not on the node's
    // own address, as a monitor on another machine would not be.
    let port = std::net::TcpListener::bind("127.0.0.2:0")
        .and_then(|l| l.local_addr())
        .expect("a free port on 127.0.0.2")
        .port();
    let mut a = Node::builder()
        .host(&alice, ALICE_PW)
        .extra_toml(&format!("[monitor]\nlisten = \"127.0.0.2:{port}\"\n"))
        .start();
    let mut b = Node::start();
    b.host(&bob, BOB_PW);
    let address = format!("127.0.0.2:{port}");
    let fp = wims_tests::monitor::cert_fingerprint(&a.cert_path())
        .unwrap()
        .to_string();

    // The window, connected to node A.
    let desk = Desk::new(&x.display, &bus, root.path(), "desk");
    let kh = root.path().join("known_hosts");
    let kh_arg = kh.to_str().unwrap().to_string();
    let args = [
        "--address",
        &address,
        "--account",
        "alice@alpha.h",
        "--password-stdin",
        "--accept-certificate",
        &fp,
        "--known-hosts",
        &kh_arg,
        "--lang",
        "en-US",
    ];
    let mut remembered = args.to_vec();
    remembered.push("--remember");
    let mut app = desk.spawn(&remembered, ALICE_PW);
    desk.wait_visible(true, "the monitor's window");
    assert_eq!(
        KnownHosts::new(&kh).get(&address).unwrap(),
        Fingerprint::parse(&fp),
        "the accepted certificate is kept"
    );
    // Logged in at the other address, and once the node took the password it is in the
    // desktop's secret store (not in the monitor's files).
    wait_for(WAIT, "the window's login at 127.0.0.2", || {
        connections(&a) > 0
    });
    let user = format!("alice@alpha.h at {address}");
    let attrs = ["service", "wims-monitor", "username", user.as_str()];
    wait_for(WAIT, "the password in the secret store", || {
        keyring.lookup(&attrs).as_deref() == Some(ALICE_PW)
    });
    assert_no_file_holds(&desk.config, ALICE_PW);

    // The test's own view of the same node.
    let mut seen = Observer::start(Settings {
        target: Target::parse(&address).unwrap(),
        credentials: Credentials::Account {
            address: "alice@alpha.h".into(),
            password: ALICE_PW.into(),
        },
        known_hosts: KnownHosts::new(root.path().join("observer_known_hosts")),
        accept: Fingerprint::parse(&fp),
        client: "window test".into(),
    });
    seen.until("snapshot", |t| t.is_synced());

    // A message large enough that its transfer spans several of the node's quarter-second
    // progress ticks even on a fast machine, so the piece map is seen filling and a rate above
    // zero: 128 MiB (24 MiB went from queued to delivered in 0.4 s here). Node B is paused
    // once the delivery runs, so the window is caught with the job in it.
    send_attachment(
        &a,
        128,
        "Ledger in the window",
        "See the ledger.",
        &["--type", "invoice"],
    );
    seen.until("the delivery appears", |t| delivery(t).is_some());
    // Node B paused while the delivery runs (or just after it finished).
    seen.until("the delivery runs", |t| {
        delivery(t).is_some_and(|j| j.state != JobState::Queued)
    });
    signal(&b, libc::SIGSTOP);
    std::thread::sleep(Duration::from_secs(3));
    let shot = root.path().join("monitor.png");
    let n = screenshot(&desk, &shot);
    signal(&b, libc::SIGCONT);
    assert!(n > 16, "the screenshot is blank ({n} colours)");
    if let Some(keep) = std::env::var_os("WIMS_MONITOR_SCREENSHOT") {
        std::fs::copy(&shot, keep).unwrap();
    }

    seen.until("the delivery finishes", |t| {
        delivery(t).is_some_and(|j| j.state == JobState::Done)
    });
    let j = delivery(&seen.table).unwrap().clone();
    assert!(j.progress.done > 0, "no progress: {j:?}");
    assert!(seen.rate_seen, "no rate above zero seen: {j:?}");
    assert!(seen.filling_seen, "the piece map was never seen filling");
    assert_eq!(j.subject.as_deref(), Some("Ledger in the window"));
    // Every part ends up with node B or its servers (the last map may follow the finish).
    seen.until("every part delivered", |t| {
        delivery(t)
            .and_then(|j| j.chunks.as_ref())
            .is_some_and(|m| {
                m.chunks() > 1
                    && m.counts()
                        .iter()
                        .all(|(p, _)| matches!(p, Place::Peer | Place::Server(_)))
            })
    });
    assert!(
        j.stages
            .iter()
            .any(|s| s.stage == Stage::Receipt && s.state == StageState::Done),
        "no receipt: {:?}",
        j.stages
    );

    // A second message while node B is away: its parts go to the service servers, and the
    // job's piece map shows them there.
    let t = Instant::now();
    b.stop();
    eprintln!("node B stopped: {:?}", t.elapsed());
    send_attachment(&a, 6, "While you were away", "For when you are back.", &[]);
    seen.until("parts of the second message at the servers", |t| {
        t.jobs().into_iter().any(|k| {
            k.activity == Activity::Delivery
                && k.id != j.id
                && k.chunks.as_ref().is_some_and(|m| {
                    m.counts()
                        .iter()
                        .any(|(p, n)| matches!(p, Place::Server(_)) && *n > 0)
                })
        })
    });

    // Hidden and shown again from a second start.
    let out = desk.run(&["--hide"], "");
    assert!(out.status.success(), "--hide: {out:?}");
    desk.wait_visible(false, "the window unmapped");
    let ids = desk.tool("xdotool", &["search", "--name", TITLE]);
    let id = String::from_utf8_lossy(&ids.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    let info = desk.tool("xwininfo", &["-id", &id]);
    assert!(
        String::from_utf8_lossy(&info.stdout).contains("IsUnMapped"),
        "{}",
        String::from_utf8_lossy(&info.stdout)
    );
    let out = desk.run(&["--show"], "");
    assert!(out.status.success(), "--show: {out:?}");
    desk.wait_visible(true, "the window mapped again");

    // The tray icon: registered with the desktop's tray, a click hides, another shows.
    let item = tray.item(WAIT);
    assert_eq!(tray.title(&item), "WIMS Monitor");
    tray.click(&item);
    desk.wait_visible(false, "the window hidden from the tray");
    tray.click(&item);
    desk.wait_visible(true, "the window shown from the tray");

    // Node A restarts on the same port: the window's connection comes back.
    a.restart();
    let started = Instant::now();
    loop {
        let log = a.log();
        let second = log.split("(start #2)").nth(1).unwrap_or_default();
        if second
            .lines()
            .any(|l| l.contains("monitor connected") && l.contains("wims-monitor"))
        {
            break;
        }
        assert!(
            started.elapsed() < WAIT,
            "the window did not reconnect:\n{}",
            a.log_tail()
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    eprintln!("the window reconnected: {:?}", started.elapsed());
    assert!(app.try_wait().unwrap().is_none(), "the monitor ended");

    // A later start names the node and the account only: the password comes from the store.
    let _ = app.kill();
    let _ = app.wait();
    desk.wait_visible(false, "the first window gone");
    let before = connections(&a);
    let saved = [
        "--address",
        &address,
        "--account",
        "alice@alpha.h",
        "--known-hosts",
        &kh_arg,
        "--lang",
        "en-US",
    ];
    let mut app = desk
        .command(&saved)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start wims-monitor");
    wait_for(WAIT, "the window started with the saved password", || {
        if let Some(status) = app.try_wait().unwrap() {
            let mut err = String::new();
            let _ = std::io::Read::read_to_string(app.stderr.as_mut().unwrap(), &mut err);
            panic!("wims-monitor ended ({status}): {err}");
        }
        !desk.visible().is_empty()
    });
    wait_for(WAIT, "a login with the saved password", || {
        connections(&a) > before
    });

    // A wrong password: the refusal in one line, and the program ends.
    let other = Desk::new(&x.display, &bus, root.path(), "wrong");
    let out = other.run(&args, "not-alices-password");
    let en = monitor_model::texts::fallback();
    let refused = en.text("monitor-refused-bad-credentials", &[]);
    assert!(!out.status.success());
    // GTK itself notes the options it does not know on stderr; the monitor's line is last.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(last_line(&stderr), refused, "{out:?}");

    // An unknown certificate, nobody to ask: refused, naming the fingerprint.
    let fresh = Desk::new(&x.display, &bus, root.path(), "fresh");
    let fresh_kh = root.path().join("fresh_known_hosts");
    let plain = [
        "--address",
        &address,
        "--account",
        "alice@alpha.h",
        "--password-stdin",
        "--known-hosts",
        fresh_kh.to_str().unwrap(),
        "--lang",
        "de-DE",
    ];
    let out = fresh.run(&plain, ALICE_PW);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    let line = last_line(&stderr);
    assert!(
        line.contains(&fp) && line.contains("noch unbekannt"),
        "{stderr}"
    );
    assert!(!fresh_kh.exists(), "an unknown certificate was kept");

    let _ = app.kill();
    let _ = app.wait();
    drop(x);
}
