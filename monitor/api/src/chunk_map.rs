//! Which chunk of a message is where, run-length encoded so that even a 65,536-chunk message
//! fits a frame.
//!
//! A map covers `chunks` chunks in units of `group` chunks (1 unless the map had to be
//! coarsened). Runs list consecutive units of one place: `[["peer", 300], ["missing", 700]]`.
//! When a map would need more than [`MAX_RUNS`] runs, pairs of units merge into one
//! (`group` doubles) until it fits; a merged unit shows the least advanced place of its chunks
//! ([`Place`]'s order), so a coarse map never claims more than is stored.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::limits::Invalid;
use crate::limits::{MAX_CHUNKS, MAX_RUNS, MAX_SERVERS};

/// Where one chunk is, least advanced first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Place {
    /// Not yet sealed (outgoing) or not yet arrived (incoming).
    Missing,
    /// In this node's spool: sealed and waiting to go, or arrived.
    Here,
    /// Acknowledged by the peer's node.
    Peer,
    /// Held by backup server N (an index into the job's `servers`).
    Server(u8),
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Missing => f.write_str("missing"),
            Place::Here => f.write_str("here"),
            Place::Peer => f.write_str("peer"),
            Place::Server(n) => write!(f, "server:{n}"),
        }
    }
}

/// A token that names no place.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown place {0:?}")]
pub struct UnknownPlace(pub String);

impl FromStr for Place {
    type Err = UnknownPlace;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "missing" => Ok(Place::Missing),
            "here" => Ok(Place::Here),
            "peer" => Ok(Place::Peer),
            _ => s
                .strip_prefix("server:")
                .and_then(|n| n.parse().ok())
                .map(Place::Server)
                .ok_or_else(|| UnknownPlace(s.chars().take(40).collect())),
        }
    }
}

impl TryFrom<String> for Place {
    type Error = UnknownPlace;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Place> for String {
    fn from(p: Place) -> Self {
        p.to_string()
    }
}

/// `count` consecutive units at one place.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Run(pub Place, pub u32);

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkMap {
    chunks: u32,
    #[serde(default = "one")]
    group: u32,
    runs: Vec<Run>,
}

fn one() -> u32 {
    1
}

/// Appends `count` units at `place`, joining the last run when it is of the same place.
fn push(runs: &mut Vec<Run>, place: Place, count: u32) {
    if count == 0 {
        return;
    }
    match runs.last_mut() {
        Some(Run(p, n)) if *p == place => *n = n.saturating_add(count),
        _ => runs.push(Run(place, count)),
    }
}

impl ChunkMap {
    /// `chunks` chunks, none of them anywhere yet (at most [`MAX_CHUNKS`]).
    pub fn new(chunks: u32) -> Self {
        let chunks = chunks.min(MAX_CHUNKS);
        let mut runs = Vec::new();
        push(&mut runs, Place::Missing, chunks);
        ChunkMap {
            chunks,
            group: 1,
            runs,
        }
    }

    /// The map of chunks at `places`, one per chunk in order (the first [`MAX_CHUNKS`]).
    pub fn from_places(places: impl IntoIterator<Item = Place>) -> Self {
        let mut map = ChunkMap {
            chunks: 0,
            group: 1,
            runs: Vec::new(),
        };
        for p in places.into_iter().take(MAX_CHUNKS as usize) {
            push(&mut map.runs, p, 1);
            map.chunks += 1;
        }
        map.fit();
        map
    }

    /// How many chunks the message has.
    pub fn chunks(&self) -> u32 {
        self.chunks
    }

    /// Chunks per unit.
    pub fn group(&self) -> u32 {
        self.group
    }

    pub fn runs(&self) -> &[Run] {
        &self.runs
    }

    /// How many units the runs cover.
    pub fn units(&self) -> u32 {
        self.chunks.div_ceil(self.group.max(1))
    }

    /// The first chunk of unit `unit` and how many chunks it holds (the last may hold fewer).
    pub fn unit_chunks(&self, unit: u32) -> (u32, u32) {
        let group = self.group.max(1);
        let first = unit.saturating_mul(group).min(self.chunks);
        (first, group.min(self.chunks - first))
    }

    /// Where chunk `index` is (its unit's place).
    pub fn place(&self, index: u32) -> Option<Place> {
        if index >= self.chunks {
            return None;
        }
        let unit = index / self.group.max(1);
        let mut pos = 0u32;
        for &Run(p, n) in &self.runs {
            pos = pos.saturating_add(n);
            if unit < pos {
                return Some(p);
            }
        }
        None
    }

    /// Chunks per place, in [`Place`] order, places without chunks left out.
    pub fn counts(&self) -> Vec<(Place, u32)> {
        let group = u64::from(self.group.max(1));
        let chunk_at = |unit: u64| (unit * group).min(u64::from(self.chunks));
        let mut out: Vec<(Place, u32)> = Vec::new();
        let mut unit = 0u64;
        for &Run(p, n) in &self.runs {
            let start = chunk_at(unit);
            unit += u64::from(n);
            // At most `chunks`, which is a u32.
            let chunks = (chunk_at(unit) - start) as u32;
            match out.iter_mut().find(|(q, _)| *q == p) {
                Some((_, c)) => *c += chunks,
                None => out.push((p, chunks)),
            }
        }
        out.retain(|(_, c)| *c > 0);
        out.sort();
        out
    }

    /// Puts chunks `first .. first + count` at `place` (clipped to the map). On a coarse map
    /// only units the range covers whole change, so a unit never shows more than it holds.
    pub fn set(&mut self, first: u32, count: u32, place: Place) {
        let end = first.saturating_add(count).min(self.chunks);
        if first >= end {
            return;
        }
        let group = self.group.max(1);
        let a = first.div_ceil(group);
        // The last unit is whole when the range reaches the end of the message.
        let b = if end == self.chunks {
            self.units()
        } else {
            end / group
        };
        if a < b {
            self.set_units(a, b, place);
        }
    }

    /// Puts units `a .. b` at `place`.
    fn set_units(&mut self, a: u32, b: u32, place: Place) {
        let mut out = Vec::with_capacity(self.runs.len() + 2);
        let mut pos = 0u32;
        let mut placed = false;
        for &Run(p, n) in &self.runs {
            let (start, end) = (pos, pos.saturating_add(n));
            pos = end;
            push(&mut out, p, end.min(a).saturating_sub(start));
            if !placed && end > a {
                push(&mut out, place, b - a);
                placed = true;
            }
            push(&mut out, p, end.saturating_sub(start.max(b)));
        }
        self.runs = out;
        self.fit();
    }

    /// Merges pairs of units until the runs fit [`MAX_RUNS`].
    fn fit(&mut self) {
        let covered: u64 = self.runs.iter().map(|&Run(_, n)| u64::from(n)).sum();
        if self.runs.len() > MAX_RUNS && covered > u64::from(MAX_CHUNKS) {
            // A map that never passed validation, too large to spread out: what it says
            // cannot be trusted, so it starts over as nothing placed.
            *self = ChunkMap::new(self.chunks);
            return;
        }
        while self.runs.len() > MAX_RUNS {
            let mut units = Vec::with_capacity(self.units() as usize);
            for &Run(p, n) in &self.runs {
                units.extend(std::iter::repeat_n(p, n as usize));
            }
            let mut runs = Vec::new();
            for pair in units.chunks(2) {
                let least = pair.iter().copied().min().unwrap_or(Place::Missing);
                push(&mut runs, least, 1);
            }
            self.runs = runs;
            self.group = self.group.saturating_mul(2);
        }
    }

    /// Checks the map against the limits and its own arithmetic.
    pub fn validate(&self) -> Result<(), Invalid> {
        if self.chunks > MAX_CHUNKS {
            return Err(Invalid::TooMany {
                what: "chunks",
                limit: MAX_CHUNKS as usize,
            });
        }
        if self.runs.len() > MAX_RUNS {
            return Err(Invalid::TooMany {
                what: "runs",
                limit: MAX_RUNS,
            });
        }
        if self.group == 0 || self.group > MAX_CHUNKS {
            return Err(Invalid::ChunkMap);
        }
        let mut covered = 0u64;
        for &Run(p, n) in &self.runs {
            if n == 0 {
                return Err(Invalid::ChunkMap);
            }
            if let Place::Server(s) = p
                && usize::from(s) >= MAX_SERVERS
            {
                return Err(Invalid::ServerIndex);
            }
            covered += u64::from(n);
        }
        if covered != u64::from(self.units()) {
            return Err(Invalid::ChunkMap);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand(map: &ChunkMap) -> Vec<Place> {
        (0..map.chunks()).filter_map(|i| map.place(i)).collect()
    }

    #[test]
    fn places_round_trip_and_order_by_progress() {
        for p in [Place::Missing, Place::Here, Place::Peer, Place::Server(7)] {
            assert_eq!(p.to_string().parse::<Place>(), Ok(p));
        }
        assert!(Place::Missing < Place::Here && Place::Here < Place::Peer);
        assert!(Place::Peer < Place::Server(0));
        for bad in ["", "server:", "server:x", "server:300", "Peer"] {
            assert!(bad.parse::<Place>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn encodes_runs_and_reads_back_each_chunk() {
        let places = [
            Place::Peer,
            Place::Peer,
            Place::Server(0),
            Place::Missing,
            Place::Missing,
        ];
        let map = ChunkMap::from_places(places);
        assert_eq!(
            map.runs(),
            [
                Run(Place::Peer, 2),
                Run(Place::Server(0), 1),
                Run(Place::Missing, 2)
            ]
        );
        assert_eq!(expand(&map), places);
        assert_eq!(map.place(5), None);
        assert_eq!(
            map.counts(),
            [(Place::Missing, 2), (Place::Peer, 2), (Place::Server(0), 1)]
        );
        let json = serde_json::to_string(&map).unwrap();
        assert_eq!(
            json,
            r#"{"chunks":5,"group":1,"runs":[["peer",2],["server:0",1],["missing",2]]}"#
        );
        assert!(map.validate().is_ok());
    }

    #[test]
    fn set_splices_ranges_and_merges_neighbours() {
        let mut map = ChunkMap::new(10);
        map.set(0, 3, Place::Peer);
        map.set(3, 2, Place::Peer);
        assert_eq!(map.runs(), [Run(Place::Peer, 5), Run(Place::Missing, 5)]);
        map.set(7, 100, Place::Server(1));
        map.set(2, 1, Place::Here);
        let mut want = vec![Place::Peer; 5];
        want[2] = Place::Here;
        want.extend([Place::Missing; 2]);
        want.extend([Place::Server(1); 3]);
        assert_eq!(expand(&map), want);
        map.set(10, 5, Place::Peer);
        map.set(4, 0, Place::Peer);
        assert_eq!(expand(&map), want);
        assert!(map.validate().is_ok());
    }

    #[test]
    fn a_fragmented_map_is_coarsened_to_the_least_advanced() {
        // Every other chunk stored: as many runs as chunks.
        let n = 10_000u32;
        let places = (0..n).map(|i| {
            if i % 2 == 0 {
                Place::Peer
            } else {
                Place::Missing
            }
        });
        let map = ChunkMap::from_places(places);
        assert!(map.runs().len() <= MAX_RUNS);
        assert_eq!(map.group(), 2);
        assert_eq!(map.chunks(), n);
        assert_eq!(map.runs(), [Run(Place::Missing, n / 2)]);
        assert!(map.validate().is_ok());

        // Set one chunk at a time until the runs overflow; the map stays valid throughout.
        let mut map = ChunkMap::new(MAX_CHUNKS);
        for i in (0..MAX_CHUNKS).step_by(3) {
            map.set(i, 1, Place::Server((i % 5) as u8));
            assert!(map.runs().len() <= MAX_RUNS);
        }
        assert!(map.group() > 1);
        assert!(map.validate().is_ok());
        assert_eq!(map.counts().iter().map(|(_, c)| c).sum::<u32>(), MAX_CHUNKS);
    }

    #[test]
    fn a_coarse_map_changes_only_whole_units() {
        let places = (0..9000u32).map(|i| if i % 2 == 0 { Place::Peer } else { Place::Here });
        let mut map = ChunkMap::from_places(places);
        assert_eq!(map.group(), 2);
        map.set(1, 2, Place::Peer); // covers no whole unit
        assert_eq!(map.place(0), Some(Place::Here));
        map.set(0, 4, Place::Peer); // units 0 and 1
        assert_eq!(map.place(3), Some(Place::Peer));
        assert_eq!(map.place(4), Some(Place::Here));
        map.set(8990, 10, Place::Server(2)); // the end of the message
        assert_eq!(map.place(8999), Some(Place::Server(2)));
        assert_eq!(map.counts().iter().map(|(_, c)| c).sum::<u32>(), 9000);
    }

    #[test]
    fn counts_honour_a_short_last_unit() {
        // 5 chunks in units of 2: the last unit holds one chunk.
        let map = ChunkMap {
            chunks: 5,
            group: 2,
            runs: vec![Run(Place::Peer, 2), Run(Place::Missing, 1)],
        };
        assert!(map.validate().is_ok());
        assert_eq!(map.counts(), [(Place::Missing, 1), (Place::Peer, 4)]);
        assert_eq!(map.unit_chunks(2), (4, 1));
    }

    #[test]
    fn validation_rejects_inconsistent_maps() {
        let bad = [
            r#"{"chunks":5,"runs":[["peer",4]]}"#,
            r#"{"chunks":5,"runs":[["peer",6]]}"#,
            r#"{"chunks":5,"runs":[["peer",5],["missing",0]]}"#,
            r#"{"chunks":5,"group":0,"runs":[]}"#,
            r#"{"chunks":70000,"runs":[["peer",70000]]}"#,
            r#"{"chunks":1,"runs":[["server:16",1]]}"#,
            r#"{"chunks":4294967295,"group":4294967295,"runs":[["peer",1]]}"#,
        ];
        for b in bad {
            let map: ChunkMap = serde_json::from_str(b).unwrap();
            assert!(map.validate().is_err(), "{b}");
        }
        let good: ChunkMap = serde_json::from_str(r#"{"chunks":0,"runs":[]}"#).unwrap();
        assert!(good.validate().is_ok());
    }

    #[test]
    fn an_unchecked_huge_map_is_reset_rather_than_spread_out() {
        let huge = |n: u32| ChunkMap {
            chunks: u32::MAX,
            group: 1,
            runs: (0..=MAX_RUNS as u32)
                .map(|i| Run(if i % 2 == 0 { Place::Peer } else { Place::Here }, n))
                .collect(),
        };
        // Too many runs over far too many chunks: reset, not expanded.
        let mut map = huge(1_000_000);
        map.set(0, 1, Place::Server(0));
        assert_eq!(map.runs(), [Run(Place::Missing, MAX_CHUNKS)]);
        assert!(map.validate().is_ok());
        // Counts that overflow: the positions saturate and the map stays small.
        let mut map = huge(u32::MAX);
        map.set(0, 1, Place::Server(0));
        assert!(map.runs().len() <= MAX_RUNS);
    }
}
