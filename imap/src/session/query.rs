//! SEARCH, SORT and THREAD on the selected folder: the search criteria are evaluated message by
//! message, and what a matching message needs for its order is taken from what the search
//! already loaded. The orders themselves are in `sort.rs`, `thread.rs` and
//! `thread_references.rs`.

use imap_codec::imap_types::core::Charset;
use imap_codec::imap_types::extensions::sort::SortCriterion;
use imap_codec::imap_types::extensions::thread::ThreadingAlgorithm;
use imap_codec::imap_types::search::SearchKey;

use super::{Session, State};
use crate::header::header_values;
use crate::search::{Candidate, Searcher, sort_entry};
use crate::search_ext::{Hit, SearchReturn};
use crate::sort::{self, Entry};
use crate::thread::{self, OrderedSubject, Subject};
use crate::thread_references::References;

impl Session {
    /// Whether a command's charset can be searched with; if not, NO [BADCHARSET] is sent.
    pub(crate) fn charset_ok(&mut self, tag: &str, charset: Option<&Charset<'_>>) -> bool {
        let Some(c) = charset else {
            return true;
        };
        let c = c.as_ref().to_ascii_uppercase();
        let c = c.trim_matches('"');
        if c == "US-ASCII" || c == "UTF-8" {
            return true;
        }
        self.tagged(
            tag,
            "NO",
            Some("BADCHARSET (US-ASCII UTF-8)"),
            "imap-bad-charset",
        );
        false
    }

    /// The criteria as one key, and whether they name MODSEQ, which turns CONDSTORE on.
    fn criteria_key<'a>(&mut self, criteria: &[SearchKey<'a>]) -> (SearchKey<'a>, bool) {
        let key = match criteria {
            [one] => one.clone(),
            many => SearchKey::And(many.to_vec().try_into().expect("non-empty criteria")),
        };
        let uses_modseq = format!("{key:?}").contains("ModSequence");
        if uses_modseq {
            self.enable_condstore();
        }
        (key, uses_modseq)
    }

    /// Calls `each` for every message of the selected folder that `key` matches, in sequence
    /// order, with the candidate whose metadata and header the search may have loaded.
    fn each_match(&self, key: &SearchKey<'_>, mut each: impl FnMut(&Searcher, &mut Candidate)) {
        let State::Selected(_, view) = &self.state else {
            return;
        };
        let searcher = Searcher {
            store: &self.env.store,
            view,
        };
        ({
            for (i, u) in view.uids().iter().enumerate() {
                let seq = i as u32 + 1;
                let Some(slot) = view.slot(seq) else {
                    continue;
                };
                let mut c = Candidate::new(seq, *u, slot);
                if searcher.matches(key, &mut c) {
                    each(&searcher, &mut c);
                }
            }
        });
    }

    /// Sends the result of SEARCH or SORT (`verb`), `hits` in result order, then the tagged OK.
    fn answer(&mut self, tag: &str, verb: &str, uid: bool, hits: &[Hit], uses_modseq: bool) {
        let ret = self.search_return.take();
        if let Some(r) = ret.as_ref().filter(|r| r.save) {
            self.saved = crate::search_ext::to_save(r, hits);
        }
        // IMAP4rev2 answers SEARCH with ESEARCH; SORT is not part of it.
        let ret = ret.or_else(|| {
            (self.rev2 && verb == "SEARCH").then(|| SearchReturn {
                all: true,
                ..Default::default()
            })
        });
        if let Some(l) = crate::search_ext::answer(verb, tag, uid, ret.as_ref(), hits, uses_modseq)
        {
            self.line(&l);
        }
        self.refresh(uid);
        self.tagged(tag, "OK", None, "imap-done");
    }

    pub(crate) fn search(&mut self, tag: &str, criteria: &[SearchKey<'_>], uid: bool) {
        let (key, uses_modseq) = self.criteria_key(criteria);
        let mut hits = Vec::new();
        self.each_match(&key, |_, c| {
            hits.push(Hit {
                seq: c.seq,
                uid: c.uid,
                modseq: c.state.modseq,
            })
        });
        if self.search_return.as_ref().is_some_and(|r| r.update) {
            let uids = hits.iter().map(|h| h.uid).collect();
            self.open_context(tag, uid, &key, uids, None);
        }
        self.answer(tag, "SEARCH", uid, &hits, uses_modseq);
    }

    /// SORT (RFC 5256), answered as ESORT (RFC 5267) when RETURN was given.
    pub(crate) fn sort(
        &mut self,
        tag: &str,
        order: &[SortCriterion],
        criteria: &[SearchKey<'_>],
        uid: bool,
    ) {
        let (key, uses_modseq) = self.criteria_key(criteria);
        let order = sort::criteria(order);
        let needs_header = sort::needs_header(&order);
        let mut entries: Vec<Entry> = Vec::new();
        self.each_match(&key, |s, c| {
            entries.push(sort_entry(s, c, &order, needs_header))
        });
        sort::order(&mut entries, &order);
        if self.search_return.as_ref().is_some_and(|r| r.update) {
            let uids = entries.iter().map(|e| e.uid).collect();
            self.open_context(tag, uid, &key, uids, Some((&order, entries.clone())));
        }
        let hits: Vec<Hit> = entries
            .iter()
            .map(|e| Hit {
                seq: e.seq,
                uid: e.uid,
                modseq: e.modseq,
            })
            .collect();
        self.answer(tag, "SORT", uid, &hits, uses_modseq);
    }

    /// THREAD (RFC 5256) with ORDEREDSUBJECT or REFERENCES.
    pub(crate) fn thread(
        &mut self,
        tag: &str,
        algorithm: &ThreadingAlgorithm<'_>,
        criteria: &[SearchKey<'_>],
        uid: bool,
    ) {
        let by_references = match algorithm {
            ThreadingAlgorithm::OrderedSubject => false,
            ThreadingAlgorithm::References => true,
            ThreadingAlgorithm::Other(_) => {
                self.tagged(tag, "BAD", None, "imap-thread-algorithm");
                return;
            }
        };
        let (key, _) = self.criteria_key(criteria);
        let mut ordered = OrderedSubject::default();
        let mut references = References::default();
        self.each_match(&key, |s, c| {
            let num = if uid { c.uid } else { c.seq };
            let (date, subject, ids) = match s.meta(c) {
                Some(m) => {
                    let e = &m.envelope;
                    (
                        sort::sent_date(e.date.as_deref(), m.internal_date),
                        Subject::of(e.subject.as_deref()),
                        (e.message_id.clone(), e.in_reply_to.clone()),
                    )
                }
                None => (0, Subject::of(None), (None, None)),
            };
            let m = thread::Message { num, date, subject };
            if !by_references {
                ordered.add(m);
                return;
            }
            let refs = header_values(s.header(c), "references").join(&b' ');
            references.add(
                m,
                ids.0.as_deref(),
                &String::from_utf8_lossy(&refs),
                ids.1.as_deref(),
            );
        });
        let forest = if by_references {
            references.finish()
        } else {
            ordered.finish()
        };
        let threads = thread::render(&forest);
        if threads.is_empty() {
            self.line("* THREAD");
        } else {
            self.line(&format!("* THREAD {threads}"));
        }
        self.refresh(uid);
        self.tagged(tag, "OK", None, "imap-done");
    }
}
