//! Running `ip`, `tc`, `nft` and `sysctl`, with the command line and stderr kept for errors.

use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::error::NetError;

/// Where a tool lives: in PATH, then in the sbin folders (see [`crate::prereq::tool`]).
pub(crate) fn tool(name: &str) -> PathBuf {
    crate::prereq::tool(name)
}

/// A tool's path as an argument for `ip netns exec`, which would look it up in PATH alone.
fn tool_arg(name: &str) -> String {
    tool(name).to_string_lossy().into_owned()
}

/// Runs `program args…`, feeding `stdin` if given, and returns its stdout.
pub(crate) fn run(program: &str, args: &[&str], stdin: Option<&str>) -> Result<String, NetError> {
    let command = command_line(program, args);
    let mut cmd = Command::new(tool(program));
    cmd.args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let spawn_err = |source| NetError::Spawn {
        command: command.clone(),
        source,
    };
    let mut child = cmd.spawn().map_err(spawn_err)?;
    if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
        // A tool that exits early closes the pipe; its exit status and stderr then say more
        // than the broken pipe would, so a write error is only reported if the tool succeeded.
        let written = pipe.write_all(input.as_bytes());
        drop(pipe);
        let output = child.wait_with_output().map_err(spawn_err)?;
        if output.status.success() {
            written.map_err(spawn_err)?;
        }
        return finish(command, output);
    }
    let output = child.wait_with_output().map_err(spawn_err)?;
    finish(command, output)
}

fn finish(command: String, output: std::process::Output) -> Result<String, NetError> {
    if output.status.success() {
        return Ok(String::from_utf8_lossy(&output.stdout).into_owned());
    }
    Err(NetError::Failed {
        command,
        status: output.status.to_string(),
        stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
    })
}

/// `ip args…` in the root namespace.
pub(crate) fn ip(args: &[&str]) -> Result<String, NetError> {
    run("ip", args, None)
}

/// `ip -n NS args…`: iproute2 switches namespace itself, which is cheaper than `ip netns exec`.
pub(crate) fn ip_in(netns: &str, args: &[&str]) -> Result<String, NetError> {
    let mut all = vec!["-n", netns];
    all.extend_from_slice(args);
    run("ip", &all, None)
}

/// `tc -n NS args…`.
pub(crate) fn tc_in(netns: &str, args: &[&str]) -> Result<String, NetError> {
    let mut all = vec!["-n", netns];
    all.extend_from_slice(args);
    run("tc", &all, None)
}

/// Loads an nftables script inside a namespace; one script is one atomic transaction.
pub(crate) fn nft_in(netns: &str, script: &str) -> Result<String, NetError> {
    let nft = tool_arg("nft");
    run(
        "ip",
        &["netns", "exec", netns, &nft, "-f", "-"],
        Some(script),
    )
}

/// `iptables args…` inside a namespace.
pub(crate) fn iptables_in(netns: &str, args: &[String]) -> Result<String, NetError> {
    let iptables = tool_arg("iptables");
    let mut all = vec!["netns", "exec", netns, &iptables];
    all.extend(args.iter().map(String::as_str));
    run("ip", &all, None)
}

/// Sets `key=value` sysctls inside a namespace (`/proc/sys/net` is per namespace).
pub(crate) fn sysctl_in(netns: &str, settings: &[&str]) -> Result<String, NetError> {
    let sysctl = tool_arg("sysctl");
    let mut all = vec!["netns", "exec", netns, &sysctl, "-q", "-w"];
    all.extend_from_slice(settings);
    run("ip", &all, None)
}

/// A `Command` that runs `program` inside `netns`.
pub(crate) fn exec_in(netns: &str, program: &OsStr) -> Command {
    let mut cmd = Command::new(tool("ip"));
    cmd.args(["netns", "exec", netns]).arg(program);
    cmd
}

/// The command as a shell would show it, for error messages.
fn command_line(program: &str, args: &[&str]) -> String {
    std::iter::once(program)
        .chain(args.iter().copied())
        .map(quote)
        .collect::<Vec<_>>()
        .join(" ")
}

fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=%@,+".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Whether iproute2 still has a namespace of that name (its bind mount under /run/netns).
pub(crate) fn netns_exists(netns: &str) -> bool {
    Path::new("/run/netns").join(netns).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_keeps_simple_words_and_quotes_the_rest() {
        assert_eq!(
            command_line("ip", &["-n", "wsim-a-inet", "addr", "add", "10.200.0.1/16"]),
            "ip -n wsim-a-inet addr add 10.200.0.1/16"
        );
        assert_eq!(command_line("sh", &["-c", "it's"]), r"sh -c 'it'\''s'");
        assert_eq!(command_line("x", &[""]), "x ''");
    }

    #[test]
    fn failures_carry_command_and_stderr() {
        let err = run("sh", &["-c", "echo nope >&2; exit 3"], None).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("sh -c 'echo nope >&2; exit 3'"), "{text}");
        assert!(text.contains("nope"), "{text}");
    }

    #[test]
    fn stdin_is_fed() {
        assert_eq!(run("cat", &[], Some("hello")).unwrap(), "hello");
    }

    #[test]
    fn missing_program_is_a_spawn_error() {
        let err = run("wsim-no-such-tool", &[], None).unwrap_err();
        assert!(matches!(err, NetError::Spawn { .. }), "{err}");
    }
}
