//! What a node keeps on disk is its owner's alone: other local users can neither enter the
//! data folder nor read any file in it, including a folder made open by an older version.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use wims_tests::Node;

/// Every path under `dir` whose mode grants group or other users anything.
fn open_to_others(dir: &Path, out: &mut Vec<String>) {
    for entry in fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        let meta = fs::symlink_metadata(&path).unwrap();
        if meta.file_type().is_symlink() {
            continue;
        }
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            out.push(format!("{} {:o}", path.display(), mode));
        }
        if meta.is_dir() {
            open_to_others(&path, out);
        }
    }
}

fn mode(p: &Path) -> u32 {
    fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn data_folder_and_every_file_in_it_are_private() {
    let mut node = Node::builder()
        .account("alice@kapur.h", "alice-correct-horse")
        .account("bob@kapur.h", "bob-battery-staple")
        .start();
    // Mail on disk, a log written, the admin socket bound.
    node.python("smtp.py", &["104857600", "100", "deliver"]);
    let data = node.data_dir().to_path_buf();
    assert_eq!(mode(&data), 0o700, "data folder");
    assert!(data.join("run/admin.sock").exists());
    let mut open = Vec::new();
    open_to_others(&data, &mut open);
    assert!(open.is_empty(), "readable by others: {open:#?}");

    // A folder an older version left open is closed at the next start.
    node.stop();
    fs::set_permissions(&data, fs::Permissions::from_mode(0o755)).unwrap();
    node.start_again();
    assert_eq!(mode(&data), 0o700, "data folder after a restart");
    node.stop();
}
