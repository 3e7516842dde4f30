//! Log levels from configuration: 0 writes nothing at all, 5 traces every protocol step, and
//! `wims log-level N` changes the level of a running node.
//! One test in this binary, as the level is passed to the harness through the environment.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::Path;

use wims_tests::Node;

fn log_files_text(data: &Path) -> String {
    let mut text = String::new();
    if let Ok(dir) = std::fs::read_dir(data.join("log")) {
        for e in dir.flatten() {
            text.push_str(&std::fs::read_to_string(e.path()).unwrap_or_default());
        }
    }
    text
}

/// A short plain-text IMAP exchange: greeting, CAPABILITY, LOGOUT.
fn poke(node: &Node) {
    let s = TcpStream::connect(node.endpoints().imap).expect("connect");
    let mut r = BufReader::new(s.try_clone().unwrap());
    let mut w = s;
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    w.write_all(b"t1 CAPABILITY\r\nt2 LOGOUT\r\n").unwrap();
    loop {
        line.clear();
        if r.read_line(&mut line).unwrap() == 0 || line.starts_with("t2 ") {
            break;
        }
    }
}

#[test]
fn level_zero_is_silent_and_five_traces_protocol_steps() {
    // SAFETY: the only test in this binary; nothing else reads the environment concurrently.
    unsafe { std::env::set_var("WIMS_TEST_LOG_LEVEL", "0") };
    let mut quiet = Node::builder().start();
    poke(&quiet);
    quiet.stop();
    let file_text = log_files_text(quiet.data_dir());
    assert!(
        file_text.is_empty(),
        "level 0 wrote a log file: {file_text}"
    );
    let console = quiet.log();
    for level in ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"] {
        assert!(
            !console.contains(level),
            "level 0 logged {level}: {console}"
        );
    }

    unsafe { std::env::set_var("WIMS_TEST_LOG_LEVEL", "5") };
    let mut loud = Node::builder().start();
    poke(&loud);
    loud.stop();
    let file_text = log_files_text(loud.data_dir());
    assert!(
        file_text.contains("TRACE"),
        "level 5 wrote no trace to the log file"
    );
    assert!(
        file_text.contains("imap command"),
        "level 5 did not log IMAP commands"
    );
}
