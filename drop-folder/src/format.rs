//! The drop file format: an XML document a person can type by hand, parsed into typed values
//! and checked for everything that needs no store or file system (see docs/drop-folder.md).

use std::path::PathBuf;

use chrono::{DateTime, FixedOffset, Local, NaiveDateTime, TimeZone};
use serde::Deserialize;

use crate::Reason;

/// One address with an optional display name: `<to name="Bob Kapur">bob@kapur.h</to>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    pub name: Option<String>,
    /// Normalised (lower-case) address.
    pub address: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub path: PathBuf,
    /// Name shown to the recipient: the `name` attribute, else the file's own name.
    pub name: String,
}

/// A parsed, well-formed drop file.
#[derive(Debug, Clone)]
pub struct DropMessage {
    pub passphrase: String,
    pub from: Mailbox,
    pub to: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
    pub bcc: Vec<Mailbox>,
    pub subject: String,
    pub kind: String,
    pub send_at: Option<DateTime<FixedOffset>>,
    pub text: String,
    pub html: Option<String>,
    pub attachments: Vec<Attachment>,
}

impl DropMessage {
    /// Every recipient once, in order of appearance.
    pub fn recipients(&self) -> Vec<&Mailbox> {
        let mut out: Vec<&Mailbox> = Vec::new();
        for m in self.to.iter().chain(&self.cc).chain(&self.bcc) {
            if !out.iter().any(|o| o.address == m.address) {
                out.push(m);
            }
        }
        out
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMessage {
    passphrase: Option<String>,
    from: Option<RawAddress>,
    #[serde(default)]
    to: Vec<RawAddress>,
    #[serde(default)]
    cc: Vec<RawAddress>,
    #[serde(default)]
    bcc: Vec<RawAddress>,
    subject: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(rename = "send-at")]
    send_at: Option<String>,
    text: Option<String>,
    html: Option<String>,
    #[serde(default, rename = "attachment")]
    attachments: Vec<RawAttachment>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAddress {
    #[serde(rename = "@name", default)]
    name: Option<String>,
    #[serde(rename = "$text", default)]
    address: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAttachment {
    #[serde(rename = "@name", default)]
    name: Option<String>,
    #[serde(rename = "$text", default)]
    path: String,
}

/// Text of a drop file: UTF-8 (with or without a byte order mark) or UTF-16 with one, which is
/// what Windows editors save as "Unicode".
pub fn decode_text(bytes: &[u8]) -> Result<String, Reason> {
    let utf16 = |le: bool| {
        let units: Vec<u16> = bytes[2..]
            .chunks_exact(2)
            .map(|c| {
                if le {
                    u16::from_le_bytes([c[0], c[1]])
                } else {
                    u16::from_be_bytes([c[0], c[1]])
                }
            })
            .collect();
        String::from_utf16(&units).map_err(|_| Reason::Encoding)
    };
    match bytes {
        [0xEF, 0xBB, 0xBF, rest @ ..] => {
            String::from_utf8(rest.to_vec()).map_err(|_| Reason::Encoding)
        }
        [0xFF, 0xFE, ..] => utf16(true),
        [0xFE, 0xFF, ..] => utf16(false),
        _ => String::from_utf8(bytes.to_vec()).map_err(|_| Reason::Encoding),
    }
}

fn mailbox(raw: RawAddress) -> Result<Mailbox, Reason> {
    let address = mailbox::normalize_address(&raw.address)
        .map_err(|_| Reason::BadAddress(raw.address.trim().to_string()))?;
    let name = raw
        .name
        .map(|n| n.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|n| !n.is_empty());
    Ok(Mailbox { name, address })
}

/// `2025-01-31T09:00:00+01:00` (RFC 3339), or without an offset in the node's local time.
pub fn parse_send_at(s: &str) -> Result<DateTime<FixedOffset>, Reason> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t);
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(s, f)
            && let Some(t) = Local.from_local_datetime(&n).earliest()
        {
            return Ok(t.fixed_offset());
        }
    }
    Err(Reason::BadSendAt(s.to_string()))
}

/// The elements of a drop file: `<message>` holds these, and they hold only text.
const ELEMENTS: [&str; 11] = [
    "passphrase",
    "from",
    "to",
    "cc",
    "bcc",
    "subject",
    "type",
    "send-at",
    "text",
    "html",
    "attachment",
];

/// Reads the whole file as XML first, so that a syntax mistake (an unclosed tag, a bare `&`
/// in "Smith & Sons") and an element out of place are reported with their line (and column).
fn well_formed(text: &str) -> Result<(), Reason> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    // The open elements, with where each started.
    let mut open: Vec<(String, usize)> = Vec::new();
    loop {
        let at = reader.buffer_position() as usize;
        let line = ::i18n::line_column(text, at).0;
        let event = reader.read_event().map_err(|e| {
            let (line, column) = ::i18n::line_column(text, reader.error_position() as usize);
            Reason::MalformedAt {
                line,
                column,
                detail: e.to_string(),
            }
        })?;
        match event {
            Event::Eof => {
                return match open.pop() {
                    Some((name, line)) => Err(Reason::Unclosed { name, line }),
                    None => Ok(()),
                };
            }
            Event::Start(ref e) | Event::Empty(ref e) => {
                let name = e.name().0.to_string();
                let fits = match open.len() {
                    0 => name == "message",
                    1 => ELEMENTS.contains(&name.as_str()),
                    _ => false,
                };
                if !fits {
                    return Err(Reason::UnknownElement { name, line });
                }
                if matches!(event, Event::Start(_)) {
                    open.push((name, line));
                }
            }
            Event::End(_) => {
                open.pop();
            }
            Event::GeneralRef(r) => {
                let known = matches!(&*r, "lt" | "gt" | "amp" | "apos" | "quot");
                if !known && !matches!(r.resolve_char_ref(), Ok(Some(_))) {
                    let (line, column) = ::i18n::line_column(text, at);
                    return Err(Reason::MalformedAt {
                        line,
                        column,
                        detail: format!("&{};", &*r),
                    });
                }
            }
            _ => {}
        }
    }
}

/// Parses and checks a drop file. `types` are the message types this node knows.
pub fn parse(text: &str, types: &[String]) -> Result<DropMessage, Reason> {
    well_formed(text)?;
    let raw: RawMessage =
        quick_xml::de::from_str(text).map_err(|e| Reason::Malformed(e.to_string()))?;
    let required = |v: Option<String>, field: &'static str| {
        v.map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .ok_or(Reason::Missing(field))
    };
    let passphrase = raw
        .passphrase
        .filter(|p| !p.is_empty())
        .ok_or(Reason::Missing("passphrase"))?;
    let from = mailbox(raw.from.ok_or(Reason::Missing("from"))?)?;
    let list = |v: Vec<RawAddress>| v.into_iter().map(mailbox).collect::<Result<Vec<_>, _>>();
    let (to, cc, bcc) = (list(raw.to)?, list(raw.cc)?, list(raw.bcc)?);
    if to.is_empty() && cc.is_empty() && bcc.is_empty() {
        return Err(Reason::Missing("to"));
    }
    let subject = raw
        .subject
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let kind = match raw.kind.map(|k| k.trim().to_lowercase()) {
        None => "message".to_string(),
        Some(k) if k.is_empty() => "message".to_string(),
        Some(k) => {
            if !types.contains(&k) {
                return Err(Reason::UnknownType {
                    name: k,
                    known: types.join(", "),
                });
            }
            k
        }
    };
    let send_at = match raw.send_at.filter(|s| !s.trim().is_empty()) {
        Some(s) => Some(parse_send_at(&s)?),
        None => None,
    };
    let text = required(raw.text, "text")?;
    let html = raw
        .html
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty());
    let mut attachments = Vec::new();
    for a in raw.attachments {
        // Absolute, or relative to the attachment folder; where it leads is checked when the
        // file is opened (see `confine`).
        let p = a.path.trim();
        let path = PathBuf::from(p);
        if p.is_empty() {
            return Err(Reason::Missing("attachment"));
        }
        let name = a
            .name
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty())
            .or_else(|| path.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_default();
        attachments.push(Attachment { path, name });
    }
    Ok(DropMessage {
        passphrase,
        from,
        to,
        cc,
        bcc,
        subject,
        kind,
        send_at,
        text,
        html,
        attachments,
    })
}

/// Elements whose content `sent/` keeps no copy of: the passphrase, and the message itself
/// (it is in the sender's Sent folder, encrypted at rest).
const SCRUBBED: [&str; 3] = ["passphrase", "text", "html"];

/// The drop file as kept in `sent/`: the same document with the passphrase and the bodies
/// emptied. `None` when it is not well-formed XML (a file that was sent always is).
pub fn scrub(text: &str) -> Option<String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut writer = quick_xml::Writer::new(Vec::new());
    // Depth inside a scrubbed element: everything there is left out but its own tags.
    let mut inside = 0usize;
    loop {
        let event = reader.read_event().ok()?;
        match &event {
            Event::Eof => break,
            Event::Start(e) if inside == 0 && SCRUBBED.contains(&e.name().0) => {
                inside = 1;
                writer.write_event(event.borrow()).ok()?;
            }
            Event::Start(_) if inside > 0 => inside += 1,
            Event::End(_) if inside > 1 => inside -= 1,
            Event::End(_) if inside == 1 => {
                inside = 0;
                writer.write_event(event.borrow()).ok()?;
            }
            _ if inside > 0 => {}
            _ => writer.write_event(event.borrow()).ok()?,
        }
    }
    String::from_utf8(writer.into_inner()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn types() -> Vec<String> {
        mailbox::MESSAGE_TYPES
            .iter()
            .map(|t| t.to_string())
            .collect()
    }

    const EXAMPLE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<message>
  <passphrase>blue tractor seven</passphrase>
  <from name="Alice Kapur">alice@kapur.h</from>
  <to>Bob@Kapur.h</to>
  <to name="Carol">carol@kapur.h</to>
  <bcc>bob@kapur.h</bcc>
  <subject>Invoice 117 &amp; more</subject>
  <type>Invoice</type>
  <send-at>2030-01-31T09:00:00+01:00</send-at>
  <text>
Dear Bob,

here it is.
  </text>
  <html><![CDATA[<p>Dear Bob</p>]]></html>
  <attachment>/tmp/invoice-117.pdf</attachment>
  <attachment name="terms.txt">/tmp/t</attachment>
</message>
"#;

    #[test]
    fn full_example() {
        let m = parse(EXAMPLE, &types()).unwrap();
        assert_eq!(m.from.address, "alice@kapur.h");
        assert_eq!(m.from.name.as_deref(), Some("Alice Kapur"));
        assert_eq!(m.to.len(), 2);
        assert_eq!(m.to[0].address, "bob@kapur.h");
        assert_eq!(m.recipients().len(), 2);
        assert_eq!(m.subject, "Invoice 117 & more");
        assert_eq!(m.kind, "invoice");
        assert!(m.text.starts_with("Dear Bob,"));
        assert!(m.text.ends_with("here it is."));
        assert_eq!(m.html.as_deref(), Some("<p>Dear Bob</p>"));
        assert_eq!(m.attachments[0].name, "invoice-117.pdf");
        assert_eq!(m.attachments[1].name, "terms.txt");
        assert!(m.send_at.is_some());
    }

    #[test]
    fn rejections() {
        let t = types();
        assert!(matches!(
            parse("<message>\n<to>", &t),
            Err(Reason::Unclosed { ref name, line: 2 }) if name == "to"
        ));
        assert!(matches!(
            parse("<message><to><text>x</text></to></message>", &t),
            Err(Reason::UnknownElement { ref name, line: 1 }) if name == "text"
        ));
        assert!(matches!(
            parse("<message>\n<bogus/></message>", &t),
            Err(Reason::UnknownElement { ref name, line: 2 }) if name == "bogus"
        ));
        // A bare & (as a Notepad user writes "Smith & Sons"), with its line and column.
        let text = "<message>\n  <subject>Smith & Sons</subject>\n</message>";
        assert!(
            matches!(
                parse(text, &t),
                Err(Reason::MalformedAt { line: 2, column, .. }) if column > 10
            ),
            "{:?}",
            parse(text, &t)
        );
        assert!(matches!(
            parse("<message>\n<to>a@b.h</too></message>", &t),
            Err(Reason::MalformedAt { line: 2, .. })
        ));
        let base = "<passphrase>p</passphrase><from>a@k.h</from><text>x</text>";
        assert!(matches!(
            parse(&format!("<message>{base}</message>"), &t),
            Err(Reason::Missing("to"))
        ));
        assert!(matches!(
            parse(&format!("<message>{base}<to>nope</to></message>"), &t),
            Err(Reason::BadAddress(a)) if a == "nope"
        ));
        assert!(matches!(
            parse(
                &format!("<message>{base}<to>b@k.h</to><type>memo</type></message>"),
                &t
            ),
            Err(Reason::UnknownType { .. })
        ));
        let kept = scrub(&format!(
            "<?xml version=\"1.0\"?>\n<message>{base}<to name=\"B &amp; Co\">b@k.h</to>\
             <html>&lt;p&gt;secret&lt;/p&gt;<![CDATA[more]]></html></message>"
        ))
        .unwrap();
        assert!(!kept.contains("secret") && !kept.contains("more"), "{kept}");
        assert!(kept.contains("<passphrase></passphrase>"), "{kept}");
        assert!(
            kept.contains("<to name=\"B &amp; Co\">b@k.h</to>"),
            "{kept}"
        );
        assert!(scrub("<message><text>x</message>").is_none());
        assert!(matches!(
            parse(
                &format!("<message>{base}<to>b@k.h</to><attachment> </attachment></message>"),
                &t
            ),
            Err(Reason::Missing("attachment"))
        ));
        assert!(matches!(
            parse(
                "<message><from>a@k.h</from><to>b@k.h</to><text>x</text></message>",
                &t
            ),
            Err(Reason::Missing("passphrase"))
        ));
        let ok = parse(&format!("<message>{base}<to>b@k.h</to></message>"), &t).unwrap();
        assert_eq!(ok.kind, "message");
    }

    #[test]
    fn encodings() {
        assert_eq!(decode_text(b"\xEF\xBB\xBF<a/>").unwrap(), "<a/>");
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("<ä/>".encode_utf16().flat_map(|u| u.to_le_bytes()))
            .collect();
        assert_eq!(decode_text(&le).unwrap(), "<ä/>");
        assert!(matches!(decode_text(b"\xC3("), Err(Reason::Encoding)));
    }

    #[test]
    fn send_at_forms() {
        assert!(parse_send_at("2030-01-31T09:00:00Z").is_ok());
        assert!(parse_send_at("2030-01-31 09:00").is_ok());
        assert!(parse_send_at("tomorrow").is_err());
    }
}
