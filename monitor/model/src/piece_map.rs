//! The piece map: a job's chunk map drawn as a bar of coloured cells, one colour per place a
//! chunk can be, with a legend.

use i18n::I18n;
use monitor_api::limits::MAX_SERVERS;
use monitor_api::{ChunkMap, Direction, Job, Place, Run};

/// A colour slot of the piece map; the GUI maps it to the branding's colours, or to
/// [`Swatch::rgb`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Swatch(pub u8);

/// Slots 0 to 2, then one per server.
const SLOTS: usize = 3 + MAX_SERVERS;

impl Swatch {
    pub fn of(place: Place) -> Swatch {
        Swatch(match place {
            Place::Missing => 0,
            Place::Here => 1,
            Place::Peer => 2,
            // Indices beyond the limit never pass validation; they share the last slot.
            Place::Server(n) => 3 + n.min(MAX_SERVERS as u8 - 1),
        })
    }

    /// A default palette: grey for nothing yet, blue for this node, green for the peer, and
    /// distinct warm and cool hues for the servers.
    pub fn rgb(self) -> [u8; 3] {
        const SERVERS: [[u8; 3]; 8] = [
            [0xe6, 0x8a, 0x00],
            [0x8e, 0x44, 0xad],
            [0x00, 0x96, 0x88],
            [0xc0, 0x39, 0x2b],
            [0x79, 0x55, 0x48],
            [0xd8, 0x1b, 0x60],
            [0x54, 0x6e, 0x7a],
            [0xaf, 0xb4, 0x2b],
        ];
        match self.0 {
            0 => [0xd0, 0xd0, 0xd0],
            1 => [0x42, 0x85, 0xf4],
            2 => [0x2e, 0x9e, 0x44],
            n => SERVERS[usize::from(n - 3) % SERVERS.len()],
        }
    }
}

/// `width` cells for `map`: each covers an equal share of the chunks and shows the place
/// most of them are at (on a tie, the least advanced). With more cells than chunks a chunk
/// spans several cells. A map without chunks gives cells of nothing yet.
pub fn cells(map: &ChunkMap, width: usize) -> Vec<Place> {
    let chunks = u64::from(map.chunks());
    if width == 0 {
        return Vec::new();
    }
    if chunks == 0 {
        return vec![Place::Missing; width];
    }
    // The runs as chunk ranges [start, end).
    let group = u64::from(map.group().max(1));
    let mut segments = Vec::with_capacity(map.runs().len());
    let mut unit = 0u64;
    for &Run(place, n) in map.runs() {
        let start = (unit * group).min(chunks);
        unit += u64::from(n);
        let end = (unit * group).min(chunks);
        if end > start {
            segments.push((start, end, place));
        }
    }
    let width = width as u64;
    let mut out = Vec::with_capacity(width as usize);
    let mut seg = 0usize;
    for cell in 0..width {
        let from = cell * chunks / width;
        // A cell narrower than a chunk shows the chunk it lies in.
        let to = ((cell + 1) * chunks / width).max(from + 1);
        while seg < segments.len() && segments[seg].1 <= from {
            seg += 1;
        }
        let mut counts = [0u64; SLOTS];
        let mut places = [Place::Missing; SLOTS];
        for &(start, end, place) in segments.iter().skip(seg) {
            if start >= to {
                break;
            }
            let slot = usize::from(Swatch::of(place).0);
            counts[slot] += end.min(to) - start.max(from);
            places[slot] = place;
        }
        // The most chunks; among equals the first slot, which is the least advanced.
        let best = (0..SLOTS)
            .max_by(|&a, &b| counts[a].cmp(&counts[b]).then(b.cmp(&a)))
            .unwrap_or(0);
        out.push(if counts[best] == 0 {
            Place::Missing
        } else {
            places[best]
        });
    }
    out
}

/// One line of the legend: a colour, what it means, how many chunks are there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LegendEntry {
    pub place: Place,
    pub swatch: Swatch,
    pub label: String,
    pub chunks: u32,
}

/// What `place` means for `job`, in words.
pub fn place_label(t: &I18n, job: &Job, place: Place) -> String {
    let up = job.direction == Direction::Up;
    match place {
        Place::Missing if up => t.text("monitor-place-missing-up", &[]),
        Place::Missing => t.text("monitor-place-missing-down", &[]),
        Place::Here if up => t.text("monitor-place-here-up", &[]),
        Place::Here => t.text("monitor-place-here-down", &[]),
        Place::Peer => t.text("monitor-place-peer", &[]),
        Place::Server(n) => {
            let number = (u32::from(n) + 1).to_string();
            match job.servers.get(usize::from(n)) {
                Some(name) if !name.is_empty() => t.text(
                    "monitor-place-server-named",
                    &[("number", &number), ("name", name)],
                ),
                _ => t.text("monitor-place-server", &[("number", &number)]),
            }
        }
    }
}

/// The legend of `job`'s piece map: every place that holds chunks, in [`Place`] order.
pub fn legend(t: &I18n, job: &Job) -> Vec<LegendEntry> {
    let Some(map) = &job.chunks else {
        return Vec::new();
    };
    map.counts()
        .into_iter()
        .map(|(place, chunks)| LegendEntry {
            place,
            swatch: Swatch::of(place),
            label: place_label(t, job, place),
            chunks,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::texts::load;
    use monitor_api::Activity;

    fn map(places: &[(Place, u32)]) -> ChunkMap {
        ChunkMap::from_places(
            places
                .iter()
                .flat_map(|&(p, n)| std::iter::repeat_n(p, n as usize)),
        )
    }

    #[test]
    fn one_cell_per_chunk_when_widths_match() {
        let m = map(&[(Place::Peer, 2), (Place::Server(1), 1), (Place::Missing, 1)]);
        assert_eq!(
            cells(&m, 4),
            [Place::Peer, Place::Peer, Place::Server(1), Place::Missing]
        );
    }

    #[test]
    fn wide_bars_repeat_chunks_and_narrow_ones_take_the_majority() {
        let m = map(&[(Place::Peer, 1), (Place::Missing, 1)]);
        let wide = cells(&m, 5);
        assert_eq!(wide.len(), 5);
        assert_eq!(wide[0], Place::Peer);
        assert_eq!(wide[4], Place::Missing);
        assert_eq!(wide.iter().filter(|&&p| p == Place::Peer).count(), 3);

        let m = map(&[
            (Place::Peer, 70),
            (Place::Server(0), 30),
            (Place::Here, 100),
        ]);
        assert_eq!(cells(&m, 2), [Place::Peer, Place::Here]);
        assert_eq!(cells(&m, 1), [Place::Here]);
        // A tie goes to the least advanced place.
        let m = map(&[(Place::Server(2), 5), (Place::Missing, 5)]);
        assert_eq!(cells(&m, 1), [Place::Missing]);
    }

    #[test]
    fn any_width_and_any_map_give_that_many_cells() {
        let maps = [
            ChunkMap::new(0),
            ChunkMap::new(1),
            map(&[(Place::Peer, 3), (Place::Server(15), 65_533)]),
            ChunkMap::from_places((0..65_536u32).map(|i| {
                if i % 2 == 0 {
                    Place::Peer
                } else {
                    Place::Server(3)
                }
            })),
        ];
        for m in &maps {
            for width in [0, 1, 2, 3, 7, 100, 999, 4096, 100_000] {
                let c = cells(m, width);
                assert_eq!(c.len(), width);
            }
        }
        assert_eq!(cells(&ChunkMap::new(0), 3), [Place::Missing; 3]);
    }

    #[test]
    fn swatches_are_distinct_for_each_kind_of_place() {
        let kinds = [
            Place::Missing,
            Place::Here,
            Place::Peer,
            Place::Server(0),
            Place::Server(1),
        ];
        let colours: Vec<[u8; 3]> = kinds.iter().map(|&p| Swatch::of(p).rgb()).collect();
        for (i, a) in colours.iter().enumerate() {
            for b in &colours[i + 1..] {
                assert_ne!(a, b);
            }
        }
        assert_eq!(
            Swatch::of(Place::Server(200)),
            Swatch::of(Place::Server(15))
        );
    }

    #[test]
    fn the_legend_names_places_by_direction_and_server() {
        let t = load("en-US").unwrap();
        let mut job = Job::new("j", "ann@kapur.h", Activity::Delivery, Direction::Up);
        job.servers = vec!["s1.kapur.h".into()];
        job.chunks = Some(map(&[
            (Place::Peer, 2),
            (Place::Server(0), 3),
            (Place::Server(1), 1),
            (Place::Here, 4),
        ]));
        let l = legend(&t, &job);
        let labels: Vec<(&str, u32)> = l.iter().map(|e| (e.label.as_str(), e.chunks)).collect();
        assert_eq!(
            labels,
            [
                ("Sealed, waiting to be sent", 4),
                ("At the recipient's node", 2),
                ("At server 1 (s1.kapur.h)", 3),
                ("At server 2", 1),
            ]
        );
        job.direction = Direction::Down;
        assert_eq!(place_label(&t, &job, Place::Here), "Received");
        job.chunks = None;
        assert!(legend(&t, &job).is_empty());
    }
}
