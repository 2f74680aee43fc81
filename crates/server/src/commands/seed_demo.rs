//! `formula-pm seed-demo`: fills an empty database with the demo company.

use formula_domain::user::Role;

use crate::Refused;
use crate::config::AppEnv;
use crate::database::Database;
use crate::logging::{self, Output};
use crate::seed::{self, ADMIN_EMAIL, DEFAULT_PASSWORD, Summary};

pub async fn run() -> anyhow::Result<()> {
    let config = super::load_config()?;
    logging::init(&config, Output::Stderr)?;
    // A well-known password must never guard a production database.
    let password = match (&config.seed_password, config.app_env) {
        (Some(p), _) => p.expose().to_owned(),
        (None, AppEnv::Development) => DEFAULT_PASSWORD.to_owned(),
        (None, AppEnv::Production) => {
            return Err(Refused(
                "seed-demo needs SEED_PASSWORD (or SEED_PASSWORD_FILE) when APP_ENV=production"
                    .to_owned(),
            )
            .into());
        }
    };
    let database = Database::open_and_migrate(&config).await?;
    let services = super::services(&config, database.store());
    let result = match seed::ensure_empty(database.store().as_ref()).await {
        Ok(()) => seed::seed(&services, &password).await,
        Err(e) => Err(e),
    };
    database.close().await;
    let summary = result?;
    print_summary(&summary, &config.public_url, config.seed_password.is_some());
    Ok(())
}

fn print_summary(s: &Summary, url: &str, password_from_env: bool) {
    let roles: Vec<String> = s
        .users_by_role
        .iter()
        .map(|(role, n)| format!("{n} {}", role_noun(*role, *n)))
        .collect();
    println!("Created the demo company:");
    println!("  {} users: {}", s.users(), roles.join(", "));
    println!("  {} clients with {} contacts", s.clients, s.contacts);
    println!("  {} projects:", s.projects.len());
    for (code, status, name) in &s.projects {
        println!("    {code:<12} {:<12} {name}", status.label());
    }
    let tasks: Vec<String> = s
        .tasks_by_status
        .iter()
        .map(|(status, n)| format!("{n} {}", status.label().to_lowercase()))
        .collect();
    println!(
        "  {} tasks: {}; {} overdue",
        s.tasks(),
        tasks.join(", "),
        s.overdue_tasks
    );
    println!(
        "  {} scope items (bill of quantities), on the first project and the 142-key hotel",
        s.scope_items
    );
    println!();
    let password = if password_from_env {
        "the password in SEED_PASSWORD".to_owned()
    } else {
        format!("the password {DEFAULT_PASSWORD}")
    };
    println!("Sign in at {url} as {ADMIN_EMAIL} with {password}.");
    println!("Every demo user has the same password, for example:");
    for (email, what) in [
        ("richard.hale@demo.formulapm.test", "executive"),
        ("daniel.okafor@demo.formulapm.test", "project manager"),
        ("hannah.keller@demo.formulapm.test", "designer"),
        ("grace.thompson@demo.formulapm.test", "coordinator"),
        ("piotr.nowak@demo.formulapm.test", "craftsman"),
        (
            "charlotte.dubois@meridian-hotels.test",
            "client user at Meridian Hotels & Resorts",
        ),
    ] {
        println!("  {email:<40} {what}");
    }
}

/// "1 administrator", "7 craftsmen", "3 client users".
fn role_noun(role: Role, n: usize) -> String {
    let one = match role {
        Role::Admin => "administrator",
        Role::Executive => "executive",
        Role::ProjectManager => "project manager",
        Role::Designer => "designer",
        Role::Coordinator => "coordinator",
        Role::Craftsman => {
            return if n == 1 {
                "craftsman".into()
            } else {
                "craftsmen".into()
            };
        }
        Role::Client => "client user",
    };
    if n == 1 {
        one.to_owned()
    } else {
        format!("{one}s")
    }
}
