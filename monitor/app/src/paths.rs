//! Where the monitor keeps its files: the XDG folders, with the usual fallbacks.

use std::path::PathBuf;

fn home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir)
}

/// `$XDG_CONFIG_HOME/wims-monitor`, else `~/.config/wims-monitor`.
pub fn config_dir() -> PathBuf {
    std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| home().join(".config"))
        .join("wims-monitor")
}

pub fn known_hosts() -> PathBuf {
    config_dir().join("known_hosts")
}

pub fn profiles() -> PathBuf {
    config_dir().join("profiles.toml")
}

/// The running instance's control socket: in `$XDG_RUNTIME_DIR` (private to the user by the
/// spec), else in a folder of the user's own under the temporary folder.
pub fn control_socket() -> PathBuf {
    if let Some(dir) = std::env::var_os("XDG_RUNTIME_DIR").filter(|v| !v.is_empty()) {
        return PathBuf::from(dir).join("wims-monitor.sock");
    }
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    std::env::temp_dir()
        .join(format!("wims-monitor-{uid}"))
        .join("control.sock")
}
