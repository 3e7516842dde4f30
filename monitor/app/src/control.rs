//! One monitor per user: the first one listens on a Unix socket (only its owner may use it);
//! a second start with `--show` or `--hide` tells it so and exits. A message is one short word
//! and a newline; anything longer or unknown is dropped.

use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Longest message taken, newline included.
const MAX_MESSAGE: usize = 16;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request {
    Show,
    Hide,
    /// Hide when shown, show when hidden (a click on the tray icon).
    Toggle,
    /// End the monitor (the tray menu).
    Quit,
}

impl Request {
    fn word(self) -> &'static str {
        match self {
            Request::Show => "show",
            Request::Hide => "hide",
            Request::Toggle => "toggle",
            Request::Quit => "quit",
        }
    }

    pub fn parse(msg: &[u8]) -> Option<Request> {
        match msg.strip_suffix(b"\n").unwrap_or(msg) {
            b"show" => Some(Request::Show),
            b"hide" => Some(Request::Hide),
            b"toggle" => Some(Request::Toggle),
            b"quit" => Some(Request::Quit),
            _ => None,
        }
    }
}

/// Sends `req` to the running monitor; `Ok(false)` when none runs.
pub fn send(path: &Path, req: Request) -> io::Result<bool> {
    let mut s = match UnixStream::connect(path) {
        Ok(s) => s,
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused
            ) =>
        {
            return Ok(false);
        }
        Err(e) => return Err(e),
    };
    s.set_write_timeout(Some(Duration::from_secs(5)))?;
    s.write_all(format!("{}\n", req.word()).as_bytes())?;
    Ok(true)
}

/// Takes the socket for this instance; `None` when another instance holds it.
pub fn listen(path: &Path) -> io::Result<Option<UnixListener>> {
    if let Some(dir) = path.parent() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
    }
    if UnixStream::connect(path).is_ok() {
        return Ok(None);
    }
    // Left by an instance that ended without cleaning up.
    let _ = std::fs::remove_file(path);
    let listener = UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(Some(listener))
}

/// Serves requests on a thread of its own until the process ends, handing each to `on`.
pub fn serve(
    listener: UnixListener,
    path: PathBuf,
    on: impl Fn(Request) + Send + 'static,
) -> io::Result<()> {
    std::thread::Builder::new()
        .name("monitor-control".into())
        .spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let _ = conn.set_read_timeout(Some(Duration::from_secs(2)));
                let mut buf = Vec::with_capacity(MAX_MESSAGE);
                // Bounded: one message of a few bytes, then the connection is dropped.
                let _ = conn.take(MAX_MESSAGE as u64).read_to_end(&mut buf);
                match Request::parse(&buf) {
                    Some(req) => on(req),
                    None => tracing::warn!(bytes = buf.len(), "unknown control message dropped"),
                }
            }
            let _ = std::fs::remove_file(&path);
        })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn a_second_start_reaches_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run/control.sock");
        assert!(!send(&path, Request::Show).unwrap());
        let listener = listen(&path).unwrap().expect("free");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(listen(&path).unwrap().is_none(), "taken twice");
        let (tx, rx) = mpsc::channel();
        serve(listener, path.clone(), move |r| tx.send(r).unwrap()).unwrap();
        assert!(send(&path, Request::Hide).unwrap());
        assert!(send(&path, Request::Show).unwrap());
        let mut junk = UnixStream::connect(&path).unwrap();
        junk.write_all(&[b'x'; 100]).unwrap();
        drop(junk);
        let t = Duration::from_secs(10);
        assert_eq!(rx.recv_timeout(t).unwrap(), Request::Hide);
        assert_eq!(rx.recv_timeout(t).unwrap(), Request::Show);
        assert!(rx.recv_timeout(Duration::from_millis(300)).is_err());
    }

    #[test]
    fn messages_parse() {
        assert_eq!(Request::parse(b"show\n"), Some(Request::Show));
        assert_eq!(Request::parse(b"hide"), Some(Request::Hide));
        assert_eq!(Request::parse(b"toggle\n"), Some(Request::Toggle));
        assert_eq!(Request::parse(b"stop\n"), None);
        for r in [Request::Show, Request::Hide, Request::Toggle, Request::Quit] {
            assert_eq!(Request::parse(r.word().as_bytes()), Some(r));
        }
    }
}
