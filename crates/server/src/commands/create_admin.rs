//! `formula-pm create-admin --email … --name …`: creates an administrator account.

use anyhow::Context;
use formula_app::RequestCtx;
use formula_app::users::NewUser;
use formula_domain::user::{Role, check_password, normalize_email};

use crate::Refused;
use crate::cli::CreateAdminArgs;
use crate::config::Secret;
use crate::database::Database;
use crate::logging::{self, Output};

pub async fn run(args: CreateAdminArgs) -> anyhow::Result<()> {
    let config = super::load_config()?;
    logging::init(&config, Output::Stderr)?;
    // Check what can be checked before asking for a password.
    if let Err(m) = normalize_email(&args.email) {
        return Err(Refused(format!("cannot create the administrator:\n  email: {m}")).into());
    }
    let password = match &config.admin_password {
        Some(p) => p.clone(),
        None => ask_password()?,
    };
    let database = Database::open_and_migrate(&config).await?;
    let services = super::services(&config, database.store());
    let input = NewUser {
        email: args.email,
        name: args.name,
        password: password.expose().to_owned(),
        role: Role::Admin,
        job_title: None,
        phone: None,
        skills: Vec::new(),
        client_id: None,
    };
    let ctx = RequestCtx {
        request_id: Some("create-admin".to_owned()),
        ..RequestCtx::default()
    };
    let created = services.insert_user_unchecked(input, None, &ctx).await;
    database.close().await;
    let user = created.map_err(|e| super::explain("create the administrator", e))?;
    println!(
        "Created administrator {} <{}>. Sign in at {}",
        user.name, user.email, config.public_url
    );
    Ok(())
}

/// Asks for the password twice on the terminal.
fn ask_password() -> anyhow::Result<Secret> {
    let no_terminal =
        "no terminal to ask for the password on; set ADMIN_PASSWORD or ADMIN_PASSWORD_FILE";
    let first =
        rpassword::prompt_password("Password for the new administrator: ").context(no_terminal)?;
    if let Err(m) = check_password(&first) {
        return Err(Refused(format!("cannot create the administrator:\n  password: {m}")).into());
    }
    let second = rpassword::prompt_password("The same password again: ").context(no_terminal)?;
    if first != second {
        return Err(Refused(
            "cannot create the administrator: the two passwords differ".to_owned(),
        )
        .into());
    }
    Ok(Secret::new(first))
}
