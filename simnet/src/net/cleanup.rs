//! Removing namespaces with everything running in them, and finding what crashed runs left.

use std::time::{Duration, Instant};

use super::cmd;
use super::error::NetError;
use super::names::{self, PREFIX};

/// How long SIGKILLed processes get to disappear; a process in uninterruptible sleep (e.g.
/// stuck on I/O) can take a moment.
const KILL_WAIT: Duration = Duration::from_secs(3);
const KILL_POLL: Duration = Duration::from_millis(20);

/// All namespaces iproute2 knows, e.g. from `wsim-ab-inet (id: 3)` lines.
pub(crate) fn namespaces() -> Result<Vec<String>, NetError> {
    let out = cmd::ip(&["netns", "list"])?;
    Ok(out
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect())
}

/// Names of the root namespace's links, without the `@peer` suffix.
fn root_links() -> Result<Vec<String>, NetError> {
    let out = cmd::ip(&["-o", "link", "show"])?;
    Ok(out
        .lines()
        .filter_map(|line| line.split(": ").nth(1))
        .map(|name| name.split('@').next().unwrap_or(name).to_owned())
        .collect())
}

fn pids_in(netns: &str) -> Result<Vec<i32>, NetError> {
    match cmd::ip(&["netns", "pids", netns]) {
        Ok(out) => Ok(out
            .split_whitespace()
            .filter_map(|pid| pid.parse().ok())
            .collect()),
        // Someone else deleted it meanwhile: nothing left to kill there.
        Err(_) if !cmd::netns_exists(netns) => Ok(Vec::new()),
        Err(err) => Err(err),
    }
}

/// SIGKILLs every process in the namespaces until none is left, so deleting a namespace never
/// leaves processes running in a detached network.
fn kill_all(namespaces: &[String]) -> Result<(), NetError> {
    let own = i32::try_from(std::process::id()).unwrap_or(-1);
    let deadline = Instant::now() + KILL_WAIT;
    loop {
        let mut alive = Vec::new();
        for netns in namespaces {
            let pids: Vec<i32> = pids_in(netns)?.into_iter().filter(|&p| p != own).collect();
            for &pid in &pids {
                // SAFETY: kill(2) has no memory effects; a pid that has already gone away only
                // yields ESRCH, which is what we want anyway.
                unsafe {
                    libc::kill(pid, libc::SIGKILL);
                }
            }
            if !pids.is_empty() {
                alive.push((netns, pids));
            }
        }
        let Some((netns, pids)) = alive.into_iter().next() else {
            return Ok(());
        };
        if Instant::now() >= deadline {
            return Err(NetError::Unkillable {
                netns: netns.clone(),
                pids,
            });
        }
        std::thread::sleep(KILL_POLL);
    }
}

fn delete_namespace(netns: &str) -> Result<(), NetError> {
    match cmd::ip(&["netns", "delete", netns]) {
        Err(_) if !cmd::netns_exists(netns) => Ok(()),
        other => other.map(drop),
    }
}

/// Kills the namespaces' processes, then deletes them in reverse order of creation. Goes on
/// after errors so as much as possible is removed, and reports the first.
pub(crate) fn remove_namespaces(namespaces: &[String]) -> Result<(), NetError> {
    let mut first_err = kill_all(namespaces).err();
    for netns in namespaces.iter().rev() {
        if let Err(err) = delete_namespace(netns) {
            first_err.get_or_insert(err);
        }
    }
    first_err.map_or(Ok(()), Err)
}

fn prefix_for(tag: Option<&str>) -> Result<String, NetError> {
    match tag {
        Some(tag) => {
            names::check_tag(tag)?;
            Ok(names::lab_prefix(tag))
        }
        None => Ok(PREFIX.to_owned()),
    }
}

/// The namespaces of the lab tagged `tag` (or of all labs) that exist now.
pub(crate) fn lab_namespaces(tag: Option<&str>) -> Result<Vec<String>, NetError> {
    let prefix = prefix_for(tag)?;
    Ok(namespaces()?
        .into_iter()
        .filter(|netns| netns.starts_with(&prefix))
        .collect())
}

/// Everything labs of this program have left on the machine: namespaces named with the
/// program's prefix and, should one ever be created there, root-namespace links named so.
/// Labs create nothing in the root namespace, so the second part is a safety net.
pub fn leftovers() -> Result<Vec<String>, NetError> {
    let mut found = lab_namespaces(None)?;
    found.extend(
        root_links()?
            .into_iter()
            .filter(|link| link.starts_with(PREFIX)),
    );
    Ok(found)
}

/// Removes the leftovers of the lab tagged `tag` (None: of all labs), killing their processes
/// first, and returns what it removed. For start-up after a crash and for `simnet cleanup`;
/// never point it at the tag of a lab that is still in use.
pub fn sweep(tag: Option<&str>) -> Result<Vec<String>, NetError> {
    let prefix = prefix_for(tag)?;
    let namespaces = lab_namespaces(tag)?;
    let links: Vec<String> = root_links()?
        .into_iter()
        .filter(|link| link.starts_with(&prefix))
        .collect();
    let mut first_err = remove_namespaces(&namespaces).err();
    for link in &links {
        // Deleting one end of a veth pair takes the other with it, so a link may be gone
        // by the time its turn comes.
        if let Err(err) = cmd::ip(&["link", "delete", link]) {
            let still_there = root_links().map_or(true, |now| now.contains(link));
            if still_there {
                first_err.get_or_insert(err);
            }
        }
    }
    match first_err {
        Some(err) => Err(err),
        None => Ok(namespaces.into_iter().chain(links).collect()),
    }
}
