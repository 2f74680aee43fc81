//! Adapters for the ports the use cases define, other than storage:
//! outgoing email over SMTP, the optional Redis behind rate limits, the cache, the
//! event bus and the scheduler lease, backup uploads to S3-compatible storage, and uploaded
//! files on the local disk.

pub mod blobs;
pub mod redis;
pub mod s3;
pub mod s3_blobs;
pub mod smtp;
