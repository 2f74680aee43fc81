//! `formula-pm healthcheck`: asks a running server whether it is alive, for container
//! health checks on images without curl. Exit 0 is healthy, 1 is not (Docker reserves 2).

use std::time::Duration;

use crate::Refused;
use crate::cli::HealthcheckArgs;
use crate::config::Config;

/// How long the whole request may take.
const TIMEOUT: Duration = Duration::from_secs(5);

pub fn run(args: HealthcheckArgs) -> anyhow::Result<()> {
    let url = match args.url {
        Some(url) => url,
        // Invalid configuration is "unhealthy" (exit 1), not a usage error.
        None => format!(
            "{}/health/live",
            Config::from_env()
                .map_err(|e| Refused(e.to_string()))?
                .local_url()
        ),
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(TIMEOUT))
        .http_status_as_error(false)
        // A loopback check must not go through HTTP_PROXY, nor follow a redirect to a login page.
        .proxy(None)
        .max_redirects(0)
        .max_redirects_will_error(false)
        .build()
        .into();
    match agent.get(&url).call() {
        Ok(response) if response.status() == ureq::http::StatusCode::OK => {
            println!("healthy: {url} answered 200 OK");
            Ok(())
        }
        Ok(response) => Err(Refused(format!(
            "unhealthy: {url} answered HTTP {}",
            response.status()
        ))
        .into()),
        Err(e) => Err(Refused(format!("unhealthy: no answer from {url}: {e}")).into()),
    }
}
