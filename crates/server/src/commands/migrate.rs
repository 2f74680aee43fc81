//! `formula-pm migrate`: applies pending migrations and exits.

use crate::database::Database;
use crate::logging::{self, Output};

pub async fn run() -> anyhow::Result<()> {
    let config = super::load_config()?;
    logging::init(&config, Output::Stderr)?;
    let database = Database::open_and_migrate(&config).await?;
    database.close().await;
    println!(
        "The database is up to date ({}).",
        config.database_description()
    );
    Ok(())
}
