//! Adapters for the ports the use cases define, other than storage:
//! outgoing email over SMTP, the optional Redis behind rate limits, the cache, the
//! event bus and the scheduler lease, and backup uploads to S3-compatible storage.

pub mod redis;
pub mod s3;
pub mod smtp;
