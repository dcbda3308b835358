#![allow(clippy::disallowed_methods)] // a CLI: its file writes happen after the load, never under it
//! `make bench`: starts the mock LLM and curio (release builds) on
//! 127.0.0.1, seeds bench data, runs the bounded scenarios S1–S12, and writes
//! `bench/results/<date>-<db>.{json,md,svg}`. Every process it starts is
//! stopped by PID before it exits.
//!
//! Environment: `BENCH_DB=mariadb|postgres|sqlite` (default mariadb),
//! `BENCH_MOCK_LATENCY_MS` (250), `BENCH_POINT_SECS` (15, at most 20),
//! `BENCH_S1_LEVELS` (S1's concurrency levels, default
//! `1,8,32,64,128,256,512`), `BENCH_ONLY=S1` (S1 and the reads S2, S3 only,
//! for iterating on them), `BENCH_ONLY=S9` (the intake scenarios S9, S10),
//! `BENCH_ONLY=S11` (the outbox: mail through aiosmtpd and webhooks;
//! `BENCH_S11_REPORTS`, default 20, `BENCH_S11_SUBSCRIBERS`, 1,000, and
//! `BENCH_S11_DELIVERY_WORKERS`, default the shipped setting),
//! `BENCH_BASELINE=<path to another curio binary>` (S1 point by point on
//! both, against the same database and mock, with the ratios),
//! `BENCH_PROFILE=1` (a `perf` profile of curio per profiled scenario: flame
//! graph and top symbols under `bench/results/`; `make profile`).

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bench::load::{self, LoadResult};
use bench::report::{self, SweepPoint};
use bench::{procstat, profile};
use entity::enums::UserRole;
use futures::StreamExt;
use hdrhistogram::Histogram;
use reqwest::Client;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};

const SECRET: &str = "bench-secret-0123456789abcdef0123456789";
const PASSWORD: &str = "bench-password-123";

/// Stops a child process by PID (SIGTERM, then SIGKILL after 10 s).
struct Managed {
    name: &'static str,
    child: Child,
    /// The port it serves on, if it serves.
    port: u16,
}

impl Managed {
    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Managed {
    fn drop(&mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        for _ in 0..100 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            #[allow(clippy::disallowed_methods)] // shutdown path, outside the load
            std::thread::sleep(Duration::from_millis(100));
        }
        eprintln!("{} did not stop on SIGTERM; killing", self.name);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

struct Cpu {
    curio: f64,
    mock: f64,
    db: f64,
    loadgen: f64,
}

fn db_process(kind: &str) -> &'static str {
    match kind {
        "postgres" => "postgres",
        "sqlite" => "",
        _ => "mariadbd",
    }
}

fn cpu(curio: u32, mock: u32, kind: &str) -> Cpu {
    let db = db_process(kind);
    Cpu {
        curio: procstat::cpu_seconds(curio),
        mock: procstat::cpu_seconds(mock),
        db: if db.is_empty() {
            0.0
        } else {
            procstat::cpu_seconds_by_name(db)
        },
        loadgen: procstat::cpu_seconds(std::process::id()),
    }
}

/// One scenario's row: the load result, its CPU split and extra figures.
#[derive(serde::Serialize)]
struct Row {
    scenario: String,
    result: LoadResult,
    cpu_seconds: Value,
    curio_cpu_ms_per_request: f64,
    curio_rss_mib: f64,
    runtime_lag_p99_ms: f64,
    notes: String,
}

async fn metric_sum(client: &Client, base: &str, prefix: &str) -> f64 {
    let Ok(r) = client.get(format!("{base}/metrics")).send().await else {
        return 0.0;
    };
    let text = r.text().await.unwrap_or_default();
    text.lines()
        .filter(|l| l.starts_with(prefix))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// Cumulative lag histogram buckets `(le, count)`.
async fn lag_buckets(client: &Client, base: &str) -> Vec<(f64, f64)> {
    let text = match client.get(format!("{base}/metrics")).send().await {
        Ok(r) => r.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    };
    let mut buckets: Vec<(f64, f64)> = Vec::new();
    for line in text
        .lines()
        .filter(|l| l.starts_with("curio_runtime_lag_seconds_bucket"))
    {
        let le = line
            .split("le=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap_or("+Inf");
        let le = if le == "+Inf" {
            f64::INFINITY
        } else {
            le.parse().unwrap_or(f64::INFINITY)
        };
        let n: f64 = line
            .rsplit(' ')
            .next()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0);
        match buckets.iter_mut().find(|(b, _)| *b == le) {
            Some((_, c)) => *c += n,
            None => buckets.push((le, n)),
        }
    }
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    buckets
}

/// The p99 upper bound of the lag observed between two scrapes, in ms.
fn lag_p99(before: &[(f64, f64)], after: &[(f64, f64)]) -> f64 {
    let delta: Vec<(f64, f64)> = after
        .iter()
        .map(|(le, n)| {
            (
                *le,
                n - before
                    .iter()
                    .find(|(b, _)| b == le)
                    .map(|(_, c)| *c)
                    .unwrap_or(0.0),
            )
        })
        .collect();
    let total = delta.last().map(|(_, n)| *n).unwrap_or(0.0);
    if total <= 0.0 {
        return 0.0;
    }
    delta
        .iter()
        .find(|(_, n)| *n >= total * 0.99)
        .map(|(le, _)| {
            if le.is_finite() {
                le * 1000.0
            } else {
                f64::INFINITY
            }
        })
        .unwrap_or(0.0)
}

/// What the `BENCH_*` variables ask for.
struct Options {
    kind: String,
    /// The bench database, once created.
    url: String,
    latency_ms: u64,
    /// Zero: the scenarios; otherwise a soak of this long.
    soak: Duration,
    failure_rate: f64,
    /// How long each load point runs.
    point: Duration,
    s1_levels: Vec<usize>,
    s1_only: bool,
    /// `BENCH_ONLY=S9`: the intake scenarios S9 and S10 alone.
    intake_only: bool,
    /// `BENCH_ONLY=S11`: the outbox scenario alone.
    outbox_only: bool,
    /// S11's reports and the subscribers of their stream.
    s11_reports: usize,
    s11_subscribers: usize,
    /// Another curio build to compare S1 against, point by point.
    baseline: Option<std::path::PathBuf>,
    profile: bool,
}

impl Options {
    fn from_env() -> Self {
        fn var<T: std::str::FromStr>(name: &str, default: T) -> T {
            std::env::var(name)
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(default)
        }
        Self {
            kind: var("BENCH_DB", "mariadb".to_owned()),
            url: String::new(),
            latency_ms: var("BENCH_MOCK_LATENCY_MS", 250),
            soak: Duration::from_secs(var("BENCH_SOAK_SECS", 0)),
            failure_rate: var("BENCH_MOCK_FAILURE_RATE", 0.0),
            point: Duration::from_secs(var("BENCH_POINT_SECS", 15u64).min(20)),
            s1_levels: var("BENCH_S1_LEVELS", "1,8,32,64,128,256,512".to_owned())
                .split(',')
                .filter_map(|l| l.trim().parse().ok())
                .filter(|&c| (1..=1024).contains(&c))
                .collect(),
            s1_only: var("BENCH_ONLY", String::new()) == "S1",
            intake_only: var("BENCH_ONLY", String::new()) == "S9",
            outbox_only: var("BENCH_ONLY", String::new()) == "S11",
            s11_reports: var("BENCH_S11_REPORTS", 20usize).clamp(1, 1000),
            s11_subscribers: var("BENCH_S11_SUBSCRIBERS", 1000usize).clamp(1, 10_000),
            baseline: std::env::var_os("BENCH_BASELINE")
                .filter(|p| !p.is_empty())
                .map(Into::into),
            profile: var("BENCH_PROFILE", String::new()) == "1",
        }
    }
}

// The settings curio runs with that differ from the shipped configuration
// (the report states them); run workers are the shipped `auto`, which
// follows the LLM cap.
/// The LLM cap: the mock has no rate limit, so that the mock's latency, not
/// curio's cap, bounds S1.
const LLM_GLOBAL_CONCURRENCY: usize = 4096;
/// Active summary runs per organization and per user: above any load level
/// the bench drives from its one user.
const ACTIVE_RUNS_CAP: usize = 4096;
/// Calls at once per stage of a run (S6 and S8 summarize reports of more
/// than the default 8 articles).
const LLM_STAGE_FANOUT: usize = 64;
/// S1's reports per client of its largest point: a report comes round again
/// only after ten times the concurrency, so requests rarely join a run.
const REPORTS_PER_CLIENT: usize = 10;

/// Reports in each of S8's two passes.
const REUSE_REPORTS: usize = 256;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut options = Options::from_env();
    let started = Instant::now();
    // Before anything else runs on the machine: S12 is one core's work.
    let checks = bench::checks::measure(20_000);
    eprintln!("S12 checks: {:.1} µs per report", checks.micros_per_report);
    let url = fresh_database(&options.kind).await?;
    options.url = url.clone();
    let db = create_users(&url).await?;
    let stack = Stack::start(&options, &url).await?;
    let users = stack.sign_in().await?;
    let seeded = seed_reports(&stack, &users, &options).await?;
    if !options.soak.is_zero() {
        return run_soak(stack, &users, &seeded, &options, &db).await;
    }

    let mut recorder = Recorder {
        stack: &stack,
        kind: &options.kind,
        rows: Vec::new(),
        profile: options.profile,
        profiles: Vec::new(),
    };
    let mut health = None;
    let mut svg = String::new();
    let mut peak_rss_s1 = 0.0;
    if options.outbox_only {
        s11_outbox(&mut recorder, &users, &options, &db).await?;
    } else if !options.intake_only {
        health = s1_summarize_sweep(&mut recorder, &users, &seeded, &options, &db).await?;
        peak_rss_s1 = procstat::peak_rss_mib(stack.curio.pid());
        svg = sweep_svg(&recorder.rows, &options);
        s2_s3_reads(&mut recorder, &users, &seeded).await;
    }
    let mut ceiling_qps = 0.0;
    let mut bulk_rows_per_sec = 0.0;
    if options.intake_only {
        let pool = s9_pubmed_import(&mut recorder, &users).await?;
        s9_pubmed_retrieval(&mut recorder, &users).await?;
        s10_candidate_search(&mut recorder, &users, pool).await;
    } else if !options.s1_only && !options.outbox_only {
        ceiling_qps = database_ceiling(&url, users.curator_id).await?.rps;
        bulk_rows_per_sec = s5_bulk_import(&mut recorder, &users).await;
        s6_eager_loading(&mut recorder, &users, &seeded.eager).await;
        s7_two_processes(&mut recorder, &users, &seeded, &options, &db).await?;
        s8_summary_reuse(&mut recorder, &users, &seeded).await;
        let pool = s9_pubmed_import(&mut recorder, &users).await?;
        s9_pubmed_retrieval(&mut recorder, &users).await?;
        s10_candidate_search(&mut recorder, &users, pool).await;
        s11_outbox(&mut recorder, &users, &options, &db).await?;
    }
    let Recorder { rows, profiles, .. } = recorder;

    let peak_rss = procstat::peak_rss_mib(stack.curio.pid());
    let lag_max =
        metric_sum(&stack.client, &stack.base, "curio_runtime_lag_max_seconds").await * 1000.0;
    drop(stack);
    let summary = Summary {
        options: &options,
        rows,
        health,
        ceiling_qps,
        bulk_rows_per_sec,
        peak_rss,
        peak_rss_s1,
        lag_max,
        checks,
        seed_secs: seeded.seed_secs,
        total_secs: started.elapsed().as_secs_f64(),
    };
    summary.write(svg, &profiles)
}

/// Drops and creates the bench database; its URL.
async fn fresh_database(kind: &str) -> anyhow::Result<String> {
    Ok(match kind {
        "mariadb" | "mysql" => {
            let admin = Database::connect("mysql://root@127.0.0.1:3306")
                .await
                .context("MariaDB on 127.0.0.1:3306")?;
            admin
                .execute_unprepared("DROP DATABASE IF EXISTS curio_bench")
                .await?;
            admin
                .execute_unprepared(
                    "CREATE DATABASE curio_bench CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
                )
                .await?;
            "mysql://root@127.0.0.1:3306/curio_bench".to_owned()
        }
        "postgres" => {
            let admin = Database::connect("postgres://postgres@127.0.0.1:5432/postgres")
                .await
                .context("PostgreSQL on 127.0.0.1:5432")?;
            admin
                .execute_unprepared("DROP DATABASE IF EXISTS curio_bench WITH (FORCE)")
                .await?;
            admin
                .execute_unprepared("CREATE DATABASE curio_bench")
                .await?;
            "postgres://postgres@127.0.0.1:5432/curio_bench".to_owned()
        }
        "sqlite" => {
            std::fs::create_dir_all("target/bench")?;
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("target/bench/curio-bench.db{suffix}"));
            }
            "sqlite://target/bench/curio-bench.db".to_owned()
        }
        other => bail!("BENCH_DB must be mariadb, postgres or sqlite, not {other}"),
    })
}

/// Migrates the database and creates the bench's platform admin and
/// curator; the connection stays open for the soak's checks.
async fn create_users(url: &str) -> anyhow::Result<DatabaseConnection> {
    let settings = repository::database::DatabaseSettings::with_url(url);
    let alone = repository::database::connect_alone(&settings).await?;
    repository::database::migrate(&alone).await?;
    alone.close().await?;
    let db = repository::database::connect(&settings).await?;
    let org = repository::organizations::create(&db, "Bench Org").await?;
    for (email, role, org_id) in [
        ("admin@bench.local", UserRole::PlatformAdmin, None),
        ("curator@bench.local", UserRole::OrgAdmin, Some(org.id)),
    ] {
        let hash = service::passwords::hash(PASSWORD.into()).await?;
        repository::users::create(
            &db,
            repository::users::NewUser {
                email: email.into(),
                password_hash: hash,
                full_name: None,
                role,
                org_id,
            },
        )
        .await?;
    }
    Ok(db)
}

/// The curio build under test.
const CURIO: &str = "target/release/curio";

/// A curio process a measurement reads the CPU and metrics of.
#[derive(Clone)]
struct Target {
    /// Empty for the build under test, `baseline` for the other.
    label: &'static str,
    base: String,
    pid: u32,
}

/// The mock LLM and curio, started from the release build (and the baseline
/// build, when asked for), and a client. Dropping it stops them (curio
/// first).
struct Stack {
    curio: Managed,
    baseline: Option<Managed>,
    mock: Managed,
    mock_port: u16,
    /// The E-utilities fixture S9's retrieval reads (in this process).
    eutils: test_support::eutils::EUtils,
    base: String,
    client: Client,
}

/// A curio process (the `bin` build) on `port` over `url`, summarizing
/// through the mock; its log in `target/bench/curio-<port>.log`.
fn spawn_curio(
    bin: &std::path::Path,
    url: &str,
    mock_port: u16,
    eutils: &str,
    port: u16,
    settings: &[(&str, String)],
) -> anyhow::Result<Managed> {
    // Warnings and errors, for when a point reports errors.
    std::fs::create_dir_all("target/bench")?;
    let log = std::fs::File::create(format!("target/bench/curio-{port}.log"))?;
    let mut command = Command::new(bin);
    command
        .env("CURIO__SERVER__PORT", port.to_string())
        .env("DATABASE_URL", url)
        .env("CURIO__AUTH__JWT_SECRET", SECRET)
        .env("CURIO__AUTH__MAX_FAILED_LOGINS", "1000")
        .env("CURIO__AUTH__MAX_FAILED_LOGINS_PER_ADDRESS", "100000")
        .env("CURIO__LLM__PROVIDER", "openai")
        .env(
            "CURIO__LLM__BASE_URL",
            format!("http://127.0.0.1:{mock_port}/v1"),
        )
        .env("CURIO__LLM__API_KEY", "bench")
        .env(
            "CURIO__LLM__GLOBAL_CONCURRENCY",
            LLM_GLOBAL_CONCURRENCY.to_string(),
        )
        .env(
            "CURIO__LLM__DEFAULT_MAX_CONCURRENT",
            LLM_STAGE_FANOUT.to_string(),
        )
        // One bench user drives every concurrent summarize.
        .env(
            "CURIO__JOBS__MAX_ACTIVE_RUNS_PER_ORG",
            ACTIVE_RUNS_CAP.to_string(),
        )
        .env(
            "CURIO__JOBS__MAX_ACTIVE_RUNS_PER_USER",
            ACTIVE_RUNS_CAP.to_string(),
        )
        // PubMed is the local fixture, which only a private address
        // reaches.
        .env("CURIO__SOURCES__PUBMED__BASE_URL", eutils)
        .env("CURIO__SOURCES__ALLOW_PRIVATE", "true")
        .env("CURIO__LOG__LEVEL", "warn")
        // Mail and webhooks are S11's, sent by its own curio.
        .env("CURIO__DELIVERY__WORKERS", "0")
        .stdout(log.try_clone()?)
        .stderr(log);
    for (key, value) in settings {
        // An empty value: the shipped setting.
        if value.is_empty() {
            command.env_remove(key);
        } else {
            command.env(key, value);
        }
    }
    Ok(Managed {
        name: "curio",
        child: command
            .spawn()
            .with_context(|| format!("start {}", bin.display()))?,
        port,
    })
}

impl Stack {
    async fn start(options: &Options, url: &str) -> anyhow::Result<Self> {
        let bin = std::path::Path::new("target/release");
        let mock_port = free_port()?;
        let mock = Managed {
            name: "mock-llm",
            child: Command::new(bin.join("mock-llm"))
                .args(["--port", &mock_port.to_string()])
                .args(["--latency-ms", &options.latency_ms.to_string()])
                .args(["--workers", "2"])
                .args(["--failure-rate", &options.failure_rate.to_string()])
                .stdout(Stdio::null())
                .spawn()
                .context("start target/release/mock-llm (run `make bench`)")?,
            port: mock_port,
        };
        // The two real records first, then made-up ones that say "fixture".
        let eutils = test_support::eutils::EUtils::start(test_support::eutils::sample_records(
            S9_RETRIEVED + 2,
        ))
        .await?;
        let curio = spawn_curio(
            CURIO.as_ref(),
            url,
            mock_port,
            &eutils.base_url(),
            free_port()?,
            &[],
        )?;
        // Started after curio has migrated the database.
        let stack = Self {
            eutils,
            base: format!("http://127.0.0.1:{}", curio.port),
            curio,
            baseline: None,
            mock,
            mock_port,
            client: test_support::http_client::builder()
                .pool_max_idle_per_host(1024)
                .timeout(Duration::from_secs(120))
                .build()?,
        };
        let mut stack = stack;
        stack.wait_ready(&stack.base).await?;
        if let Some(bin) = &options.baseline {
            let baseline = spawn_curio(
                bin,
                url,
                mock_port,
                &stack.eutils.base_url(),
                free_port()?,
                &[],
            )?;
            stack
                .wait_ready(&format!("http://127.0.0.1:{}", baseline.port))
                .await?;
            stack.baseline = Some(baseline);
        }
        Ok(stack)
    }

    async fn wait_ready(&self, base: &str) -> anyhow::Result<()> {
        for _ in 0..100 {
            let ready = self.client.get(format!("{base}/ready")).send().await;
            if ready.is_ok_and(|r| r.status().is_success()) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("curio did not become ready on {base}")
    }

    /// The build under test.
    fn target(&self) -> Target {
        Target {
            label: "",
            base: self.base.clone(),
            pid: self.curio.pid(),
        }
    }

    /// The build under test, then the baseline if there is one.
    fn targets(&self) -> Vec<Target> {
        let mut targets = vec![self.target()];
        if let Some(b) = &self.baseline {
            targets.push(Target {
                label: "baseline",
                base: format!("http://127.0.0.1:{}", b.port),
                pid: b.pid(),
            });
        }
        targets
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// POSTs JSON as `token` and reads the JSON answer.
    async fn post(&self, path: &str, token: &str, body: &Value) -> anyhow::Result<Value> {
        let request = self.client.post(self.url(path)).json(body);
        let request = if token.is_empty() {
            request
        } else {
            request.bearer_auth(token)
        };
        Ok(request.send().await?.json().await?)
    }

    async fn sign_in(&self) -> anyhow::Result<Users> {
        let login = |email: &'static str| async move {
            let r = self
                .post(
                    "/api/v1/auth/login",
                    "",
                    &json!({"email": email, "password": PASSWORD}),
                )
                .await?;
            anyhow::Ok((
                r["access_token"].as_str().context("token")?.to_owned(),
                r["user"]["id"].as_i64().unwrap_or(0),
            ))
        };
        let (admin, _) = login("admin@bench.local").await?;
        let (curator, curator_id) = login("curator@bench.local").await?;
        Ok(Users {
            admin,
            curator,
            curator_id,
        })
    }

    /// Calls the mock has answered so far.
    async fn mock_calls(&self) -> anyhow::Result<f64> {
        let stats: Value = self
            .client
            .get(format!("http://127.0.0.1:{}/stats", self.mock_port))
            .send()
            .await?
            .json()
            .await?;
        Ok(stats["requests"].as_f64().unwrap_or(0.0))
    }
}

/// The bench users' tokens.
struct Users {
    admin: String,
    curator: String,
    curator_id: i64,
}

/// What the scenarios run against.
struct Seeded {
    /// Reports of 8 articles: [`REPORTS_PER_CLIENT`] per client of S1's
    /// largest point (at least 50), for S1, S2, S7 and the soak.
    sweep_reports: Vec<i64>,
    /// Reports of 10, 100 and 1,000 articles, for S6.
    eager: Vec<(usize, i64)>,
    /// S8's two sets of [`REUSE_REPORTS`] reports over the same articles.
    reuse: [Vec<i64>; 2],
    seed_secs: f64,
}

/// One stream, the sweep's reports of 8 articles, and reports of 10, 100,
/// 1,000, all through the API.
async fn seed_reports(stack: &Stack, users: &Users, options: &Options) -> anyhow::Result<Seeded> {
    let started = Instant::now();
    let stream = stack
        .post(
            "/api/v1/streams",
            &users.curator,
            &json!({"stream_name": "Bench stream", "purpose": "Measure Curio.", "scope": "organization",
                "presentation_config": {"categories": [
                    {"id": "a", "name": "Category A", "topics": ["x"]},
                    {"id": "b", "name": "Category B", "topics": ["y"]},
                    {"id": "c", "name": "Category C", "topics": ["z"]}]}}),
        )
        .await?;
    let stream_id = stream["id"].as_i64().context("stream id")?;
    // In batches of 5,000, the bulk import's bound.
    let import = |n: usize, tag: String| async move {
        let mut ids = Vec::with_capacity(n);
        for start in (0..n).step_by(5000) {
            let articles: Vec<Value> = (start..n.min(start + 5000))
                .map(|i| json!({"title": format!("Bench article {tag}-{i}: T cell exhaustion in tumours"),
                    "abstract": "Exhausted T cells were profiled in tumours. Blockade restored their function in mice. The effect depended on dose and timing. Responders showed expanded progenitor cells.",
                    "journal": "Journal of Benchmarks", "pub_year": 2026, "doi": format!("10.9999/{tag}.{i}")}))
                .collect();
            let r = stack
                .post(
                    "/api/v1/articles/bulk",
                    &users.admin,
                    &json!({"articles": articles}),
                )
                .await?;
            ids.extend(
                r["ids"]
                    .as_array()
                    .context("ids")?
                    .iter()
                    .filter_map(Value::as_i64),
            );
        }
        anyhow::Ok(ids)
    };
    let create_report = |ids: Vec<i64>, name: String| async move {
        let articles: Vec<Value> = ids
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let category = ["a", "b", "c"][i % 3];
                json!({"article_id": a, "presentation_categories": [category]})
            })
            .collect();
        let r = stack
            .post(
                &format!("/api/v1/streams/{stream_id}/reports"),
                &users.curator,
                &json!({"report_name": name, "report_date": "2026-11-23", "articles": articles}),
            )
            .await?;
        r["id"].as_i64().context("report id")
    };
    let largest = options.s1_levels.iter().copied().max().unwrap_or(1);
    let count = (REPORTS_PER_CLIENT * largest).max(50);
    let pool = import(count * 8, "sweep".into()).await?;
    let sweep_reports: Vec<i64> = futures::stream::iter(pool.chunks(8).enumerate())
        .map(|(i, chunk)| create_report(chunk.to_vec(), format!("Sweep {i}")))
        .buffered(16)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<anyhow::Result<_>>()?;
    let reuse_pool = import(REUSE_REPORTS * 8, "reuse".into()).await?;
    let mut reuse: [Vec<i64>; 2] = Default::default();
    for (set, reports) in reuse.iter_mut().enumerate() {
        *reports = futures::stream::iter(reuse_pool.chunks(8).enumerate())
            .map(|(i, chunk)| create_report(chunk.to_vec(), format!("Reuse {set}-{i}")))
            .buffered(16)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<anyhow::Result<_>>()?;
    }
    let mut eager = Vec::new();
    for n in [10usize, 100, 1000] {
        let ids = import(n, format!("eager{n}")).await?;
        eager.push((n, create_report(ids, format!("Eager {n}")).await?));
    }
    let seed_secs = started.elapsed().as_secs_f64();
    eprintln!("seeded {count} sweep reports and 3 large ones in {seed_secs:.1} s");
    Ok(Seeded {
        sweep_reports,
        eager,
        reuse,
        seed_secs,
    })
}

/// The soak instead of the scenarios: writes its report, fails when it
/// did not pass.
async fn run_soak(
    stack: Stack,
    users: &Users,
    seeded: &Seeded,
    options: &Options,
    db: &DatabaseConnection,
) -> anyhow::Result<()> {
    let target = SoakTarget {
        client: &stack.client,
        base: &stack.base,
        token: &users.curator,
        user_id: users.curator_id,
        reports: &seeded.sweep_reports,
        curio_pid: stack.curio.pid(),
    };
    let report = soak(target, options.soak, db).await?;
    drop(stack);
    std::fs::create_dir_all("bench/results")?;
    let stem = format!(
        "bench/results/{}-{}-soak",
        chrono::Utc::now().format("%Y-%m-%d"),
        options.kind
    );
    std::fs::write(
        format!("{stem}.json"),
        serde_json::to_string_pretty(&report)?,
    )?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    println!("wrote {stem}.json");
    if report["passed"] != json!(true) {
        bail!("soak failed");
    }
    Ok(())
}

/// Measures scenarios: CPU per process, RSS and runtime lag around each.
struct Recorder<'a> {
    stack: &'a Stack,
    kind: &'a str,
    rows: Vec<Row>,
    /// Record a `perf` profile of the profiled scenarios.
    profile: bool,
    profiles: Vec<profile::Recorded>,
}

impl Recorder<'_> {
    /// Runs one load against the build under test and records its row.
    async fn measure(
        &mut self,
        scenario: String,
        notes: String,
        load: impl std::future::Future<Output = LoadResult>,
    ) -> &mut Row {
        let target = self.stack.target();
        self.measure_on(&target, scenario, notes, load).await
    }

    /// Runs one load against `target` and records its row.
    async fn measure_on(
        &mut self,
        target: &Target,
        scenario: String,
        notes: String,
        load: impl std::future::Future<Output = LoadResult>,
    ) -> &mut Row {
        let scenario = match target.label {
            "" => scenario,
            label => format!("{scenario} [{label}]"),
        };
        let (curio_pid, mock_pid) = (target.pid, self.stack.mock.pid());
        let (client, base) = (&self.stack.client, &target.base);
        let perf = (self.profile && target.label.is_empty() && profile::wanted(&scenario))
            .then(|| profile::start(curio_pid, &scenario))
            .and_then(|started| started.inspect_err(|e| eprintln!("perf: {e:#}")).ok());
        let c0 = cpu(curio_pid, mock_pid, self.kind);
        let lag0 = lag_buckets(client, base).await;
        let result = load.await;
        let c1 = cpu(curio_pid, mock_pid, self.kind);
        let lag1 = lag_buckets(client, base).await;
        if let Some(perf) = perf {
            match perf.stop() {
                Ok(recorded) => self.profiles.push(recorded),
                Err(e) => eprintln!("perf: {e:#}"),
            }
        }
        eprintln!(
            "{scenario} c={} rps={:.0} p50={:.1} p99={:.1} errors={}",
            result.concurrency, result.rps, result.p50_ms, result.p99_ms, result.errors
        );
        self.rows.push(Row {
            scenario,
            curio_cpu_ms_per_request: (c1.curio - c0.curio) * 1000.0
                / (result.requests.max(1) as f64),
            curio_rss_mib: procstat::rss_mib(curio_pid),
            runtime_lag_p99_ms: lag_p99(&lag0, &lag1),
            cpu_seconds: json!({"curio": c1.curio - c0.curio, "mock": c1.mock - c0.mock,
                "database": c1.db - c0.db, "load_generator": c1.loadgen - c0.loadgen,
                "wall": result.elapsed_secs}),
            notes,
            result,
        });
        self.rows.last_mut().expect("just pushed")
    }
}

/// `/health` latencies (µs) and failures while S1 ran at c=128.
type Health = Option<(Histogram<u64>, u64)>;

/// Summary runs in the bench database.
async fn run_count(db: &DatabaseConnection) -> f64 {
    db.query_one_raw(sea_orm::Statement::from_string(
        db.get_database_backend(),
        "SELECT COUNT(*) AS n FROM summary_runs",
    ))
    .await
    .ok()
    .flatten()
    .and_then(|row| row.try_get::<i64>("", "n").ok())
    .unwrap_or(0) as f64
}

/// S1: summarize with `force` at rising concurrency, each request for a
/// report no other request in flight asks for (on the build under test and,
/// point by point, on the baseline); then 256 clients on one report, where
/// single flight makes one run serve many requests. S4: `/health` probed
/// while S1 runs at 128.
async fn s1_summarize_sweep(
    recorder: &mut Recorder<'_>,
    users: &Users,
    seeded: &Seeded,
    options: &Options,
    db: &DatabaseConnection,
) -> anyhow::Result<Health> {
    let stack = recorder.stack;
    let mut health = None;
    let ideal = 3 * options.latency_ms;
    for &c in &options.s1_levels {
        for target in stack.targets() {
            let probe = (c == 128 && target.label.is_empty()).then(|| {
                let stop = Arc::new(AtomicBool::new(false));
                let probe = tokio::spawn(probe_health(stack.url("/health"), stop.clone()));
                (stop, probe)
            });
            let reports = seeded.sweep_reports.clone();
            let row = s1_point(
                recorder,
                &target,
                users,
                c,
                reports,
                options,
                db,
                "S1 summarize",
            )
            .await?;
            row.notes = format!("ideal {ideal} ms; {}", row.notes);
            if let Some((stop, probe)) = probe {
                stop.store(true, Ordering::Relaxed);
                health = Some(probe.await?);
            }
        }
    }
    if !options.s1_only {
        let hot = vec![seeded.sweep_reports[0]];
        let target = stack.target();
        let scenario = "S1 summarize, one hot report";
        let row = s1_point(recorder, &target, users, 256, hot, options, db, scenario).await?;
        row.notes = format!("single flight: {}", row.notes);
    }
    Ok(health)
}

/// One S1 point: `c` clients summarizing `reports` round-robin on `target`;
/// its notes count the runs made, the requests that joined one, and the
/// statements per request.
#[allow(clippy::too_many_arguments)] // one load point's inputs, named at the call
async fn s1_point<'r>(
    recorder: &'r mut Recorder<'_>,
    target: &Target,
    users: &Users,
    c: usize,
    reports: Vec<i64>,
    options: &Options,
    db: &DatabaseConnection,
    scenario: &str,
) -> anyhow::Result<&'r mut Row> {
    let stack = recorder.stack;
    let statements = || {
        metric_sum(
            &stack.client,
            &target.base,
            "curio_db_statement_seconds_count",
        )
    };
    let (calls0, runs0, statements0) = (
        stack.mock_calls().await?,
        run_count(db).await,
        statements().await,
    );
    let (client, base, token) = (
        stack.client.clone(),
        target.base.clone(),
        users.curator.clone(),
    );
    let load = load::run(c, options.point, (c as u64) * 40, move |i| {
        let report = reports[i as usize % reports.len()];
        let request = client
            .post(format!("{base}/api/v1/reports/{report}/summarize"))
            .bearer_auth(&token)
            .json(&json!({"force": true}));
        async move { request.send().await.is_ok_and(|r| r.status().is_success()) }
    });
    let row = recorder
        .measure_on(target, format!("{scenario} c={c}"), String::new(), load)
        .await;
    let calls = stack.mock_calls().await? - calls0;
    let runs = run_count(db).await - runs0;
    let requests = row.result.requests.max(1) as f64;
    let per_request = (statements().await - statements0) / requests;
    row.notes = format!(
        "{runs:.0} runs, {:.0} joined; {per_request:.1} statements/request; {:.0} mock calls/s",
        (requests - runs).max(0.0),
        calls / row.result.elapsed_secs
    );
    Ok(row)
}

/// S8: the summary cache. Two sets of reports hold the same articles; the
/// first set is summarized (no `force`) at c=128, then the second, whose
/// article summaries the first paid for: only the category and executive
/// calls remain. Notes the LLM calls per request of each pass.
async fn s8_summary_reuse(recorder: &mut Recorder<'_>, users: &Users, seeded: &Seeded) {
    let stack = recorder.stack;
    let target = stack.target();
    for (pass, reports) in ["first pass", "second pass, same articles"]
        .into_iter()
        .zip(seeded.reuse.iter())
    {
        let calls0 = stack.mock_calls().await.unwrap_or_default();
        let (client, base, token) = (
            stack.client.clone(),
            target.base.clone(),
            users.curator.clone(),
        );
        let reports = reports.clone();
        let budget = reports.len() as u64;
        let load = load::run(128, Duration::from_secs(120), budget, move |i| {
            let report = reports[i as usize % reports.len()];
            let request = client
                .post(format!("{base}/api/v1/reports/{report}/summarize"))
                .bearer_auth(&token)
                .json(&json!({}));
            async move { request.send().await.is_ok_and(|r| r.status().is_success()) }
        });
        let scenario = format!("S8 summary reuse, {pass} c=128");
        let row = recorder.measure(scenario, String::new(), load).await;
        let calls = stack.mock_calls().await.unwrap_or_default() - calls0;
        row.notes = format!(
            "{:.1} LLM calls/request",
            calls / row.result.requests.max(1) as f64
        );
    }
}

/// GETs `/health` every 20 ms until stopped.
async fn probe_health(url: String, stop: Arc<AtomicBool>) -> (Histogram<u64>, u64) {
    let light = test_support::http_client::client();
    let mut h = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("bounds");
    let mut errors = 0;
    while !stop.load(Ordering::Relaxed) {
        let t = Instant::now();
        let answer = light.get(&url).send().await;
        if !answer.is_ok_and(|r| r.status().is_success()) {
            errors += 1;
        }
        h.saturating_record(t.elapsed().as_micros() as u64);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (h, errors)
}

fn sweep_svg(rows: &[Row], options: &Options) -> String {
    let points: Vec<SweepPoint> = rows
        .iter()
        .filter(|r| r.scenario.starts_with("S1 summarize c=") && !r.scenario.ends_with("]"))
        .map(|r| SweepPoint {
            result: &r.result,
            ideal_ms: (3 * options.latency_ms) as f64,
        })
        .collect();
    report::sweep_svg(
        &points,
        &format!(
            "S1 summarize latency vs concurrency ({}, mock {} ms)",
            options.kind, options.latency_ms
        ),
    )
}

/// S2 and S3: reads at concurrency 64.
async fn s2_s3_reads(recorder: &mut Recorder<'_>, users: &Users, seeded: &Seeded) {
    let stack = recorder.stack;
    let report8 = seeded.sweep_reports[0];
    let ten_secs = Duration::from_secs(10);
    for target in stack.targets() {
        let url = format!("{}/api/v1/reports/{report8}", target.base);
        let load = get_loop(&stack.client, url, &users.curator, 64, ten_secs);
        let scenario = "S2 GET /reports/{id} (8 articles)".to_owned();
        recorder
            .measure_on(&target, scenario, String::new(), load)
            .await;
        let url = format!("{}/api/v1/users/{}", target.base, users.curator_id);
        let load = get_loop(&stack.client, url, &users.curator, 64, ten_secs);
        let scenario = "S3 GET /users/{id}".to_owned();
        recorder
            .measure_on(&target, scenario, String::new(), load)
            .await;
    }
}

/// The database alone: the statement of S3 in a raw loop, pool of 15.
async fn database_ceiling(url: &str, user_id: i64) -> anyhow::Result<LoadResult> {
    let raw = repository::database::connect(&repository::database::DatabaseSettings::with_url(url))
        .await?;
    let raw = Arc::new(raw);
    let backend = raw.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => {
            "SELECT id, email, role, org_id, is_active FROM users WHERE id = $1"
        }
        _ => "SELECT id, email, role, org_id, is_active FROM users WHERE id = ?",
    };
    let ceiling = load::run(64, Duration::from_secs(5), u64::MAX, move |_| {
        let raw = raw.clone();
        async move {
            raw.query_one_raw(sea_orm::Statement::from_sql_and_values(
                backend,
                sql,
                [sea_orm::Value::from(user_id as i32)],
            ))
            .await
            .is_ok()
        }
    })
    .await;
    eprintln!("database ceiling: {:.0} queries/s", ceiling.rps);
    Ok(ceiling)
}

/// S5: bulk import of 100,000 articles in batches of 5,000; rows per second.
async fn s5_bulk_import(recorder: &mut Recorder<'_>, users: &Users) -> f64 {
    let stack = recorder.stack;
    let batches: Arc<Vec<Value>> = Arc::new(
        (0..20)
            .map(|batch| {
                json!({"articles": (0..5000).map(|i| json!({"title": format!("Bulk {batch}-{i}"), "abstract": "A short abstract. Two sentences.", "journal": "J", "pub_year": 2025, "doi": format!("10.7777/bulk.{batch}.{i}"), "pmid": format!("8{batch:02}{i:05}")})).collect::<Vec<_>>()})
            })
            .collect(),
    );
    let (client, url, token) = (
        stack.client.clone(),
        stack.url("/api/v1/articles/bulk"),
        users.admin.clone(),
    );
    let load = load::run(2, Duration::from_secs(120), 20, move |i| {
        let request = client
            .post(&url)
            .bearer_auth(&token)
            .json(&batches[i as usize]);
        async move { request.send().await.is_ok_and(|r| r.status().is_success()) }
    });
    let row = recorder
        .measure(
            "S5 bulk import 100,000 articles (batches of 5,000)".into(),
            String::new(),
            load,
        )
        .await;
    let rows_per_sec = 100_000.0 / row.result.elapsed_secs;
    row.notes = format!("{rows_per_sec:.0} rows/s");
    rows_per_sec
}

/// Records per S9 import file (the import's bound is 10,000) and files.
const S9_RECORDS_PER_FILE: usize = 5_000;
const S9_FILES: usize = 20;

/// One file of S9: `S9_RECORDS_PER_FILE` PubMed XML records with
/// structured abstracts, authors and DOIs, as `efetch` returns them.
fn pubmed_xml(file: usize) -> String {
    use std::fmt::Write;
    let topics = ["melanoma", "lymphoma", "glioma", "sarcoma", "carcinoma"];
    let mut xml = String::from(
        "<?xml version=\"1.0\" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC \"-//NLM//DTD PubMedArticle, 1st January 2025//EN\" \"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd\">\n<PubmedArticleSet>\n",
    );
    for i in 0..S9_RECORDS_PER_FILE {
        let n = file * S9_RECORDS_PER_FILE + i;
        let topic = topics[n % topics.len()];
        let _ = writeln!(
            xml,
            "<PubmedArticle><MedlineCitation Status=\"MEDLINE\" Owner=\"NLM\"><PMID Version=\"1\">{pmid}</PMID><Article PubModel=\"Print\"><Journal><JournalIssue CitedMedium=\"Internet\"><PubDate><Year>2026</Year><Month>Nov</Month></PubDate></JournalIssue><Title>Journal of Bench Oncology</Title></Journal><ArticleTitle>Checkpoint blockade response number {n} in {topic}</ArticleTitle><ELocationID EIdType=\"doi\" ValidYN=\"Y\">10.9998/s9.{n}</ELocationID><Abstract><AbstractText Label=\"BACKGROUND\">Response to PD-1 blockade in {topic} varies between patients.</AbstractText><AbstractText Label=\"METHODS\">Cohort {n} of 120 patients was followed for two years.</AbstractText><AbstractText Label=\"RESULTS\">Progenitor exhausted T cells predicted response in 64% of cases.</AbstractText></Abstract><AuthorList CompleteYN=\"Y\"><Author ValidYN=\"Y\"><LastName>Okafor</LastName><ForeName>Adaeze</ForeName></Author><Author ValidYN=\"Y\"><LastName>Lindqvist</LastName><ForeName>Mårten</ForeName></Author></AuthorList></Article><MeshHeadingList><MeshHeading><DescriptorName UI=\"D008545\">Melanoma</DescriptorName></MeshHeading></MeshHeadingList></MedlineCitation></PubmedArticle>",
            pmid = 70_000_000 + n,
        );
    }
    xml.push_str("</PubmedArticleSet>\n");
    xml
}

/// S9: 100,000 PubMed XML records imported into one stream's pool, a file
/// of 5,000 at a time (each parsed on the blocking pool and stored in one
/// transaction): records per second and curio's peak RSS. The stream, for
/// S10.
async fn s9_pubmed_import(recorder: &mut Recorder<'_>, users: &Users) -> anyhow::Result<i64> {
    let stack = recorder.stack;
    let stream = stack
        .post(
            "/api/v1/streams",
            &users.curator,
            &json!({"stream_name": "Bench pool", "purpose": "Measure imports and search.", "scope": "organization"}),
        )
        .await?;
    let stream_id = stream["id"].as_i64().context("stream id")?;
    let files: Arc<Vec<String>> = Arc::new((0..S9_FILES).map(pubmed_xml).collect());
    let (client, url, token) = (
        stack.client.clone(),
        stack.url(&format!(
            "/api/v1/streams/{stream_id}/imports?format=pubmed-xml"
        )),
        users.curator.clone(),
    );
    let load = load::run(1, Duration::from_secs(300), S9_FILES as u64, move |i| {
        let request = client
            .post(&url)
            .bearer_auth(&token)
            .header("content-type", "application/x-pubmed+xml")
            .body(files[i as usize].clone());
        async move { request.send().await.is_ok_and(|r| r.status().is_success()) }
    });
    let records = (S9_FILES * S9_RECORDS_PER_FILE) as f64;
    let row = recorder
        .measure(
            format!("S9 import {records:.0} PubMed XML records (files of {S9_RECORDS_PER_FILE})"),
            String::new(),
            load,
        )
        .await;
    row.notes = format!(
        "{:.0} records/s; curio peak RSS {:.0} MiB",
        records / row.result.elapsed_secs,
        procstat::peak_rss_mib(stack.curio.pid())
    );
    Ok(stream_id)
}

/// Records S9's retrieval reads from the E-utilities fixture.
const S9_RETRIEVED: usize = 10_000;

/// S9, retrieval: a stream's PubMed search of 10,000 records read from
/// the E-utilities fixture in pages of 500 (`sources.pubmed.page_size`),
/// at NCBI's rate without a key (3 requests a second), which bounds it:
/// candidates per second, and the requests above the rate the fixture
/// counted.
async fn s9_pubmed_retrieval(recorder: &mut Recorder<'_>, users: &Users) -> anyhow::Result<()> {
    let stack = recorder.stack;
    let stream = stack
        .post(
            "/api/v1/streams",
            &users.curator,
            &json!({"stream_name": "Bench PubMed", "purpose": "Measure retrieval.", "scope": "organization",
                "retrieval_config": {"sources": [{"kind": "pubmed", "query": "fixture"}], "lookback_days": 30}}),
        )
        .await?;
    let stream_id = stream["id"].as_i64().context("stream id")?;
    let (client, base, token) = (
        stack.client.clone(),
        stack.base.clone(),
        users.curator.clone(),
    );
    let load = load::run(1, Duration::from_secs(300), 1, move |_| {
        let (client, base, token) = (client.clone(), base.clone(), token.clone());
        async move {
            let started = client
                .post(format!("{base}/api/v1/streams/{stream_id}/retrievals"))
                .bearer_auth(&token)
                .json(&json!({}))
                .send()
                .await;
            let Ok(run) = started else { return false };
            let Ok(run) = run.json::<Value>().await else {
                return false;
            };
            let url = format!("{base}/api/v1/retrieval-runs/{}", run["id"]);
            loop {
                tokio::time::sleep(Duration::from_millis(100)).await;
                let Ok(r) = client.get(&url).bearer_auth(&token).send().await else {
                    return false;
                };
                let Ok(run) = r.json::<Value>().await else {
                    return false;
                };
                match run["status"].as_str() {
                    Some("succeeded") => return run["new_candidates"] == S9_RETRIEVED,
                    Some("failed" | "cancelled") => return false,
                    _ => {}
                }
            }
        }
    });
    let row = recorder
        .measure(
            format!("S9 retrieve {S9_RETRIEVED} PubMed records from the E-utilities fixture"),
            String::new(),
            load,
        )
        .await;
    row.notes = format!(
        "{:.0} candidates/s; {} requests, {} above NCBI's rate",
        S9_RETRIEVED as f64 / row.result.elapsed_secs,
        stack.eutils.requests().len(),
        stack.eutils.rate_violations()
    );
    Ok(())
}

/// S10: full-text search of S9's pool of 100,000 candidates at c=32: a
/// query of two words that each match a fifth of the pool, and one that
/// matches a single candidate, newest first, one page of 20.
async fn s10_candidate_search(recorder: &mut Recorder<'_>, users: &Users, stream: i64) {
    let stack = recorder.stack;
    for (q, label) in [
        ("glioma%20blockade", "20,000 matches"),
        ("cohort%2054321", "1 match"),
    ] {
        let url = stack.url(&format!(
            "/api/v1/streams/{stream}/candidates?q={q}&limit=20"
        ));
        let load = get_loop(
            &stack.client,
            url,
            &users.curator,
            32,
            Duration::from_secs(10),
        );
        recorder
            .measure(
                format!("S10 candidate search, 100,000 candidates, {label}"),
                String::new(),
                load,
            )
            .await;
    }
}

/// S11's webhook part: endpoints of another organization, each told of
/// every one of its reports' approvals.
const S11_WEBHOOK_ENDPOINTS: usize = 20;
const S11_WEBHOOK_REPORTS: usize = 50;

/// S11: the outbox. `BENCH_S11_REPORTS` reports (20) of a stream with
/// `BENCH_S11_SUBSCRIBERS` readers (1,000) are approved, four at a time,
/// through a curio of their own that mails them to a local aiosmtpd with the
/// shipped delivery settings (the other curio processes of the bench send
/// nothing): messages per second from the first approval until the relay
/// has accepted the last message, the statements curio made per message
/// (approvals included), its peak RSS, and that every reader got each report
/// once. Then 20 webhook endpoints of another organization receive the
/// events of 50 approvals: deliveries per second.
async fn s11_outbox(
    recorder: &mut Recorder<'_>,
    users: &Users,
    options: &Options,
    db: &DatabaseConnection,
) -> anyhow::Result<()> {
    let stack = recorder.stack;
    let workers = std::env::var("BENCH_S11_DELIVERY_WORKERS").unwrap_or_default();
    let workers_note = if workers.is_empty() {
        "shipped delivery workers".to_owned()
    } else {
        format!("{workers} delivery workers (BENCH_S11_DELIVERY_WORKERS)")
    };
    let smtp = test_support::smtp::SmtpPeer::start_logging().await;
    let receiver = test_support::static_http::StaticHttp::start(vec![(
        "/hook",
        "text/plain",
        "ok".to_owned(),
    )])
    .await?;
    let hash = service::passwords::hash(PASSWORD.into()).await?;
    let new_user = |email: String, role: UserRole, org_id: i32| repository::users::NewUser {
        email,
        password_hash: hash.clone(),
        full_name: None,
        role,
        org_id: Some(org_id),
    };
    let outbox_org = repository::organizations::create(db, "Bench Outbox").await?;
    let hooks_org = repository::organizations::create(db, "Bench Hooks").await?;
    for (email, org) in [
        ("outbox@bench.local", outbox_org.id),
        ("hooks@bench.local", hooks_org.id),
    ] {
        repository::users::create(db, new_user(email.into(), UserRole::OrgAdmin, org)).await?;
    }
    for i in 0..options.s11_subscribers {
        let email = format!("reader{i}@bench.local");
        repository::users::create(db, new_user(email, UserRole::Member, outbox_org.id)).await?;
    }
    let curio = spawn_curio(
        CURIO.as_ref(),
        &options.url,
        stack.mock_port,
        &stack.eutils.base_url(),
        free_port()?,
        &[
            // The shipped number of delivery workers unless
            // BENCH_S11_DELIVERY_WORKERS says otherwise.
            ("CURIO__DELIVERY__WORKERS", workers.clone()),
            ("CURIO__DELIVERY__SMTP_URL", smtp.url()),
            ("CURIO__DELIVERY__WEBHOOKS_ALLOW_PRIVATE", "true".to_owned()),
        ],
    )?;
    let target = Target {
        label: "",
        base: format!("http://127.0.0.1:{}", curio.port),
        pid: curio.pid(),
    };
    stack.wait_ready(&target.base).await?;
    let client = stack.client.clone();
    let base = target.base.clone();
    let post = |path: String, token: String, body: Value| {
        let (client, base) = (client.clone(), base.clone());
        async move {
            let r = client
                .post(format!("{base}{path}"))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await?;
            let status = r.status();
            let body: Value = r.json().await.unwrap_or(Value::Null);
            if !status.is_success() {
                bail!("POST {path}: {status} {body}");
            }
            anyhow::Ok(body)
        }
    };
    let login = |email: &'static str| async move {
        let r = post(
            "/api/v1/auth/login".into(),
            String::new(),
            json!({"email": email, "password": PASSWORD}),
        )
        .await?;
        anyhow::Ok(r["access_token"].as_str().context("token")?.to_owned())
    };
    let articles: Vec<Value> = (0..8)
        .map(|i| json!({"title": format!("Outbox article {i}: T cell exhaustion in tumours"),
            "abstract": "Exhausted T cells were profiled in tumours. Blockade restored their function in mice.",
            "journal": "Journal of Benchmarks", "pub_year": 2026, "doi": format!("10.9999/outbox.{i}")}))
        .collect();
    let imported = post(
        "/api/v1/articles/bulk".into(),
        users.admin.clone(),
        json!({"articles": articles}),
    )
    .await?;
    let article_ids: Vec<Value> = imported["ids"]
        .as_array()
        .context("ids")?
        .iter()
        .map(|id| json!({"article_id": id}))
        .collect();
    // A stream of `count` draft reports of the 8 articles, as `token`.
    let reports = |token: String, name: &'static str, count: usize| {
        let (post, article_ids) = (post, article_ids.clone());
        async move {
            let stream = post(
                "/api/v1/streams".into(),
                token.clone(),
                json!({"stream_name": name, "purpose": "Measure the outbox.", "scope": "organization"}),
            )
            .await?;
            let stream_id = stream["id"].as_i64().context("stream id")?;
            let mut ids = Vec::with_capacity(count);
            for i in 0..count {
                let r = post(
                    format!("/api/v1/streams/{stream_id}/reports"),
                    token.clone(),
                    json!({"report_name": format!("{name} {i}"), "report_date": "2026-11-23", "articles": article_ids}),
                )
                .await?;
                ids.push(r["id"].as_i64().context("report id")?);
            }
            anyhow::Ok(ids)
        }
    };
    // Submits and approves every report, four at a time.
    let approve_all = |token: String, ids: Vec<i64>| async move {
        let results: Vec<anyhow::Result<()>> = futures::stream::iter(ids)
            .map(|id| {
                let (post, token) = (post, token.clone());
                async move {
                    for step in ["submit", "approve"] {
                        post(
                            format!("/api/v1/reports/{id}/{step}"),
                            token.clone(),
                            json!({}),
                        )
                        .await?;
                    }
                    anyhow::Ok(())
                }
            })
            .buffer_unordered(4)
            .collect()
            .await;
        results.into_iter().collect::<anyhow::Result<()>>()
    };
    let statements = || metric_sum(&client, &target.base, "curio_db_statement_seconds_count");

    // Mail: every reader of the stream (its administrator too) once per report.
    let outbox = login("outbox@bench.local").await?;
    let mail_reports = reports(outbox.clone(), "Outbox", options.s11_reports).await?;
    let expected = options.s11_reports * (options.s11_subscribers + 1);
    let statements0 = statements().await;
    let row = recorder
        .measure_on(
            &target,
            format!(
                "S11 mail {} reports to {} readers each through aiosmtpd",
                options.s11_reports,
                options.s11_subscribers + 1
            ),
            String::new(),
            async {
                let started = Instant::now();
                let approved = approve_all(outbox.clone(), mail_reports).await;
                let deadline = started + Duration::from_secs(1800);
                let mut logged = smtp.logged().await;
                while approved.is_ok() && logged.len() < expected && Instant::now() < deadline {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    logged = smtp.logged().await;
                }
                let elapsed_secs = started.elapsed().as_secs_f64();
                if let Err(e) = approved {
                    eprintln!("S11: {e:#}");
                }
                let distinct: std::collections::HashSet<&(String, String)> =
                    logged.iter().collect();
                let once = distinct.len().min(expected);
                LoadResult {
                    concurrency: 4,
                    requests: once as u64,
                    // Missing, and more than one of the same message.
                    errors: (expected - once + (logged.len() - distinct.len())) as u64,
                    elapsed_secs,
                    rps: once as f64 / elapsed_secs,
                    p50_ms: 0.0,
                    p95_ms: 0.0,
                    p99_ms: 0.0,
                    max_ms: 0.0,
                }
            },
        )
        .await;
    let per_message = (statements().await - statements0) / row.result.requests.max(1) as f64;
    row.notes = format!(
        "{workers_note}: {:.0} messages/s; {per_message:.2} statements/message (approvals included); errors: missing or repeated messages; peak RSS {:.0} MiB",
        row.result.rps,
        procstat::peak_rss_mib(target.pid)
    );

    // Webhooks: each endpoint is told of each approval once.
    let hooks = login("hooks@bench.local").await?;
    for i in 0..S11_WEBHOOK_ENDPOINTS {
        post(
            format!("/api/v1/organizations/{}/webhooks", hooks_org.id),
            hooks.clone(),
            json!({"url": receiver.url(&format!("/hook?endpoint={i}")), "events": ["report.approved"]}),
        )
        .await?;
    }
    let hook_reports = reports(hooks.clone(), "Hooks", S11_WEBHOOK_REPORTS).await?;
    let expected = S11_WEBHOOK_ENDPOINTS * S11_WEBHOOK_REPORTS;
    let row = recorder
        .measure_on(
            &target,
            format!(
                "S11 webhooks: {S11_WEBHOOK_REPORTS} approvals to {S11_WEBHOOK_ENDPOINTS} endpoints"
            ),
            String::new(),
            async {
                let started = Instant::now();
                let approved = approve_all(hooks.clone(), hook_reports).await;
                let deadline = started + Duration::from_secs(600);
                while approved.is_ok()
                    && receiver.requests("/hook") < expected
                    && Instant::now() < deadline
                {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                let elapsed_secs = started.elapsed().as_secs_f64();
                if let Err(e) = approved {
                    eprintln!("S11: {e:#}");
                }
                let received = receiver.requests("/hook");
                LoadResult {
                    concurrency: 4,
                    requests: received.min(expected) as u64,
                    errors: expected.abs_diff(received) as u64,
                    elapsed_secs,
                    rps: received.min(expected) as f64 / elapsed_secs,
                    p50_ms: 0.0,
                    p95_ms: 0.0,
                    p99_ms: 0.0,
                    max_ms: 0.0,
                }
            },
        )
        .await;
    row.notes = format!(
        "{workers_note}: {:.0} deliveries/s; errors: missing or repeated requests",
        row.result.rps
    );
    drop(curio);
    receiver.stop().await;
    Ok(())
}

/// S6: eager loading of reports with 10, 100 and 1,000 articles, with the
/// statements each request took.
async fn s6_eager_loading(recorder: &mut Recorder<'_>, users: &Users, eager: &[(usize, i64)]) {
    let stack = recorder.stack;
    let statements = || {
        metric_sum(
            &stack.client,
            &stack.base,
            "curio_db_statement_seconds_count",
        )
    };
    for &(n, report) in eager {
        let before = statements().await;
        let url = stack.url(&format!("/api/v1/reports/{report}"));
        let load = get_loop(
            &stack.client,
            url,
            &users.curator,
            16,
            Duration::from_secs(5),
        );
        let scenario = format!("S6 GET /reports/{{id}} ({n} articles)");
        let row = recorder.measure(scenario, String::new(), load).await;
        let per_request = (statements().await - before) / row.result.requests.max(1) as f64;
        row.notes = format!("{per_request:.2} statements/request");
    }
}

/// S7: S1's summarize load against one process and against two on the
/// same database (requests alternate between them), and the statements the
/// run bookkeeping (`summary_runs`) costs per run, from both processes'
/// `/metrics`.
async fn s7_two_processes(
    recorder: &mut Recorder<'_>,
    users: &Users,
    seeded: &Seeded,
    options: &Options,
    db: &DatabaseConnection,
) -> anyhow::Result<()> {
    let stack = recorder.stack;
    let second = spawn_curio(
        CURIO.as_ref(),
        &options.url,
        stack.mock_port,
        &stack.eutils.base_url(),
        free_port()?,
        &[],
    )?;
    let bases = [
        stack.base.clone(),
        format!("http://127.0.0.1:{}", second.port),
    ];
    stack.wait_ready(&bases[1]).await?;
    let bookkeeping = || async {
        let mut sum = 0.0;
        for base in &bases {
            let Ok(r) = stack.client.get(format!("{base}/metrics")).send().await else {
                continue;
            };
            sum += r
                .text()
                .await
                .unwrap_or_default()
                .lines()
                .filter(|l| l.starts_with("curio_db_statement_seconds_count{"))
                .filter(|l| l.contains("kind=\"run_bookkeeping\""))
                .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
                .sum::<f64>();
        }
        sum
    };
    let runs = || run_count(db);
    for c in [64usize, 256] {
        for processes in [1usize, 2] {
            let (statements0, runs0) = (bookkeeping().await, runs().await);
            let (client, bases, token, reports) = (
                stack.client.clone(),
                bases.clone(),
                users.curator.clone(),
                seeded.sweep_reports.clone(),
            );
            let load = load::run(c, options.point, (c as u64) * 40, move |i| {
                let report = reports[i as usize % reports.len()];
                let base = &bases[i as usize % processes];
                let request = client
                    .post(format!("{base}/api/v1/reports/{report}/summarize"))
                    .bearer_auth(&token)
                    .json(&json!({"force": true}));
                async move { request.send().await.is_ok_and(|r| r.status().is_success()) }
            });
            let scenario = format!("S7 summarize c={c}, {processes} process(es)");
            let row = recorder.measure(scenario, String::new(), load).await;
            let made = runs().await - runs0;
            let per_run = (bookkeeping().await - statements0) / made.max(1.0);
            row.notes = format!(
                "{made:.0} runs; {per_run:.1} run-bookkeeping statements/run (pollers included)"
            );
        }
    }
    drop(second);
    Ok(())
}

/// Everything the report files say.
struct Summary<'a> {
    options: &'a Options,
    rows: Vec<Row>,
    health: Health,
    ceiling_qps: f64,
    bulk_rows_per_sec: f64,
    peak_rss: f64,
    /// curio's peak RSS once S1 (the concurrent summaries) was over.
    peak_rss_s1: f64,
    lag_max: f64,
    /// S12: reading and checking a report's summaries.
    checks: bench::checks::ChecksCost,
    seed_secs: f64,
    total_secs: f64,
}

impl Summary<'_> {
    /// Writes `bench/results/<date>-<db>.{json,md,svg}` (`-s1` with
    /// `BENCH_ONLY=S1`), the profiles' flame graphs, and prints the table.
    fn write(&self, svg: String, profiles: &[profile::Recorded]) -> anyhow::Result<()> {
        let date = chrono::Utc::now().format("%Y-%m-%d");
        std::fs::create_dir_all("bench/results")?;
        let only = match (
            self.options.s1_only,
            self.options.intake_only,
            self.options.outbox_only,
        ) {
            (true, ..) => "-s1",
            (_, true, _) => "-s9",
            (.., true) => "-s11",
            _ => "",
        };
        let stem = format!("bench/results/{date}-{}{only}", self.options.kind);
        let mut md = self.markdown(&date.to_string());
        if !profiles.is_empty() {
            md.push_str("\n### Profiles (perf, 199 Hz, curio only; the profiled points ran with perf attached)\n\n");
            for p in profiles {
                match p.render(&stem) {
                    Ok(table) => md.push_str(&format!("{table}\n")),
                    Err(e) => eprintln!("profile of {}: {e:#}", p.scenario),
                }
            }
        }
        std::fs::write(
            format!("{stem}.json"),
            serde_json::to_string_pretty(&self.json(&date.to_string()))?,
        )?;
        std::fs::write(format!("{stem}.md"), &md)?;
        std::fs::write(format!("{stem}.svg"), svg)?;
        println!("{md}");
        println!("wrote {stem}.json, {stem}.md, {stem}.svg");
        Ok(())
    }

    /// The build under test against the baseline, point by point: each
    /// ratio is better above 1.
    fn ratios(&self) -> String {
        let mut md = String::new();
        for base in self
            .rows
            .iter()
            .filter(|r| r.scenario.ends_with(" [baseline]"))
        {
            let name = base.scenario.trim_end_matches(" [baseline]");
            let Some(new) = self.rows.iter().find(|r| r.scenario == name) else {
                continue;
            };
            let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
            md.push_str(&format!(
                "| {name} | {:.0} / {:.0} | {:.2} | {:.0} / {:.0} | {:.2} | {:.2} / {:.2} | {:.2} | {:.0} / {:.0} |\n",
                new.result.rps,
                base.result.rps,
                ratio(new.result.rps, base.result.rps),
                new.result.p99_ms,
                base.result.p99_ms,
                ratio(base.result.p99_ms, new.result.p99_ms),
                new.curio_cpu_ms_per_request,
                base.curio_cpu_ms_per_request,
                ratio(base.curio_cpu_ms_per_request, new.curio_cpu_ms_per_request),
                new.curio_rss_mib,
                base.curio_rss_mib,
            ));
        }
        if md.is_empty() {
            return md;
        }
        format!(
            "\n**This build vs the baseline** (`{}`), one run, same database and mock, points alternating:\n\n| point | req/s new / base | × | p99 ms new / base | × (base/new) | curio CPU ms/req new / base | × (base/new) | RSS MiB new / base |\n|---|---:|---:|---:|---:|---:|---:|---:|\n{md}",
            self.options
                .baseline
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        )
    }

    /// p50, p99 and max of `/health` in ms, and its errors.
    fn health(&self) -> (f64, f64, f64, u64) {
        self.health
            .as_ref()
            .map(|(h, e)| {
                (
                    h.value_at_quantile(0.5) as f64 / 1000.0,
                    h.value_at_quantile(0.99) as f64 / 1000.0,
                    h.max() as f64 / 1000.0,
                    *e,
                )
            })
            .unwrap_or_default()
    }

    fn markdown(&self, date: &str) -> String {
        let Options {
            kind, latency_ms, ..
        } = self.options;
        let (p50, p99, max, errors) = self.health();
        let mut md = format!(
            "### {date}, BENCH_DB={kind}, mock latency {latency_ms} ms, {} cores\n\nCommand: `BENCH_DB={kind} make bench`. Settings that differ from the shipped configuration: LLM global concurrency {LLM_GLOBAL_CONCURRENCY} (the mock has no rate limit), per-stage fan-out {LLM_STAGE_FANOUT}, active runs per organization and per user {ACTIVE_RUNS_CAP} (one bench user drives every summarize); run workers are the shipped `auto` ({} here), DB pool 5..15. Seeding took {:.1} s; the whole run {:.0} s.\n\n",
            cores(),
            service::WorkerCount::Auto.resolve(LLM_GLOBAL_CONCURRENCY),
            self.seed_secs,
            self.total_secs
        );
        md.push_str(&report::table(
            &self
                .rows
                .iter()
                .map(|r| (r.scenario.clone(), &r.result, r.notes.clone()))
                .collect::<Vec<_>>(),
        ));
        md.push_str(&self.ratios());
        md.push_str(&format!(
            "\n**S4** `/health` while S1 runs at c=128: p50 {p50:.1} ms, p99 {p99:.1} ms, max {max:.1} ms, errors {errors}.\n\n"
        ));
        // `BENCH_ONLY=S1` (and S9, S11) skips the ceiling and the bulk import.
        if !self.options.s1_only && !self.options.intake_only && !self.options.outbox_only {
            md.push_str(&format!(
                "**Database ceiling** (same statement as S3 in a raw loop, pool of 15, c=64): {:.0} queries/s.\n\n",
                self.ceiling_qps
            ));
        }
        let c = &self.checks;
        md.push_str(&format!(
            "**Checks (S12)**: reading and checking the summaries of an 8-article report ({} sentences, {} flags) takes {:.1} µs of one core, mean of {} reads; the checks make no statement of their own.\n\n",
            c.sentences_per_report, c.flags_per_report, c.micros_per_report, c.reports
        ));
        md.push_str(&format!(
            "**curio peak RSS** {:.1} MiB after S1, {:.1} MiB over the run; **runtime lag** max {:.1} ms over the run.\n\n",
            self.peak_rss_s1, self.peak_rss, self.lag_max
        ));
        md.push_str("| scenario | CPU s curio | CPU s database | CPU s mock | CPU s load generator | wall s | curio CPU ms/request | runtime lag p99 ms | curio RSS MiB |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for r in &self.rows {
            let c = |k: &str| r.cpu_seconds[k].as_f64().unwrap_or(0.0);
            md.push_str(&format!(
                "| {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.2} | {:.1} | {:.0} |\n",
                r.scenario,
                c("curio"),
                c("database"),
                c("mock"),
                c("load_generator"),
                c("wall"),
                r.curio_cpu_ms_per_request,
                r.runtime_lag_p99_ms,
                r.curio_rss_mib
            ));
        }
        md
    }

    fn json(&self, date: &str) -> Value {
        let (p50, p99, max, errors) = self.health();
        json!({
            "date": date, "database": self.options.kind, "mock_latency_ms": self.options.latency_ms, "cores": cores(),
            "limits": {"llm_global_concurrency": LLM_GLOBAL_CONCURRENCY, "llm_stage_fanout": LLM_STAGE_FANOUT, "active_runs_cap": ACTIVE_RUNS_CAP, "db_pool_max": 15,
                "run_workers": service::WorkerCount::Auto.resolve(LLM_GLOBAL_CONCURRENCY)},
            "rows": self.rows, "s4_health": {"p50_ms": p50, "p99_ms": p99, "max_ms": max, "errors": errors},
            "database_ceiling_qps": self.ceiling_qps, "bulk_rows_per_sec": self.bulk_rows_per_sec,
            "peak_rss_mib": self.peak_rss, "peak_rss_after_s1_mib": self.peak_rss_s1, "runtime_lag_max_ms": self.lag_max, "s12_checks": self.checks,
            "baseline": self.options.baseline.as_ref().map(|p| p.display().to_string()),
        })
    }
}

fn cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// GETs `url` with the bearer token in a closed loop.
async fn get_loop(
    client: &Client,
    url: String,
    token: &str,
    concurrency: usize,
    duration: Duration,
) -> LoadResult {
    let (client, token) = (client.clone(), token.to_owned());
    load::run(concurrency, duration, u64::MAX, move |_| {
        let request = client.get(&url).bearer_auth(&token);
        async move { request.send().await.is_ok_and(|r| r.status().is_success()) }
    })
    .await
}

/// Where the soak sends its traffic.
struct SoakTarget<'a> {
    client: &'a Client,
    base: &'a str,
    token: &'a str,
    user_id: i64,
    reports: &'a [i64],
    curio_pid: u32,
}

/// Mixed traffic at concurrency 64 for `duration`: summaries (with the
/// mock's injected failures), report reads, report lists and user reads.
/// Passes when RSS stays flat, the only 5xx are the injected LLM 502s, and
/// every report that was summarized successfully has its enrichments.
// Long on purpose: the traffic mix and its tally side by side.
async fn soak(
    target: SoakTarget<'_>,
    duration: Duration,
    db: &DatabaseConnection,
) -> anyhow::Result<Value> {
    let SoakTarget {
        client,
        base,
        token,
        user_id,
        reports,
        curio_pid,
    } = target;
    use std::collections::{BTreeMap, BTreeSet};
    use std::sync::Mutex;
    let statuses: Arc<Mutex<BTreeMap<String, u64>>> = Arc::default();
    let summarized: Arc<Mutex<BTreeSet<i64>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut samples = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                samples.push(procstat::rss_mib(curio_pid));
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
            samples
        })
    };
    let (cl, b, tok, reps, st, sm) = (
        client.clone(),
        base.to_owned(),
        token.to_owned(),
        reports.to_vec(),
        statuses.clone(),
        summarized.clone(),
    );
    let result = load::run(64, duration, u64::MAX, move |i| {
        let (cl, b, tok, reps, st, sm) = (
            cl.clone(),
            b.clone(),
            tok.clone(),
            reps.clone(),
            st.clone(),
            sm.clone(),
        );
        async move {
            let report = reps[i as usize % reps.len()];
            let (kind, request) = match i % 10 {
                0 | 1 => (
                    "summarize",
                    cl.post(format!("{b}/api/v1/reports/{report}/summarize"))
                        .json(&json!({"force": true})),
                ),
                2..=5 => ("report", cl.get(format!("{b}/api/v1/reports/{report}"))),
                6 | 7 => ("list", cl.get(format!("{b}/api/v1/reports?limit=20"))),
                _ => ("user", cl.get(format!("{b}/api/v1/users/{user_id}"))),
            };
            let status = match request.bearer_auth(tok).send().await {
                Ok(r) => r.status().as_u16(),
                Err(_) => 0,
            };
            if kind == "summarize" && status == 200 {
                sm.lock().expect("summarized").insert(report);
            }
            *st.lock()
                .expect("statuses")
                .entry(format!("{kind} {status}"))
                .or_default() += 1;
            status == 200 || (kind == "summarize" && status == 502)
        }
    })
    .await;
    stop.store(true, Ordering::Relaxed);
    let rss = sampler.await?;
    let statuses = statuses.lock().expect("statuses").clone();
    let unexpected: u64 = statuses
        .iter()
        .filter(|(k, _)| !k.ends_with(" 200") && k.as_str() != "summarize 502")
        .map(|(_, n)| *n)
        .sum();
    let summarized: Vec<i64> = summarized
        .lock()
        .expect("summarized")
        .iter()
        .copied()
        .collect();
    let missing = missing_enrichments(db, &summarized).await?;
    let flat = rss_flat(&rss);
    Ok(json!({
        "duration_secs": duration.as_secs(), "concurrency": 64, "load": result, "statuses": statuses,
        "unexpected_responses": unexpected, "reports_summarized": summarized.len(),
        "summaries_missing_from_database": missing, "rss_mib_samples": rss, "rss_flat": flat,
        "passed": unexpected == 0 && missing.is_empty() && flat,
    }))
}

/// The reports among `summarized` that have no enrichments stored.
async fn missing_enrichments(
    db: &DatabaseConnection,
    summarized: &[i64],
) -> anyhow::Result<Vec<i64>> {
    let mut missing = Vec::new();
    for &report in summarized {
        let row = repository::reports::find(db, report as i32).await?;
        if row.and_then(|r| r.enrichments).is_none() {
            missing.push(report);
        }
    }
    Ok(missing)
}

/// Flat: the last quarter's peak within 20 % (+5 MiB) of the first
/// quarter's peak.
fn rss_flat(samples: &[f64]) -> bool {
    let quarter = (samples.len() / 4).max(1);
    let early = samples.iter().take(quarter).copied().fold(0.0, f64::max);
    let late = samples
        .iter()
        .rev()
        .take(quarter)
        .copied()
        .fold(0.0, f64::max);
    late <= early * 1.2 + 5.0
}
