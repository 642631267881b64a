//! Who is calling, and what they may do.
//!
//! - [`credentials`]: access keys from an AWS shared-credentials file and the environment.
//! - [`sigv4`]: verifies Signature Version 4 requests (header and presigned query-string
//!   auth) against those keys, with AWS's error answers.
//! - [`policy`]: IAM-style identity and resource policies, evaluated as AWS does (an explicit
//!   Deny wins, then any Allow, else an implicit deny).
//!
//! Nothing here knows HTTP servers or the engine: the server hands in a request's parts and
//! the operation's JSON body, and gets back a principal or a refusal.

pub mod credentials;
pub mod policy;
pub mod requests;
pub mod sigv4;
