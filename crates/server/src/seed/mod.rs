//! `seed-demo`: a realistic millwork and fit-out company, created through the same use cases
//! people use (so validation, permissions and the audit trail all apply). Users act as
//! themselves: project managers create their clients, projects, teams and tasks; craftsmen
//! move their own tasks along.

pub mod data;
mod deliveries;
pub mod locations;
pub mod millwork;
pub mod plan;
pub mod purchase_orders;
pub mod receipts;
pub mod rfis;
pub mod schedule;
pub mod site;
pub mod snags;
pub mod suppliers;
pub mod task_features;
pub mod variations;
pub mod workshop;

use formula_app::ports::Store;
use std::collections::{BTreeMap, HashMap};

use anyhow::anyhow;
use formula_app::accounts::actor_for;
use formula_app::clients::{NewClient, NewContact};
use formula_app::context::Caller;
use formula_app::projects::NewProject;
use formula_app::query::{ClientQuery, Paging};
use formula_app::scope::{NewScopeItem, ScopeItemPatch};
use formula_app::tasks::{NewTask, TaskPatch};
use formula_app::users::NewUser;
use formula_app::{RequestCtx, Services};
use formula_domain::authz::ClientScope;
use formula_domain::project::ProjectStatus;
use formula_domain::scope::{Quantity, ScopeStatus};
use formula_domain::task::TaskStatus;
use formula_domain::user::{Role, User};
use time::{Date, Duration};
use uuid::Uuid;

use crate::Refused;
use crate::commands::explain;
use data::{ADMIN, CLIENTS, LOBBY_SCOPE, PEOPLE, PROJECTS, Person, ProjectSpec};
use plan::{Rng, plan_tasks, status_path};

/// The demo administrator's email.
pub const ADMIN_EMAIL: &str = "admin@demo.formulapm.test";
/// Every demo user's password when `SEED_PASSWORD` is not set (refused in production).
pub const DEFAULT_PASSWORD: &str = "demo-password-2025";
/// Seed of the pseudo-random choices, so every run plans the same company.
pub const SEED: u64 = 0x5EED_F0A1_2025;

/// What was created.
#[derive(Debug, Default)]
pub struct Summary {
    pub users_by_role: BTreeMap<Role, usize>,
    pub clients: usize,
    pub contacts: usize,
    /// Code, status and name of each project.
    pub projects: Vec<(String, ProjectStatus, String)>,
    pub tasks_by_status: BTreeMap<TaskStatus, usize>,
    pub overdue_tasks: usize,
    pub scope_items: usize,
    pub drawings: usize,
    pub specs: usize,
}

impl Summary {
    pub fn users(&self) -> usize {
        self.users_by_role.values().sum()
    }
    pub fn tasks(&self) -> usize {
        self.tasks_by_status.values().sum()
    }
}

/// Refuses unless the database has no clients and no demo administrator yet.
pub async fn ensure_empty(store: &dyn Store) -> anyhow::Result<()> {
    let query = ClientQuery {
        paging: Paging {
            limit: 1,
            offset: 0,
        },
        ..ClientQuery::default()
    };
    let clients = store.list_clients(&query, ClientScope::All).await?;
    if clients.total > 0 {
        return Err(Refused(format!(
            "the database already has {} client(s); seed-demo only fills an empty database (use a new DATA_DIR or database)",
            clients.total
        ))
        .into());
    }
    if store.user_credentials(ADMIN_EMAIL).await?.is_some() {
        return Err(Refused(format!(
            "{ADMIN_EMAIL} already exists (an earlier seed-demo stopped part-way?); start again from an empty database"
        ))
        .into());
    }
    Ok(())
}

/// Request metadata for the audit trail: every change is marked as made by the seed.
fn seed_ctx() -> RequestCtx {
    RequestCtx {
        request_id: Some("seed-demo".to_owned()),
        user_agent: Some(
            concat!("formula-pm/", env!("CARGO_PKG_VERSION"), " seed-demo").to_owned(),
        ),
        ..RequestCtx::default()
    }
}

fn caller(user: &User) -> Caller {
    Caller {
        actor: actor_for(user),
        ctx: seed_ctx(),
    }
}

fn new_user(p: &Person, password: &str, phone: Option<String>, client_id: Option<Uuid>) -> NewUser {
    NewUser {
        email: p.email.to_owned(),
        name: p.name.to_owned(),
        password: password.to_owned(),
        role: p.role,
        job_title: Some(p.title.to_owned()),
        phone,
        skills: p.skills.iter().map(|s| (*s).to_owned()).collect(),
        client_id,
    }
}

struct People(HashMap<&'static str, User>);

impl People {
    fn get(&self, key: &str) -> anyhow::Result<&User> {
        self.0
            .get(key)
            .ok_or_else(|| anyhow!("demo data names an unknown person {key:?}"))
    }
}

/// The demo contractor's letterhead.
fn demo_company() -> formula_domain::company::CompanyInput {
    formula_domain::company::CompanyInput {
        name: "Formula Interiors & Millwork LLC".into(),
        address: Some(
            "Unit 14, Al Quoz Industrial Area 3\nPO Box 128 450\nDubai, United Arab Emirates"
                .into(),
        ),
        tax_number: Some("TRN 100 4872 6190 0003".into()),
        phone: Some("+971 4 555 0142".into()),
        email: Some("projects@demo.formulapm.test".into()),
        website: Some("formulapm.test".into()),
        document_terms: Some(
            "Prices are in the currency shown, exclusive of VAT, and valid for 30 days. \
             Quantities are measured on site before production; variations are priced \
             separately. Payment: 30 % advance, 60 % on delivery, 10 % on handover."
                .into(),
        ),
        version: None,
    }
}

/// Creates the demo company. Call [`ensure_empty`] first.
pub async fn seed(services: &Services, password: &str) -> anyhow::Result<Summary> {
    let mut summary = Summary::default();
    let mut people = People(HashMap::new());
    let ctx = seed_ctx();

    let admin = services
        .insert_user_unchecked(new_user(&ADMIN, password, None, None), None, &ctx)
        .await
        .map_err(|e| explain("create the demo administrator", e))?;
    let as_admin = caller(&admin);
    *summary.users_by_role.entry(admin.role).or_default() += 1;
    people.0.insert(ADMIN.key, admin);
    // The letterhead every document carries.
    services
        .save_company_settings(&as_admin, 0, demo_company())
        .await
        .map_err(|e| explain("save the company settings", e))?;
    suppliers::seed(services, &as_admin)
        .await
        .map_err(|e| explain("add the supplier directory", e))?;

    for (i, p) in PEOPLE
        .iter()
        .enumerate()
        .filter(|(_, p)| p.client.is_none())
    {
        // Drama numbers (020 7946 0xxx) are reserved for fiction.
        let phone = format!("+44 20 7946 0{:03}", 100 + i);
        let user = services
            .create_user(&as_admin, new_user(p, password, Some(phone), None))
            .await
            .map_err(|e| explain(&format!("create the user {}", p.email), e))?;
        *summary.users_by_role.entry(user.role).or_default() += 1;
        people.0.insert(p.key, user);
    }

    let mut client_ids = Vec::new();
    for c in CLIENTS {
        let owner = caller(people.get(c.owner)?);
        let input = NewClient {
            name: c.name.to_owned(),
            client_type: Some(c.client_type.to_owned()),
            status: Some(c.status),
            address: Some(c.address.to_owned()),
            website: Some(c.website.to_owned()),
            notes: Some(c.notes.to_owned()),
        };
        let client = services
            .create_client(&owner, input)
            .await
            .map_err(|e| explain(&format!("create the client {}", c.name), e))?;
        for (name, role, email, phone) in c.contacts {
            let contact = NewContact {
                name: (*name).to_owned(),
                role: Some((*role).to_owned()),
                email: Some((*email).to_owned()),
                phone: Some((*phone).to_owned()),
            };
            services
                .add_contact(&owner, client.id, contact)
                .await
                .map_err(|e| explain(&format!("add the contact {name}"), e))?;
            summary.contacts += 1;
        }
        summary.clients += 1;
        client_ids.push(client.id);
    }

    for p in PEOPLE.iter().filter(|p| p.client.is_some()) {
        let client_id = p.client.and_then(|i| client_ids.get(i).copied());
        let user = services
            .create_user(&as_admin, new_user(p, password, None, client_id))
            .await
            .map_err(|e| explain(&format!("create the client user {}", p.email), e))?;
        *summary.users_by_role.entry(user.role).or_default() += 1;
        people.0.insert(p.key, user);
    }

    let today = services.today();
    let mut rng = Rng::new(SEED);
    for spec in PROJECTS {
        let client_id = *client_ids
            .get(spec.client)
            .ok_or_else(|| anyhow!("demo project {} names an unknown client", spec.name))?;
        seed_project(
            services,
            spec,
            &people,
            client_id,
            today,
            &mut rng,
            &mut summary,
        )
        .await?;
    }
    receipts::seed(services, &as_admin)
        .await
        .map_err(|e| explain("receive goods on the demo orders", e))?;
    Ok(summary)
}

async fn seed_project(
    services: &Services,
    spec: &ProjectSpec,
    people: &People,
    client_id: Uuid,
    today: Date,
    rng: &mut Rng,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    let manager = people.get(spec.manager)?;
    let pm = caller(manager);
    let doing = |what: &str| format!("{what} for the project {}", spec.name);

    // Amounts are written in major units; scale them to the configured currency's minor units.
    let scale = 10_i64.pow(formula_domain::money::minor_digits(
        &services.config.default_currency,
    ));
    let start = today + Duration::days(spec.start);
    let input = NewProject {
        code: None,
        name: spec.name.to_owned(),
        client_id,
        sector: spec.sector,
        business_line: spec.line,
        priority: Some(spec.priority),
        manager_id: manager.id,
        start_date: Some(start),
        end_date: Some(start + Duration::days(spec.days)),
        currency: None,
        contract_value_minor: Some(spec.value * scale),
        budget_minor: spec.budget.map(|b| b * scale),
        location: Some(spec.location.to_owned()),
        contract_number: spec.contract.map(str::to_owned),
        description: Some(spec.description.to_owned()),
    };
    let project = services
        .create_project(&pm, input)
        .await
        .map_err(|e| explain(&doing("create the project"), e))?;

    for (key, role) in spec.team {
        let member = people.get(key)?;
        services
            .add_member(&pm, project.id, member.id, *role)
            .await
            .map_err(|e| explain(&doing(&format!("add {} to the team", member.name)), e))?;
    }

    let mut made_tasks = Vec::new();
    for planned in plan_tasks(spec, today, rng) {
        let assignee = planned.assignee.map(|k| people.get(k)).transpose()?;
        let input = NewTask {
            title: planned.title.clone(),
            description: planned.description.map(str::to_owned),
            status: None,
            priority: Some(planned.priority),
            assignee_id: assignee.map(|u| u.id),
            start_date: Some(planned.start),
            due_date: Some(planned.due),
            estimated_hours: Some(planned.estimated_hours),
            actual_hours: None,
            progress: None,
            ..Default::default()
        };
        let task = services
            .create_task(&pm, project.id, input)
            .await
            .map_err(|e| explain(&doing(&format!("create the task {:?}", planned.title)), e))?;
        made_tasks.push(task.id);
        if planned.status != TaskStatus::Pending {
            // People move their own work along; the manager cancels and handles unassigned work.
            let by = match (planned.status, assignee) {
                (TaskStatus::Cancelled, _) | (_, None) => pm.clone(),
                (_, Some(user)) => caller(user),
            };
            let patch = TaskPatch {
                status: Some(planned.status),
                progress: (planned.status == TaskStatus::InProgress).then_some(planned.progress),
                actual_hours: planned.actual_hours.map(Some),
                ..TaskPatch::default()
            };
            services
                .update_task(&by, task.id, task.version, patch)
                .await
                .map_err(|e| explain(&doing(&format!("update the task {:?}", planned.title)), e))?;
        }
        *summary.tasks_by_status.entry(planned.status).or_default() += 1;
        if planned.status.is_open() && planned.due < today {
            summary.overdue_tasks += 1;
        }
    }

    // The first project carries a priced scope of work.
    if std::ptr::eq(spec, &PROJECTS[0]) {
        task_features::seed(services, &pm, project.id, &made_tasks)
            .await
            .map_err(|e| explain(&doing("label the tasks, add checklists and subtasks"), e))?;
        summary.scope_items += seed_scope(services, &pm, project.id, scale)
            .await
            .map_err(|e| explain(&doing("create the scope of work"), e))?;
        let designer = caller(people.get("hannah")?);
        let coordinator = caller(people.get("grace")?);
        let made = millwork::seed(services, &pm, &designer, &coordinator, project.id, scale)
            .await
            .map_err(|e| explain(&doing("create the drawings and materials"), e))?;
        summary.drawings += made.0;
        summary.specs += made.1;
        let client = caller(people.get("charlotte")?);
        variations::seed(
            services,
            variations::Parties {
                pm: &pm,
                client: &client,
            },
            project.id,
            scale,
        )
        .await
        .map_err(|e| explain(&doing("raise the variations"), e))?;
        purchase_orders::seed(services, &pm, project.id, scale)
            .await
            .map_err(|e| explain(&doing("raise the purchase orders"), e))?;
        schedule::seed(services, &pm, project.id, today)
            .await
            .map_err(|e| explain(&doing("plan the reception desk's schedule"), e))?;
    }

    // The 142-key hotel gets its structure, with guest-room joinery placed on room types.
    if spec.name.contains("142 keys") {
        summary.scope_items += locations::seed(services, &pm, project.id, scale)
            .await
            .map_err(|e| explain(&doing("create the locations"), e))?;
        let walkers = [
            people.get("grace")?,
            people.get("luis")?,
            people.get("charlotte")?,
        ]
        .map(caller);
        let [coordinator, fitter, client] = &walkers;
        let admin = caller(people.get(ADMIN.key)?);
        site::seed(
            services,
            site::Crew {
                admin: &admin,
                fitter,
                coordinator,
            },
            project.id,
        )
        .await
        .map_err(|e| explain(&doing("install the guest rooms"), e))?;
        workshop::seed(
            services,
            workshop::Shop {
                admin: &admin,
                maker: fitter,
                inspector: coordinator,
            },
            project.id,
        )
        .await
        .map_err(|e| explain(&doing("make the corridor panelling and reception desk"), e))?;
        let walk = snags::Walkers {
            pm: &pm,
            coordinator,
            fitter,
            client,
        };
        snags::seed(services, walk, project.id)
            .await
            .map_err(|e| explain(&doing("raise the snags"), e))?;
        let askers = rfis::Askers {
            pm: &pm,
            coordinator,
            client,
        };
        rfis::seed(services, askers, project.id)
            .await
            .map_err(|e| explain(&doing("raise the RFIs"), e))?;
    }

    // Tasks first, then the lifecycle, as the work would have happened.
    for to in status_path(spec.status) {
        let current = services
            .get_project(&pm, project.id)
            .await
            .map_err(|e| explain(&doing("reload"), e))?;
        services
            .change_project_status(&pm, project.id, current.version, *to)
            .await
            .map_err(|e| explain(&doing(&format!("move to {to}")), e))?;
    }
    summary
        .projects
        .push((project.code, spec.status, project.name));
    Ok(())
}

/// Adds [`LOBBY_SCOPE`] to a project and moves each item to its status and progress.
async fn seed_scope(
    services: &Services,
    pm: &Caller,
    project_id: Uuid,
    scale: i64,
) -> Result<usize, formula_app::AppError> {
    let (_, _, overview) = services.scope_overview(pm, project_id).await?;
    for l in LOBBY_SCOPE {
        let Some(group) = overview.groups.iter().find(|g| g.group.name == l.group) else {
            return Err(formula_app::AppError::Internal(format!(
                "demo scope names an unknown group {}",
                l.group
            )));
        };
        let quantity =
            Quantity::parse(l.quantity).map_err(|e| formula_app::AppError::field("quantity", e))?;
        let item = services
            .create_scope_item(
                pm,
                project_id,
                NewScopeItem {
                    group_id: group.group.id,
                    name: l.name.to_owned(),
                    location: Some(l.location.to_owned()),
                    quantity: Some(quantity),
                    unit: Some(l.unit.to_owned()),
                    unit_price_minor: Some(l.unit_price * scale),
                    budget_cost_minor: quantity.times(l.budget * scale),
                    ..NewScopeItem::default()
                },
            )
            .await?;
        if l.status != ScopeStatus::NotStarted {
            let patch = ScopeItemPatch {
                status: Some(l.status),
                progress: Some(l.progress),
                actual_cost_minor: Some(l.actual.map(|a| a * scale)),
                ..ScopeItemPatch::default()
            };
            services
                .update_scope_item(pm, item.id, item.version, patch)
                .await?;
        }
    }
    Ok(LOBBY_SCOPE.len())
}
