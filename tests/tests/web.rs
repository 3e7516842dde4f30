//! The web interface in a real browser: Debian's Chromium, headless, driven through
//! chromedriver by Selenium (tests/py/web.py), against `wims demo`'s nodes. Needs chromium,
//! chromedriver and the Python module selenium (scripts/test installs them; under CI their
//! absence fails the test). `WIMS_WEB_SCREENSHOTS=DIR` keeps the screenshots docs/web.md shows.
//! Node B's operator token for the administration pages comes from `wims monitor-token`.

use wims_tests::demo::{start_demo_in, stop_demo, wait_for_output};
use wims_tests::{require_python_module, require_tool, run_python, wims_bin};

#[test]
fn webmail_in_a_real_browser() {
    if !require_tool("chromium", "chromium")
        || !require_tool("chromedriver", "chromium-driver")
        || !require_python_module("selenium", "selenium==4.50.0")
    {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (mut demo, json, work) = start_demo_in(tmp.path());
    // The welcome message is in bob's inbox once its receipt came back.
    wait_for_output(&mut demo, "the signed receipt verified", 1);
    // An operator token for node B's administration pages, made as an operator would.
    let made = std::process::Command::new(wims_bin())
        .arg("--data")
        .arg(tmp.path().join("demo").join("node-b"))
        .arg("monitor-token")
        .env("LC_ALL", "C.UTF-8")
        .output()
        .expect("run wims monitor-token");
    assert!(made.status.success(), "wims monitor-token: {made:?}");
    let token = String::from_utf8_lossy(&made.stdout)
        .split_whitespace()
        .find(|w| w.starts_with("wmt_"))
        .expect("wims monitor-token prints a token")
        .to_string();
    let mut env: Vec<(String, std::ffi::OsString)> =
        vec![("WIMS_OPERATOR_TOKEN".to_string(), token.into())];
    if let Some(d) = std::env::var_os("WIMS_WEB_SCREENSHOTS") {
        env.push(("WIMS_WEB_SCREENSHOTS".to_string(), d));
    }
    run_python("web.py", &[&json.display().to_string()], &work, &env);
    stop_demo(&mut demo);
}
