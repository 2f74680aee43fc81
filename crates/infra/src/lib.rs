//! Adapters for the ports the use cases define, other than storage:
//! today, outgoing email over SMTP.

pub mod smtp;
