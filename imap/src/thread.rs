//! THREAD (RFC 5256 3): what threading keeps of a message, the ORDEREDSUBJECT algorithm and
//! the THREAD response; REFERENCES is in `thread_references.rs`. What is kept per message is a
//! few numbers and digests, never its header, and every walk over the trees is a loop with its
//! own stack, so a hostile chain of messages cannot exhaust the call stack.

use std::collections::HashMap;

use super::sort::base_subject;

pub(super) fn digest(bytes: impl IntoIterator<Item = u8>) -> u128 {
    let mut h = blake3::Hasher::new();
    let mut buf = [0u8; 64];
    let mut n = 0;
    for b in bytes {
        buf[n] = b;
        n += 1;
        if n == buf.len() {
            h.update(&buf);
            n = 0;
        }
    }
    h.update(&buf[..n]);
    let mut out = [0u8; 16];
    out.copy_from_slice(&h.finalize().as_bytes()[..16]);
    u128::from_le_bytes(out)
}

/// What threading needs of a subject: equal base subjects have equal digests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subject {
    pub(super) digest: u128,
    pub(super) empty: bool,
    pub(super) reply: bool,
}

impl Subject {
    pub fn of(raw: Option<&str>) -> Self {
        let b = base_subject(raw.unwrap_or_default());
        Subject {
            digest: digest(b.text.bytes()),
            empty: b.text.is_empty(),
            reply: b.reply,
        }
    }
}

/// One message as threading sees it.
#[derive(Debug, Clone, Copy)]
pub struct Message {
    /// The number the client is shown (sequence number or UID); it orders equal dates.
    pub num: u32,
    /// Sent date, seconds since the epoch.
    pub date: i64,
    pub subject: Subject,
}

/// Threads: `num` of each node (`None` for a placeholder without a message), its children,
/// and the top-level nodes, all in presentation order.
#[derive(Debug, Default)]
pub struct Forest {
    pub(super) num: Vec<Option<u32>>,
    pub(super) children: Vec<Vec<u32>>,
    pub(super) roots: Vec<u32>,
}

/// ORDEREDSUBJECT: one thread per base subject, its earliest message the parent of the others;
/// threads ordered by their first message.
#[derive(Default)]
pub struct OrderedSubject {
    msgs: Vec<Message>,
}

impl OrderedSubject {
    pub fn add(&mut self, m: Message) {
        self.msgs.push(m);
    }

    pub fn finish(self) -> Forest {
        let key = |i: &u32| {
            let m = &self.msgs[*i as usize];
            (m.date, m.num)
        };
        let mut groups: HashMap<u128, Vec<u32>> = HashMap::new();
        for (i, m) in self.msgs.iter().enumerate() {
            groups.entry(m.subject.digest).or_default().push(i as u32);
        }
        let mut f = Forest {
            num: self.msgs.iter().map(|m| Some(m.num)).collect(),
            children: vec![Vec::new(); self.msgs.len()],
            roots: Vec::new(),
        };
        for mut g in groups.into_values() {
            g.sort_by_key(key);
            let first = g[0];
            f.children[first as usize] = g.split_off(1);
            f.roots.push(first);
        }
        f.roots.sort_by_key(key);
        f
    }
}
/// The THREAD response's data: `(1 2 (3)(4))(5)` (RFC 5256 4). A message's only child
/// follows it in the same list; two or more children are nested lists.
pub fn render(f: &Forest) -> String {
    enum Step {
        Text(&'static str),
        Node(u32, bool),
    }
    let mut out = String::new();
    let mut stack: Vec<Step> = Vec::new();
    for &r in &f.roots {
        stack.push(Step::Text(")"));
        stack.push(Step::Node(r, false));
        stack.push(Step::Text("("));
        while let Some(step) = stack.pop() {
            let (c, space) = match step {
                Step::Text(t) => {
                    out.push_str(t);
                    continue;
                }
                Step::Node(c, space) => (c, space),
            };
            let kids = &f.children[c as usize];
            let mut space = space;
            if let Some(n) = f.num[c as usize] {
                if space {
                    out.push(' ');
                }
                out.push_str(&n.to_string());
                space = true;
            }
            match kids.as_slice() {
                [] => {}
                [only] => stack.push(Step::Node(*only, space)),
                many => {
                    if space {
                        out.push(' ');
                    }
                    for k in many.iter().rev() {
                        stack.push(Step::Text(")"));
                        stack.push(Step::Node(*k, false));
                        stack.push(Step::Text("("));
                    }
                }
            }
        }
    }
    out
}
#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn msg(num: u32, date: i64, subject: &str) -> Message {
        Message {
            num,
            date,
            subject: Subject::of(Some(subject)),
        }
    }

    #[test]
    fn ordered_subject_groups_and_orders() {
        let mut o = OrderedSubject::default();
        for (num, date, subject) in [
            (1, 10, "a"),
            (2, 9, "b"),
            (3, 8, "Re: a"),
            (4, 7, "b"),
            (5, 30, "A"),
            (6, 29, "fwd: b"),
            (7, 1, ""),
            (8, 1, "=?utf-8?q?_?="),
            (9, 5, "single"),
        ] {
            o.add(msg(num, date, subject));
        }
        assert_eq!(render(&o.finish()), "(7 8)(9)(4 (2)(6))(3 (1)(5))");
    }

    #[test]
    fn rendering_nests_only_siblings() {
        let f = Forest {
            num: vec![Some(1), Some(2), Some(3), Some(4), None, Some(6), Some(7)],
            children: vec![
                vec![1],
                vec![2, 3],
                vec![],
                vec![],
                vec![5, 6],
                vec![],
                vec![],
            ],
            roots: vec![0, 4],
        };
        assert_eq!(render(&f), "(1 2 (3)(4))((6)(7))");
        assert_eq!(render(&Forest::default()), "");
    }
}
