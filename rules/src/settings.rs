//! The limits of rules (`[rules]` in the configuration, docs/security.md).

/// How large scripts may be, how many an account keeps, and how much a script may do: the
/// `[rules]` section of the node's configuration, key for key.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Bytes of one script.
    pub max_script_size: usize,
    /// Scripts one account keeps.
    pub max_scripts: usize,
    /// Bytes of a message a script looks at: its header and the start of its body. A body
    /// test does not see past it, and a size test of a larger message sees this many bytes.
    pub max_scan: u64,
    /// Instructions one run may take.
    pub cpu_limit: usize,
    /// Redirects one run may make.
    pub max_redirects: usize,
    /// Scripts one script may include, and how deep.
    pub max_includes: usize,
    /// Folders an account may have for a script to make another (`fileinto :create`).
    pub max_folders: usize,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            max_script_size: 64 * 1024,
            max_scripts: 32,
            max_scan: 8 * 1024 * 1024,
            cpu_limit: 5000,
            max_redirects: 4,
            max_includes: 3,
            max_folders: 1000,
        }
    }
}

impl Settings {
    pub(crate) fn compiler(&self) -> sieve::Compiler {
        sieve::Compiler::new()
            .with_max_script_size(self.max_script_size)
            .with_max_includes(self.max_includes)
    }

    pub(crate) fn runtime(&self) -> sieve::Runtime {
        sieve::Runtime::new()
            .with_cpu_limit(self.cpu_limit)
            .with_max_redirects(self.max_redirects)
            .with_max_nested_includes(self.max_includes)
            // Neither is offered: the node keeps no metadata for scripts and notifies no one.
            .without_capabilities(["imapsieve", "comparator-elbonia", "enotify"])
    }
}
