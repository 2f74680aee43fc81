//! Who may do what: the one `authorize()` every use case calls, and the
//! visibility scopes that list queries turn into SQL filters.
//!
//! The full matrix is written out in `docs/permissions.md`; the table-driven
//! test at the bottom of this file checks every role against every action.

use uuid::Uuid;

use crate::project::ProjectRole;
use crate::user::Role;

/// The signed-in user a request acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Uuid,
    pub name: String,
    pub role: Role,
    /// The client organisation of a `client` user.
    pub client_id: Option<Uuid>,
}

/// Everything a user can ask to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    ListUsers,
    ViewUser,
    ManageUsers,
    /// Invite a person by e-mail to set their own password (creating their account).
    InviteUsers,
    ListClients,
    ViewClient,
    CreateClient,
    UpdateClient,
    DeleteClient,
    ListProjects,
    ViewProject,
    CreateProject,
    UpdateProject,
    ChangeProjectStatus,
    ManageTeam,
    DeleteProject,
    /// Put a completed project back to active (snagging after completion), with a reason.
    ReopenProject,
    ViewTasks,
    CreateTask,
    UpdateTask,
    DeleteTask,
    /// See a project's schedule: dependencies, early and late dates, float, the proposal a
    /// reschedule makes, baselines and the project's calendar (whoever sees its tasks).
    ViewSchedule,
    /// Keep a project's schedule: add and remove dependencies, apply a reschedule, save and
    /// delete baselines, change the project's calendar overrides.
    ManageSchedule,
    /// Change the company's working calendar (weekdays and holidays).
    ManageWorkCalendar,
    /// Change the company's workflow template (the millwork chain's steps and durations).
    ManageWorkflowTemplate,
    /// Read a project's scope of work (BOQ) with its prices and costs.
    ViewScope,
    /// Add, change, reorder, import and delete scope groups and items.
    ManageScope,
    /// See a project's drawing register, revisions and files (client users: only what was
    /// submitted to them).
    ViewDrawings,
    /// Add drawings, upload revisions, submit them for review, link them to scope items.
    ManageDrawings,
    /// Decide on a submitted revision.
    ReviewDrawings,
    /// See a project's material specifications (client users: only what was submitted).
    ViewSpecs,
    /// Add and edit specifications, submit them for approval, link them.
    ManageSpecs,
    /// Decide on a submitted specification.
    ApproveSpecs,
    /// Record a delivered material as installed (orders and deliveries come from purchase
    /// orders and goods receipts).
    ManageProcurement,
    /// Read the internal comments on what the caller can see (client users read only the
    /// comments marked visible to the client).
    ViewInternalComments,
    /// Comment on a record the caller can see (client users: only visible to the client).
    PostComment,
    /// Change the wording of one's own comment.
    EditComment,
    /// Delete a comment: one's own, or anyone's for an administrator.
    DeleteComment,
    /// Follow or unfollow a record the caller can see.
    FollowRecords,
    /// Read one's own notifications, mark them read, and choose how they are mailed.
    ReadNotifications,
    /// Read the activity feed of a project (or of a record) the caller can see; client users
    /// get only what is shared with them (see `activity::CLIENT_VISIBLE`).
    ViewActivity,
    /// Read the whole feed: every change and internal comment, not only the client's part.
    ViewInternalActivity,
    /// See one's own "waiting for me" list (reviews to decide, unanswered mentions).
    ViewWaiting,
    ViewAudit,
    ViewOutbox,
    /// See the installation's health, pools, connections and memory (the status page).
    ViewSystemStatus,
    /// Operate the installation: background jobs (list, retry dead ones).
    ManageSystem,
    /// Search everything the caller can see (each hit filtered as on its own page).
    Search,
    /// Download a photo's original file, with its EXIF and GPS data, on what the caller can
    /// see. Everyone else (client users) is served the stripped display copy instead.
    ViewPhotoOriginals,
    /// Read the company's settings (the letterhead on documents): every internal user.
    ViewCompany,
    /// Change the company's settings and logo.
    ManageCompany,
    /// See a project's locations (buildings, levels, zones, rooms) and room types.
    ViewLocations,
    /// Create, change and delete a project's locations and room types (one by one or from
    /// a pattern).
    ManageLocations,
    /// See site progress: the room matrix, progress by room and level, and rooms' sign-off
    /// (client users included: states and counts, no prices, no installers' notes).
    ViewSiteProgress,
    /// See the installation records (who installed what, where, when, with the photo).
    ViewInstallations,
    /// Record an item installed in a room, or reverse such a record.
    RecordInstallation,
    /// See a project's snags (client users: only those marked visible to the client).
    ViewSnags,
    /// Raise a snag (client users: in their own projects' rooms, visible to them).
    RaiseSnag,
    /// Edit a snag's details, assign it, and mark it fixed.
    WorkSnags,
    /// Verify, close or reject a snag, and reopen one.
    VerifySnags,
    /// Sign a room off (or withdraw a sign-off).
    SignOffRooms,
    /// See a project's variations (client users: those submitted to them and the ones they
    /// requested; a request's lines and prices only once it is submitted).
    ViewVariations,
    /// Raise a variation (client users: request one, which the team then prices).
    RaiseVariation,
    /// Price a variation's lines, edit it, submit it to the client or withdraw it.
    ManageVariations,
    /// Approve or reject a submitted variation: the client's decision (a project manager
    /// records one the client gave outside the app).
    DecideVariations,
    /// See a project's RFIs (client users: those addressed to them or shared with them).
    ViewRfis,
    /// Raise RFIs, edit them, link them, send them again, close and reopen them.
    ManageRfis,
    /// Answer an RFI (client users: one addressed to them; the team also records an outside
    /// addressee's answer).
    AnswerRfis,
    /// See a project's commercial summary: contract value, variations, budget, cost and
    /// margin, and the same figures across the portfolio.
    ViewCommercial,
    /// Read the supplier directory (names, categories, terms, contacts; no prices).
    ViewSuppliers,
    /// Add, change and archive suppliers and their contacts.
    ManageSuppliers,
    /// See a project's purchase orders and goods receipts (prices only with
    /// `ViewPurchasePrices`).
    ViewPurchaseOrders,
    /// See purchase prices: order lines, totals, a supplier's order value. Designers and
    /// craftsmen do not, unless the company's settings let their role (checked by the use
    /// cases, which hold the settings).
    ViewPurchasePrices,
    /// Raise purchase orders (from approved specifications or by hand), edit drafts, cancel
    /// and close orders.
    RaisePurchaseOrders,
    /// Approve a purchase order: a project manager up to the approval limit of its currency,
    /// an executive or administrator above it (the limit is checked by the use case).
    ApprovePurchaseOrders,
    /// Send an approved purchase order to its supplier (PDF by e-mail).
    SendPurchaseOrders,
    /// Record goods received against a purchase order.
    ReceiveGoods,
    /// See the workshop: stages and the quantities in them, the board, QA checks, labels.
    ViewWorkshop,
    /// Move quantities of released items through the workshop's stages (or undo a move).
    MoveProduction,
    /// Record a QA check: pass, or fail with rework to a chosen stage.
    RunQa,
    /// Change workshop stages: the company's list (administrators), a project's own list
    /// (its project manager).
    ManageWorkshopStages,
    /// See a project's delivery notes and their receipts.
    ViewDeliveries,
    /// Plan delivery notes, change them, dispatch them and cancel planned ones.
    ManageDeliveries,
    /// Record a delivery received on site (full or partial), signed on the phone.
    ReceiveDeliveries,
    /// Make, list, revoke and regenerate one's own calendar (iCal) feed links. A feed shows
    /// only what its owner may see, checked again at every fetch.
    ManageCalendarFeeds,
    /// Create, rename, recolour and delete the company's task labels (putting labels on a
    /// task is `UpdateTask`).
    ManageTaskLabels,
}

impl Action {
    pub const ALL: &'static [Action] = &[
        Action::ListUsers,
        Action::ViewUser,
        Action::ManageUsers,
        Action::InviteUsers,
        Action::ListClients,
        Action::ViewClient,
        Action::CreateClient,
        Action::UpdateClient,
        Action::DeleteClient,
        Action::ListProjects,
        Action::ViewProject,
        Action::CreateProject,
        Action::UpdateProject,
        Action::ChangeProjectStatus,
        Action::ManageTeam,
        Action::DeleteProject,
        Action::ReopenProject,
        Action::ViewTasks,
        Action::CreateTask,
        Action::UpdateTask,
        Action::DeleteTask,
        Action::ViewSchedule,
        Action::ManageSchedule,
        Action::ManageWorkCalendar,
        Action::ManageWorkflowTemplate,
        Action::ViewScope,
        Action::ManageScope,
        Action::ViewDrawings,
        Action::ManageDrawings,
        Action::ReviewDrawings,
        Action::ViewSpecs,
        Action::ManageSpecs,
        Action::ApproveSpecs,
        Action::ManageProcurement,
        Action::ViewInternalComments,
        Action::PostComment,
        Action::EditComment,
        Action::DeleteComment,
        Action::FollowRecords,
        Action::ReadNotifications,
        Action::ViewActivity,
        Action::ViewInternalActivity,
        Action::ViewWaiting,
        Action::ViewAudit,
        Action::ViewOutbox,
        Action::ViewSystemStatus,
        Action::ManageSystem,
        Action::Search,
        Action::ViewPhotoOriginals,
        Action::ViewCompany,
        Action::ManageCompany,
        Action::ViewLocations,
        Action::ManageLocations,
        Action::ViewSiteProgress,
        Action::ViewInstallations,
        Action::RecordInstallation,
        Action::ViewSnags,
        Action::RaiseSnag,
        Action::WorkSnags,
        Action::VerifySnags,
        Action::SignOffRooms,
        Action::ViewVariations,
        Action::RaiseVariation,
        Action::ManageVariations,
        Action::DecideVariations,
        Action::ViewRfis,
        Action::ManageRfis,
        Action::AnswerRfis,
        Action::ViewCommercial,
        Action::ViewSuppliers,
        Action::ManageSuppliers,
        Action::ViewPurchaseOrders,
        Action::ViewPurchasePrices,
        Action::RaisePurchaseOrders,
        Action::ApprovePurchaseOrders,
        Action::SendPurchaseOrders,
        Action::ReceiveGoods,
        Action::ViewWorkshop,
        Action::MoveProduction,
        Action::RunQa,
        Action::ManageWorkshopStages,
        Action::ViewDeliveries,
        Action::ManageDeliveries,
        Action::ReceiveDeliveries,
        Action::ManageCalendarFeeds,
        Action::ManageTaskLabels,
    ];
}

/// What a project-scoped check needs to know about the project and the actor's place in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProjectAccess {
    pub client_id: Uuid,
    /// The actor's role on the team, if a member.
    pub membership: Option<ProjectRole>,
}

/// The object an action applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// Company-wide actions (lists, creation, administration).
    Global,
    User {
        id: Uuid,
    },
    Client {
        id: Uuid,
    },
    Project(ProjectAccess),
    Task {
        project: ProjectAccess,
        assignee: Option<Uuid>,
    },
    Comment {
        project: ProjectAccess,
        author: Option<Uuid>,
    },
}

/// Decides whether `actor` may perform `action` on `resource`.
pub fn authorize(actor: &Actor, action: Action, resource: &Resource) -> bool {
    use Action::*;
    use Role::*;
    let role = actor.role;
    // Words are their author's: nobody, administrators included, rewrites someone else's.
    if let (EditComment, Resource::Comment { project, author }) = (action, resource) {
        return *author == Some(actor.user_id)
            && (role == Admin || authorize(actor, PostComment, &Resource::Project(*project)));
    }
    if role == Admin {
        return true;
    }
    let staff = role != Client;
    let office = matches!(role, Executive | ProjectManager | Designer | Coordinator);
    match (action, resource) {
        // People: a directory for the office; only admins manage accounts.
        (ListUsers, _) => matches!(role, Executive | ProjectManager),
        (ViewUser, Resource::User { id }) => {
            *id == actor.user_id || matches!(role, Executive | ProjectManager)
        }
        (ManageUsers | InviteUsers, _) => false,

        // Clients: the office sees all; a client user sees only their own organisation.
        (ListClients, _) => office || role == Client,
        (ViewClient, Resource::Client { id }) => office || actor.client_id == Some(*id),
        (CreateClient | UpdateClient, _) => role == ProjectManager,
        (DeleteClient, _) => false,

        // Projects: executives read all; others through team membership or client organisation.
        (ListProjects, _) => true,
        (CreateProject, _) => role == ProjectManager,
        (ViewProject | ViewTasks, Resource::Project(p)) => can_see_project(actor, p),
        (UpdateProject | ChangeProjectStatus | ManageTeam, Resource::Project(p)) => {
            role == ProjectManager && p.membership.is_some()
        }
        (DeleteProject, _) => false,
        (ReopenProject, _) => false,

        // Tasks: the team works on them; craftsmen update only their own.
        (CreateTask, Resource::Project(p)) => {
            matches!(role, ProjectManager | Designer | Coordinator) && p.membership.is_some()
        }
        (UpdateTask, Resource::Task { project, assignee }) => {
            staff
                && project.membership.is_some()
                && (matches!(role, ProjectManager | Designer | Coordinator)
                    || (role == Craftsman && *assignee == Some(actor.user_id)))
        }
        (DeleteTask, Resource::Task { project, .. }) => {
            role == ProjectManager && project.membership.is_some()
        }
        // The schedule is the tasks' dates: whoever sees the tasks sees it (client users
        // included, as they see the tasks); the project manager keeps it; the company's
        // calendar is the administrators'.
        (ViewSchedule, Resource::Project(p)) => can_see_project(actor, p),
        (ManageSchedule, Resource::Project(p)) => role == ProjectManager && p.membership.is_some(),
        (ManageWorkCalendar, _) => false,
        // The workflow template is company-wide, like the calendar; staff read it with the
        // company's details (`ViewCompany`).
        (ManageWorkflowTemplate, _) => false,

        // Scope of work: the whole office team reads it (prices and costs are internal, so
        // client users do not); the project manager and coordinators keep it.
        (ViewScope, Resource::Project(p)) => staff && can_see_project(actor, p),
        (ManageScope, Resource::Project(p)) => {
            matches!(role, ProjectManager | Coordinator) && p.membership.is_some()
        }

        // Shop drawings: the office team draws and submits; the project manager reviews.
        (ViewDrawings, Resource::Project(p)) => can_see_project(actor, p),
        (ManageDrawings, Resource::Project(p)) => {
            matches!(role, ProjectManager | Designer | Coordinator) && p.membership.is_some()
        }
        (ReviewDrawings, Resource::Project(p)) => role == ProjectManager && p.membership.is_some(),

        // Material specifications follow drawings; procurement is the coordinators' too.
        (ViewSpecs, Resource::Project(p)) => can_see_project(actor, p),
        (ManageSpecs, Resource::Project(p)) => {
            matches!(role, ProjectManager | Designer | Coordinator) && p.membership.is_some()
        }
        (ApproveSpecs, Resource::Project(p)) => role == ProjectManager && p.membership.is_some(),
        (ManageProcurement, Resource::Project(p)) => {
            matches!(role, ProjectManager | Coordinator) && p.membership.is_some()
        }

        // Discussion: whoever works on a project (or is its client) talks about what they see;
        // executives read. Internal comments never reach client users.
        (ViewInternalComments, Resource::Project(p)) => staff && can_see_project(actor, p),
        (PostComment, Resource::Project(p)) => role != Executive && can_see_project(actor, p),
        (DeleteComment, Resource::Comment { project, author }) => {
            role != Executive && *author == Some(actor.user_id) && can_see_project(actor, project)
        }
        (FollowRecords, Resource::Project(p)) => can_see_project(actor, p),
        // Everyone reads their own inbox, and only their own.
        (ReadNotifications | ManageCalendarFeeds, Resource::User { id }) => *id == actor.user_id,

        // Activity: whoever sees a project reads its feed; client users only their part.
        (ViewActivity, Resource::Project(p)) => can_see_project(actor, p),
        (ViewInternalActivity, Resource::Project(p)) => staff && can_see_project(actor, p),
        (ViewWaiting, _) => true,

        (ViewAudit, _) => role == Executive,
        (ViewOutbox, _) => false,
        (ViewSystemStatus, _) => false,
        (ManageSystem, _) => false,
        // Everyone searches; what a search returns is filtered by `search::search_scope`.
        (Search, _) => true,
        // A photo's original is evidence kept for the team: its GPS data never reaches a client.
        (ViewPhotoOriginals, Resource::Project(p)) => staff && can_see_project(actor, p),
        // The letterhead is the company's own business, not a client's.
        (ViewCompany, _) => staff,
        (ManageCompany, _) => false,

        // Locations: whoever sees the project sees its structure (client users included: it
        // holds no prices); those who keep the scope keep the structure it is placed in.
        (ViewLocations, Resource::Project(p)) => can_see_project(actor, p),
        (ManageLocations, Resource::Project(p)) => {
            matches!(role, ProjectManager | Coordinator) && p.membership.is_some()
        }

        // On site: the client watches progress and sees the snags shared with them, and may
        // raise one; the team installs and fixes; the project manager and coordinators
        // (who run the site) verify, close and sign rooms off.
        (ViewSiteProgress | ViewSnags, Resource::Project(p)) => can_see_project(actor, p),
        (ViewInstallations, Resource::Project(p)) => staff && can_see_project(actor, p),
        (RecordInstallation | WorkSnags, Resource::Project(p)) => {
            matches!(role, ProjectManager | Coordinator | Craftsman) && p.membership.is_some()
        }
        (RaiseSnag, Resource::Project(p)) => {
            (role == Client && can_see_project(actor, p))
                || (staff && role != Executive && p.membership.is_some())
        }
        (VerifySnags | SignOffRooms, Resource::Project(p)) => {
            matches!(role, ProjectManager | Coordinator) && p.membership.is_some()
        }

        // Contract changes: the client sees what is submitted or addressed to them (filtered
        // per record by the use cases), requests variations and decides on them; those who
        // keep the scope price variations; the office team asks and answers RFIs. Money
        // beyond a variation's own price (budget, cost, margin) is for managers only.
        (ViewVariations | ViewRfis, Resource::Project(p)) => can_see_project(actor, p),
        (RaiseVariation, Resource::Project(p)) => {
            (role == Client && can_see_project(actor, p))
                || (matches!(role, ProjectManager | Coordinator) && p.membership.is_some())
        }
        (ManageVariations, Resource::Project(p)) => {
            matches!(role, ProjectManager | Coordinator) && p.membership.is_some()
        }
        (DecideVariations, Resource::Project(p)) => {
            (role == Client && can_see_project(actor, p))
                || (role == ProjectManager && p.membership.is_some())
        }
        (ManageRfis, Resource::Project(p)) => {
            matches!(role, ProjectManager | Designer | Coordinator) && p.membership.is_some()
        }
        (AnswerRfis, Resource::Project(p)) => {
            (role == Client && can_see_project(actor, p))
                || (matches!(role, ProjectManager | Designer | Coordinator)
                    && p.membership.is_some())
        }
        (ViewCommercial, Resource::Project(p)) => {
            role == Executive || (role == ProjectManager && p.membership.is_some())
        }

        // Purchasing: the company's suppliers are the staff's to read and the buyers' (project
        // managers and coordinators) to keep; client users see nothing of it. Prices are for
        // the buyers and executives (designers and craftsmen by the company's setting); an
        // executive approves what is above a project manager's limit.
        (ViewSuppliers, _) => staff,
        (ManageSuppliers, _) => matches!(role, ProjectManager | Coordinator),
        (ViewPurchaseOrders, Resource::Project(p)) => staff && can_see_project(actor, p),
        (ViewPurchasePrices, Resource::Project(p)) => {
            role == Executive
                || (matches!(role, ProjectManager | Coordinator) && p.membership.is_some())
        }
        (RaisePurchaseOrders | SendPurchaseOrders, Resource::Project(p)) => {
            matches!(role, ProjectManager | Coordinator) && p.membership.is_some()
        }
        (ApprovePurchaseOrders, Resource::Project(p)) => {
            role == Executive || (role == ProjectManager && p.membership.is_some())
        }
        (ReceiveGoods, Resource::Project(p)) => {
            matches!(role, ProjectManager | Coordinator | Craftsman) && p.membership.is_some()
        }

        // The workshop and deliveries are the team's, not the client's (who follows them on
        // the room matrix): the shop floor moves quantities, checks quality and receives on
        // site; the project manager and coordinators plan and dispatch deliveries. The
        // company's stage list is the administrators'; a project's own list its manager's.
        (ViewWorkshop | ViewDeliveries, Resource::Project(p)) => staff && can_see_project(actor, p),
        (MoveProduction | RunQa | ReceiveDeliveries, Resource::Project(p)) => {
            matches!(role, ProjectManager | Coordinator | Craftsman) && p.membership.is_some()
        }
        (ManageWorkshopStages, Resource::Project(p)) => {
            role == ProjectManager && p.membership.is_some()
        }
        (ManageDeliveries, Resource::Project(p)) => {
            matches!(role, ProjectManager | Coordinator) && p.membership.is_some()
        }
        // Task labels are the company's vocabulary: its project managers keep it.
        (ManageTaskLabels, _) => role == ProjectManager,
        _ => false,
    }
}

fn can_see_project(actor: &Actor, p: &ProjectAccess) -> bool {
    match actor.role {
        Role::Admin | Role::Executive => true,
        Role::Client => actor.client_id == Some(p.client_id),
        _ => p.membership.is_some(),
    }
}

/// Which projects a list query may return, expressed for SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectScope {
    All,
    /// Projects whose team includes this user.
    MemberOf(Uuid),
    /// Projects of this client organisation.
    OfClient(Uuid),
    None,
}

/// The project visibility of an actor, for list queries.
pub fn project_scope(actor: &Actor) -> ProjectScope {
    match actor.role {
        Role::Admin | Role::Executive => ProjectScope::All,
        Role::Client => actor
            .client_id
            .map_or(ProjectScope::None, ProjectScope::OfClient),
        _ => ProjectScope::MemberOf(actor.user_id),
    }
}

/// Which clients a list query may return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientScope {
    All,
    Only(Uuid),
    None,
}

/// The client visibility of an actor, for list queries.
pub fn client_scope(actor: &Actor) -> ClientScope {
    match actor.role {
        Role::Admin
        | Role::Executive
        | Role::ProjectManager
        | Role::Designer
        | Role::Coordinator => ClientScope::All,
        Role::Client => actor.client_id.map_or(ClientScope::None, ClientScope::Only),
        Role::Craftsman => ClientScope::None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action::*;

    fn actor(role: Role) -> Actor {
        Actor {
            user_id: Uuid::from_u128(1),
            name: "A".into(),
            role,
            client_id: (role == Role::Client).then(|| Uuid::from_u128(100)),
        }
    }

    /// Expected outcome per role, in the order:
    /// admin, executive, project_manager, designer, coordinator, craftsman, client.
    type Row = (Action, &'static str, [bool; 7]);

    const T: bool = true;
    const F: bool = false;

    fn cases() -> Vec<Row> {
        vec![
            (ListUsers, "global", [T, T, T, F, F, F, F]),
            (ViewUser, "other user", [T, T, T, F, F, F, F]),
            (ViewUser, "self", [T, T, T, T, T, T, T]),
            (ManageUsers, "global", [T, F, F, F, F, F, F]),
            (InviteUsers, "global", [T, F, F, F, F, F, F]),
            (ListClients, "global", [T, T, T, T, T, F, T]),
            (ViewClient, "own client", [T, T, T, T, T, F, T]),
            (ViewClient, "other client", [T, T, T, T, T, F, F]),
            (CreateClient, "global", [T, F, T, F, F, F, F]),
            (UpdateClient, "other client", [T, F, T, F, F, F, F]),
            (DeleteClient, "other client", [T, F, F, F, F, F, F]),
            (ListProjects, "global", [T, T, T, T, T, T, T]),
            (CreateProject, "global", [T, F, T, F, F, F, F]),
            (ViewProject, "member project", [T, T, T, T, T, T, F]),
            (ViewProject, "own client project", [T, T, F, F, F, F, T]),
            (ViewProject, "other project", [T, T, F, F, F, F, F]),
            (UpdateProject, "member project", [T, F, T, F, F, F, F]),
            (UpdateProject, "other project", [T, F, F, F, F, F, F]),
            (ChangeProjectStatus, "member project", [T, F, T, F, F, F, F]),
            (ManageTeam, "member project", [T, F, T, F, F, F, F]),
            (ManageTeam, "other project", [T, F, F, F, F, F, F]),
            (DeleteProject, "member project", [T, F, F, F, F, F, F]),
            (ReopenProject, "member project", [T, F, F, F, F, F, F]),
            (ReopenProject, "own client project", [T, F, F, F, F, F, F]),
            (ViewTasks, "member project", [T, T, T, T, T, T, F]),
            (ViewTasks, "own client project", [T, T, F, F, F, F, T]),
            (CreateTask, "member project", [T, F, T, T, T, F, F]),
            (CreateTask, "other project", [T, F, F, F, F, F, F]),
            (
                UpdateTask,
                "member task assigned to me",
                [T, F, T, T, T, T, F],
            ),
            (
                UpdateTask,
                "member task assigned to other",
                [T, F, T, T, T, F, F],
            ),
            (UpdateTask, "other project task", [T, F, F, F, F, F, F]),
            (
                DeleteTask,
                "member task assigned to other",
                [T, F, T, F, F, F, F],
            ),
            (ViewSchedule, "member project", [T, T, T, T, T, T, F]),
            (ViewSchedule, "own client project", [T, T, F, F, F, F, T]),
            (ViewSchedule, "other project", [T, T, F, F, F, F, F]),
            (ManageSchedule, "member project", [T, F, T, F, F, F, F]),
            (ManageSchedule, "own client project", [T, F, F, F, F, F, F]),
            (ManageSchedule, "other project", [T, F, F, F, F, F, F]),
            (ManageWorkCalendar, "global", [T, F, F, F, F, F, F]),
            (ManageWorkflowTemplate, "global", [T, F, F, F, F, F, F]),
            (ViewScope, "member project", [T, T, T, T, T, T, F]),
            (ViewScope, "own client project", [T, T, F, F, F, F, F]),
            (ViewScope, "other project", [T, T, F, F, F, F, F]),
            (ManageScope, "member project", [T, F, T, F, T, F, F]),
            (ManageScope, "other project", [T, F, F, F, F, F, F]),
            (ViewDrawings, "member project", [T, T, T, T, T, T, F]),
            (ViewDrawings, "own client project", [T, T, F, F, F, F, T]),
            (ViewDrawings, "other project", [T, T, F, F, F, F, F]),
            (ManageDrawings, "member project", [T, F, T, T, T, F, F]),
            (ManageDrawings, "other project", [T, F, F, F, F, F, F]),
            (ReviewDrawings, "member project", [T, F, T, F, F, F, F]),
            (ReviewDrawings, "own client project", [T, F, F, F, F, F, F]),
            (ViewSpecs, "member project", [T, T, T, T, T, T, F]),
            (ViewSpecs, "own client project", [T, T, F, F, F, F, T]),
            (ManageSpecs, "member project", [T, F, T, T, T, F, F]),
            (ManageSpecs, "other project", [T, F, F, F, F, F, F]),
            (ApproveSpecs, "member project", [T, F, T, F, F, F, F]),
            (ManageProcurement, "member project", [T, F, T, F, T, F, F]),
            (ManageProcurement, "other project", [T, F, F, F, F, F, F]),
            (
                ViewInternalComments,
                "member project",
                [T, T, T, T, T, T, F],
            ),
            (
                ViewInternalComments,
                "own client project",
                [T, T, F, F, F, F, F],
            ),
            (ViewInternalComments, "other project", [T, T, F, F, F, F, F]),
            (PostComment, "member project", [T, F, T, T, T, T, F]),
            (PostComment, "own client project", [T, F, F, F, F, F, T]),
            (PostComment, "other project", [T, F, F, F, F, F, F]),
            (
                EditComment,
                "own comment, member project",
                [T, F, T, T, T, T, F],
            ),
            (
                EditComment,
                "own comment, own client project",
                [T, F, F, F, F, F, T],
            ),
            (
                EditComment,
                "other's comment, member project",
                [F, F, F, F, F, F, F],
            ),
            (
                DeleteComment,
                "own comment, member project",
                [T, F, T, T, T, T, F],
            ),
            (
                DeleteComment,
                "own comment, own client project",
                [T, F, F, F, F, F, T],
            ),
            (
                DeleteComment,
                "other's comment, member project",
                [T, F, F, F, F, F, F],
            ),
            (FollowRecords, "member project", [T, T, T, T, T, T, F]),
            (FollowRecords, "own client project", [T, T, F, F, F, F, T]),
            (FollowRecords, "other project", [T, T, F, F, F, F, F]),
            (ReadNotifications, "self", [T, T, T, T, T, T, T]),
            (ReadNotifications, "other user", [T, F, F, F, F, F, F]),
            (ViewActivity, "member project", [T, T, T, T, T, T, F]),
            (ViewActivity, "own client project", [T, T, F, F, F, F, T]),
            (ViewActivity, "other project", [T, T, F, F, F, F, F]),
            (
                ViewInternalActivity,
                "member project",
                [T, T, T, T, T, T, F],
            ),
            (
                ViewInternalActivity,
                "own client project",
                [T, T, F, F, F, F, F],
            ),
            (ViewWaiting, "global", [T, T, T, T, T, T, T]),
            (ViewAudit, "global", [T, T, F, F, F, F, F]),
            (ViewOutbox, "global", [T, F, F, F, F, F, F]),
            (ViewSystemStatus, "global", [T, F, F, F, F, F, F]),
            (ManageSystem, "global", [T, F, F, F, F, F, F]),
            (Search, "global", [T, T, T, T, T, T, T]),
            (ViewPhotoOriginals, "member project", [T, T, T, T, T, T, F]),
            (
                ViewPhotoOriginals,
                "own client project",
                [T, T, F, F, F, F, F],
            ),
            (ViewPhotoOriginals, "other project", [T, T, F, F, F, F, F]),
            (ViewCompany, "global", [T, T, T, T, T, T, F]),
            (ManageCompany, "global", [T, F, F, F, F, F, F]),
            (ViewLocations, "member project", [T, T, T, T, T, T, F]),
            (ViewLocations, "own client project", [T, T, F, F, F, F, T]),
            (ViewLocations, "other project", [T, T, F, F, F, F, F]),
            (ManageLocations, "member project", [T, F, T, F, T, F, F]),
            (ManageLocations, "own client project", [T, F, F, F, F, F, F]),
            (ManageLocations, "other project", [T, F, F, F, F, F, F]),
            (ViewSiteProgress, "member project", [T, T, T, T, T, T, F]),
            (
                ViewSiteProgress,
                "own client project",
                [T, T, F, F, F, F, T],
            ),
            (ViewSiteProgress, "other project", [T, T, F, F, F, F, F]),
            (ViewInstallations, "member project", [T, T, T, T, T, T, F]),
            (
                ViewInstallations,
                "own client project",
                [T, T, F, F, F, F, F],
            ),
            (ViewInstallations, "other project", [T, T, F, F, F, F, F]),
            (RecordInstallation, "member project", [T, F, T, F, T, T, F]),
            (
                RecordInstallation,
                "own client project",
                [T, F, F, F, F, F, F],
            ),
            (RecordInstallation, "other project", [T, F, F, F, F, F, F]),
            (ViewSnags, "member project", [T, T, T, T, T, T, F]),
            (ViewSnags, "own client project", [T, T, F, F, F, F, T]),
            (ViewSnags, "other project", [T, T, F, F, F, F, F]),
            (RaiseSnag, "member project", [T, F, T, T, T, T, F]),
            (RaiseSnag, "own client project", [T, F, F, F, F, F, T]),
            (RaiseSnag, "other project", [T, F, F, F, F, F, F]),
            (WorkSnags, "member project", [T, F, T, F, T, T, F]),
            (WorkSnags, "own client project", [T, F, F, F, F, F, F]),
            (WorkSnags, "other project", [T, F, F, F, F, F, F]),
            (VerifySnags, "member project", [T, F, T, F, T, F, F]),
            (VerifySnags, "own client project", [T, F, F, F, F, F, F]),
            (VerifySnags, "other project", [T, F, F, F, F, F, F]),
            (SignOffRooms, "member project", [T, F, T, F, T, F, F]),
            (SignOffRooms, "own client project", [T, F, F, F, F, F, F]),
            (SignOffRooms, "other project", [T, F, F, F, F, F, F]),
            (ViewVariations, "member project", [T, T, T, T, T, T, F]),
            (ViewVariations, "own client project", [T, T, F, F, F, F, T]),
            (ViewVariations, "other project", [T, T, F, F, F, F, F]),
            (RaiseVariation, "member project", [T, F, T, F, T, F, F]),
            (RaiseVariation, "own client project", [T, F, F, F, F, F, T]),
            (RaiseVariation, "other project", [T, F, F, F, F, F, F]),
            (ManageVariations, "member project", [T, F, T, F, T, F, F]),
            (
                ManageVariations,
                "own client project",
                [T, F, F, F, F, F, F],
            ),
            (ManageVariations, "other project", [T, F, F, F, F, F, F]),
            (DecideVariations, "member project", [T, F, T, F, F, F, F]),
            (
                DecideVariations,
                "own client project",
                [T, F, F, F, F, F, T],
            ),
            (DecideVariations, "other project", [T, F, F, F, F, F, F]),
            (ViewRfis, "member project", [T, T, T, T, T, T, F]),
            (ViewRfis, "own client project", [T, T, F, F, F, F, T]),
            (ViewRfis, "other project", [T, T, F, F, F, F, F]),
            (ManageRfis, "member project", [T, F, T, T, T, F, F]),
            (ManageRfis, "own client project", [T, F, F, F, F, F, F]),
            (ManageRfis, "other project", [T, F, F, F, F, F, F]),
            (AnswerRfis, "member project", [T, F, T, T, T, F, F]),
            (AnswerRfis, "own client project", [T, F, F, F, F, F, T]),
            (AnswerRfis, "other project", [T, F, F, F, F, F, F]),
            (ViewCommercial, "member project", [T, T, T, F, F, F, F]),
            (ViewCommercial, "own client project", [T, T, F, F, F, F, F]),
            (ViewCommercial, "other project", [T, T, F, F, F, F, F]),
            (ViewSuppliers, "global", [T, T, T, T, T, T, F]),
            (ManageSuppliers, "global", [T, F, T, F, T, F, F]),
            (ViewPurchaseOrders, "member project", [T, T, T, T, T, T, F]),
            (
                ViewPurchaseOrders,
                "own client project",
                [T, T, F, F, F, F, F],
            ),
            (ViewPurchaseOrders, "other project", [T, T, F, F, F, F, F]),
            (ViewPurchasePrices, "member project", [T, T, T, F, T, F, F]),
            (
                ViewPurchasePrices,
                "own client project",
                [T, T, F, F, F, F, F],
            ),
            (ViewPurchasePrices, "other project", [T, T, F, F, F, F, F]),
            (RaisePurchaseOrders, "member project", [T, F, T, F, T, F, F]),
            (
                RaisePurchaseOrders,
                "own client project",
                [T, F, F, F, F, F, F],
            ),
            (RaisePurchaseOrders, "other project", [T, F, F, F, F, F, F]),
            (
                ApprovePurchaseOrders,
                "member project",
                [T, T, T, F, F, F, F],
            ),
            (
                ApprovePurchaseOrders,
                "own client project",
                [T, T, F, F, F, F, F],
            ),
            (
                ApprovePurchaseOrders,
                "other project",
                [T, T, F, F, F, F, F],
            ),
            (SendPurchaseOrders, "member project", [T, F, T, F, T, F, F]),
            (SendPurchaseOrders, "other project", [T, F, F, F, F, F, F]),
            (ReceiveGoods, "member project", [T, F, T, F, T, T, F]),
            (ReceiveGoods, "own client project", [T, F, F, F, F, F, F]),
            (ReceiveGoods, "other project", [T, F, F, F, F, F, F]),
            (ViewWorkshop, "member project", [T, T, T, T, T, T, F]),
            (ViewWorkshop, "own client project", [T, T, F, F, F, F, F]),
            (ViewWorkshop, "other project", [T, T, F, F, F, F, F]),
            (MoveProduction, "member project", [T, F, T, F, T, T, F]),
            (MoveProduction, "own client project", [T, F, F, F, F, F, F]),
            (MoveProduction, "other project", [T, F, F, F, F, F, F]),
            (RunQa, "member project", [T, F, T, F, T, T, F]),
            (RunQa, "own client project", [T, F, F, F, F, F, F]),
            (RunQa, "other project", [T, F, F, F, F, F, F]),
            (ManageWorkshopStages, "global", [T, F, F, F, F, F, F]),
            (
                ManageWorkshopStages,
                "member project",
                [T, F, T, F, F, F, F],
            ),
            (
                ManageWorkshopStages,
                "own client project",
                [T, F, F, F, F, F, F],
            ),
            (ViewDeliveries, "member project", [T, T, T, T, T, T, F]),
            (ViewDeliveries, "own client project", [T, T, F, F, F, F, F]),
            (ViewDeliveries, "other project", [T, T, F, F, F, F, F]),
            (ManageDeliveries, "member project", [T, F, T, F, T, F, F]),
            (
                ManageDeliveries,
                "own client project",
                [T, F, F, F, F, F, F],
            ),
            (ManageDeliveries, "other project", [T, F, F, F, F, F, F]),
            (ReceiveDeliveries, "member project", [T, F, T, F, T, T, F]),
            (
                ReceiveDeliveries,
                "own client project",
                [T, F, F, F, F, F, F],
            ),
            (ReceiveDeliveries, "other project", [T, F, F, F, F, F, F]),
            (ManageCalendarFeeds, "self", [T, T, T, T, T, T, T]),
            (ManageCalendarFeeds, "other user", [T, F, F, F, F, F, F]),
            (ManageTaskLabels, "global", [T, F, T, F, F, F, F]),
        ]
    }

    fn resource(a: &Actor, what: &str) -> Resource {
        let own_client = Uuid::from_u128(100);
        let other_client = Uuid::from_u128(200);
        let member = ProjectAccess {
            client_id: other_client,
            membership: Some(ProjectRole::Member),
        };
        let own_client_project = ProjectAccess {
            client_id: own_client,
            membership: None,
        };
        let other = ProjectAccess {
            client_id: other_client,
            membership: None,
        };
        match what {
            "global" => Resource::Global,
            "self" => Resource::User { id: a.user_id },
            "other user" => Resource::User {
                id: Uuid::from_u128(2),
            },
            "own client" => Resource::Client { id: own_client },
            "other client" => Resource::Client { id: other_client },
            "member project" => Resource::Project(member),
            "own client project" => Resource::Project(own_client_project),
            "other project" => Resource::Project(other),
            "member task assigned to me" => Resource::Task {
                project: member,
                assignee: Some(a.user_id),
            },
            "member task assigned to other" => Resource::Task {
                project: member,
                assignee: Some(Uuid::from_u128(9)),
            },
            "own comment, member project" => Resource::Comment {
                project: member,
                author: Some(a.user_id),
            },
            "own comment, own client project" => Resource::Comment {
                project: own_client_project,
                author: Some(a.user_id),
            },
            "other's comment, member project" => Resource::Comment {
                project: member,
                author: Some(Uuid::from_u128(9)),
            },
            "other project task" => Resource::Task {
                project: other,
                assignee: Some(a.user_id),
            },
            _ => panic!("unknown resource {what}"),
        }
    }

    #[test]
    fn every_role_against_every_action() {
        let rows = cases();
        for action in Action::ALL {
            assert!(
                rows.iter().any(|r| r.0 == *action),
                "{action:?} has no row in the matrix test"
            );
        }
        for (action, what, expected) in rows {
            for (i, role) in Role::ALL.iter().enumerate() {
                let a = actor(*role);
                let got = authorize(&a, action, &resource(&a, what));
                assert_eq!(got, expected[i], "{role} {action:?} on {what}");
            }
        }
    }

    #[test]
    fn executives_change_nothing() {
        let a = actor(Role::Executive);
        let writes = [
            ManageUsers,
            InviteUsers,
            CreateClient,
            UpdateClient,
            DeleteClient,
            CreateProject,
            UpdateProject,
            ChangeProjectStatus,
            ManageTeam,
            DeleteProject,
            ReopenProject,
            CreateTask,
            UpdateTask,
            DeleteTask,
            ManageSchedule,
            ManageWorkCalendar,
            ManageWorkflowTemplate,
            ManageScope,
            ManageDrawings,
            ReviewDrawings,
            ManageSpecs,
            ApproveSpecs,
            ManageProcurement,
            ManageLocations,
            RecordInstallation,
            RaiseSnag,
            WorkSnags,
            VerifySnags,
            SignOffRooms,
            RaiseVariation,
            ManageVariations,
            DecideVariations,
            ManageRfis,
            AnswerRfis,
            ManageSuppliers,
            RaisePurchaseOrders,
            SendPurchaseOrders,
            ReceiveGoods,
            MoveProduction,
            RunQa,
            ManageWorkshopStages,
            ManageDeliveries,
            ReceiveDeliveries,
            ManageTaskLabels,
        ];
        let member = ProjectAccess {
            client_id: Uuid::from_u128(5),
            membership: Some(ProjectRole::Member),
        };
        for action in writes {
            for r in [
                Resource::Global,
                Resource::Project(member),
                Resource::Task {
                    project: member,
                    assignee: Some(a.user_id),
                },
            ] {
                assert!(!authorize(&a, action, &r), "executive must not {action:?}");
            }
        }
    }

    #[test]
    fn scopes_match_roles() {
        assert_eq!(project_scope(&actor(Role::Executive)), ProjectScope::All);
        assert_eq!(
            project_scope(&actor(Role::Designer)),
            ProjectScope::MemberOf(Uuid::from_u128(1))
        );
        assert_eq!(
            project_scope(&actor(Role::Client)),
            ProjectScope::OfClient(Uuid::from_u128(100))
        );
        assert_eq!(client_scope(&actor(Role::Craftsman)), ClientScope::None);
    }
}
