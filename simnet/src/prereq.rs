//! What simnet needs of the machine, checked before anything is built: the programs it runs
//! (found like [`tool`] finds them: in PATH, then in the sbin folders) and the privileges to
//! make network namespaces. What is missing is said in one line, naming the Debian package of
//! each missing program.

use std::fmt;
use std::path::{Path, PathBuf};

/// A program simnet runs, and the Debian (and Ubuntu) package that provides it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tool {
    pub command: &'static str,
    pub package: &'static str,
}

const fn tool_of(command: &'static str, package: &'static str) -> Tool {
    Tool { command, package }
}

/// What `simnet run` runs: namespaces, links and routes (`ip`), rate limits (`tc`), NAT
/// routers and link cuts (`nft`), the delay line's queue rules (`iptables`) and per-namespace
/// settings (`sysctl`).
pub const RUN_TOOLS: [Tool; 5] = [
    tool_of("ip", "iproute2"),
    tool_of("tc", "iproute2"),
    tool_of("nft", "nftables"),
    tool_of("iptables", "iptables"),
    tool_of("sysctl", "procps"),
];

/// What `simnet cleanup` runs.
pub const CLEANUP_TOOLS: [Tool; 1] = [tool_of("ip", "iproute2")];

/// Searched after PATH: tests and services are often started with a PATH that lacks the sbin
/// folders even when running as root.
const FALLBACK_DIRS: [&str; 4] = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"];

/// CAP_NET_ADMIN: links, addresses, routes, firewall rules.
const CAP_NET_ADMIN: u32 = 12;
/// CAP_SYS_ADMIN: `ip netns add` unshares a network namespace and bind-mounts it.
const CAP_SYS_ADMIN: u32 = 21;

/// The folders programs are looked up in: PATH, then [`FALLBACK_DIRS`].
pub fn search_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect())
        .unwrap_or_default();
    dirs.extend(FALLBACK_DIRS.map(PathBuf::from));
    dirs
}

/// The first executable file `name` in `dirs`.
pub fn find_in(name: &str, dirs: &[PathBuf]) -> Option<PathBuf> {
    dirs.iter()
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

/// Where a program lives ([`search_dirs`]); the bare name when it is nowhere, so running it
/// fails with "not found".
pub fn tool(name: &str) -> PathBuf {
    find_in(name, &search_dirs()).unwrap_or_else(|| PathBuf::from(name))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Who this process is, as far as building namespaces goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Privileges {
    /// Effective user id 0.
    pub root: bool,
    /// The effective capability set (`CapEff` of /proc/self/status); `None` if unknown.
    pub capabilities: Option<u64>,
}

impl Privileges {
    pub fn current() -> Privileges {
        // SAFETY: geteuid cannot fail and touches no memory.
        let root = unsafe { libc::geteuid() } == 0;
        let capabilities = std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|status| effective_capabilities(&status));
        Privileges { root, capabilities }
    }
}

/// `CapEff` of a /proc/PID/status text.
pub fn effective_capabilities(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("CapEff:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
}

/// One thing the machine lacks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Missing {
    Tool(Tool),
    /// Not running as root.
    Root,
    /// Root, but without this capability (a container that withholds it).
    Capability(&'static str),
}

/// Everything of `tools` not found in `dirs`, and the privileges `who` lacks, in that order.
pub fn missing(tools: &[Tool], dirs: &[PathBuf], who: Privileges) -> Vec<Missing> {
    let mut out: Vec<Missing> = tools
        .iter()
        .filter(|t| find_in(t.command, dirs).is_none())
        .map(|t| Missing::Tool(*t))
        .collect();
    if !who.root {
        out.push(Missing::Root);
    } else if let Some(caps) = who.capabilities {
        for (bit, name) in [
            (CAP_NET_ADMIN, "CAP_NET_ADMIN"),
            (CAP_SYS_ADMIN, "CAP_SYS_ADMIN"),
        ] {
            if caps & (1u64 << bit) == 0 {
                out.push(Missing::Capability(name));
            }
        }
    }
    out
}

/// What is missing, as one line: `simnet cannot build its lab network here: …`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct Unmet(pub Vec<Missing>);

impl fmt::Display for Unmet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        // Programs grouped by package, in the order first named: "ip and tc (iproute2)".
        let mut packages: Vec<(&str, Vec<&str>)> = Vec::new();
        for m in &self.0 {
            if let Missing::Tool(t) = m {
                match packages.iter_mut().find(|(p, _)| *p == t.package) {
                    Some((_, commands)) => commands.push(t.command),
                    None => packages.push((t.package, vec![t.command])),
                }
            }
        }
        for (package, commands) in &packages {
            let what = match commands.as_slice() {
                [one] => format!("`{one}` is"),
                [init @ .., last] => format!(
                    "{} and `{last}` are",
                    init.iter()
                        .map(|c| format!("`{c}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                [] => continue,
            };
            parts.push(format!("{what} missing (Debian package {package})"));
        }
        let caps: Vec<&str> = self
            .0
            .iter()
            .filter_map(|m| match m {
                Missing::Capability(c) => Some(*c),
                _ => None,
            })
            .collect();
        if self.0.contains(&Missing::Root) {
            parts.push("it is not running as root (run it with sudo)".into());
        }
        if !caps.is_empty() {
            parts.push(format!(
                "it runs as root but without {} (a container must grant it)",
                caps.join(" and ")
            ));
        }
        write!(
            f,
            "simnet cannot build its lab network here: {}",
            parts.join("; ")
        )
    }
}

/// Checks `tools` and the privileges of this process.
pub fn check(tools: &[Tool]) -> Result<(), Unmet> {
    let gaps = missing(tools, &search_dirs(), Privileges::current());
    if gaps.is_empty() {
        Ok(())
    } else {
        Err(Unmet(gaps))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL_CAPS: Option<u64> = Some(0x0000_01ff_ffff_ffff);

    fn root() -> Privileges {
        Privileges {
            root: true,
            capabilities: ALL_CAPS,
        }
    }

    /// A folder holding executable stand-ins for `names`.
    fn bin_dir(names: &[&str]) -> tempfile::TempDir {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("temporary folder");
        for name in names {
            let path = dir.path().join(name);
            std::fs::write(&path, "#!/bin/sh\n").expect("write stand-in");
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
                .expect("make it executable");
        }
        dir
    }

    #[test]
    fn a_path_without_the_tools_names_each_with_its_package() {
        let empty = bin_dir(&[]);
        let gaps = missing(&RUN_TOOLS, &[empty.path().to_path_buf()], root());
        assert_eq!(gaps, RUN_TOOLS.map(Missing::Tool).to_vec());
        let line = Unmet(gaps).to_string();
        assert!(!line.contains('\n'), "{line}");
        for needle in [
            "`ip` and `tc` are missing (Debian package iproute2)",
            "iproute2",
            "`nft`",
            "nftables",
            "`iptables`",
            "Debian package iptables",
            "`sysctl`",
            "procps",
        ] {
            assert!(line.contains(needle), "{needle:?} missing from: {line}");
        }
        assert!(!line.contains("root"), "{line}");
    }

    #[test]
    fn only_what_is_missing_is_named() {
        let some = bin_dir(&["ip", "tc", "sysctl"]);
        // A file that is not executable does not count.
        std::fs::write(some.path().join("nft"), "").unwrap();
        let gaps = missing(&RUN_TOOLS, &[some.path().to_path_buf()], root());
        let expected = vec![Missing::Tool(RUN_TOOLS[2]), Missing::Tool(RUN_TOOLS[3])];
        assert_eq!(gaps, expected);
        let line = Unmet(gaps).to_string();
        assert!(
            line.contains("`nft` is missing (Debian package nftables)"),
            "{line}"
        );
        assert!(
            !line.contains("iproute2") && !line.contains("procps"),
            "{line}"
        );
    }

    #[test]
    fn tools_are_found_in_any_listed_folder() {
        let a = bin_dir(&["ip", "tc"]);
        let b = bin_dir(&["nft", "iptables", "sysctl"]);
        let dirs = [a.path().to_path_buf(), b.path().to_path_buf()];
        assert!(missing(&RUN_TOOLS, &dirs, root()).is_empty());
        assert_eq!(find_in("nft", &dirs), Some(b.path().join("nft")));
    }

    #[test]
    fn not_root_and_withheld_capabilities_are_named() {
        let all = bin_dir(&["ip", "tc", "nft", "iptables", "sysctl"]);
        let dirs = [all.path().to_path_buf()];
        let user = Privileges {
            root: false,
            capabilities: Some(0),
        };
        let gaps = missing(&RUN_TOOLS, &dirs, user);
        assert_eq!(gaps, vec![Missing::Root]);
        assert!(Unmet(gaps).to_string().contains("not running as root"));

        // Root in a container that keeps CAP_NET_ADMIN (bit 12) from it.
        let boxed = Privileges {
            root: true,
            capabilities: Some(ALL_CAPS.unwrap() & !(1 << 12)),
        };
        let gaps = missing(&RUN_TOOLS, &dirs, boxed);
        assert_eq!(gaps, vec![Missing::Capability("CAP_NET_ADMIN")]);
        assert!(Unmet(gaps).to_string().contains("without CAP_NET_ADMIN"));
    }

    #[test]
    fn the_effective_set_is_read_from_the_status_file() {
        let status = "Name:\tsimnet\nCapInh:\t0000000000000000\nCapPrm:\t000001fffeffffff\n\
                      CapEff:\t0000000000003000\nCapBnd:\t000001fffeffffff\n";
        assert_eq!(effective_capabilities(status), Some(0x3000));
        assert_eq!(effective_capabilities("Name:\tx\n"), None);
    }
}
