//! The monitor's view model: everything `wims-monitor` shows, without a GUI.
//!
//! The job table is built from the node's snapshot and kept current by its events
//! ([`JobTable`]); it is filtered ([`Filter`]) and sorted by any column ([`Sort`]); each job
//! becomes a line of text cells ([`rows::row`]), the selected one a detail pane with its stage
//! timeline ([`detail::detail`]) and piece map ([`piece_map::cells`]); the status bar sums it
//! up ([`status_bar`]); and the connection reconnects by itself ([`Connection`]). Every text
//! comes from Fluent ([`texts`]); no clock is read here: times are passed in.

pub mod detail;
pub mod filter;
pub mod format;
pub mod piece_map;
pub mod reconnect;
pub mod rows;
pub mod sort;
pub mod status_bar;
pub mod table;
pub mod texts;

pub use filter::Filter;
pub use reconnect::{Action, Connection, Lost, Phase};
pub use sort::{Column, Sort};
pub use status_bar::{StatusBar, Totals, status_bar, totals};
pub use table::{Applied, Ignored, JobTable};
