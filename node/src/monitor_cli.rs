//! `wims monitor-token`: operator tokens of the monitor endpoint. They work on the data folder
//! directly, running node or not: the node reads the token file at each operator hello.

use anyhow::{Result, anyhow};
use monitor_endpoint::token;
use node::branding::Branding;
use node::i18n::I18n;
use node::paths::DataDir;

pub fn token(
    data: &DataDir,
    i18n: &I18n,
    branding: &Branding,
    replace: bool,
    revoke_all: bool,
) -> Result<()> {
    let failed = |e: std::io::Error| {
        let path = token::tokens_file(&data.root).display().to_string();
        anyhow!(i18n.text(
            "cli-io-failed",
            &[("path", &path), ("reason", &e.to_string())]
        ))
    };
    if revoke_all {
        token::revoke_all(&data.root).map_err(failed)?;
        println!("{}", i18n.text("cli-monitor-token-revoked", &[]));
        return Ok(());
    }
    let made = token::issue(&data.root, replace).map_err(failed)?;
    println!(
        "{}",
        i18n.text("cli-monitor-token-made", &[("product", &branding.name)])
    );
    // On a line of its own, so that a script can take it.
    println!("{made}");
    Ok(())
}
