//! A private desktop for the window test: an X server (Xvfb), a D-Bus session bus, the
//! desktop's secret store (gnome-keyring, unlocked with a test password) and a tray (a
//! StatusNotifierWatcher, what a panel runs, that records the items registering with it).
//! Nothing here touches the session of the person running the tests; every process is
//! stopped by its PID when dropped.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A folder only its owner may enter, as `$XDG_RUNTIME_DIR` must be.
pub fn private_dir(path: &Path) {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
        .unwrap();
}

fn stop(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// A private X server on a display nobody uses.
pub struct Xvfb {
    child: Child,
    pub display: String,
}

impl Xvfb {
    pub fn start() -> Xvfb {
        let base = 90 + std::process::id() % 400;
        for n in (base..base + 100).map(|n| n % 1000).filter(|n| *n >= 20) {
            let socket = PathBuf::from(format!("/tmp/.X11-unix/X{n}"));
            let lock = PathBuf::from(format!("/tmp/.X{n}-lock"));
            if socket.exists() || lock.exists() {
                continue;
            }
            let display = format!(":{n}");
            let mut child = Command::new("Xvfb")
                // -noreset: the server stays as it is when its last client leaves (a window
                // closed before the next one opens), instead of resetting under the next.
                .args([
                    &display,
                    "-screen",
                    "0",
                    "1280x800x24",
                    "-nolisten",
                    "tcp",
                    "-noreset",
                ])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start Xvfb");
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(20) {
                if socket.exists() {
                    return Xvfb { child, display };
                }
                if child.try_wait().ok().flatten().is_some() {
                    break; // Lost a race for the display: try the next one.
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            stop(&mut child);
        }
        panic!("no free X display for Xvfb");
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// A D-Bus session bus of the test's own, on a socket in `dir`.
pub struct SessionBus {
    child: Child,
    pub address: String,
}

impl SessionBus {
    pub fn start(dir: &Path) -> SessionBus {
        let socket = dir.join("bus");
        // The session bus's own rules, but nothing started on demand: what the test needs it
        // starts itself, and a call to anything else fails at once instead of waiting for a
        // desktop service (dconf, the accessibility bus) to come up.
        let config = dir.join("bus.conf");
        std::fs::write(
            &config,
            format!(
                "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\" \
                 \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n\
                 <busconfig><type>session</type><listen>unix:path={}</listen>\
                 <policy context=\"default\"><allow send_destination=\"*\" eavesdrop=\"true\"/>\
                 <allow eavesdrop=\"true\"/><allow own=\"*\"/></policy></busconfig>\n",
                socket.display()
            ),
        )
        .unwrap();
        let mut child = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .arg("--nofork")
            .arg("--print-address=1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dbus-daemon");
        // The daemon prints its address once it listens.
        let mut line = String::new();
        let out = child.stdout.take().unwrap();
        BufReader::new(out).read_line(&mut line).unwrap();
        let address = line.trim().to_string();
        assert!(address.starts_with("unix:"), "dbus-daemon said {line:?}");
        SessionBus { child, address }
    }

    pub fn connect(&self) -> zbus::blocking::Connection {
        zbus::blocking::connection::Builder::address(self.address.as_str())
            .unwrap()
            .build()
            .expect("connect to the test's session bus")
    }

    /// Waits until someone owns `name` on the bus.
    pub fn wait_for_name(&self, name: &str, limit: Duration) {
        let conn = self.connect();
        let dbus = zbus::blocking::fdo::DBusProxy::new(&conn).unwrap();
        let started = Instant::now();
        let name = zbus::names::BusName::try_from(name).unwrap();
        while !dbus.name_has_owner(name.clone()).unwrap_or(false) {
            assert!(started.elapsed() < limit, "nobody took {name} on the bus");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for SessionBus {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// gnome-keyring's Secret Service on the test's bus, its keyrings under `dir`, unlocked.
pub struct Keyring {
    child: Child,
    env: Vec<(String, PathBuf)>,
    bus: String,
}

impl Keyring {
    pub fn start(bus: &SessionBus, dir: &Path) -> Keyring {
        let data = dir.join("data");
        let runtime = dir.join("run");
        std::fs::create_dir_all(&data).unwrap();
        private_dir(&runtime);
        let env = vec![
            ("HOME".to_string(), dir.to_path_buf()),
            ("XDG_DATA_HOME".to_string(), data),
            ("XDG_RUNTIME_DIR".to_string(), runtime),
        ];
        let mut child = Command::new("gnome-keyring-daemon")
            .args(["--unlock", "--components=secrets", "--foreground"])
            .envs(env.iter().map(|(k, v)| (k, v)))
            .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start gnome-keyring-daemon");
        // The login keyring's password, read to the end of the input.
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"test-keyring-password").unwrap();
        drop(stdin);
        bus.wait_for_name("org.freedesktop.secrets", Duration::from_secs(30));
        Keyring {
            child,
            env,
            bus: bus.address.clone(),
        }
    }

    /// What the store holds for `attributes` (as `secret-tool lookup` prints it).
    pub fn lookup(&self, attributes: &[&str]) -> Option<String> {
        let out = Command::new("secret-tool")
            .arg("lookup")
            .args(attributes)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus)
            .output()
            .expect("secret-tool");
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).to_string())
    }
}

impl Drop for Keyring {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// The panel's side of the tray: the StatusNotifierWatcher items register with.
struct Watcher {
    items: Arc<Mutex<Vec<String>>>,
}

#[zbus::interface(name = "org.kde.StatusNotifierWatcher")]
impl Watcher {
    fn register_status_notifier_item(
        &self,
        service: String,
        #[zbus(header)] header: zbus::message::Header<'_>,
    ) {
        // An item names its bus name, or only its object path when it has no name.
        let item = if service.starts_with('/') {
            let sender = header.sender().map(|s| s.to_string()).unwrap_or_default();
            format!("{sender}{service}")
        } else {
            service
        };
        self.items.lock().unwrap().push(item);
    }

    fn register_status_notifier_host(&self, _service: String) {}

    #[zbus(property)]
    fn registered_status_notifier_items(&self) -> Vec<String> {
        self.items.lock().unwrap().clone()
    }

    #[zbus(property)]
    fn is_status_notifier_host_registered(&self) -> bool {
        true
    }

    #[zbus(property)]
    fn protocol_version(&self) -> i32 {
        0
    }
}

pub struct Tray {
    conn: zbus::blocking::Connection,
    items: Arc<Mutex<Vec<String>>>,
}

impl Tray {
    pub fn start(bus: &SessionBus) -> Tray {
        let items = Arc::new(Mutex::new(Vec::new()));
        let conn = zbus::blocking::connection::Builder::address(bus.address.as_str())
            .unwrap()
            .name("org.kde.StatusNotifierWatcher")
            .unwrap()
            .serve_at(
                "/StatusNotifierWatcher",
                Watcher {
                    items: items.clone(),
                },
            )
            .unwrap()
            .build()
            .expect("serve the tray watcher");
        Tray { conn, items }
    }

    /// The bus name of the first item that registered (waits for one).
    pub fn item(&self, limit: Duration) -> String {
        let started = Instant::now();
        loop {
            if let Some(i) = self.items.lock().unwrap().first() {
                return i.clone();
            }
            assert!(started.elapsed() < limit, "no tray item registered");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// What a panel does on a click on the item.
    pub fn click(&self, item: &str) {
        self.call(item, "Activate", &(0i32, 0i32));
    }

    /// The item's title (its tooltip in most panels).
    pub fn title(&self, item: &str) -> String {
        let proxy = zbus::blocking::Proxy::new(
            &self.conn,
            item.to_string(),
            "/StatusNotifierItem",
            "org.kde.StatusNotifierItem",
        )
        .unwrap();
        proxy.get_property("Title").expect("the item's title")
    }

    fn call(&self, item: &str, method: &str, args: &(i32, i32)) {
        self.conn
            .call_method(
                Some(item),
                "/StatusNotifierItem",
                Some("org.kde.StatusNotifierItem"),
                method,
                args,
            )
            .unwrap_or_else(|e| panic!("{method} on {item}: {e}"));
    }
}
