//! `curio`: loads the configuration, connects, migrates, and serves until
//! SIGTERM/SIGINT. `curio --demo` also creates the demo data;
//! `curio worker` runs summary-run workers without the HTTP listener;
//! `curio create-admin --email EMAIL` makes a platform admin and exits.

// The serve future nests actix's, the workers' and the shutdown's futures;
// computing its layout in release builds needs more than the default 128.
#![recursion_limit = "256"]

use anyhow::{Context, bail};
use api::config::Settings;
use api::observability;
use api::startup::Application;
use service::demo::DEMO_USERS;
use tokio::io::AsyncBufReadExt;

// jemalloc: against glibc's malloc and mimalloc, measured in one run each
// (README "Allocator"), it used the least CPU per request and the least
// memory under concurrent summaries.
#[cfg(feature = "jemalloc")]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[cfg(all(feature = "mimalloc", not(feature = "jemalloc")))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "usage: curio [--demo]
       curio worker                       (summary runs only, no HTTP listener)
       curio create-admin --email EMAIL   (password from CURIO_ADMIN_PASSWORD or standard input)";

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
enum Command {
    Serve { demo: bool },
    Worker,
    CreateAdmin { email: String },
    Help,
}

fn parse_args(args: &[String]) -> Result<Command, String> {
    match args {
        [] => Ok(Command::Serve { demo: false }),
        [flag] if flag == "--demo" => Ok(Command::Serve { demo: true }),
        [flag] if flag == "--help" || flag == "-h" => Ok(Command::Help),
        [cmd] if cmd == "worker" => Ok(Command::Worker),
        [cmd, flag, email] if cmd == "create-admin" && flag == "--email" => {
            Ok(Command::CreateAdmin {
                email: email.clone(),
            })
        }
        [cmd, arg] if cmd == "create-admin" => match arg.strip_prefix("--email=") {
            Some(email) => Ok(Command::CreateAdmin {
                email: email.to_owned(),
            }),
            None => Err(format!("unexpected argument `{arg}`")),
        },
        [cmd, ..] if cmd == "create-admin" => Err("create-admin needs --email EMAIL".into()),
        [other, ..] => Err(format!("unexpected argument `{other}`")),
    }
}

#[actix_web::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match parse_args(&args) {
        Ok(command) => command,
        Err(why) => {
            eprintln!("curio: {why}\n{USAGE}");
            std::process::exit(2);
        }
    };
    let result = match command {
        Command::Help => {
            println!("{USAGE}");
            Ok(())
        }
        // Boxed: the futures are large, and one layout holding all three
        // is deeper than the compiler's default recursion limit.
        Command::Serve { demo } => Box::pin(serve(demo)).await,
        Command::Worker => Box::pin(worker()).await,
        Command::CreateAdmin { email } => Box::pin(create_admin(&email)).await,
    };
    if let Err(err) = result {
        // One clear line: what failed and why (never a password).
        eprintln!("curio: {err:#}");
        std::process::exit(1);
    }
}

async fn serve(demo_flag: bool) -> anyhow::Result<()> {
    let mut settings = Settings::load().context("invalid configuration")?;
    settings.app.demo |= demo_flag;
    observability::init_logging(&settings.log);
    let demo = settings.app.demo;
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

async fn worker() -> anyhow::Result<()> {
    let settings = Settings::load().context("invalid configuration")?;
    observability::init_logging(&settings.log);
    tracing::info!(database = %settings.database.display_target(), llm = ?settings.llm.provider, "starting summary workers");
    println!(
        "Curio worker is running ({} workers)",
        settings.jobs.workers
    );
    api::startup::run_workers(settings).await?;
    tracing::info!("stopped");
    Ok(())
}

async fn create_admin(email: &str) -> anyhow::Result<()> {
    let settings = Settings::load().context("invalid configuration")?;
    observability::init_logging(&settings.log);
    let password = match std::env::var("CURIO_ADMIN_PASSWORD") {
        Ok(password) => password,
        Err(_) if std::io::IsTerminal::is_terminal(&std::io::stdin()) => {
            eprintln!("Password for {email} (not shown; then Enter):");
            // The terminal's echo is off while the line is read (blocking:
            // on the blocking pool).
            tokio::task::spawn_blocking(rpassword::read_password)
                .await
                .context("reading the password stopped")?
                .context("cannot read the password from the terminal")?
        }
        Err(_) => {
            let mut line = String::new();
            tokio::io::BufReader::new(tokio::io::stdin())
                .read_line(&mut line)
                .await
                .context("cannot read the password from standard input")?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    if password.is_empty() {
        bail!("no password: set CURIO_ADMIN_PASSWORD or type it on standard input");
    }
    let user = api::startup::create_admin(&settings, email, password).await?;
    println!("Created platform admin {} (id {})", user.email, user.id);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_command_line_asks_for_serving_demo_or_an_admin() {
        assert_eq!(parse_args(&[]), Ok(Command::Serve { demo: false }));
        assert_eq!(
            parse_args(&args(&["--demo"])),
            Ok(Command::Serve { demo: true })
        );
        let admin = Ok(Command::CreateAdmin {
            email: "ops@example.org".into(),
        });
        assert_eq!(
            parse_args(&args(&["create-admin", "--email", "ops@example.org"])),
            admin
        );
        assert_eq!(
            parse_args(&args(&["create-admin", "--email=ops@example.org"])),
            admin
        );
        assert!(parse_args(&args(&["create-admin"])).is_err());
        assert!(parse_args(&args(&["--demo", "extra"])).is_err());
        assert!(parse_args(&args(&["serve"])).is_err());
        assert_eq!(parse_args(&args(&["worker"])), Ok(Command::Worker));
        assert!(parse_args(&args(&["worker", "--demo"])).is_err());
    }
}
