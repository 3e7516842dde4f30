//! docs/operator.md followed as written: tests/py/operator_doc.py runs the shell steps of its
//! walk-through ("Hosting an account on a node") in order — a service server, two nodes on this
//! machine with an account each — and then the mail-client step: the two accounts write to each
//! other with smtplib and read with imaplib, and each Sent copy gets `$Delivered`. Only what a
//! test must change is changed: the binaries under test on PATH, a temporary folder for `/srv`
//! and `~`, free 127.0.0.1 ports for the doc's port numbers, passwords on standard input.

use std::ffi::OsString;
use std::path::Path;

use wims_tests::{run_python, service_bin, wims_bin};

#[test]
fn the_operator_walkthrough_works_as_written() {
    let work = tempfile::Builder::new()
        .prefix("wims-operator-doc-")
        .tempdir()
        .expect("create temporary folder");
    let doc = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/operator.md");
    let env: Vec<(String, OsString)> = vec![
        ("WIMS_BIN".into(), wims_bin().into()),
        ("WIMS_SERVICE_BIN".into(), service_bin().into()),
        ("WIMS_OPERATOR_DOC".into(), doc.into()),
    ];
    let keep = std::env::var_os("WIMS_TEST_KEEP").is_some();
    let outcome =
        std::panic::catch_unwind(|| run_python("operator_doc.py", &[], work.path(), &env));
    if outcome.is_err() && keep {
        eprintln!("kept test folder {}", work.keep().display());
    }
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}
