//! Server-side message rules: each account may keep Sieve scripts (RFC 5228), one of them
//! active, run on every message filed for the account, whichever way it came (submission on
//! this node, the network, the drop folder, `wims send`).
//!
//! The parts: `settings` (the limits), `check` (compiling a script, with the line and column
//! of what is wrong, and a dry run that finds extensions the node does not offer), `scripts`
//! (the scripts kept per account in the store's record tables), `engine` (the active
//! script compiled once, its questions answered from the store), and `decide` (running the
//! active script on a message: decisions only, no I/O, so the filing code carries them out in
//! the one filing path). The engine is `sieve-rs`.

mod check;
mod decide;
mod engine;
mod scripts;
mod settings;

pub use check::{CheckError, Problem, check};
pub use decide::{Decision, Filing, Lookups, Send, decide};
pub use engine::Rules;
pub use scripts::{ScriptError, ScriptInfo, Scripts};
pub use settings::Settings;

/// A checked script, ready to run.
pub type Compiled = std::sync::Arc<sieve::Sieve>;
