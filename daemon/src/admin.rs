//! The admin socket: `run/admin.sock` in the data folder, owner-only. The running program holds
//! its database, so its command line sends each command there as one JSON line and reads one
//! JSON line back; when nothing answers, the command line opens the database itself.

use std::future::Future;
use std::path::Path;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixListener;

/// The longest request line. Only the owner can reach the socket, but a runaway client must
/// still not make the program buffer without end; the largest real request (`wims send` with
/// a long body typed in) is far below it.
pub const MAX_REQUEST_BYTES: u64 = 32 << 20;

/// What a program's reply type says of a request it could not read.
pub trait Reply: Serialize + Send + 'static {
    /// Not a request: `detail` is the parser's account of it.
    fn bad_request(detail: String) -> Self;
    /// A request line longer than [`MAX_REQUEST_BYTES`].
    fn too_large() -> Self;
}

/// Binds the admin socket at `path`, owner-only, replacing a stale one (the caller holds the
/// database, so no other instance is using it).
pub fn bind(path: &Path) -> std::io::Result<UnixListener> {
    let _ = std::fs::remove_file(path);
    let listener = UnixListener::bind(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(listener)
}

/// Answers every connection's requests with `handle`, one at a time per connection, until the
/// task is dropped.
pub async fn serve<Req, Rep, H, F>(listener: UnixListener, handle: H) -> std::io::Result<()>
where
    Req: DeserializeOwned + Send + 'static,
    Rep: Reply,
    H: Fn(Req) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Rep> + Send,
{
    loop {
        let (stream, _) = listener.accept().await?;
        let handle = handle.clone();
        tokio::spawn(async move {
            let (r, mut w) = stream.into_split();
            let mut r = BufReader::new(r);
            let mut line = Vec::new();
            loop {
                line.clear();
                let mut limited = (&mut r).take(MAX_REQUEST_BYTES + 1);
                match limited.read_until(b'\n', &mut line).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
                let too_long = line.len() as u64 > MAX_REQUEST_BYTES;
                let reply = match serde_json::from_slice::<Req>(&line) {
                    _ if too_long => Rep::too_large(),
                    Ok(req) => handle(req).await,
                    Err(e) => Rep::bad_request(e.to_string()),
                };
                let mut out = serde_json::to_vec(&reply).unwrap_or_default();
                out.push(b'\n');
                if w.write_all(&out).await.is_err() || too_long {
                    break;
                }
            }
        });
    }
}

/// Sends one request to the program running on `path`; `None` when none answers there (not
/// running, or a stale socket of a crashed one). `timeout` bounds the wait for the reply.
pub fn call<Req: Serialize, Rep: DeserializeOwned>(
    path: &Path,
    req: &Req,
    timeout: Option<Duration>,
) -> Option<std::io::Result<Rep>> {
    use std::io::{BufRead, Write};
    let mut s = std::os::unix::net::UnixStream::connect(path).ok()?;
    let mut run = || -> std::io::Result<Rep> {
        s.set_read_timeout(timeout)?;
        let mut line = serde_json::to_vec(req)?;
        line.push(b'\n');
        s.write_all(&line)?;
        let mut reply = String::new();
        std::io::BufReader::new(&s).read_line(&mut reply)?;
        serde_json::from_str(&reply).map_err(std::io::Error::other)
    };
    Some(run())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Serialize, Deserialize)]
    struct Echo {
        text: String,
    }
    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    enum Answer {
        Said(String),
        Bad(String),
        TooLarge,
    }
    impl Reply for Answer {
        fn bad_request(detail: String) -> Self {
            Answer::Bad(detail)
        }
        fn too_large() -> Self {
            Answer::TooLarge
        }
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn requests_are_answered_and_bad_or_huge_ones_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("admin.sock");
        std::fs::write(&path, b"stale").unwrap();
        let listener = bind(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        tokio::spawn(serve(
            listener,
            |e: Echo| async move { Answer::Said(e.text) },
        ));
        let p = path.clone();
        let (said, bad, huge) = tokio::task::spawn_blocking(move || {
            let said: Answer = call(&p, &Echo { text: "hi".into() }, None)
                .unwrap()
                .unwrap();
            let bad: Answer = call(&p, &"nonsense", None).unwrap().unwrap();
            let long = Echo {
                text: "x".repeat(MAX_REQUEST_BYTES as usize + 1),
            };
            let huge: std::io::Result<Answer> = call(&p, &long, None).unwrap();
            (said, bad, huge)
        })
        .await
        .unwrap();
        assert_eq!(said, Answer::Said("hi".into()));
        assert!(matches!(bad, Answer::Bad(_)));
        // Refused after reading no more than the limit, and answered before the close.
        assert_eq!(huge.unwrap(), Answer::TooLarge);
        let gone = dir.path().join("none.sock");
        assert!(call::<_, Answer>(&gone, &Echo { text: "x".into() }, None).is_none());
    }
}
