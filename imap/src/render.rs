//! ENVELOPE and BODYSTRUCTURE from the stored mail model.

use mailbox::{BodyPart, EmailAddress, Envelope};

use super::syntax::{header_text, nstring, string};

fn addresses(out: &mut Vec<u8>, list: &[EmailAddress]) {
    if list.is_empty() {
        out.extend_from_slice(b"NIL");
        return;
    }
    out.push(b'(');
    for a in list {
        // An obsolete source route is kept in front of the local part: `@route:user`.
        let (route, mailbox) = match a.mailbox.as_deref() {
            Some(m) if m.starts_with('@') && a.host.is_some() => match m.split_once(':') {
                Some((r, l)) => (Some(r), Some(l)),
                None => (None, Some(m)),
            },
            m => (None, m),
        };
        out.push(b'(');
        header_text(out, a.name.as_deref());
        out.push(b' ');
        nstring(out, route);
        out.push(b' ');
        header_text(out, mailbox);
        out.push(b' ');
        nstring(out, a.host.as_deref());
        out.push(b')');
    }
    out.push(b')');
}

pub fn envelope(out: &mut Vec<u8>, e: &Envelope) {
    out.push(b'(');
    nstring(out, e.date.as_deref());
    out.push(b' ');
    header_text(out, e.subject.as_deref());
    for list in [&e.from, &e.sender, &e.reply_to, &e.to, &e.cc, &e.bcc] {
        out.push(b' ');
        addresses(out, list);
    }
    out.push(b' ');
    nstring(out, e.in_reply_to.as_deref());
    out.push(b' ');
    nstring(out, e.message_id.as_deref());
    out.push(b')');
}

fn params(out: &mut Vec<u8>, p: &[(String, String)]) {
    if p.is_empty() {
        out.extend_from_slice(b"NIL");
        return;
    }
    out.push(b'(');
    for (i, (k, v)) in p.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        string(out, &k.to_ascii_uppercase());
        out.push(b' ');
        header_text(out, Some(v));
    }
    out.push(b')');
}

fn disposition_language_location(out: &mut Vec<u8>, p: &BodyPart) {
    out.push(b' ');
    match &p.disposition {
        Some((d, ps)) => {
            out.push(b'(');
            string(out, &d.to_ascii_uppercase());
            out.push(b' ');
            params(out, ps);
            out.push(b')');
        }
        None => out.extend_from_slice(b"NIL"),
    }
    out.push(b' ');
    match p.language.as_slice() {
        [] => out.extend_from_slice(b"NIL"),
        [one] => string(out, one),
        many => {
            out.push(b'(');
            for (i, l) in many.iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                string(out, l);
            }
            out.push(b')');
        }
    }
    out.push(b' ');
    nstring(out, p.location.as_deref());
}

/// BODYSTRUCTURE when `extended`, else BODY; `rev2` for IMAP4rev2 syntax.
pub fn body_structure(out: &mut Vec<u8>, p: &BodyPart, extended: bool, rev2: bool) {
    out.push(b'(');
    if p.is_multipart() && !p.parts.is_empty() {
        for c in &p.parts {
            body_structure(out, c, extended, rev2);
        }
        out.push(b' ');
        string(out, &p.subtype.to_ascii_uppercase());
        if extended {
            out.push(b' ');
            params(out, &p.params);
            disposition_language_location(out, p);
        }
        out.push(b')');
        return;
    }
    // A multipart without parts is shown as its raw body, as a text part would be.
    let (t, st) = if p.is_multipart() {
        ("TEXT", "PLAIN".to_string())
    } else {
        (p.media_type.as_str(), p.subtype.to_ascii_uppercase())
    };
    string(out, &t.to_ascii_uppercase());
    out.push(b' ');
    string(out, &st);
    out.push(b' ');
    params(out, &p.params);
    out.push(b' ');
    nstring(out, p.id.as_deref());
    out.push(b' ');
    nstring(out, p.description.as_deref());
    out.push(b' ');
    string(
        out,
        &p.encoding.as_deref().unwrap_or("7bit").to_ascii_uppercase(),
    );
    out.extend_from_slice(format!(" {}", p.body_len).as_bytes());
    // IMAP4rev1 knows only message/rfc822 as an encapsulated message (RFC 3501 body-type-msg);
    // message/global got the same form in IMAP4rev2 (RFC 9051), before that it is a basic body.
    let encapsulated = p
        .message
        .as_ref()
        .filter(|_| rev2 || p.subtype.eq_ignore_ascii_case("rfc822"));
    if let Some(m) = encapsulated {
        out.push(b' ');
        envelope(out, &m.0);
        out.push(b' ');
        body_structure(out, &m.1, extended, rev2);
        out.extend_from_slice(format!(" {}", p.body_lines).as_bytes());
    } else if t.eq_ignore_ascii_case("text") {
        out.extend_from_slice(format!(" {}", p.body_lines).as_bytes());
    }
    if extended {
        out.push(b' ');
        nstring(out, p.md5.as_deref());
        disposition_language_location(out, p);
    }
    out.push(b')');
}

/// The entity a section part path names (RFC 3501 6.4.5).
pub fn find_part<'a>(root: &'a BodyPart, path: &[u32]) -> Option<&'a BodyPart> {
    let mut node = root;
    for (i, n) in path.iter().enumerate() {
        if i > 0
            && let Some(m) = &node.message
        {
            node = &m.1;
        }
        if node.is_multipart() {
            node = node.parts.get((*n as usize).checked_sub(1)?)?;
        } else if *n != 1 {
            return None;
        }
    }
    Some(node)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn structure(raw: &[u8], rev2: bool) -> String {
        let mut s = mailbox::mime::Scanner::new();
        s.feed(raw);
        let (_, part) = s.finish();
        let mut out = Vec::new();
        body_structure(&mut out, &part, true, rev2);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn message_global_carries_an_envelope_only_in_rev2() {
        let global = b"Content-Type: message/global\r\n\r\nSubject: inner\r\n\r\nhi\r\n";
        let rev1 = structure(global, false);
        assert!(
            rev1.starts_with("(\"MESSAGE\" \"GLOBAL\" NIL NIL NIL \"7BIT\" 22 NIL"),
            "{rev1}"
        );
        assert!(!rev1.contains("inner"));
        assert!(structure(global, true).contains("\"inner\""));
        let rfc822 = b"Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\nhi\r\n";
        assert!(structure(rfc822, false).contains("\"inner\""));
    }
}
