//! Adapters for the ports the use cases define, other than storage:
//! outgoing email over SMTP, and the optional Redis behind rate limits, the cache, the
//! event bus and the scheduler lease.

pub mod redis;
pub mod smtp;
