//! Attachments carried into a message being written: a forward keeps the original's, a draft
//! taken up again keeps its own. The form lists them with a box each (ticked); on sending,
//! each one still ticked is decoded from the store into the upload's folder as it is read,
//! like an uploaded file, so every message is made from files the same way and none of them
//! passes through memory whole.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use maud::{Markup, html};

use crate::guard::User;
use crate::texts::I18n;
use crate::{Web, download, page, render};

/// One attachment of the message the form started from.
#[derive(Debug, Clone)]
pub struct Carried {
    /// Its number in that message, as the read view numbers attachments.
    pub n: usize,
    pub name: String,
    pub size: u64,
    /// Still ticked: it goes with the message.
    pub kept: bool,
}

/// The attachments a form carries, and the message they come from (`FOLDER/UID`).
#[derive(Debug, Default, Clone)]
pub struct Attachments {
    pub from: String,
    pub list: Vec<Carried>,
}

impl Attachments {
    /// All of the message's attachments, ticked.
    pub fn of(from: String, o: &render::Original) -> Attachments {
        let list = o
            .attachments
            .iter()
            .enumerate()
            .map(|(n, a)| Carried {
                n,
                name: render::safe_file_name(&a.name),
                size: a.size,
                kept: true,
            })
            .collect();
        Attachments { from, list }
    }

    /// The same list with only the numbers in `kept` ticked (a form sent back).
    pub fn ticked(mut self, kept: &[usize]) -> Attachments {
        for c in &mut self.list {
            c.kept = kept.contains(&c.n);
        }
        self
    }

    /// The form's part: where they come from and a box for each.
    pub fn fields(&self, t: &I18n) -> Markup {
        html! {
            @if !self.list.is_empty() {
                input type="hidden" name="carried_from" value=(self.from);
                fieldset.carried {
                    legend { (t.text("web-carried", &[])) }
                    @for c in &self.list {
                        label.check {
                            input type="checkbox" name="keep" value=(c.n) checked[c.kept];
                            " " (c.name) " " span.meta { "(" (page::size(c.size)) ")" }
                        }
                    }
                }
            }
        }
    }
}

/// Why carried attachments could not be made ready.
pub enum NotCarried {
    /// With the uploads they are more than the message may carry.
    TooLarge,
    /// The message, or one of the attachments kept, is not there (any more).
    Missing,
    Io(std::io::Error),
}

/// Copies the attachments numbered `kept` of `user`'s message `from` into `dir`, each at most
/// `budget` bytes less what the ones before took: their paths. Only the account's own
/// messages are looked at; one it does not have, or an attachment it lacks, is `Missing`.
pub async fn copy(
    web: &Arc<Web>,
    user: &User,
    (folder, uid): (u64, u32),
    kept: Vec<usize>,
    dir: &Path,
    budget: u64,
) -> Result<Vec<PathBuf>, NotCarried> {
    let (store, account, dir) = (web.store.clone(), user.session.account, dir.to_path_buf());
    mailbox::blocking::run(move || -> Result<Vec<PathBuf>, NotCarried> {
        let (mut left, mut paths) = (budget, Vec::new());
        for n in kept {
            // A folder of its own for each, so two of the same name do not meet.
            let sub = dir.join(format!("carried-{n}"));
            let copied = download::copy(&store, account, (folder, uid, n), &sub, left);
            match copied {
                Ok(Some((path, len))) => {
                    left -= len;
                    paths.push(path);
                }
                Ok(None) => return Err(NotCarried::Missing),
                Err(e) if e.kind() == std::io::ErrorKind::FileTooLarge => {
                    return Err(NotCarried::TooLarge);
                }
                Err(e) => return Err(NotCarried::Io(e)),
            }
        }
        Ok(paths)
    })
    .await
    .map_err(|e| NotCarried::Io(std::io::Error::other(e.to_string())))?
}
