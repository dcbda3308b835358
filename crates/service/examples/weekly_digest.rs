//! Another Rust service using Curio in-process through the service crate:
//! the same access rules, transactions, curation events and usage ledger as
//! the HTTP API, without HTTP.
//!
//! ```text
//! cargo run -p service --example weekly_digest -- [sqlite://data/digest.db]
//! ```
//! It opens (and migrates) the database, creates the demo data when the
//! database has no users, signs in as the demo curator, summarizes the
//! curator's newest report with the offline summarizer, and shows that the
//! demo reader may not approve it.

use service::database::DatabaseSettings;
use service::login_throttle::ClientAddress;
use service::reports::ReportFilter;
use service::settings::ProviderKind;
use service::{Actor, AuthSettings, LlmSettings, Page, Services};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "sqlite://data/digest.db".into());
    // Tokens are not used here, but the auth service never runs unsigned.
    let auth = AuthSettings {
        jwt_secret: Some(service::auth::generate_secret().into()),
        ..AuthSettings::default()
    };
    let llm = LlmSettings {
        provider: ProviderKind::Offline,
        ..LlmSettings::default()
    };
    let services = Services::connect(&DatabaseSettings::with_url(url), true, auth, llm).await?;
    services.seed_demo_data().await?;

    let curator = sign_in(&services, service::demo::DEMO_USERS[1]).await?;
    let reader = sign_in(&services, service::demo::DEMO_USERS[2]).await?;

    let reports = services
        .reports
        .list(&curator, ReportFilter::default(), Page::first())
        .await?;
    let (newest, articles) = reports.items.first().ok_or("the curator sees no report")?;
    println!(
        "{} sees {} reports; the newest is \"{}\" with {articles} articles",
        curator.email, reports.total, newest.report_name
    );

    let summary = services
        .summaries
        .summarize(&curator, newest.id, false)
        .await?;
    println!(
        "summarized by {}: {}",
        summary.provider,
        summary.executive_summary.lines().next().unwrap_or_default()
    );

    match services.curation.approve(&reader, newest.id).await {
        Ok(_) => return Err("a reader approved a report".into()),
        Err(refused) => println!("{} may not approve it: {refused}", reader.email),
    }
    services.close().await;
    Ok(())
}

/// Signs a demo user in, as the API's login route does.
async fn sign_in(
    services: &Services,
    (email, password, _role): (&str, &str, service::enums::UserRole),
) -> Result<Actor, service::auth::LoginError> {
    let login = services
        .auth
        .login(email, password, ClientAddress(None))
        .await?;
    Ok(Actor::from(&login.user))
}
