//! THREAD=REFERENCES (RFC 5256 3): parents from Message-ID, References and In-Reply-To, then
//! placeholders pruned, threads gathered by base subject and siblings sorted by date. Work per
//! message is bounded: the last references only, and a fixed number of loop-check steps.

use std::collections::HashMap;

use super::thread::{Forest, Message, Subject, digest};

/// References looked at per message: the last ones, which name the nearest ancestors.
const MAX_REFS: usize = 32;
/// Steps the loop checks of one message may take. A chain deeper than that is not linked
/// further, so a folder of hostile messages costs linear time.
const WALK_BUDGET: usize = 16 * 1024;
const NONE: u32 = u32::MAX;

/// The msg-ids of a field (`<left@right>`), without brackets; anything else is skipped.
fn msg_ids(s: &str) -> impl Iterator<Item = &str> {
    let mut rest = s;
    std::iter::from_fn(move || {
        loop {
            let open = rest.find('<')?;
            let after = &rest[open + 1..];
            let Some(close) = after.find(['<', '>']) else {
                rest = "";
                return None;
            };
            if after.as_bytes()[close] == b'<' {
                rest = &after[close..];
                continue;
            }
            let id = after[..close].trim();
            rest = &after[close + 1..];
            if id.contains('@') {
                return Some(id);
            }
        }
    })
}

/// A msg-id's digest; folding white space inside it does not count.
fn id_digest(id: &str) -> u128 {
    digest(id.bytes().filter(|b| !b.is_ascii_whitespace()))
}

/// REFERENCES (RFC 5256 3, steps 1 to 6).
#[derive(Default)]
pub struct References {
    ids: HashMap<u128, u32>,
    /// Per container: its parent, its number of children, its message.
    parent: Vec<u32>,
    kids: Vec<u32>,
    msg: Vec<u32>,
    msgs: Vec<Message>,
}

impl References {
    fn new_container(&mut self) -> u32 {
        self.parent.push(NONE);
        self.kids.push(0);
        self.msg.push(NONE);
        self.parent.len() as u32 - 1
    }

    fn container(&mut self, id: &str) -> u32 {
        let d = id_digest(id);
        if let Some(c) = self.ids.get(&d) {
            return *c;
        }
        let c = self.new_container();
        self.ids.insert(d, c);
        c
    }

    fn set_parent(&mut self, c: u32, p: u32) {
        let old = self.parent[c as usize];
        if old != NONE {
            self.kids[old as usize] -= 1;
        }
        self.parent[c as usize] = p;
        if p != NONE {
            self.kids[p as usize] += 1;
        }
    }

    /// Whether making `p` the parent of `c` would close a loop: `c` is `p` or above it. Out of
    /// budget counts as a loop, so the link is not made.
    fn would_loop(&self, p: u32, c: u32, budget: &mut usize) -> bool {
        if p == c {
            return true;
        }
        if self.kids[c as usize] == 0 {
            return false;
        }
        let mut x = p;
        while x != NONE {
            if x == c || *budget == 0 {
                return true;
            }
            *budget -= 1;
            x = self.parent[x as usize];
        }
        false
    }

    /// Step 1 for one message: its Message-ID, References (or the first id of In-Reply-To
    /// when References names none) and what it says about parents.
    pub fn add(
        &mut self,
        m: Message,
        message_id: Option<&str>,
        references: &str,
        in_reply_to: Option<&str>,
    ) {
        let idx = self.msgs.len() as u32;
        self.msgs.push(m);
        // A message without an id, or with one another message already has, is on its own.
        let me = match message_id.and_then(|s| msg_ids(s).next()) {
            Some(id) => {
                let c = self.container(id);
                if self.msg[c as usize] == NONE {
                    c
                } else {
                    self.new_container()
                }
            }
            None => self.new_container(),
        };
        self.msg[me as usize] = idx;
        let mut named: Vec<&str> = msg_ids(references).collect();
        if named.is_empty() {
            named.extend(in_reply_to.and_then(|s| msg_ids(s).next()));
        }
        let named = &named[named.len().saturating_sub(MAX_REFS)..];
        let mut refs: Vec<u32> = Vec::with_capacity(named.len());
        for id in named {
            let c = self.container(id);
            refs.retain(|r| *r != c);
            refs.push(c);
        }
        let mut budget = WALK_BUDGET;
        // 1A: each reference the child of the one before it, unless it already has a parent.
        for w in refs.windows(2) {
            let (p, c) = (w[0], w[1]);
            if self.parent[c as usize] == NONE && !self.would_loop(p, c, &mut budget) {
                self.set_parent(c, p);
            }
        }
        // 1B: the message's parent is its last reference (or none), whatever it was before.
        self.set_parent(me, NONE);
        if let Some(&last) = refs.last()
            && !self.would_loop(last, me, &mut budget)
        {
            self.set_parent(me, last);
        }
    }

    /// (date, num) a node sorts by: its message's, or a placeholder's earliest child's (a
    /// placeholder is left only at the top, over messages).
    fn key(&self, children: &[Vec<u32>], c: u32) -> (i64, u32) {
        let of = |c: u32| {
            let m = &self.msgs[self.msg[c as usize] as usize];
            (m.date, m.num)
        };
        if self.msg[c as usize] != NONE {
            return of(c);
        }
        children[c as usize]
            .iter()
            .filter(|k| self.msg[**k as usize] != NONE)
            .map(|k| of(*k))
            .min()
            .unwrap_or((i64::MAX, u32::MAX))
    }

    /// The subject a top-level node is gathered by: its message's, or for a placeholder its
    /// earliest child's.
    fn subject(&self, children: &[Vec<u32>], c: u32) -> Option<Subject> {
        let m = if self.msg[c as usize] != NONE {
            c
        } else {
            *children[c as usize]
                .iter()
                .filter(|k| self.msg[**k as usize] != NONE)
                .min_by_key(|k| self.key(children, **k))?
        };
        Some(self.msgs[self.msg[m as usize] as usize].subject)
    }

    /// Steps 2 to 6.
    pub fn finish(mut self) -> Forest {
        let n = self.parent.len();
        let mut children: Vec<Vec<u32>> = vec![Vec::new(); n];
        let mut roots = Vec::new();
        for c in 0..n as u32 {
            match self.parent[c as usize] {
                NONE => roots.push(c),
                p => children[p as usize].push(c),
            }
        }
        // Step 3: placeholders go, their children move up; bottom up, so children are done
        // before their parent.
        let mut order = Vec::with_capacity(n);
        let mut stack: Vec<u32> = roots.clone();
        while let Some(c) = stack.pop() {
            order.push(c);
            stack.extend(children[c as usize].iter().copied());
        }
        for &c in order.iter().rev() {
            let mut kept = Vec::with_capacity(children[c as usize].len());
            for k in std::mem::take(&mut children[c as usize]) {
                if self.msg[k as usize] == NONE {
                    kept.append(&mut children[k as usize]);
                } else {
                    kept.push(k);
                }
            }
            children[c as usize] = kept;
        }
        // At the top a placeholder stays only over two or more messages.
        let mut top = Vec::with_capacity(roots.len());
        for r in roots {
            if self.msg[r as usize] != NONE {
                top.push(r);
            } else if children[r as usize].len() == 1 {
                top.push(children[r as usize][0]);
            } else if !children[r as usize].is_empty() {
                top.push(r);
            }
        }
        // Step 4.
        top.sort_by_cached_key(|c| self.key(&children, *c));
        // Step 5: threads with the same base subject gathered.
        let mut table: HashMap<u128, u32> = HashMap::new();
        for &c in &top {
            let Some(s) = self.subject(&children, c).filter(|s| !s.empty) else {
                continue;
            };
            let replace = match table.get(&s.digest) {
                None => true,
                Some(&t) => {
                    let (c_real, t_real) =
                        (self.msg[c as usize] != NONE, self.msg[t as usize] != NONE);
                    // A placeholder's subject is not looked up again: it can have many children.
                    t_real
                        && (!c_real
                            || (!s.reply && self.subject(&children, t).is_some_and(|s| s.reply)))
                }
            };
            if replace {
                table.insert(s.digest, c);
            }
        }
        let mut gone = vec![false; n];
        let mut merged: Vec<u32> = Vec::with_capacity(top.len());
        for c in top {
            if gone[c as usize] {
                continue;
            }
            let Some(s) = self.subject(&children, c).filter(|s| !s.empty) else {
                merged.push(c);
                continue;
            };
            let t = table[&s.digest];
            if t == c {
                merged.push(c);
                continue;
            }
            let c_real = self.msg[c as usize] != NONE;
            let t_real = self.msg[t as usize] != NONE;
            let t_reply = t_real && self.subject(&children, t).is_some_and(|s| s.reply);
            if !t_real {
                // Into the table's placeholder: a message as a child, a placeholder's children.
                if c_real {
                    children[t as usize].push(c);
                } else {
                    let mut moved = std::mem::take(&mut children[c as usize]);
                    children[t as usize].append(&mut moved);
                }
                gone[c as usize] = true;
            } else if !c_real {
                // Only if the table kept a message over a placeholder; the table's message
                // joins this placeholder, which takes its place.
                children[c as usize].push(t);
                gone[t as usize] = true;
                table.insert(s.digest, c);
                merged.push(c);
            } else if !t_reply && s.reply {
                children[t as usize].push(c);
                gone[c as usize] = true;
            } else if t_reply && !s.reply {
                children[c as usize].push(t);
                gone[t as usize] = true;
                table.insert(s.digest, c);
                merged.push(c);
            } else {
                // Both replies or neither: siblings under a new placeholder.
                let d = self.new_container();
                children.push(vec![t, c]);
                gone.push(false);
                gone[t as usize] = true;
                gone[c as usize] = true;
                table.insert(s.digest, d);
                merged.push(d);
            }
        }
        merged.retain(|c| !gone[*c as usize]);
        // Step 6: every set of siblings by date; a placeholder's only after its children.
        let mut order = Vec::new();
        let mut stack = merged.clone();
        while let Some(c) = stack.pop() {
            order.push(c);
            stack.extend(children[c as usize].iter().copied());
        }
        for &c in order.iter().rev() {
            let mut kids = std::mem::take(&mut children[c as usize]);
            kids.sort_by_cached_key(|k| self.key(&children, *k));
            children[c as usize] = kids;
        }
        merged.sort_by_cached_key(|c| self.key(&children, *c));
        Forest {
            num: self
                .msg
                .iter()
                .map(|m| (*m != NONE).then(|| self.msgs[*m as usize].num))
                .collect(),
            children,
            roots: merged,
        }
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::thread::render;
    use crate::thread::tests::msg;

    /// (num, date, subject, message-id, references, in-reply-to)
    type Row<'a> = (u32, i64, &'a str, Option<&'a str>, &'a str, Option<&'a str>);

    fn references(rows: &[Row<'_>]) -> String {
        let mut r = References::default();
        for (num, date, subject, id, refs, irt) in rows {
            r.add(msg(*num, *date, subject), *id, refs, *irt);
        }
        render(&r.finish())
    }

    #[test]
    fn references_follow_the_chain_and_break_loops() {
        // b names a and c as ancestors, c names b: c's own word wins, a stays apart.
        let rows: [Row<'_>; 3] = [
            (1, 17, "", Some("<a@x>"), "", None),
            (2, 15, "", Some("<b@x>"), "<a@x> <c@x>", None),
            (3, 16, "", Some("<c@x>"), "<b@x>", None),
        ];
        assert_eq!(references(&rows), "(3 2)(1)");
        assert_eq!(references(&rows[1..]), "(3 2)");
    }

    #[test]
    fn duplicates_and_missing_ids_are_their_own() {
        let same = [
            (1, 1, "", Some("<a@x>"), "", None),
            (2, 1, "", Some("<a@x>"), "", None),
        ];
        assert_eq!(references(&same), "(1)(2)");
        let no_ids = [
            (1, 1, "", None, "<a@x>", None),
            (2, 2, "", None, "<a@x>", None),
        ];
        assert_eq!(references(&no_ids), "((1)(2))");
        let dup_child = [
            (1, 1, "", Some("<a@x>"), "", None),
            (2, 1, "", Some("<b@x>"), "<a@x>", None),
            (3, 1, "", Some("<c@x>"), "<b@x>", None),
            (4, 1, "", Some("<b@x>"), "<a@x>", None),
        ];
        assert_eq!(references(&dup_child), "(1 (2 3)(4))");
    }

    #[test]
    fn in_reply_to_when_no_references() {
        let rows = [
            (1, 5, "", Some("<1@x>"), "", None),
            (2, 1, "", Some("<2@x>"), "", Some("<1@x>")),
            (3, 1, "", Some("<3@x>"), "", Some("<1@x> <other@x>")),
            (4, 1, "", Some("<4@x>"), "", Some("<2@x>")),
        ];
        assert_eq!(references(&rows), "(1 (2 4)(3))");
        // Without 1 and 2 their placeholders go: one child each moves to the top.
        assert_eq!(references(&rows[2..]), "(3)(4)");
        let more = [
            rows[2],
            rows[3],
            (5, 1, "", Some("<5@x>"), "", Some("<2@x>")),
        ];
        assert_eq!(references(&more), "(3)((4)(5))");
    }

    #[test]
    fn subjects_gather_threads() {
        let reply_to_missing = [
            (1, 1, "foo", Some("<a@x>"), "", None),
            (2, 2, "Re: foo", Some("<b@x>"), "<c@x>", None),
        ];
        assert_eq!(references(&reply_to_missing), "(1 2)");
        let same_id = [
            (1, 1, "foo", Some("<a@x>"), "", None),
            (2, 2, "Re: foo", Some("<a@x>"), "", None),
        ];
        assert_eq!(references(&same_id), "(1 2)");
        let neither_reply = [
            (1, 1, "foo", Some("<a@x>"), "", None),
            (2, 2, "foo", Some("<b@x>"), "", None),
            (3, 3, "bar", Some("<c@x>"), "", None),
        ];
        assert_eq!(references(&neither_reply), "((1)(2))(3)");
        let into_placeholder = [
            (1, 1, "topic", None, "<gone@x>", None),
            (2, 2, "Re: topic", None, "<gone@x>", None),
            (3, 3, "Re: topic", Some("<z@x>"), "", None),
        ];
        assert_eq!(references(&into_placeholder), "((1)(2)(3))");
        let empty = [(1, 1, "", None, "", None), (2, 2, "", None, "", None)];
        assert_eq!(references(&empty), "(1)(2)");
    }

    #[test]
    fn deep_chains_do_not_recurse() {
        let ids: Vec<String> = (0..200_000).map(|i| format!("<{i}@x>")).collect();
        let mut r = References::default();
        for (i, id) in ids.iter().enumerate() {
            let parent = if i > 0 { ids[i - 1].as_str() } else { "" };
            r.add(msg(i as u32 + 1, i as i64, "s"), Some(id), parent, None);
        }
        let out = render(&r.finish());
        assert!(out.starts_with("(1 2 3 ") && out.ends_with(" 200000)"));
        // Children before parents: each one's parent is still unknown when it is linked.
        let mut r = References::default();
        for (i, id) in ids.iter().enumerate().rev() {
            let parent = if i > 0 { ids[i - 1].as_str() } else { "" };
            r.add(msg(i as u32 + 1, i as i64, "s"), Some(id), parent, None);
        }
        assert!(render(&r.finish()).starts_with("(1 2 3 "));
    }

    #[test]
    fn hostile_references_stay_bounded() {
        let mut r = References::default();
        let many: String = (0..10_000).map(|i| format!("<r{i}@x> <a@x> ")).collect();
        for i in 0..200u32 {
            r.add(msg(i + 1, 0, ""), Some(&format!("<m{i}@x>")), &many, None);
        }
        // At most MAX_REFS containers a message besides its own.
        assert!(r.parent.len() <= 200 * (MAX_REFS + 1));
        let out = render(&r.finish());
        assert!(out.starts_with("(("), "{out}");
    }

    #[test]
    fn msg_ids_skip_junk() {
        let got: Vec<&str> = msg_ids("x <a@b> <junk> <<c@d>> (<e@f>) <g@h").collect();
        assert_eq!(got, ["a@b", "c@d", "e@f"]);
        assert_eq!(id_digest("a@b"), id_digest(" a@\r\n b"));
    }
}
