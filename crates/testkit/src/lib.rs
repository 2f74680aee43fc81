//! Support code shared by the workspace's integration tests (a dev-dependency only):
//! real services started on free loopback ports, never the machine's own.

pub mod images;
pub mod pg;
pub mod xlsx;
