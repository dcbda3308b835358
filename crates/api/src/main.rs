//! `curio`: loads the configuration, connects, migrates, seeds the demo data
//! when configured, and serves until SIGTERM/SIGINT.

use anyhow::Context;
use api::config::Settings;
use api::observability;
use api::seed::DEMO_USERS;
use api::startup::Application;

#[actix_web::main]
async fn main() {
    if let Err(err) = run().await {
        // One clear line: what failed and why (never a password).
        eprintln!("curio: {err:#}");
        std::process::exit(1);
    }
}

async fn run() -> anyhow::Result<()> {
    let settings = Settings::load().context("invalid configuration")?;
    observability::init_logging(&settings.log);
    let demo = settings.app.seed_demo_data;
    tracing::info!(database = %settings.database.display_target(), llm = ?settings.llm.provider, "starting");
    let app = Application::build(settings.clone()).await?;
    let url = format!("http://{}:{}", settings.server.host, app.port());
    println!("Curio is serving on {url}  (API docs: {url}/docs)");
    if demo {
        println!("Demo logins:");
        for (email, password, role) in DEMO_USERS {
            println!("  {role:<15} {email:<22} password: {password}");
        }
    }
    app.run_until_stopped().await?;
    tracing::info!("stopped");
    Ok(())
}
