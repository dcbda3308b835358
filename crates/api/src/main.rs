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
// (docs/benchmarks.md, "Allocator"), it used the least CPU per request and the least
// memory under concurrent summaries.
#[cfg(feature = "jemalloc")]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[cfg(all(feature = "mimalloc", not(feature = "jemalloc")))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Curio: research streams, curated reports and their LLM summaries, over
/// HTTP.
///
/// With no command, serves the API: loads the configuration (embedded
/// defaults < `CURIO_CONFIG` file < `CURIO__SECTION__KEY` variables <
/// `DATABASE_URL`), connects, migrates, and serves until SIGTERM or SIGINT.
#[derive(Debug, clap::Parser)]
#[command(name = "curio", version, about, long_about)]
struct Cli {
    /// Also create the demo organization, users and reports (and print
    /// their logins); only on a loopback listen address.
    #[arg(long)]
    demo: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, PartialEq, Eq, clap::Subcommand)]
enum Command {
    /// Work on summary runs without the HTTP listener (as many processes as
    /// you like share the runs through the database).
    Worker,
    /// Create a platform admin and exit. The password comes from
    /// `CURIO_ADMIN_PASSWORD`, or is read from the terminal without echo,
    /// or from standard input.
    CreateAdmin {
        /// The admin's email address.
        #[arg(long)]
        email: String,
    },
}

#[actix_web::main]
async fn main() {
    // `--help` and `--version` print and exit 0; a wrong command line
    // prints usage and exits 2.
    let cli = <Cli as clap::Parser>::parse();
    let result = match (cli.command, cli.demo) {
        // Boxed: the futures are large, and one layout holding all three
        // is deeper than the compiler's default recursion limit.
        (None, demo) => Box::pin(serve(demo)).await,
        (Some(_), true) => {
            <Cli as clap::CommandFactory>::command()
                .error(
                    clap::error::ErrorKind::ArgumentConflict,
                    "--demo goes with serving, not with a command",
                )
                .exit();
        }
        (Some(Command::Worker), false) => Box::pin(worker()).await,
        (Some(Command::CreateAdmin { email }), false) => Box::pin(create_admin(&email)).await,
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
        settings
            .jobs
            .workers
            .resolve(settings.llm.global_concurrency)
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
    use clap::Parser;

    fn parse(list: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("curio").chain(list.iter().copied()))
    }

    #[test]
    fn the_command_line_asks_for_serving_demo_a_worker_or_an_admin() {
        let serve = parse(&[]).unwrap();
        assert_eq!((serve.command, serve.demo), (None, false));
        assert!(parse(&["--demo"]).unwrap().demo);
        let admin = Some(Command::CreateAdmin {
            email: "ops@example.org".into(),
        });
        assert_eq!(
            parse(&["create-admin", "--email", "ops@example.org"])
                .unwrap()
                .command,
            admin
        );
        assert_eq!(
            parse(&["create-admin", "--email=ops@example.org"])
                .unwrap()
                .command,
            admin
        );
        assert_eq!(parse(&["worker"]).unwrap().command, Some(Command::Worker));
        for wrong in [
            &["create-admin"][..],
            &["--demo", "extra"],
            &["serve"],
            &["worker", "--nope"],
        ] {
            let e = parse(wrong).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{wrong:?}");
        }
    }

    #[test]
    fn help_and_version_are_answers_not_errors() {
        use clap::error::ErrorKind;
        for (args, kind) in [
            (&["--help"][..], ErrorKind::DisplayHelp),
            (&["worker", "--help"], ErrorKind::DisplayHelp),
            (&["create-admin", "--help"], ErrorKind::DisplayHelp),
            (&["--version"], ErrorKind::DisplayVersion),
        ] {
            let shown = parse(args).unwrap_err();
            assert_eq!(shown.kind(), kind, "{args:?}");
            assert_eq!(shown.exit_code(), 0, "{args:?}");
        }
        let help = parse(&["create-admin", "--help"]).unwrap_err().to_string();
        assert!(
            help.contains("--email <EMAIL>") && help.contains("CURIO_ADMIN_PASSWORD"),
            "{help}"
        );
        <Cli as clap::CommandFactory>::command().debug_assert();
    }
}
