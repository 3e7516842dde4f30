//! Streams a drop message as MIME into any writer (the store's message writer): attachments
//! are read and base64-encoded chunk by chunk, so memory use does not grow with their size.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::confine::{AttachmentFolder, ConfineError};
use crate::format::{Attachment, DropMessage, Mailbox};

/// Bytes of input per base64 line (76 characters out).
const B64_LINE: usize = 57;
/// Bytes read from an attachment at a time; a whole number of base64 lines.
const CHUNK: usize = B64_LINE * 1024;

#[derive(Debug)]
pub enum ComposeError {
    /// An attachment could not be opened or read.
    Attachment { path: PathBuf, error: io::Error },
    /// An attachment lies outside the attachment folder, or behind a link.
    Outside { path: PathBuf },
    /// An attachment grew past the limit while it was being read.
    AttachmentTooLarge { path: PathBuf, limit: u64 },
    /// The destination failed.
    Write(io::Error),
}

/// What goes into the header besides the drop file's own fields.
pub struct Envelope<'a> {
    pub message_id: &'a str,
    pub date: chrono::DateTime<chrono::FixedOffset>,
    /// The id of the message this one answers (without `<>`): `In-Reply-To` and `References`,
    /// so mail clients thread the two. One that is not a plain message id is left out.
    pub in_reply_to: Option<&'a str>,
}

/// Whether `id` can stand in `<...>` as a message id: printable ASCII without spaces or
/// angle brackets, one `@`, at most 250 characters.
fn plain_message_id(id: &str) -> bool {
    id.len() <= 250
        && id
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'<' && b != b'>')
        && id.matches('@').count() == 1
}

/// Header-safe text: no line breaks or other controls, which would inject header lines.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// RFC 2047 encoded words where needed, each short enough for a folded header line.
fn encode_words(s: &str) -> String {
    let s = clean(s);
    if s.is_ascii() {
        return s;
    }
    let mut words = Vec::new();
    let mut cur = String::new();
    for c in s.chars() {
        if cur.len() + c.len_utf8() > 45 {
            words.push(std::mem::take(&mut cur));
        }
        cur.push(c);
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
        .iter()
        .map(|w| format!("=?UTF-8?B?{}?=", STANDARD.encode(w.as_bytes())))
        .collect::<Vec<_>>()
        .join("\r\n ")
}

fn address(m: &Mailbox) -> String {
    match &m.name {
        None => m.address.clone(),
        Some(n) => {
            let n = clean(n);
            if n.is_ascii() {
                let q = n.replace('\\', "\\\\").replace('"', "\\\"");
                format!("\"{q}\" <{}>", m.address)
            } else {
                format!("{} <{}>", encode_words(&n), m.address)
            }
        }
    }
}

fn address_list(v: &[Mailbox]) -> String {
    v.iter().map(address).collect::<Vec<_>>().join(",\r\n ")
}

/// Content type by file name extension; anything unknown is an octet stream.
pub fn content_type(name: &str) -> &'static str {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "pdf" => "application/pdf",
        "txt" | "text" | "log" => "text/plain",
        "csv" => "text/csv",
        "htm" | "html" => "text/html",
        "xml" => "application/xml",
        "json" => "application/json",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "tif" | "tiff" => "image/tiff",
        "svg" => "image/svg+xml",
        "zip" => "application/zip",
        "gz" => "application/gzip",
        "eml" => "message/rfc822",
        "ics" => "text/calendar",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls" => "application/vnd.ms-excel",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "odt" => "application/vnd.oasis.opendocument.text",
        "ods" => "application/vnd.oasis.opendocument.spreadsheet",
        _ => "application/octet-stream",
    }
}

/// `filename="..."` for plain names, RFC 2231 `filename*=UTF-8''...` for others.
fn filename_param(name: &str) -> String {
    let name = clean(name);
    if name.is_ascii() && !name.contains(['"', '\\']) {
        return format!("filename=\"{name}\"");
    }
    let mut enc = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            enc.push(b as char);
        } else {
            enc.push_str(&format!("%{b:02X}"));
        }
    }
    format!("filename*=UTF-8''{enc}")
}

/// Quoted-printable body text with CRLF line ends (RFC 2045 §6.7).
pub fn quoted_printable(text: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for line in text.split('\n') {
        let bytes = line.as_bytes();
        let mut col = 0;
        for (i, &b) in bytes.iter().enumerate() {
            let last = i + 1 == bytes.len();
            let lit = (b == b' ' || b == b'\t') && !last || (33..=126).contains(&b) && b != b'=';
            let piece = if lit {
                (b as char).to_string()
            } else {
                format!("={b:02X}")
            };
            if col + piece.len() > 75 {
                out.push_str("=\r\n");
                col = 0;
            }
            col += piece.len();
            out.push_str(&piece);
        }
        out.push_str("\r\n");
    }
    out
}

fn w<W: Write>(out: &mut W, s: &str) -> Result<(), ComposeError> {
    out.write_all(s.as_bytes()).map_err(ComposeError::Write)
}

fn text_part<W: Write>(out: &mut W, subtype: &str, body: &str) -> Result<(), ComposeError> {
    w(
        out,
        &format!(
            "Content-Type: text/{subtype}; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
        ),
    )?;
    w(out, &quoted_printable(body))
}

fn body_part<W: Write>(out: &mut W, m: &DropMessage, boundary: &str) -> Result<(), ComposeError> {
    match &m.html {
        None => text_part(out, "plain", &m.text),
        Some(html) => {
            let b = format!("{boundary}_alt");
            w(
                out,
                &format!("Content-Type: multipart/alternative; boundary=\"{b}\"\r\n\r\n"),
            )?;
            w(out, &format!("--{b}\r\n"))?;
            text_part(out, "plain", &m.text)?;
            w(out, &format!("--{b}\r\n"))?;
            text_part(out, "html", html)?;
            w(out, &format!("--{b}--\r\n"))
        }
    }
}

/// Where a message's attachments may be opened from.
#[derive(Clone, Copy)]
pub enum Source<'a> {
    /// A drop file's: beneath the attachment folder only.
    Folder(&'a AttachmentFolder),
    /// `wims send`'s: any file, since only the node's own user can reach the admin socket
    /// that asks for it.
    Anywhere,
    /// No usable attachment folder: every attachment is refused.
    Nowhere,
}

/// Copies `a` as base64, never holding more than one chunk of it.
fn attachment<W: Write>(
    out: &mut W,
    a: &Attachment,
    folder: Source<'_>,
    limit: u64,
) -> Result<(), ComposeError> {
    let err = |error| ComposeError::Attachment {
        path: a.path.clone(),
        error,
    };
    let mut f = open_attachment(folder, &a.path)?;
    w(
        out,
        &format!(
            "Content-Type: {}\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; {}\r\n\r\n",
            content_type(&a.name),
            filename_param(&a.name)
        ),
    )?;
    let mut buf = vec![0u8; CHUNK];
    // A whole chunk's lines go out in one write: the store scans and encrypts what it is
    // given, and a call per 78-byte line made that cost more than the encoding.
    let mut lines = String::with_capacity(CHUNK / B64_LINE * (B64_LINE * 4 / 3 + 2));
    let mut total = 0u64;
    loop {
        let mut filled = 0;
        while filled < CHUNK {
            match f.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(err(e)),
            }
        }
        total += filled as u64;
        if total > limit {
            return Err(ComposeError::AttachmentTooLarge {
                path: a.path.clone(),
                limit,
            });
        }
        lines.clear();
        for piece in buf[..filled].chunks(B64_LINE) {
            STANDARD.encode_string(piece, &mut lines);
            lines.push_str("\r\n");
        }
        w(out, &lines)?;
        if filled < CHUNK {
            return Ok(());
        }
    }
}

/// Opens an attachment from `source`, with the error `write_message` gives for it.
pub fn open_attachment(source: Source<'_>, path: &Path) -> Result<File, ComposeError> {
    let folder = match source {
        Source::Folder(f) => f,
        Source::Nowhere => return Err(ComposeError::Outside { path: path.into() }),
        Source::Anywhere => {
            return File::open(path).map_err(|error| ComposeError::Attachment {
                path: path.into(),
                error,
            });
        }
    };
    folder.open_file(path).map_err(|e| match e {
        ConfineError::Outside => ComposeError::Outside { path: path.into() },
        ConfineError::NotFile => ComposeError::Attachment {
            path: path.into(),
            error: io::ErrorKind::NotFound.into(),
        },
        ConfineError::Io(error) => ComposeError::Attachment {
            path: path.into(),
            error,
        },
    })
}

/// Writes the whole message, taking attachments from `source`. Bcc recipients are
/// deliberately absent from the header.
pub fn write_message<W: Write>(
    out: &mut W,
    m: &DropMessage,
    env: &Envelope,
    source: Source<'_>,
    max_attachment: u64,
) -> Result<(), ComposeError> {
    let mut h = String::new();
    h.push_str(&format!("From: {}\r\n", address(&m.from)));
    if !m.to.is_empty() {
        h.push_str(&format!("To: {}\r\n", address_list(&m.to)));
    }
    if !m.cc.is_empty() {
        h.push_str(&format!("Cc: {}\r\n", address_list(&m.cc)));
    }
    h.push_str(&format!("Subject: {}\r\n", encode_words(&m.subject)));
    h.push_str(&format!("Date: {}\r\n", env.date.to_rfc2822()));
    h.push_str(&format!("Message-ID: <{}>\r\n", env.message_id));
    if let Some(parent) = env.in_reply_to.filter(|id| plain_message_id(id)) {
        h.push_str(&format!(
            "In-Reply-To: <{parent}>\r\nReferences: <{parent}>\r\n"
        ));
    }
    h.push_str("MIME-Version: 1.0\r\n");
    h.push_str(&format!("X-Wims-Type: {}\r\n", m.kind));
    w(out, &h)?;
    if m.attachments.is_empty() {
        return body_part(out, m, &boundary(env));
    }
    let b = boundary(env);
    w(
        out,
        &format!("Content-Type: multipart/mixed; boundary=\"{b}\"\r\n\r\n"),
    )?;
    w(out, &format!("--{b}\r\n"))?;
    body_part(out, m, &b)?;
    for a in &m.attachments {
        w(out, &format!("--{b}\r\n"))?;
        attachment(out, a, source, max_attachment)?;
    }
    w(out, &format!("--{b}--\r\n"))
}

/// `=_` never occurs in quoted-printable or base64 output, so no body line can match it.
fn boundary(env: &Envelope) -> String {
    let h = blake3::hash(env.message_id.as_bytes()).to_hex();
    format!("=_wims_{}", &h[..24])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::parse;

    /// An attachment folder at `dir`, with a data folder elsewhere.
    fn folder(dir: &Path) -> AttachmentFolder {
        let data = tempfile::tempdir().unwrap();
        AttachmentFolder::open(dir, data.path()).unwrap()
    }

    fn compose(xml: &str, folder: &AttachmentFolder) -> String {
        let types: Vec<String> = mailbox::MESSAGE_TYPES
            .iter()
            .map(|t| t.to_string())
            .collect();
        let m = parse(xml, &types).unwrap();
        let date = chrono::DateTime::parse_from_rfc3339("2030-01-01T10:00:00+01:00").unwrap();
        let env = Envelope {
            message_id: "abc.drop@node.h",
            in_reply_to: Some("parent.1@other.h"),
            date,
        };
        let mut out = Vec::new();
        write_message(&mut out, &m, &env, Source::Folder(folder), u64::MAX).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn attachments_stream_as_base64_and_bcc_stays_out() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("Rechnung ä.pdf");
        let data: Vec<u8> = (0..CHUNK * 2 + 100).map(|i| (i % 251) as u8).collect();
        std::fs::write(&p, &data).unwrap();
        let xml = format!(
            "<message><passphrase>p</passphrase><from name=\"Jörg\">a@k.h</from><to>b@k.h</to>\
             <bcc>secret@k.h</bcc><subject>Grüße</subject><type>invoice</type>\
             <text>Hallo = Welt</text><html>&lt;b&gt;hi&lt;/b&gt;</html>\
             <attachment>{}</attachment></message>",
            p.display()
        );
        let out = compose(&xml, &folder(dir.path()));
        assert!(!out.contains("secret@k.h"));
        assert!(out.contains("X-Wims-Type: invoice\r\n"));
        assert!(out.contains("Message-ID: <abc.drop@node.h>\r\n"));
        assert!(
            out.contains("In-Reply-To: <parent.1@other.h>\r\nReferences: <parent.1@other.h>\r\n")
        );
        assert!(!plain_message_id("a>\r\nBcc: x@y"));
        assert!(!plain_message_id("no-at-sign"));
        assert!(out.contains("Subject: =?UTF-8?B?"));
        assert!(out.contains("Content-Type: application/pdf"));
        assert!(out.contains("filename*=UTF-8''Rechnung%20%C3%A4.pdf"));
        assert!(out.contains("Hallo =3D Welt"));
        assert!(out.contains("multipart/alternative"));
        let parsed = mail_parser::MessageParser::default()
            .parse(out.as_bytes())
            .unwrap();
        assert_eq!(parsed.subject(), Some("Grüße"));
        assert_eq!(parsed.attachment(0).unwrap().contents(), &data[..]);
        assert_eq!(parsed.body_text(0).unwrap().trim_end(), "Hallo = Welt");
        assert!(out.lines().all(|l| l.len() <= 998));
    }

    #[test]
    fn growing_attachment_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big.bin");
        std::fs::write(&p, vec![1u8; 1000]).unwrap();
        let types: Vec<String> = vec!["message".into()];
        let xml = format!(
            "<message><passphrase>p</passphrase><from>a@k.h</from><to>b@k.h</to>\
             <text>x</text><attachment>{}</attachment></message>",
            p.display()
        );
        let m = parse(&xml, &types).unwrap();
        let env = Envelope {
            message_id: "x@y",
            in_reply_to: None,
            date: chrono::Utc::now().fixed_offset(),
        };
        let f = folder(dir.path());
        let r = write_message(&mut Vec::new(), &m, &env, Source::Folder(&f), 999);
        assert!(matches!(r, Err(ComposeError::AttachmentTooLarge { .. })));
    }

    #[test]
    fn qp_soft_breaks_and_trailing_space() {
        let long = "x".repeat(200);
        let q = quoted_printable(&format!("{long}\nend "));
        assert!(q.lines().all(|l| l.len() <= 76));
        assert!(q.ends_with("end=20\r\n"));
    }
}
