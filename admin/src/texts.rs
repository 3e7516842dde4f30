//! What an update check found, and why a script does not check, in the user's language: the CLI prints it, the operator pages
//! show it. The release's version, address and notes come from the service network's
//! verified announcement; a page escapes them like any other text.

pub fn update_status(t: &::i18n::I18n, status: &delivery::UpdateStatus) -> String {
    match status {
        delivery::UpdateStatus::Available { release } => t.text(
            "admin-update-available",
            &[
                ("version", &release.product_version),
                ("url", &release.url),
                ("notes", &release.notes),
            ],
        ),
        delivery::UpdateStatus::UpToDate { running } => {
            t.text("admin-update-up-to-date", &[("version", running)])
        }
        delivery::UpdateStatus::NoNetwork => t.text("admin-update-no-network", &[]),
        delivery::UpdateStatus::Remembered {
            known,
            newer,
            running,
            reason,
        } => {
            let r = &known.release;
            let fetched = known
                .fetched
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            let id = if *newer {
                "admin-update-remembered-available"
            } else {
                "admin-update-remembered-up-to-date"
            };
            t.text(
                id,
                &[
                    ("version", &r.product_version),
                    ("url", &r.url),
                    ("notes", &r.notes),
                    ("running", running),
                    ("fetched", &fetched),
                    ("reason", reason),
                ],
            )
        }
    }
}

/// Why a script does not check, and where, in the user's language.
pub fn problem(t: &::i18n::I18n, line: usize, column: usize, p: &rules::Problem) -> String {
    let what = match p {
        rules::Problem::Unexpected(found) if found.is_empty() => {
            t.text("admin-rules-unexpected-end", &[])
        }
        rules::Problem::Unexpected(found) => t.text("admin-rules-unexpected", &[("found", found)]),
        rules::Problem::Unterminated => t.text("admin-rules-unterminated", &[]),
        rules::Problem::TooLarge => t.text("admin-rules-too-long", &[]),
        rules::Problem::TooDeep => t.text("admin-rules-too-deep", &[]),
        rules::Problem::Extension(name) => t.text("admin-rules-extension", &[("name", name)]),
        rules::Problem::Invalid(detail) => {
            t.text("admin-rules-invalid-value", &[("detail", detail)])
        }
    };
    if line == 0 {
        return t.text("admin-rules-invalid-somewhere", &[("what", &what)]);
    }
    let (line, column) = (line.to_string(), column.to_string());
    t.text(
        "admin-rules-invalid",
        &[("line", &line), ("column", &column), ("what", &what)],
    )
}
