//! ESEARCH (RFC 4731), ESORT (RFC 5267) and SEARCHRES (RFC 5182) syntax that imap-codec does
//! not parse: a `RETURN (...)` clause after SEARCH or SORT, and `$` standing for the saved
//! search result. Both are rewritten into syntax the parser knows before the command is
//! decoded. Also the answers of SEARCH and SORT, plain or ESEARCH.

#[derive(Debug, Default, Clone, PartialEq)]
pub struct SearchReturn {
    pub min: bool,
    pub max: bool,
    pub all: bool,
    pub count: bool,
    pub save: bool,
    /// Keep the result up to date as the folder changes (RFC 5267 4).
    pub update: bool,
    /// Only the messages at these positions of the result (RFC 5267 4.4, RFC 9394).
    pub partial: Option<Partial>,
}

impl SearchReturn {
    /// `RETURN ()` means ALL (RFC 4731 3.1); so does UPDATE alone, which gives the client the
    /// result its later ADDTO and REMOVEFROM apply to.
    fn normalised(mut self) -> Self {
        if !(self.min || self.max || self.count || self.save || self.partial.is_some()) {
            self.all = true;
        }
        self
    }
}

/// A range of positions in a result, 1-based, `first <= last`; counted from its end when
/// `from_end` (RFC 9394 `-1:-10`, the last ten).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Partial {
    pub first: u32,
    pub last: u32,
    pub from_end: bool,
}

impl Partial {
    /// `a:b` with both ends non-zero and of one sign; `*` and a single number are not ranges
    /// here (RFC 5267 4.4).
    pub fn parse(s: &str) -> Option<Partial> {
        let (a, b) = s.split_once(':')?;
        let end = |x: &str| -> Option<(u32, bool)> {
            let (neg, digits) = match x.strip_prefix('-') {
                Some(d) => (true, d),
                None => (false, x),
            };
            if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let n: u32 = digits.parse().ok()?;
            (n > 0).then_some((n, neg))
        };
        let ((a, na), (b, nb)) = (end(a)?, end(b)?);
        (na == nb).then_some(Partial {
            first: a.min(b),
            last: a.max(b),
            from_end: na,
        })
    }

    /// The part of `hits` (in result order) the range names.
    pub fn pick<'h, T>(&self, hits: &'h [T]) -> &'h [T] {
        let n = hits.len();
        let (first, last) = (self.first as usize, self.last as usize);
        let (from, to) = if self.from_end {
            (n.saturating_sub(last), n.saturating_sub(first - 1))
        } else {
            ((first - 1).min(n), last.min(n))
        };
        &hits[from..to.max(from)]
    }

    fn text(&self) -> String {
        let sign = if self.from_end { "-" } else { "" };
        format!("{sign}{}:{sign}{}", self.first, self.last)
    }
}

/// The verb of a command and whether it is a UID command: (tag, uid, verb, offset after verb).
pub fn verb(bytes: &[u8]) -> Option<(String, bool, String, usize)> {
    let line_end = bytes
        .iter()
        .position(|&b| b == b'\r' || b == b'\n')
        .unwrap_or(bytes.len());
    let line = std::str::from_utf8(&bytes[..line_end]).ok()?;
    let (tag, rest) = line.split_once(' ')?;
    let (first, after) = rest.split_once(' ').unwrap_or((rest, ""));
    let (uid, verb, after) = if first.eq_ignore_ascii_case("UID") {
        let (v, a) = after.split_once(' ').unwrap_or((after, ""));
        (true, v, a)
    } else {
        (false, first, after)
    };
    let offset = line.len() - after.len();
    Some((tag.to_string(), uid, verb.to_ascii_uppercase(), offset))
}

/// Strips `RETURN (...)` from a SEARCH or SORT command.
pub fn strip_return(bytes: &[u8]) -> Option<(Vec<u8>, SearchReturn)> {
    let (_, _, verb, off) = verb(bytes)?;
    if verb != "SEARCH" && verb != "SORT" {
        return None;
    }
    let rest = &bytes[off..];
    if rest.len() < 7 || !rest[..7].eq_ignore_ascii_case(b"RETURN ") {
        return None;
    }
    let open = 7;
    if rest.get(open) != Some(&b'(') {
        return None;
    }
    let close = open + rest[open..].iter().position(|&b| b == b')')?;
    let opts = std::str::from_utf8(&rest[open + 1..close]).ok()?;
    let mut r = SearchReturn::default();
    let mut words = opts.split_ascii_whitespace();
    while let Some(o) = words.next() {
        match o.to_ascii_uppercase().as_str() {
            "MIN" => r.min = true,
            "MAX" => r.max = true,
            "ALL" => r.all = true,
            "COUNT" => r.count = true,
            "SAVE" => r.save = true,
            "UPDATE" => r.update = true,
            "PARTIAL" => r.partial = Some(Partial::parse(words.next()?)?),
            _ => return None,
        }
    }
    let mut out = bytes[..off].to_vec();
    let tail = &rest[close + 1..];
    out.extend_from_slice(tail.strip_prefix(b" ").unwrap_or(tail));
    Some((out, r.normalised()))
}

/// One message of a SEARCH or SORT result.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub seq: u32,
    pub uid: u32,
    pub modseq: u64,
}

/// The UIDs SAVE keeps of a result, ascending; with MIN or MAX only those (RFC 5182 2.4).
pub fn to_save(r: &SearchReturn, hits: &[Hit]) -> Vec<u32> {
    let mut v: Vec<u32> = if r.min || r.max {
        let mut v = Vec::new();
        if r.min {
            v.extend(hits.first().map(|h| h.uid));
        }
        if r.max {
            v.extend(hits.last().map(|h| h.uid));
        }
        v
    } else {
        hits.iter().map(|h| h.uid).collect()
    };
    v.sort_unstable();
    v.dedup();
    v
}

/// The untagged answer of SEARCH or SORT (`verb`), `hits` in result order: ascending for
/// SEARCH, the sort order for SORT, so MIN and MAX are the first and last of it (RFC 5267
/// 3.2) and ALL keeps that order. An ESEARCH response when `ret` is given, else `* SEARCH` or
/// `* SORT`; `None` for SAVE alone, which asks for no answer (RFC 5182 2.1). `modseq`: the
/// criteria named MODSEQ, so the highest MODSEQ of what is returned goes along (RFC 7162
/// 3.1.5).
pub fn answer(
    verb: &str,
    tag: &str,
    uid: bool,
    ret: Option<&SearchReturn>,
    hits: &[Hit],
    modseq: bool,
) -> Option<String> {
    let pick = |h: &Hit| if uid { h.uid } else { h.seq };
    let Some(r) = ret else {
        let mut l = format!("* {verb}");
        for h in hits {
            l.push_str(&format!(" {}", pick(h)));
        }
        if let (true, Some(m)) = (modseq, hits.iter().map(|h| h.modseq).max()) {
            l.push_str(&format!(" (MODSEQ {m})"));
        }
        return Some(l);
    };
    if r.save && !(r.min || r.max || r.all || r.count || r.update || r.partial.is_some()) {
        return None;
    }
    let mut l = format!("* ESEARCH (TAG \"{tag}\")");
    if uid {
        l.push_str(" UID");
    }
    if let (true, Some(h)) = (r.min, hits.first()) {
        l.push_str(&format!(" MIN {}", pick(h)));
    }
    if let (true, Some(h)) = (r.max, hits.last()) {
        l.push_str(&format!(" MAX {}", pick(h)));
    }
    if r.count {
        l.push_str(&format!(" COUNT {}", hits.len()));
    }
    if r.all && !hits.is_empty() {
        let nums: Vec<u32> = hits.iter().map(pick).collect();
        l.push_str(&format!(" ALL {}", compact(&nums)));
    }
    if let Some(p) = &r.partial {
        let nums: Vec<u32> = p.pick(hits).iter().map(pick).collect();
        let set = if nums.is_empty() {
            "NIL".to_string()
        } else {
            compact(&nums)
        };
        l.push_str(&format!(" PARTIAL ({} {set})", p.text()));
    }
    // RFC 4731 3.2 / RFC 7162 3.1.5: with only MIN and/or MAX asked, the highest MODSEQ of
    // the messages returned; otherwise of all that matched.
    let reported: Vec<&Hit> = if r.all || r.count || r.partial.is_some() {
        hits.iter().collect()
    } else {
        let mut v = Vec::new();
        if r.min {
            v.extend(hits.first());
        }
        if r.max {
            v.extend(hits.last());
        }
        v
    };
    if let (true, Some(m)) = (modseq, reported.iter().map(|h| h.modseq).max()) {
        l.push_str(&format!(" MODSEQ {m}"));
    }
    Some(l)
}

/// Compact sequence set in the given order: ascending runs become ranges, `1:3,5,7:8`; a
/// sorted result keeps its order (`5,3:4,2,1`).
pub fn compact(nums: &[u32]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < nums.len() {
        let start = nums[i];
        let mut end = start;
        while i + 1 < nums.len() && nums[i + 1] == end + 1 {
            i += 1;
            end = nums[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}:{end}"));
        }
        i += 1;
    }
    out
}

/// Positions of a `$` token in the first line of a command (outside quoted strings).
fn dollar_positions(bytes: &[u8]) -> Vec<usize> {
    let line_end = bytes
        .iter()
        .position(|&b| b == b'\r' || b == b'\n')
        .unwrap_or(bytes.len());
    let line = &bytes[..line_end];
    let mut out = Vec::new();
    let mut quoted = false;
    let mut escaped = false;
    for (i, &b) in line.iter().enumerate() {
        if quoted {
            match (escaped, b) {
                (false, b'\\') => escaped = true,
                (false, b'"') => quoted = false,
                _ => escaped = false,
            }
            continue;
        }
        match b {
            b'"' => quoted = true,
            b'$' => {
                let before = i.checked_sub(1).map(|j| line[j]);
                let after = line.get(i + 1).copied();
                if matches!(before, Some(b' ' | b'(')) && matches!(after, None | Some(b' ' | b')'))
                {
                    out.push(i);
                }
            }
            _ => {}
        }
    }
    out
}

pub enum Saved {
    /// The command with `$` replaced.
    Rewritten(Vec<u8>),
    /// `$` names no message in a command that takes a set: it succeeds doing nothing.
    Nothing,
    /// No `$` in the command.
    Unchanged,
}

/// Replaces `$` by the saved result: UIDs for UID commands and search keys, sequence numbers
/// (`seqs`) for other commands. Unused UIDs name nothing.
pub fn substitute(bytes: &[u8], saved_uids: &[u32], seqs: &[u32]) -> Saved {
    let pos = dollar_positions(bytes);
    if pos.is_empty() {
        return Saved::Unchanged;
    }
    let Some((_, uid, verb, _)) = verb(bytes) else {
        return Saved::Unchanged;
    };
    const NO_UID: &str = "4294967295";
    // In SEARCH, SORT and THREAD `$` is a search key.
    let replacement = if matches!(verb.as_str(), "SEARCH" | "SORT" | "THREAD") {
        let set = if saved_uids.is_empty() {
            NO_UID.to_string()
        } else {
            compact(saved_uids)
        };
        format!("UID {set}")
    } else if uid {
        if saved_uids.is_empty() {
            NO_UID.to_string()
        } else {
            compact(saved_uids)
        }
    } else {
        if seqs.is_empty() {
            return Saved::Nothing;
        }
        compact(seqs)
    };
    let mut out = Vec::with_capacity(bytes.len() + replacement.len());
    let mut last = 0;
    for p in pos {
        out.extend_from_slice(&bytes[last..p]);
        out.extend_from_slice(replacement.as_bytes());
        last = p + 1;
    }
    out.extend_from_slice(&bytes[last..]);
    Saved::Rewritten(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_clause_is_stripped() {
        let (c, r) = strip_return(b"a UID SEARCH RETURN (MIN COUNT) UNSEEN\r\n").unwrap();
        assert_eq!(c, b"a UID SEARCH UNSEEN\r\n");
        assert!(r.min && r.count && !r.all);
        let (c, r) = strip_return(b"b SEARCH RETURN () ALL\r\n").unwrap();
        assert_eq!(c, b"b SEARCH ALL\r\n");
        assert!(r.all);
        assert!(strip_return(b"c SEARCH ALL\r\n").is_none());
        assert!(strip_return(b"d SEARCH RETURN (BOGUS) ALL\r\n").is_none());
        let (c, r) = strip_return(b"e UID SORT RETURN (MAX ALL) (DATE) UTF-8 ALL\r\n").unwrap();
        assert_eq!(c, b"e UID SORT (DATE) UTF-8 ALL\r\n");
        assert!(r.max && r.all && !r.min);
        let (c, r) = strip_return(b"f SORT RETURN (PARTIAL 4:2) (DATE) UTF-8 ALL\r\n").unwrap();
        assert_eq!(c, b"f SORT (DATE) UTF-8 ALL\r\n");
        assert_eq!(r.partial, Partial::parse("2:4"));
        assert!(!r.all);
        for bad in [
            "1",
            "1:*",
            "*:1",
            "0:3",
            "-1:2",
            "1:",
            "x:2",
            "1:99999999999",
        ] {
            let cmd = format!("h SEARCH RETURN (PARTIAL {bad}) ALL\r\n");
            assert!(strip_return(cmd.as_bytes()).is_none(), "{bad}");
        }
        let (_, r) = strip_return(b"i SEARCH RETURN (UPDATE) SEEN\r\n").unwrap();
        assert!(r.update && r.all);
        assert!(strip_return(b"g THREAD RETURN (ALL) REFERENCES UTF-8 ALL\r\n").is_none());
    }

    fn hits(nums: &[(u32, u64)]) -> Vec<Hit> {
        nums.iter()
            .map(|&(n, modseq)| Hit {
                seq: n,
                uid: n + 100,
                modseq,
            })
            .collect()
    }

    #[test]
    fn plain_answers() {
        let h = hits(&[(3, 5), (1, 9), (2, 1)]);
        assert_eq!(
            answer("SORT", "a", false, None, &h, false).unwrap(),
            "* SORT 3 1 2"
        );
        assert_eq!(
            answer("SORT", "a", true, None, &h, true).unwrap(),
            "* SORT 103 101 102 (MODSEQ 9)"
        );
        assert_eq!(
            answer("SEARCH", "a", false, None, &[], true).unwrap(),
            "* SEARCH"
        );
    }

    #[test]
    fn esearch_answers_keep_the_result_order() {
        let h = hits(&[(5, 1), (3, 2), (4, 7), (2, 3), (1, 4)]);
        let all = SearchReturn {
            min: true,
            max: true,
            all: true,
            count: true,
            ..Default::default()
        };
        assert_eq!(
            answer("SORT", "t1", false, Some(&all), &h, false).unwrap(),
            "* ESEARCH (TAG \"t1\") MIN 5 MAX 1 COUNT 5 ALL 5,3:4,2,1"
        );
        let min = SearchReturn {
            min: true,
            ..Default::default()
        };
        assert_eq!(
            answer("SORT", "t2", true, Some(&min), &h, true).unwrap(),
            "* ESEARCH (TAG \"t2\") UID MIN 105 MODSEQ 1"
        );
        let count = SearchReturn {
            count: true,
            ..Default::default()
        };
        assert_eq!(
            answer("SEARCH", "t3", false, Some(&count), &[], false).unwrap(),
            "* ESEARCH (TAG \"t3\") COUNT 0"
        );
        let save = SearchReturn {
            save: true,
            ..Default::default()
        };
        assert_eq!(answer("SORT", "t4", false, Some(&save), &h, false), None);
        assert_eq!(to_save(&save, &h), [101, 102, 103, 104, 105]);
        let save_max = SearchReturn {
            save: true,
            max: true,
            ..Default::default()
        };
        assert_eq!(to_save(&save_max, &h), [101]);
    }

    #[test]
    fn partial_ranges_pick_positions_of_the_result() {
        let h = hits(&[(1, 1), (2, 1), (4, 1), (5, 1)]);
        let ask = |range: &str| {
            let r = SearchReturn {
                partial: Partial::parse(range),
                ..Default::default()
            };
            answer("SEARCH", "t", false, Some(&r), &h, false).unwrap()
        };
        assert_eq!(ask("1:3"), "* ESEARCH (TAG \"t\") PARTIAL (1:3 1:2,4)");
        assert_eq!(ask("3:2"), "* ESEARCH (TAG \"t\") PARTIAL (2:3 2,4)");
        assert_eq!(ask("2:10"), "* ESEARCH (TAG \"t\") PARTIAL (2:10 2,4:5)");
        assert_eq!(ask("5:6"), "* ESEARCH (TAG \"t\") PARTIAL (5:6 NIL)");
        assert_eq!(ask("-1:-2"), "* ESEARCH (TAG \"t\") PARTIAL (-1:-2 4:5)");
        assert_eq!(ask("-4:-9"), "* ESEARCH (TAG \"t\") PARTIAL (-4:-9 1)");
        assert_eq!(ask("-5:-9"), "* ESEARCH (TAG \"t\") PARTIAL (-5:-9 NIL)");
        let max = Partial::parse("4294967295:4294967295").unwrap();
        assert!(max.pick(&h).is_empty());
    }

    #[test]
    fn dollar_becomes_the_saved_set() {
        let Saved::Rewritten(c) = substitute(b"a UID FETCH $ (FLAGS)\r\n", &[4, 5, 6, 9], &[])
        else {
            panic!()
        };
        assert_eq!(c, b"a UID FETCH 4:6,9 (FLAGS)\r\n");
        let Saved::Rewritten(c) = substitute(b"a SEARCH $ SUBJECT \"a $ b\"\r\n", &[2], &[1])
        else {
            panic!()
        };
        assert_eq!(c, b"a SEARCH UID 2 SUBJECT \"a $ b\"\r\n");
        assert!(matches!(
            substitute(b"a FETCH $ FLAGS\r\n", &[], &[]),
            Saved::Nothing
        ));
        assert!(matches!(
            substitute(b"a FETCH 1 FLAGS\r\n", &[1], &[1]),
            Saved::Unchanged
        ));
    }

    #[test]
    fn compact_sets() {
        assert_eq!(compact(&[1, 2, 3, 5, 7, 8]), "1:3,5,7:8");
        assert_eq!(compact(&[]), "");
    }
}
