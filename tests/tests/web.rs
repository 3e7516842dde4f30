//! The web interface in a real browser: Debian's Chromium, headless, driven through
//! chromedriver by Selenium (tests/py/web.py), against `wims demo`'s nodes. Needs chromium,
//! chromedriver and the Python module selenium (scripts/test installs them; under CI their
//! absence fails the test). `WIMS_WEB_SCREENSHOTS=DIR` keeps the screenshots docs/web.md shows.

use wims_tests::demo::{start_demo_in, stop_demo, wait_for_output};
use wims_tests::{require_python_module, require_tool, run_python};

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
    let shots: Vec<(String, std::ffi::OsString)> = std::env::var_os("WIMS_WEB_SCREENSHOTS")
        .map(|d| vec![("WIMS_WEB_SCREENSHOTS".to_string(), d)])
        .unwrap_or_default();
    run_python("web.py", &[&json.display().to_string()], &work, &shots);
    stop_demo(&mut demo);
}
