#![allow(clippy::disallowed_methods)] // a CLI: its file writes happen after the load, never under it
//! `make bench`: starts the mock LLM and curio (release builds) on
//! 127.0.0.1, seeds bench data, runs the bounded scenarios S1–S6, and writes
//! `bench/results/<date>-<db>.{json,md,svg}`. Every process it starts is
//! stopped by PID before it exits.
//!
//! Environment: `BENCH_DB=mariadb|postgres|sqlite` (default mariadb),
//! `BENCH_MOCK_LATENCY_MS` (250), `BENCH_POINT_SECS` (15, at most 20).

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bench::load::{self, LoadResult};
use bench::procstat;
use bench::report::{self, SweepPoint};
use hdrhistogram::Histogram;
use reqwest::Client;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};

const SECRET: &str = "bench-secret-0123456789abcdef0123456789";
const PASSWORD: &str = "bench-password-123";

/// Stops a child process by PID (SIGTERM, then SIGKILL after 10 s).
struct Managed {
    name: &'static str,
    child: Child,
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

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let kind = std::env::var("BENCH_DB").unwrap_or_else(|_| "mariadb".into());
    let latency_ms: u64 = std::env::var("BENCH_MOCK_LATENCY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(250);
    let soak_secs: u64 = std::env::var("BENCH_SOAK_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let failure_rate: f64 = std::env::var("BENCH_MOCK_FAILURE_RATE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    let point = Duration::from_secs(
        std::env::var("BENCH_POINT_SECS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(15)
            .min(20),
    );
    let bin = std::path::Path::new("target/release");
    let started = Instant::now();

    // The database, fresh.
    let url = match kind.as_str() {
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
    };
    let db = repository::database::connect(&repository::database::DatabaseSettings::with_url(&url))
        .await?;
    repository::database::migrate(&db).await?;
    let org = repository::organizations::create(&db, "Bench Org").await?;
    for (email, role, org_id) in [
        (
            "admin@bench.local",
            entity::enums::UserRole::PlatformAdmin,
            None,
        ),
        (
            "curator@bench.local",
            entity::enums::UserRole::OrgAdmin,
            Some(org.id),
        ),
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

    // The mock LLM and curio.
    let mock_port = free_port()?;
    let mock = Managed {
        name: "mock-llm",
        child: Command::new(bin.join("mock-llm"))
            .args([
                "--port",
                &mock_port.to_string(),
                "--latency-ms",
                &latency_ms.to_string(),
                "--workers",
                "2",
                "--failure-rate",
                &failure_rate.to_string(),
            ])
            .stdout(Stdio::null())
            .spawn()
            .context("start target/release/mock-llm (run `make bench`)")?,
    };
    let port = free_port()?;
    let base = format!("http://127.0.0.1:{port}");
    let global = 4096;
    let fanout = 64;
    let curio = Managed {
        name: "curio",
        child: Command::new(bin.join("curio"))
            .env("CURIO__SERVER__PORT", port.to_string())
            .env("DATABASE_URL", &url)
            .env("CURIO__AUTH__JWT_SECRET", SECRET)
            .env("CURIO__AUTH__MAX_FAILED_LOGINS", "1000")
            .env("CURIO__AUTH__MAX_FAILED_LOGINS_PER_ADDRESS", "100000")
            .env("CURIO__LLM__PROVIDER", "openai")
            .env(
                "CURIO__LLM__BASE_URL",
                format!("http://127.0.0.1:{mock_port}/v1"),
            )
            .env("CURIO__LLM__API_KEY", "bench")
            .env("CURIO__LLM__GLOBAL_CONCURRENCY", global.to_string())
            .env("CURIO__LLM__DEFAULT_MAX_CONCURRENT", fanout.to_string())
            .env("CURIO__LOG__LEVEL", "warn")
            .stdout(Stdio::null())
            .spawn()
            .context("start target/release/curio")?,
    };
    let client = Client::builder()
        .pool_max_idle_per_host(1024)
        .timeout(Duration::from_secs(120))
        .build()?;
    let mut ready = false;
    for _ in 0..100 {
        if client
            .get(format!("{base}/ready"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if !ready {
        bail!("curio did not become ready on {base}");
    }
    let login = |email: &'static str| {
        let (client, base) = (client.clone(), base.clone());
        async move {
            let r: Value = client
                .post(format!("{base}/api/v1/auth/login"))
                .json(&json!({"email": email, "password": PASSWORD}))
                .send()
                .await?
                .json()
                .await?;
            anyhow::Ok((
                r["access_token"].as_str().context("token")?.to_owned(),
                r["user"]["id"].as_i64().unwrap_or(0),
            ))
        }
    };
    let (admin, _) = login("admin@bench.local").await?;
    let (curator, curator_id) = login("curator@bench.local").await?;

    // Seed: one stream, 50 reports × 8 articles, and reports of 10, 100, 1,000.
    let seed_started = Instant::now();
    let stream: Value = client
        .post(format!("{base}/api/v1/streams"))
        .bearer_auth(&curator)
        .json(&json!({"stream_name": "Bench stream", "purpose": "Measure Curio.", "scope": "organization",
            "presentation_config": {"categories": [
                {"id": "a", "name": "Category A", "topics": ["x"]},
                {"id": "b", "name": "Category B", "topics": ["y"]},
                {"id": "c", "name": "Category C", "topics": ["z"]}]}}))
        .send()
        .await?
        .json()
        .await?;
    let stream_id = stream["id"].as_i64().context("stream id")?;
    let import = |n: usize, tag: String| {
        let (client, base, admin) = (client.clone(), base.clone(), admin.clone());
        async move {
            let articles: Vec<Value> = (0..n)
                .map(|i| json!({"title": format!("Bench article {tag}-{i}: T cell exhaustion in tumours"),
                    "abstract": "Exhausted T cells were profiled in tumours. Blockade restored their function in mice. The effect depended on dose and timing. Responders showed expanded progenitor cells.",
                    "journal": "Journal of Benchmarks", "pub_year": 2026, "doi": format!("10.9999/{tag}.{i}")}))
                .collect();
            let r: Value = client
                .post(format!("{base}/api/v1/articles/bulk"))
                .bearer_auth(&admin)
                .json(&json!({"articles": articles}))
                .send()
                .await?
                .json()
                .await?;
            let ids: Vec<i64> = r["ids"]
                .as_array()
                .context("ids")?
                .iter()
                .filter_map(Value::as_i64)
                .collect();
            anyhow::Ok(ids)
        }
    };
    let create_report = |ids: Vec<i64>, name: String| {
        let (client, base, curator) = (client.clone(), base.clone(), curator.clone());
        async move {
            let articles: Vec<Value> = ids
                .iter()
                .enumerate()
                .map(|(i, a)| {
                    let category = ["a", "b", "c"][i % 3];
                    json!({"article_id": a, "presentation_categories": [category]})
                })
                .collect();
            let r: Value = client
                .post(format!("{base}/api/v1/streams/{stream_id}/reports"))
                .bearer_auth(&curator)
                .json(&json!({"report_name": name, "report_date": "2026-11-23", "articles": articles}))
                .send()
                .await?
                .json()
                .await?;
            r["id"].as_i64().context("report id")
        }
    };
    let pool = import(400, "sweep".into()).await?;
    let mut sweep_reports = Vec::new();
    for (i, chunk) in pool.chunks(8).enumerate() {
        sweep_reports.push(create_report(chunk.to_vec(), format!("Sweep {i}")).await?);
    }
    let mut eager = Vec::new();
    for n in [10usize, 100, 1000] {
        let ids = import(n, format!("eager{n}")).await?;
        eager.push((n, create_report(ids, format!("Eager {n}")).await?));
    }
    let seed_secs = seed_started.elapsed().as_secs_f64();
    eprintln!("seeded in {seed_secs:.1} s");

    if soak_secs > 0 {
        let report = soak(
            &client,
            &base,
            &curator,
            curator_id,
            &sweep_reports,
            curio.pid(),
            Duration::from_secs(soak_secs),
            &db,
        )
        .await?;
        drop(curio);
        drop(mock);
        std::fs::create_dir_all("bench/results")?;
        let stem = format!(
            "bench/results/{}-{kind}-soak",
            chrono::Utc::now().format("%Y-%m-%d")
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
        return Ok(());
    }

    let mut rows: Vec<Row> = Vec::new();
    let (curio_pid, mock_pid) = (curio.pid(), mock.pid());
    macro_rules! measure {
        ($name:expr, $notes:expr, $run:expr) => {{
            let c0 = cpu(curio_pid, mock_pid, &kind);
            let lag0 = lag_buckets(&client, &base).await;
            let result: LoadResult = $run;
            let c1 = cpu(curio_pid, mock_pid, &kind);
            let lag1 = lag_buckets(&client, &base).await;
            let split = json!({"curio": c1.curio - c0.curio, "mock": c1.mock - c0.mock, "database": c1.db - c0.db, "load_generator": c1.loadgen - c0.loadgen, "wall": result.elapsed_secs});
            let per_req = (c1.curio - c0.curio) * 1000.0 / (result.requests.max(1) as f64);
            eprintln!("{} c={} rps={:.0} p50={:.1} p99={:.1} errors={}", $name, result.concurrency, result.rps, result.p50_ms, result.p99_ms, result.errors);
            rows.push(Row {
                scenario: $name.to_string(),
                curio_cpu_ms_per_request: per_req,
                curio_rss_mib: procstat::rss_mib(curio_pid),
                runtime_lag_p99_ms: lag_p99(&lag0, &lag1),
                cpu_seconds: split,
                notes: $notes,
                result,
            });
        }};
    }

    // S1: the summarize sweep, and S4 (health while S1 runs at 128).
    let mut health: Option<(Histogram<u64>, u64)> = None;
    for c in [1usize, 8, 32, 64, 128, 256, 512] {
        let stop = Arc::new(AtomicBool::new(false));
        let probe = (c == 128).then(|| {
            let (stop, url) = (stop.clone(), format!("{base}/health"));
            let light = Client::new();
            tokio::spawn(async move {
                let mut h = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("bounds");
                let mut errors = 0;
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    if !light
                        .get(&url)
                        .send()
                        .await
                        .is_ok_and(|r| r.status().is_success())
                    {
                        errors += 1;
                    }
                    h.saturating_record(t.elapsed().as_micros() as u64);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                (h, errors)
            })
        });
        let mock_before: Value = client
            .get(format!("http://127.0.0.1:{mock_port}/stats"))
            .send()
            .await?
            .json()
            .await?;
        let (cl, b, tok, reports) = (
            client.clone(),
            base.clone(),
            curator.clone(),
            sweep_reports.clone(),
        );
        measure!(
            format!("S1 summarize c={c}"),
            format!("ideal {} ms", 3 * latency_ms),
            load::run(c, point, (c as u64) * 40, move |i| {
                let (cl, url, tok) = (
                    cl.clone(),
                    format!(
                        "{b}/api/v1/reports/{}/summarize",
                        reports[i as usize % reports.len()]
                    ),
                    tok.clone(),
                );
                async move {
                    cl.post(url)
                        .bearer_auth(tok)
                        .json(&json!({"force": true}))
                        .send()
                        .await
                        .is_ok_and(|r| r.status().is_success())
                }
            })
            .await
        );
        let mock_after: Value = client
            .get(format!("http://127.0.0.1:{mock_port}/stats"))
            .send()
            .await?
            .json()
            .await?;
        let calls = mock_after["requests"].as_f64().unwrap_or(0.0)
            - mock_before["requests"].as_f64().unwrap_or(0.0);
        if let Some(last) = rows.last_mut() {
            last.notes = format!(
                "{}; {:.0} mock calls/s",
                last.notes,
                calls / last.result.elapsed_secs
            );
        }
        stop.store(true, Ordering::Relaxed);
        if let Some(p) = probe {
            health = Some(p.await?);
        }
    }
    let sweep_rows: Vec<&Row> = rows
        .iter()
        .filter(|r| r.scenario.starts_with("S1"))
        .collect();
    let svg = report::sweep_svg(
        &sweep_rows
            .iter()
            .map(|r| SweepPoint {
                result: &r.result,
                ideal_ms: (3 * latency_ms) as f64,
            })
            .collect::<Vec<_>>(),
        &format!("S1 summarize latency vs concurrency ({kind}, mock {latency_ms} ms)"),
    );

    // S2 and S3: reads at concurrency 64.
    let report8 = sweep_reports[0];
    measure!(
        "S2 GET /reports/{id} (8 articles)",
        String::new(),
        get_loop(
            &client,
            format!("{base}/api/v1/reports/{report8}"),
            &curator,
            64,
            Duration::from_secs(10)
        )
        .await
    );
    measure!(
        "S3 GET /users/{id}",
        String::new(),
        get_loop(
            &client,
            format!("{base}/api/v1/users/{curator_id}"),
            &curator,
            64,
            Duration::from_secs(10)
        )
        .await
    );

    // The database alone: the statements of S3 in a raw loop, pool of 15.
    let raw =
        repository::database::connect(&repository::database::DatabaseSettings::with_url(&url))
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
                [sea_orm::Value::from(curator_id as i32)],
            ))
            .await
            .is_ok()
        }
    })
    .await;
    eprintln!("database ceiling: {:.0} queries/s", ceiling.rps);

    // S5: bulk import of 100,000 articles in batches of 5,000.
    let (cl, b, tok) = (client.clone(), base.clone(), admin.clone());
    let batches: Arc<Vec<Value>> = Arc::new(
        (0..20)
            .map(|batch| {
                json!({"articles": (0..5000).map(|i| json!({"title": format!("Bulk {batch}-{i}"), "abstract": "A short abstract. Two sentences.", "journal": "J", "pub_year": 2025, "doi": format!("10.7777/bulk.{batch}.{i}"), "pmid": format!("8{batch:02}{i:05}")})).collect::<Vec<_>>()})
            })
            .collect(),
    );
    measure!(
        "S5 bulk import 100,000 articles (batches of 5,000)",
        String::new(),
        load::run(2, Duration::from_secs(120), 20, move |i| {
            let (cl, url, tok, batches) = (
                cl.clone(),
                format!("{b}/api/v1/articles/bulk"),
                tok.clone(),
                batches.clone(),
            );
            async move {
                cl.post(url)
                    .bearer_auth(tok)
                    .json(&batches[i as usize])
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success())
            }
        })
        .await
    );
    let bulk_rows_per_sec = 100_000.0 / rows.last().map(|r| r.result.elapsed_secs).unwrap_or(1.0);
    if let Some(last) = rows.last_mut() {
        last.notes = format!("{bulk_rows_per_sec:.0} rows/s");
    }

    // S6: eager loading at 10, 100, 1,000 articles.
    for (n, report) in eager {
        let stmts0 = metric_sum(&client, &base, "curio_db_statement_seconds_count").await;
        measure!(
            format!("S6 GET /reports/{{id}} ({n} articles)"),
            String::new(),
            get_loop(
                &client,
                format!("{base}/api/v1/reports/{report}"),
                &curator,
                16,
                Duration::from_secs(5)
            )
            .await
        );
        let stmts1 = metric_sum(&client, &base, "curio_db_statement_seconds_count").await;
        if let Some(last) = rows.last_mut() {
            last.notes = format!(
                "{:.2} statements/request",
                (stmts1 - stmts0) / last.result.requests.max(1) as f64
            );
        }
    }

    let peak_rss = procstat::peak_rss_mib(curio_pid);
    let lag_max = metric_sum(&client, &base, "curio_runtime_lag_max_seconds").await * 1000.0;
    drop(curio);
    drop(mock);

    // Outputs.
    let date = chrono::Utc::now().format("%Y-%m-%d");
    std::fs::create_dir_all("bench/results")?;
    let stem = format!("bench/results/{date}-{kind}");
    let (health_p50, health_p99, health_max, health_errors) = health
        .as_ref()
        .map(|(h, e)| {
            (
                h.value_at_quantile(0.5) as f64 / 1000.0,
                h.value_at_quantile(0.99) as f64 / 1000.0,
                h.max() as f64 / 1000.0,
                *e,
            )
        })
        .unwrap_or_default();
    let cpu_cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let mut md = format!(
        "### {date}, BENCH_DB={kind}, mock latency {latency_ms} ms, {cpu_cores} cores\n\nCommand: `BENCH_DB={kind} make bench`. Limits used: LLM global concurrency {global}, per-stage fan-out {fanout}, DB pool 5..15. Seeding took {seed_secs:.1} s; the whole run {:.0} s.\n\n",
        started.elapsed().as_secs_f64()
    );
    md.push_str(&report::table(
        &rows
            .iter()
            .map(|r| (r.scenario.clone(), &r.result, r.notes.clone()))
            .collect::<Vec<_>>(),
    ));
    md.push_str(&format!(
        "\n**S4** `/health` while S1 runs at c=128: p50 {health_p50:.1} ms, p99 {health_p99:.1} ms, max {health_max:.1} ms, errors {health_errors}.\n\n**Database ceiling** (same statement as S3 in a raw loop, pool of 15, c=64): {:.0} queries/s.\n\n**curio peak RSS** {peak_rss:.1} MiB; **runtime lag** max {lag_max:.1} ms over the run.\n\n",
        ceiling.rps
    ));
    md.push_str("| scenario | CPU s curio | CPU s database | CPU s mock | CPU s load generator | wall s | curio CPU ms/request | runtime lag p99 ms | curio RSS MiB |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for r in &rows {
        let c = &r.cpu_seconds;
        md.push_str(&format!(
            "| {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.2} | {:.1} | {:.0} |\n",
            r.scenario,
            c["curio"].as_f64().unwrap_or(0.0),
            c["database"].as_f64().unwrap_or(0.0),
            c["mock"].as_f64().unwrap_or(0.0),
            c["load_generator"].as_f64().unwrap_or(0.0),
            c["wall"].as_f64().unwrap_or(0.0),
            r.curio_cpu_ms_per_request,
            r.runtime_lag_p99_ms,
            r.curio_rss_mib
        ));
    }
    let json = json!({
        "date": date.to_string(), "database": kind, "mock_latency_ms": latency_ms, "cores": cpu_cores,
        "limits": {"llm_global_concurrency": global, "llm_stage_fanout": fanout, "db_pool_max": 15},
        "rows": rows, "s4_health": {"p50_ms": health_p50, "p99_ms": health_p99, "max_ms": health_max, "errors": health_errors},
        "database_ceiling_qps": ceiling.rps, "bulk_rows_per_sec": bulk_rows_per_sec, "peak_rss_mib": peak_rss, "runtime_lag_max_ms": lag_max,
    });
    std::fs::write(format!("{stem}.json"), serde_json::to_string_pretty(&json)?)?;
    std::fs::write(format!("{stem}.md"), &md)?;
    std::fs::write(format!("{stem}.svg"), svg)?;
    println!("{md}");
    println!("wrote {stem}.json, {stem}.md, {stem}.svg");
    Ok(())
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

/// Mixed traffic at concurrency 64 for `duration`: summaries (with the
/// mock's injected failures), report reads, report lists and user reads.
/// Passes when RSS stays flat, the only 5xx are the injected LLM 502s, and
/// every report that was summarized successfully has its enrichments.
#[allow(clippy::too_many_arguments)]
async fn soak(
    client: &Client,
    base: &str,
    token: &str,
    user_id: i64,
    reports: &[i64],
    curio_pid: u32,
    duration: Duration,
    db: &sea_orm::DatabaseConnection,
) -> anyhow::Result<Value> {
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
    let mut missing = Vec::new();
    let summarized: Vec<i64> = summarized
        .lock()
        .expect("summarized")
        .iter()
        .copied()
        .collect();
    for report in &summarized {
        let row = repository::reports::find(db, *report as i32).await?;
        if row.and_then(|r| r.enrichments).is_none() {
            missing.push(*report);
        }
    }
    // Flat: the last quarter's peak within 20 % of the first quarter's peak.
    let quarter = (rss.len() / 4).max(1);
    let early = rss.iter().take(quarter).cloned().fold(0.0, f64::max);
    let late = rss.iter().rev().take(quarter).cloned().fold(0.0, f64::max);
    let flat = late <= early * 1.2 + 5.0;
    Ok(json!({
        "duration_secs": duration.as_secs(), "concurrency": 64, "load": result, "statuses": statuses,
        "unexpected_responses": unexpected, "reports_summarized": summarized.len(),
        "summaries_missing_from_database": missing, "rss_mib_samples": rss, "rss_flat": flat,
        "passed": unexpected == 0 && missing.is_empty() && flat,
    }))
}
