//! A message's top header read as bytes: the stored header block is searched and sorted by
//! without parsing the whole message.

/// Values of header `name` (unfolded) in the message's top header.
pub(crate) fn header_values(raw: &[u8], name: &str) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    let mut cur: Option<Vec<u8>> = None;
    for line in raw.split_inclusive(|&b| b == b'\n') {
        let trimmed: &[u8] = line.strip_suffix(b"\n").unwrap_or(line);
        let trimmed = trimmed.strip_suffix(b"\r").unwrap_or(trimmed);
        if matches!(line.first(), Some(b' ' | b'\t')) {
            if let Some(c) = cur.as_mut() {
                c.extend_from_slice(trimmed);
            }
            continue;
        }
        if let Some(c) = cur.take() {
            out.push(c);
        }
        if let Some(i) = trimmed.iter().position(|&b| b == b':')
            && trimmed[..i]
                .trim_ascii()
                .eq_ignore_ascii_case(name.as_bytes())
        {
            cur = Some(trimmed[i + 1..].trim_ascii().to_vec());
        }
    }
    if let Some(c) = cur {
        out.push(c);
    }
    out
}
