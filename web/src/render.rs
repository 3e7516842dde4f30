//! A stored message made fit to show: its header fields decoded, the text parts to show
//! inline (HTML sanitised, remote pictures left out), the rest listed as attachments. Runs
//! on the storage side of the async boundary; reads each shown part from its offset, bounded.

use std::io::{Read, Seek, SeekFrom};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use mail_parser::{Address, MessageParser};
use mailbox::transfer::{Decode, Encoding};
use mailbox::{BodyPart, MessageMeta};

/// The header fields a list row or the read view shows, decoded.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    pub subject: String,
    pub from: String,
    pub to: String,
    pub cc: String,
    /// RFC 3339, or empty when the message has no readable date.
    pub date: String,
    /// The sender whose signature the receiving node verified (its `Wims-Verified-Sender`
    /// line), empty for mail that did not come from another node.
    pub verified: String,
}

fn addresses(a: Option<&Address<'_>>) -> String {
    let Some(a) = a else {
        return String::new();
    };
    a.iter()
        .take(50)
        .map(|x| match (x.name(), x.address()) {
            (Some(n), Some(e)) => format!("{n} <{e}>"),
            (Some(n), None) => n.to_string(),
            (None, Some(e)) => e.to_string(),
            (None, None) => String::new(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The summary of a message from its header block.
pub fn summary(header: &[u8]) -> Summary {
    let Some(m) = MessageParser::default().parse_headers(header) else {
        return Summary::default();
    };
    Summary {
        subject: m.subject().unwrap_or_default().to_string(),
        from: addresses(m.from()),
        to: addresses(m.to()),
        cc: addresses(m.cc()),
        date: m.date().map(|d| d.to_rfc3339()).unwrap_or_default(),
        verified: m
            .header_raw(delivery::TRUST_HEADER)
            .map(|v| v.trim().chars().take(320).collect())
            .unwrap_or_default(),
    }
}

/// One part shown inline.
#[derive(Debug)]
pub enum Shown {
    Text {
        text: String,
        cut: bool,
    },
    /// Already sanitised: safe to put into the page as it is.
    Html {
        html: String,
        cut: bool,
    },
}

/// A part not shown inline.
#[derive(Debug)]
pub struct Attachment {
    pub name: String,
    pub media_type: String,
    pub size: u64,
}

#[derive(Debug, Default)]
pub struct Body {
    pub shown: Vec<Shown>,
    pub attachments: Vec<Attachment>,
    /// The HTML asked for pictures from elsewhere, which were left out.
    pub remote_images: bool,
}

/// Parts a message may have that are looked at; a message with more lists only these.
const MAX_PARTS: usize = 1000;

fn param<'a>(p: &'a BodyPart, name: &str) -> Option<&'a str> {
    p.params
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn file_name(p: &BodyPart) -> Option<&str> {
    p.disposition
        .as_ref()
        .and_then(|(_, ps)| ps.iter().find(|(k, _)| k.eq_ignore_ascii_case("filename")))
        .map(|(_, v)| v.as_str())
        .or_else(|| param(p, "name"))
}

fn is_attachment(p: &BodyPart) -> bool {
    p.disposition
        .as_ref()
        .is_some_and(|(d, _)| d.eq_ignore_ascii_case("attachment"))
}

/// Which leaves to show and which to list, in order: of an alternative, the HTML one if it
/// has one, else its last part.
fn walk<'a>(p: &'a BodyPart, show: &mut Vec<&'a BodyPart>, list: &mut Vec<&'a BodyPart>) {
    if show.len() + list.len() >= MAX_PARTS {
        return;
    }
    if p.is_multipart() {
        if p.subtype == "alternative" {
            let pick = p
                .parts
                .iter()
                .find(|c| c.media_type == "text" && c.subtype == "html")
                .or_else(|| p.parts.last());
            if let Some(c) = pick {
                walk(c, show, list);
            }
        } else {
            for c in &p.parts {
                walk(c, show, list);
            }
        }
    } else if p.media_type == "text"
        && (p.subtype == "plain" || p.subtype == "html")
        && !is_attachment(p)
    {
        show.push(p);
    } else {
        list.push(p);
    }
}

/// The decoded text of a part, at most `max` bytes of it (`true`: there was more).
fn part_text<R: Read + Seek>(
    blob: &mut R,
    p: &BodyPart,
    max: u64,
) -> std::io::Result<(String, bool)> {
    blob.seek(SeekFrom::Start(p.body_offset))?;
    let raw = blob.by_ref().take(p.body_len);
    let enc = Encoding::from_header(p.encoding.as_deref()).unwrap_or(Encoding::Identity);
    let mut bytes = Vec::new();
    Decode::new(raw, enc)
        .take(max + 1)
        .read_to_end(&mut bytes)?;
    let cut = bytes.len() as u64 > max;
    bytes.truncate(max as usize);
    let text = match param(p, "charset")
        .and_then(|c| mail_parser::decoders::charsets::map::charset_decoder(c.as_bytes()))
    {
        Some(decode) => decode(&bytes),
        None => String::from_utf8_lossy(&bytes).into_owned(),
    };
    Ok((text, cut))
}

/// HTML from a message, made safe: no script, no event handler, no style sheet, no form, no
/// frame; links open elsewhere without a referrer; pictures only when inline (`data:`), or,
/// when the reader asked for them (`images`), from `https:` addresses too.
pub fn sanitise(html: &str, remote_images: &Arc<AtomicBool>, images: bool) -> String {
    let seen = remote_images.clone();
    ammonia::Builder::default()
        .attribute_filter(move |element, attribute, value| {
            if element == "img" && attribute == "src" && !value.starts_with("data:") {
                seen.store(true, Ordering::Relaxed);
                if !(images && value.starts_with("https://")) {
                    return None;
                }
            }
            Some(value.into())
        })
        .url_schemes(["http", "https", "mailto", "data"].into())
        .clean(html)
        .to_string()
}

/// The `n`th part the read view lists as an attachment.
pub fn attachment(meta: &MessageMeta, n: usize) -> Option<&BodyPart> {
    let (mut show, mut list) = (Vec::new(), Vec::new());
    walk(&meta.structure, &mut show, &mut list);
    list.get(n).copied()
}

/// A part's body, decoded as it is read.
pub fn part_reader<R: Read + Seek>(
    mut blob: R,
    p: &BodyPart,
) -> std::io::Result<impl Read + use<R>> {
    blob.seek(SeekFrom::Start(p.body_offset))?;
    let enc = Encoding::from_header(p.encoding.as_deref()).unwrap_or(Encoding::Identity);
    Ok(Decode::new(blob.take(p.body_len), enc))
}

/// The name an attachment is offered under: its own, made safe.
pub fn download_name(p: &BodyPart) -> String {
    safe_file_name(file_name(p).unwrap_or_default())
}

/// A file name from outside (a message, a browser) made safe to keep and to put in a header:
/// its last path part, no control characters or quotes, 200 characters at most, not hidden;
/// `attachment` when nothing is left.
pub fn safe_file_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = last
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '\\' | ';'))
        .take(200)
        .collect();
    let clean = clean.trim().trim_start_matches('.').trim();
    if clean.is_empty() {
        "attachment".into()
    } else {
        clean.to_string()
    }
}

/// About how many bytes a part holds once decoded: base64 carries 57 bytes in 78 (a 76
/// character line and its CRLF).
fn decoded_size(p: &BodyPart) -> u64 {
    match Encoding::from_header(p.encoding.as_deref()) {
        Some(Encoding::Base64) => p.body_len * 57 / 78,
        _ => p.body_len,
    }
}

/// The parts not shown inline, as the read view lists them and a forward carries them.
fn listed(list: Vec<&BodyPart>) -> Vec<Attachment> {
    list.into_iter()
        .map(|p| Attachment {
            name: file_name(p).unwrap_or_default().to_string(),
            media_type: format!("{}/{}", p.media_type, p.subtype),
            size: decoded_size(p),
        })
        .collect()
}

/// What the read view shows of a message.
pub fn body<R: Read + Seek>(
    blob: &mut R,
    meta: &MessageMeta,
    max_text: u64,
    images: bool,
) -> std::io::Result<Body> {
    let (mut show, mut list) = (Vec::new(), Vec::new());
    walk(&meta.structure, &mut show, &mut list);
    let remote = Arc::new(AtomicBool::new(false));
    let mut out = Body::default();
    for p in show {
        let (text, cut) = part_text(blob, p, max_text)?;
        out.shown.push(if p.subtype == "html" {
            Shown::Html {
                html: sanitise(&text, &remote, images),
                cut,
            }
        } else {
            Shown::Text { text, cut }
        });
    }
    out.attachments = listed(list);
    out.remote_images = remote.load(Ordering::Relaxed);
    Ok(out)
}

/// Bare addresses of an address list (no names), at most 100.
fn bare(a: Option<&Address<'_>>) -> Vec<String> {
    a.map(|a| {
        a.iter()
            .filter_map(|x| x.address().map(str::to_string))
            .take(100)
            .collect()
    })
    .unwrap_or_default()
}

/// The text of HTML with its tags gone (ammonia's output) back from entities to characters.
fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

/// What answering or forwarding a message starts from.
#[derive(Debug, Default)]
pub struct Original {
    pub summary: Summary,
    /// Where an answer goes: `Reply-To`, else `From`.
    pub reply_to: String,
    /// Everyone the message went to (`To` and `Cc`), for an answer to all.
    pub all: Vec<String>,
    /// Its first plain-text part (or, without one, the text of its first HTML part).
    pub text: String,
    /// Its own message id, and the one it answers (both without `<>`; empty when absent).
    pub message_id: String,
    pub in_reply_to: String,
    /// Its attachments, numbered as the read view numbers them.
    pub attachments: Vec<Attachment>,
}

/// The message `uid` of `account`'s folder `folder`, as an answer starts from it; `None` when
/// the account has no such message.
pub fn original(
    store: &mailbox::Store,
    account: u64,
    folder: u64,
    uid: u32,
    max_text: u64,
) -> mailbox::Result<Option<Original>> {
    if store.folder_by_id(account, folder)?.is_none() {
        return Ok(None);
    }
    let Some(meta) = store.message_meta(folder, uid)? else {
        return Ok(None);
    };
    let header = store.message_header(folder, uid)?.unwrap_or_default();
    let mut o = Original {
        summary: summary(&header),
        ..Original::default()
    };
    if let Some(m) = MessageParser::default().parse_headers(&header[..]) {
        let reply = bare(m.reply_to());
        o.reply_to = reply
            .into_iter()
            .next()
            .or_else(|| bare(m.from()).into_iter().next())
            .unwrap_or_default();
        o.all = bare(m.to());
        o.all.extend(bare(m.cc()));
        o.message_id = m.message_id().unwrap_or_default().to_string();
        let parent = m.in_reply_to();
        o.in_reply_to = parent
            .as_text()
            .or_else(|| {
                parent
                    .as_text_list()
                    .and_then(|l| l.first())
                    .map(|c| c.as_ref())
            })
            .unwrap_or_default()
            .to_string();
    }
    let (mut show, mut list) = (Vec::new(), Vec::new());
    walk(&meta.structure, &mut show, &mut list);
    o.attachments = listed(list);
    let first = show
        .iter()
        .find(|p| p.subtype == "plain")
        .or_else(|| show.first());
    if let Some(p) = first {
        let mut blob = store.open_body(&meta)?;
        let (text, _) = part_text(&mut blob, p, max_text)?;
        o.text = if p.subtype == "html" {
            unescape(&ammonia::Builder::empty().clean(&text).to_string())
        } else {
            text
        };
    }
    Ok(Some(o))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitised_html_keeps_no_script_handler_or_remote_picture() {
        let remote = Arc::new(AtomicBool::new(false));
        let html = sanitise(
            "<p onclick=\"x()\">hi<script>alert(1)</script>\
             <img src=\"https://tracker.example/p.gif\" onerror=\"alert(2)\">\
             <img src=\"data:image/png;base64,AA==\">\
             <a href=\"javascript:alert(3)\">j</a><a href=\"https://example.org/\">ok</a>\
             <iframe src=\"https://x\"></iframe><style>p{}</style></p>",
            &remote,
            false,
        );
        for bad in [
            "script",
            "onclick",
            "onerror",
            "javascript",
            "tracker",
            "iframe",
            "style",
        ] {
            assert!(!html.contains(bad), "{bad} in {html}");
        }
        assert!(html.contains("data:image/png"), "{html}");
        assert!(html.contains("href=\"https://example.org/\""), "{html}");
        assert!(html.contains("noopener"), "{html}");
        assert!(remote.load(Ordering::Relaxed));
    }

    #[test]
    fn summary_decodes_the_header_fields() {
        let s = summary(
            b"From: =?utf-8?q?J=C3=BCrgen?= <j@x.h>\r\nTo: a@x.h, B <b@x.h>\r\n\
              Subject: =?utf-8?b?R3LDvMOfZQ==?=\r\nDate: Tue, 1 Dec 2026 10:00:00 +0000\r\n\r\n",
        );
        assert_eq!(s.from, "Jürgen <j@x.h>");
        assert_eq!(s.to, "a@x.h, B <b@x.h>");
        assert_eq!(s.subject, "Grüße");
        assert!(s.date.starts_with("2026-12-01T10:00:00"), "{}", s.date);
    }
}
