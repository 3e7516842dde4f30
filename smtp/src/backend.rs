//! What the connection driver needs from the server it runs in: the password check, the
//! recipients' look-up, somewhere to write a body and the submission pipeline. The node
//! implements it over its store and network; the driver knows nothing of either.

use std::future::Future;
use std::io::Write;
use std::net::IpAddr;

use chrono::{DateTime, Utc};

use crate::session::{AuthOutcome, Lookup, Outcome, Plan, User};

pub trait Backend: Sync {
    /// Where a message body is written as it arrives (the store's message writer).
    type Writer: Write + Send + 'static;

    /// Checks a login from `peer`; the account when it is right.
    fn authenticate(
        &self,
        user: &str,
        password: &str,
        peer: IpAddr,
    ) -> impl Future<Output = (AuthOutcome, Option<User>)> + Send;

    /// Whether `sender` may write to `address`, and where it lives.
    fn lookup(&self, sender: &User, address: &str) -> impl Future<Output = Lookup> + Send;

    /// A fresh body writer; `None` (logged) when none can be had now.
    fn open_body(&self) -> impl Future<Output = Option<Self::Writer>> + Send;

    /// Files the complete body for `plan`, durably before it answers.
    fn submit(
        &self,
        writer: Self::Writer,
        plan: Plan,
        peer: IpAddr,
    ) -> impl Future<Output = Outcome> + Send;

    /// The time for the trace header: the server's network time.
    fn now(&self) -> DateTime<Utc>;
}
