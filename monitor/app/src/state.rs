//! What the window shows: the druid data (small, compared on every event) and the view model
//! behind it (the job table and the connection, changed only through the delegate).

use std::cell::RefCell;
use std::rc::Rc;

use druid::{Data, Lens};
use monitor_api::{Credentials, Direction};
use monitor_client::{ClientError, ConnState, Fingerprint, Handle, KnownHosts, Update};
use monitor_model::{Column, Filter, JobTable, Sort, texts::I18n};

use crate::branding::Branding;
use crate::profiles::Profile;
use crate::secrets;

/// Everything behind the window that is not druid data.
pub struct Model {
    pub t: I18n,
    pub branding: Branding,
    pub table: JobTable,
    pub conn: Option<ConnState>,
    pub sort: Sort,
    pub filter: Filter,
    pub selected: Option<String>,
    pub handle: Option<Handle>,
    pub known_hosts: KnownHosts,
    /// The fingerprint accepted on the command line or in the dialog.
    pub accept: Option<Fingerprint>,
    /// Started with every setting on the command line: a refusal ends the program with its
    /// line on stderr, there is no one to ask.
    pub scripted: bool,
    /// The node's certificate waiting for the person's decision.
    pub pending_certificate: Option<Fingerprint>,
    /// The credentials of the current connection, for "connect again".
    pub credentials: Option<Credentials>,
    /// A secret to keep in the system's store once the node has accepted it.
    pub pending_save: Option<(Profile, String)>,
    /// The profile whose secret the store gave the dialog: unticking "remember" removes it.
    pub saved: Option<Profile>,
}

impl Model {
    /// Takes an update of the connection; whether the window must redraw.
    pub fn apply(&mut self, update: Update) -> Result<(), ClientError> {
        match update {
            Update::State(s) => self.conn = Some(s),
            Update::Accepted(_) => {
                if let Some((profile, secret)) = self.pending_save.take() {
                    secrets::store_in_background(profile, Some(secret));
                }
            }
            Update::Frame(f) => {
                self.table.apply(f);
            }
            Update::Retrying(e) => {
                tracing::debug!(error = %e, "monitor retries");
            }
            Update::Stopped(e) => {
                self.pending_save = None;
                return Err(e);
            }
        }
        Ok(())
    }

    pub fn sort_by(&mut self, column: Column) {
        self.sort = self.sort.clicked(column);
    }

    /// All directions, then up only, then down only.
    pub fn cycle_direction(&mut self) {
        self.filter.direction = match self.filter.direction {
            None => Some(Direction::Up),
            Some(Direction::Up) => Some(Direction::Down),
            Some(Direction::Down) => None,
        };
    }

    /// All accounts, then each account the table has in turn.
    pub fn cycle_account(&mut self) {
        let accounts = self.table.accounts();
        self.filter.account = match &self.filter.account {
            None => accounts.first().cloned(),
            Some(a) => accounts
                .iter()
                .position(|x| x == a)
                .and_then(|i| accounts.get(i + 1))
                .cloned(),
        };
    }

    /// No state filter, then one state after another.
    pub fn cycle_state(&mut self) {
        let order = monitor_model::filter::choices(&self.t, &[]).states;
        let now = self.filter.states.iter().next().copied();
        let next = match now {
            None => order.first().map(|s| s.0),
            Some(s) => order
                .iter()
                .position(|x| x.0 == s)
                .and_then(|i| order.get(i + 1))
                .map(|s| s.0),
        };
        self.filter.states = next.into_iter().collect();
    }
}

pub type Shared = Rc<RefCell<Model>>;

#[derive(Clone, Data, Lens)]
pub struct AppState {
    /// Counts changes of the model: widgets redraw when it moves.
    pub rev: u64,
    /// The dialog shows instead of the job table.
    pub dialog: bool,
    pub address: String,
    pub account: String,
    /// The password, or the operator token when `operator`.
    pub secret: String,
    pub operator: bool,
    /// Keep the secret in the system's secret store.
    pub remember: bool,
    /// The dialog's message line (a refusal, a certificate to decide on).
    pub message: String,
    pub hide_finished: bool,
    #[data(ignore)]
    pub model: Shared,
}

impl AppState {
    pub fn changed(&mut self) {
        self.rev = self.rev.wrapping_add(1);
    }
}
