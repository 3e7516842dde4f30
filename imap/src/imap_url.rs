//! IMAP URLs (RFC 5092) naming a message or a part of one, as CATENATE (RFC 4469) takes
//! them: `/INBOX;UIDVALIDITY=7/;UID=20/;SECTION=1.2/;PARTIAL=0.1024`, or the same after
//! `imap://user@host`. Only what names a message of the client's own account is taken.

use imap_codec::CommandCodec;
use imap_codec::decode::Decoder;
use imap_codec::imap_types::command::CommandBody;
use imap_codec::imap_types::fetch::{MacroOrMessageDataItemNames, MessageDataItemName, Section};

/// A message part an URL names.
#[derive(Debug, PartialEq)]
pub struct MessageUrl {
    /// The folder name, decoded.
    pub mailbox: String,
    pub uidvalidity: Option<u32>,
    pub uid: u32,
    /// The section as FETCH spells it (`HEADER`, `1.2.MIME`, ...); none for the whole message.
    pub section: Option<String>,
    /// Offset and length; the length is open to the end when not given.
    pub partial: Option<(u32, u32)>,
    /// The user the URL names, if it is absolute and names one.
    pub user: Option<String>,
    /// The host of an absolute URL, port included.
    pub host: Option<String>,
}

impl MessageUrl {
    /// The address of the account an absolute URL names: its user, or `user@host` when the
    /// user is a local part (`imap://alice@kapur.h/...`).
    pub fn owner(&self) -> Option<String> {
        let user = self.user.as_deref()?;
        if user.contains('@') {
            return Some(user.to_ascii_lowercase());
        }
        let host = self.host.as_deref()?;
        let host = host.split(':').next().unwrap_or(host);
        Some(format!("{user}@{host}").to_ascii_lowercase())
    }
}

/// `%XX` escapes decoded; `None` for a broken escape or text that is not UTF-8.
pub fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn number(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok().filter(|n| *n > 0)
}

/// `key=value` with the key matched case-insensitively.
fn param<'a>(seg: &'a str, key: &str) -> Option<&'a str> {
    let (k, v) = seg.split_once('=')?;
    k.eq_ignore_ascii_case(key).then_some(v)
}

/// Parses an URL naming a message (part); `None` for anything else, URLAUTH ones included
/// (this server issues none).
pub fn parse(url: &str) -> Option<MessageUrl> {
    let (mut user, mut host) = (None, None);
    let path = match url.get(..7) {
        Some(scheme) if scheme.eq_ignore_ascii_case("imap://") => {
            let rest = &url[7..];
            let slash = rest.find('/')?;
            let authority = &rest[..slash];
            let server = match authority.rsplit_once('@') {
                Some((u, h)) => {
                    let name = u.split(';').next().unwrap_or(u);
                    user = Some(percent_decode(name)?);
                    h
                }
                None => authority,
            };
            host = Some(server.to_string());
            &rest[slash..]
        }
        _ => url,
    };
    let path = path.strip_prefix('/')?;
    let mut segments = path.split("/;");
    let mailbox_ref = segments.next()?;
    let (mailbox, uidvalidity) = match mailbox_ref.split_once(';') {
        Some((m, v)) => (m, Some(number(param(v, "uidvalidity")?)?)),
        None => (mailbox_ref, None),
    };
    let mailbox = percent_decode(mailbox).filter(|m| !m.is_empty())?;
    let uid = number(param(segments.next()?, "uid")?)?;
    let mut section = None;
    let mut partial = None;
    for seg in segments {
        if let Some(s) = param(seg, "section") {
            if section.is_some() || partial.is_some() {
                return None;
            }
            section = Some(percent_decode(s)?);
        } else if let Some(p) = param(seg, "partial") {
            if partial.is_some() {
                return None;
            }
            let (off, len) = match p.split_once('.') {
                Some((o, l)) => (o, Some(l)),
                None => (p, None),
            };
            let off = if off == "0" { 0 } else { number(off)? };
            let len = match len {
                Some(l) => number(l)?,
                None => u32::MAX,
            };
            partial = Some((off, len));
        } else {
            return None;
        }
    }
    Some(MessageUrl {
        mailbox,
        uidvalidity,
        uid,
        section,
        partial,
        user,
        host,
    })
}

/// A section as FETCH's parser takes it (`BODY[...]`); `Some(None)` is the whole message.
pub fn section(text: Option<&str>) -> Option<Option<Section<'static>>> {
    let Some(text) = text else {
        return Some(None);
    };
    // Nothing that could end the bracket or the line: the text is put into a command.
    if text
        .bytes()
        .any(|b| b.is_ascii_control() || b == b']' || b == b'[')
    {
        return None;
    }
    let cmd = format!("x FETCH 1 BODY.PEEK[{text}]\r\n");
    let (_, parsed) = CommandCodec::default().decode(cmd.as_bytes()).ok()?;
    let CommandBody::Fetch {
        macro_or_item_names: MacroOrMessageDataItemNames::MessageDataItemNames(items),
        ..
    } = parsed.body
    else {
        return None;
    };
    match items.into_iter().next()? {
        MessageDataItemName::BodyExt {
            section,
            partial: None,
            ..
        } => {
            use bounded_static::IntoBoundedStatic;
            Some(section.into_static())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_and_absolute_urls() {
        let u = parse("/INBOX;UIDVALIDITY=7/;UID=20/;SECTION=1.2/;PARTIAL=0.1024").unwrap();
        assert_eq!(
            u,
            MessageUrl {
                mailbox: "INBOX".into(),
                uidvalidity: Some(7),
                uid: 20,
                section: Some("1.2".into()),
                partial: Some((0, 1024)),
                user: None,
                host: None,
            }
        );
        let u = parse("imap://a%40x.h;AUTH=*@host:143/My%20Box/;uid=3/;partial=5").unwrap();
        assert_eq!(u.mailbox, "My Box");
        assert_eq!(u.user.as_deref(), Some("a@x.h"));
        assert_eq!(u.owner().as_deref(), Some("a@x.h"));
        assert_eq!(u.partial, Some((5, u32::MAX)));
        assert_eq!(u.section, None);
        let u = parse("imap://Alice@Kapur.h:143/INBOX/;uid=3").unwrap();
        assert_eq!(u.owner().as_deref(), Some("alice@kapur.h"));
        let u = parse("/box/;uid=1/;section=HEADER.FIELDS%20(FROM)").unwrap();
        assert_eq!(u.section.as_deref(), Some("HEADER.FIELDS (FROM)"));
    }

    #[test]
    fn what_is_not_a_message_url() {
        for bad in [
            "",
            "INBOX/;uid=1",
            "/INBOX",
            "/INBOX/;uid=0",
            "/INBOX/;uid=x",
            "/INBOX;uidvalidity=/;uid=1",
            "/INBOX/;uid=1/;section=1/;section=2",
            "/INBOX/;uid=1/;partial=1.2/;section=1",
            "/INBOX/;uid=1/;urlauth=anonymous:internal:91354a47",
            "/IN%ZZBOX/;uid=1",
            "/%FF/;uid=1",
            "/;uid=1",
            "imap://host",
            "/INBOX/;uid=99999999999",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn sections_parse_as_fetch_does() {
        assert_eq!(section(None), Some(None));
        assert!(matches!(
            section(Some("HEADER")),
            Some(Some(Section::Header(None)))
        ));
        assert!(matches!(
            section(Some("1.2.MIME")),
            Some(Some(Section::Mime(_)))
        ));
        assert!(section(Some("1]\r\nx LOGOUT")).is_none());
        assert!(section(Some("BOGUS")).is_none());
    }
}
