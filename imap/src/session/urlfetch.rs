//! URLFETCH (RFC 4467) with URLAUTH=BINARY's parameters (RFC 5524): for each signed URL the
//! part it names as it is stored, or with `(url BODYPARTSTRUCTURE BINARY|BODY)` its body
//! structure and its content decoded from its transfer encoding. Answers are written a
//! literal at a time; large ones are streamed by the driver.

use std::collections::VecDeque;
use std::io::Read;

use imap_codec::imap_types::fetch::Section;
use mailbox::transfer::Encoding;

use super::urlauth::Resolved;
use super::{Session, Step};
use crate::args::{Tok, tokens, word};
use crate::binary::binary_decoder;
use crate::fetch::{FLUSH_AT, NoNul, literal, section_reader};
use crate::render::{body_structure, find_part};
use crate::syntax::string;

/// What RFC 5524 lets a client ask of one URL.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Params {
    structure: bool,
    binary: bool,
    body: bool,
}

struct Request {
    url: String,
    /// None: the plain form, the stored bytes alone.
    params: Option<Params>,
}

/// A URLFETCH whose answer is being sent.
pub(crate) struct UrlFetch {
    tag: String,
    urls: VecDeque<Request>,
    /// `* URLFETCH` has been written.
    started: bool,
    /// A streamed BINARY or BODY literal still needs its closing parenthesis.
    close: bool,
}

fn request(t: &Tok) -> Option<Request> {
    match t {
        Tok::Word(url) => Some(Request {
            url: url.clone(),
            params: None,
        }),
        Tok::List(items, _) => {
            let (url, rest) = items.split_first()?;
            let mut p = Params::default();
            for item in rest {
                match word(item)?.to_ascii_uppercase().as_str() {
                    "BODYPARTSTRUCTURE" => p.structure = true,
                    "BINARY" => p.binary = true,
                    "BODY" => p.body = true,
                    _ => return None,
                }
            }
            // One content form at most (RFC 5524 3).
            if p.binary && p.body {
                return None;
            }
            Some(Request {
                url: word(url)?.to_string(),
                params: Some(p),
            })
        }
    }
}

/// The part a section names when it is a part number (or the whole message); headers, texts
/// and MIME headers have no structure of their own.
fn part_path(section: &Option<Section<'_>>) -> Option<Vec<u32>> {
    match section {
        None => Some(Vec::new()),
        Some(Section::Part(p)) => Some(p.0.as_ref().iter().map(|n| n.get()).collect()),
        Some(_) => None,
    }
}

/// What decoding a leaf part gives: its length, and whether it holds 8-bit bytes or NULs (so
/// its structure can name the form the client gets).
struct Decoded {
    len: u64,
    eight_bit: bool,
    nul: bool,
}

fn measure(mut r: impl Read) -> std::io::Result<Decoded> {
    let mut d = Decoded {
        len: 0,
        eight_bit: false,
        nul: false,
    };
    let mut buf = [0u8; 64 * 1024];
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            return Ok(d);
        }
        let b = &buf[..n];
        d.len += n as u64;
        d.eight_bit |= b.iter().any(|&c| c >= 0x80);
        d.nul |= b.contains(&0);
    }
}

impl Session {
    pub(crate) fn urlfetch_command(&mut self, tag: &str, args: &[u8]) -> Step {
        let mut s = args;
        let urls: Option<VecDeque<Request>> =
            tokens(&mut s).and_then(|t| t.iter().map(request).collect());
        match urls {
            Some(urls) if !urls.is_empty() => {
                self.urlfetch = Some(Box::new(UrlFetch {
                    tag: tag.to_string(),
                    urls,
                    started: false,
                    close: false,
                }));
                self.urlfetch_more()
            }
            _ => {
                self.bad_syntax(tag, "URLFETCH");
                Step::Read
            }
        }
    }

    /// Writes URLFETCH's answer until a literal must be streamed; the driver's
    /// [`Session::resume`] comes back here.
    pub(crate) fn urlfetch_more(&mut self) -> Step {
        let Some(mut job) = self.urlfetch.take() else {
            return Step::Read;
        };
        if !job.started {
            self.out.extend_from_slice(b"* URLFETCH");
            job.started = true;
        }
        if std::mem::take(&mut job.close) {
            self.out.push(b')');
        }
        while let Some(req) = job.urls.pop_front() {
            // Many small parts must not pile up in memory before the driver sends them.
            if self.out.len() >= FLUSH_AT {
                job.urls.push_front(req);
                self.urlfetch = Some(job);
                return Step::Flush;
            }
            self.out.push(b' ');
            string(&mut self.out, &req.url);
            let Some(found) = self.resolve_signed(&req.url) else {
                self.out.extend_from_slice(b" NIL");
                continue;
            };
            let written = match req.params {
                None => self.plain_part(&found),
                Some(p) => self
                    .part_with_params(&found, p)
                    .inspect(|b| job.close = b.is_some()),
            };
            match written {
                Ok(Some(body)) => {
                    self.urlfetch = Some(job);
                    return Step::Send(body);
                }
                Ok(None) => {}
                Err(e) => {
                    // The literal's length is out already: the connection cannot go on.
                    tracing::warn!(error = %e, "URLFETCH read failed");
                    return Step::Close;
                }
            }
        }
        self.out.extend_from_slice(b"\r\n");
        self.tagged(&job.tag, "OK", None, "imap-done");
        Step::Read
    }

    fn plain_part(&mut self, r: &Resolved) -> std::io::Result<Option<crate::Body>> {
        let store = &self.env.store;
        let body = section_reader(store, r.at, &r.meta, &r.section, r.partial)?;
        literal(&mut self.out, " ", NoNul(body.reader), body.len)
    }

    /// ` (BODYPARTSTRUCTURE ...)` and ` (BINARY ...)` or ` (BODY ...)`; a streamed literal
    /// leaves its closing parenthesis to the caller.
    fn part_with_params(
        &mut self,
        r: &Resolved,
        p: Params,
    ) -> std::io::Result<Option<crate::Body>> {
        let store = self.env.store.clone();
        let path = part_path(&r.section);
        let leaf = path
            .as_ref()
            .and_then(|path| find_part(&r.meta.structure, path));
        // The decoded form, when BINARY is asked for and the encoding can be undone.
        let decoded = match (&path, p.binary && leaf.is_some()) {
            (Some(path), true) => match binary_decoder(&store, &r.meta, path)? {
                Some((d, enc)) => Some((measure(d)?, enc)),
                None => None,
            },
            _ => None,
        };
        if p.structure {
            self.out.extend_from_slice(b" (BODYPARTSTRUCTURE ");
            match leaf {
                Some(part) => {
                    let mut part = part.clone();
                    // With BINARY the structure describes what the client gets (RFC 5524 4).
                    if let Some((d, enc)) = &decoded
                        && *enc != Encoding::Identity
                    {
                        let form = match (d.nul, d.eight_bit) {
                            (true, _) => "binary",
                            (false, true) => "8bit",
                            _ => "7bit",
                        };
                        part.encoding = Some(form.into());
                        part.body_len = d.len;
                        // The decoded form is not counted in lines (as Dovecot shows it).
                        part.body_lines = 0;
                    }
                    body_structure(&mut self.out, &part, true, self.rev2);
                }
                None => self.out.extend_from_slice(b"NIL"),
            }
            self.out.push(b')');
        }
        if p.binary {
            self.out.extend_from_slice(b" (BINARY ");
            let reader = match (&path, &decoded) {
                (Some(path), Some((d, _))) => {
                    binary_decoder(&store, &r.meta, path)?.map(|(r, _)| (r, d.len))
                }
                _ => None,
            };
            let Some((reader, len)) = reader else {
                self.out.extend_from_slice(b"NIL)");
                return Ok(None);
            };
            return self.closed_literal("~", reader, len);
        }
        if p.body {
            self.out.extend_from_slice(b" (BODY ");
            let body = section_reader(&store, r.at, &r.meta, &r.section, r.partial)?;
            return self.closed_literal("", NoNul(body.reader), body.len);
        }
        Ok(None)
    }

    /// A literal and the `)` after it, unless it is streamed.
    fn closed_literal(
        &mut self,
        prefix: &str,
        reader: impl Read + Send + 'static,
        len: u64,
    ) -> std::io::Result<Option<crate::Body>> {
        let streamed = literal(&mut self.out, prefix, reader, len)?;
        if streamed.is_none() {
            self.out.push(b')');
        }
        Ok(streamed)
    }
}
