//! The message state record read in place. Sessions scan every state of a folder when they
//! open it; decoding each into a [`MessageState`] would allocate a vector and a string per flag,
//! so scans hand out [`StateRef`]s that borrow the stored bytes instead.
//!
//! The bytes are postcard's encoding of [`MessageState`]: the modseq as a varint, then the
//! number of flags as a varint and each flag as a varint length and its UTF-8 bytes.

use crate::error::{Error, Result};
use crate::model::MessageState;

/// A state record borrowed from the database.
#[derive(Debug, Clone, Copy)]
pub struct StateRef<'a> {
    pub modseq: u64,
    /// The flag list as stored: equal lists have equal bytes, so callers may use it as a key.
    flags: &'a [u8],
    count: usize,
}

fn varint(b: &[u8]) -> Option<(u64, &[u8])> {
    let mut v = 0u64;
    for (i, byte) in b.iter().enumerate().take(10) {
        v |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((v, &b[i + 1..]));
        }
    }
    None
}

fn malformed() -> Error {
    Error::Encoding(postcard::Error::DeserializeBadEncoding)
}

/// Checks a stored flag list once, so the iterator over it never meets a broken one; returns
/// the number of flags.
fn check_list(raw: &[u8]) -> Result<usize> {
    let (count, mut list) = varint(raw).ok_or_else(malformed)?;
    for _ in 0..count {
        let (len, tail) = varint(list).ok_or_else(malformed)?;
        let len = usize::try_from(len).map_err(|_| malformed())?;
        if tail.len() < len || std::str::from_utf8(&tail[..len]).is_err() {
            return Err(malformed());
        }
        list = &tail[len..];
    }
    usize::try_from(count).map_err(|_| malformed())
}

/// The flags of a stored flag list as [`StateRef::flags_key`] gives it.
pub(crate) fn flags_of_key(key: &[u8]) -> Result<FlagIter<'_>> {
    let left = check_list(key)?;
    let rest = varint(key).map(|(_, r)| r).unwrap_or_default();
    Ok(FlagIter { rest, left })
}

impl<'a> StateRef<'a> {
    /// Reads a stored state record; fails on bytes that are not one.
    pub fn parse(raw: &'a [u8]) -> Result<StateRef<'a>> {
        let (modseq, rest) = varint(raw).ok_or_else(malformed)?;
        Ok(StateRef {
            modseq,
            flags: rest,
            count: check_list(rest)?,
        })
    }

    /// The stored flag list's bytes: an identity for the list, not for display.
    pub fn flags_key(&self) -> &'a [u8] {
        self.flags
    }

    pub fn flags(&self) -> FlagIter<'a> {
        let rest = varint(self.flags).map(|(_, r)| r).unwrap_or_default();
        FlagIter {
            rest,
            left: self.count,
        }
    }

    pub fn has_flag(&self, flag: &str) -> bool {
        self.flags().any(|f| f.eq_ignore_ascii_case(flag))
    }

    pub fn to_state(&self) -> MessageState {
        MessageState {
            modseq: self.modseq,
            flags: self.flags().map(str::to_string).collect(),
        }
    }
}

/// The flags of a [`StateRef`], in stored order.
#[derive(Clone)]
pub struct FlagIter<'a> {
    rest: &'a [u8],
    left: usize,
}

impl<'a> Iterator for FlagIter<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let (len, tail) = varint(self.rest)?;
        let (s, rest) = tail.split_at(len as usize);
        self.rest = rest;
        // Checked in `parse`.
        std::str::from_utf8(s).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_postcard_writes() {
        for st in [
            MessageState {
                modseq: 1,
                flags: vec![],
            },
            MessageState {
                modseq: 300,
                flags: vec!["\\Seen".into(), "$Work".into()],
            },
            MessageState {
                modseq: u64::MAX,
                flags: vec!["x".repeat(200), "ü".into()],
            },
        ] {
            let raw = postcard::to_allocvec(&st).unwrap();
            let r = StateRef::parse(&raw).unwrap();
            assert_eq!(r.to_state(), st);
            assert_eq!(r.has_flag("\\SEEN"), st.has_flag("\\Seen"));
        }
        let a = postcard::to_allocvec(&MessageState {
            modseq: 5,
            flags: vec!["\\Seen".into()],
        })
        .unwrap();
        let b = postcard::to_allocvec(&MessageState {
            modseq: 900,
            flags: vec!["\\Seen".into()],
        })
        .unwrap();
        assert_eq!(
            StateRef::parse(&a).unwrap().flags_key(),
            StateRef::parse(&b).unwrap().flags_key()
        );
    }

    #[test]
    fn refuses_broken_records() {
        for raw in [
            &b""[..],
            b"\x80",
            b"\x01\x02\x01a",
            b"\x01\x01\x05ab",
            b"\x01\x01\x01\xff",
        ] {
            assert!(StateRef::parse(raw).is_err(), "{raw:?}");
        }
    }
}
