//! Who is asking and from where: carried into every use case for audit.

use formula_domain::authz::Actor;

/// Request metadata recorded in the audit trail.
#[derive(Debug, Clone, Default)]
pub struct RequestCtx {
    pub request_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// The session the request came in on, if any (kept on password change).
    pub session_id: Option<uuid::Uuid>,
}

/// An authenticated call: the actor plus request metadata.
#[derive(Debug, Clone)]
pub struct Caller {
    pub actor: Actor,
    pub ctx: RequestCtx,
}
