#![allow(clippy::disallowed_methods)] // drives processes and reads their log files from the test
//! The `curio` binary as a process: start-up failure, graceful shutdown,
//! crash safety, and what reaches its logs.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use entity::enums::{StreamScope, UserRole};
use serde_json::{Value, json};
use test_support::mock_llm::{MockConfig, MockLlm};
use test_support::{Backend, TestDb, backend_tests};

const SECRET: &str = "process-test-secret-0123456789abcdef";
const PASSWORD: &str = "a long test password";

/// A curio process, killed by PID when dropped.
struct Curio {
    child: Child,
    port: u16,
    log: std::path::PathBuf,
}

impl Drop for Curio {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn command(url: &str, port: u16, extra: &[(&str, String)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_curio"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", url)
        .env("CURIO__SERVER__PORT", port.to_string())
        .env("CURIO__AUTH__JWT_SECRET", SECRET)
        .env("CURIO__LLM__PROVIDER", "offline");
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd
}

async fn start(url: &str, extra: &[(&str, String)]) -> Curio {
    let port = free_port();
    let log = std::env::temp_dir().join(format!("curio-{}-{port}.log", std::process::id()));
    let file = std::fs::File::create(&log).unwrap();
    let child = command(url, port, extra)
        .stdout(Stdio::from(file.try_clone().unwrap()))
        .stderr(Stdio::from(file))
        .spawn()
        .unwrap();
    let curio = Curio { child, port, log };
    let client = test_support::http_client::client();
    for _ in 0..150 {
        if client
            .get(format!("http://127.0.0.1:{port}/ready"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            return curio;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "curio did not start: {}",
        std::fs::read_to_string(&curio.log).unwrap_or_default()
    );
}

fn signal(child: &Child, sig: &str) {
    Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap();
}

/// The exit status of `child`, which must exit within `within`.
async fn exit_within(
    child: &mut Child,
    within: Duration,
    failure: &str,
) -> std::process::ExitStatus {
    let stopped = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(stopped.elapsed() < within, "{failure}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn login(port: u16, email: &str) -> String {
    let r: Value = test_support::http_client::client()
        .post(format!("http://127.0.0.1:{port}/api/v1/auth/login"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["access_token"].as_str().unwrap().to_owned()
}

/// An org admin, a stream and `reports` reports of three articles.
async fn seed(db: &TestDb, reports: usize) -> Vec<i32> {
    let c = &db.conn;
    let org = repository::organizations::create(c, "Org").await.unwrap();
    let hash = service::passwords::hash(PASSWORD.into()).await.unwrap();
    let user = repository::users::create(
        c,
        repository::users::NewUser {
            email: "admin@org.test".into(),
            password_hash: hash,
            full_name: None,
            role: UserRole::OrgAdmin,
            org_id: Some(org.id),
        },
    )
    .await
    .unwrap();
    let actor = service::Actor::from(&user);
    let stream = service::streams::StreamService::new(c.clone(), service::LlmSettings::default())
        .create(
            &actor,
            service::streams::CreateStream {
                stream_name: "S".into(),
                purpose: "P".into(),
                scope: StreamScope::Organization,
                org_id: None,
                presentation_config: Some(
                    serde_json::from_value(
                        json!({"categories": [{"id": "x", "name": "X", "topics": []}]}),
                    )
                    .unwrap(),
                ),
                enrichment_config: None,
                llm_config: None,
                retrieval_config: None,
            },
        )
        .await
        .unwrap();
    let mut ids = Vec::new();
    for r in 0..reports {
        let articles = repository::articles::upsert_many(
            c,
            (0..3)
                .map(|i| repository::articles::NewArticle {
                    title: format!("Article {r}-{i}"),
                    r#abstract: Some(
                        "First sentence here. Second sentence there. Third one.".into(),
                    ),
                    doi: Some(format!("10.1/{r}.{i}")),
                    ..Default::default()
                })
                .collect(),
        )
        .await
        .unwrap();
        let report = service::reports::ReportService::new(c.clone())
            .create(
                &actor,
                stream.id,
                service::reports::CreateReport {
                    report_name: format!("R{r}"),
                    report_date: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
                    articles: articles
                        .into_iter()
                        .map(|article_id| service::reports::ReportArticleInput {
                            article_id,
                            ranking: None,
                            relevance_score: None,
                            presentation_categories: Some(vec!["x".into()]),
                        })
                        .collect(),
                    from_candidates: None,
                },
            )
            .await
            .unwrap();
        ids.push(report.id);
    }
    ids
}

#[tokio::test]
async fn an_unreachable_database_gives_one_clear_line_and_a_non_zero_exit() {
    let output = command(
        "postgresql+asyncpg://curio:s3cret-pw@127.0.0.1:1/curio",
        free_port(),
        &[],
    )
    .output()
    .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let line = stderr
        .lines()
        .find(|l| l.starts_with("curio:"))
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(line.contains("127.0.0.1:1"), "{line}");
    assert!(
        !stderr.contains("s3cret-pw"),
        "the password leaked: {stderr}"
    );
}

backend_tests! {
    async fn sigterm_lets_twenty_in_flight_summaries_finish_then_exits_0(backend: Backend) {
        let db = TestDb::new(backend).await;
        let reports = seed(&db, 20).await;
        let llm = MockLlm::start(MockConfig { latency: Duration::from_millis(1500), workers: 2, ..MockConfig::default() }).await.unwrap();
        let mut curio = start(&db.url, &[
            ("CURIO__LLM__PROVIDER", "openai".into()), ("CURIO__LLM__BASE_URL", llm.base_url()), ("CURIO__LLM__API_KEY", "k".into()),
            ("CURIO__SERVER__SHUTDOWN_GRACE_SECS", "20".into()),
        ]).await;
        let port = curio.port;
        let token = login(port, "admin@org.test").await;
        let client = test_support::http_client::client();
        let runs: Vec<_> = reports.iter().map(|r| {
            let (client, token, url) = (client.clone(), token.clone(), format!("http://127.0.0.1:{port}/api/v1/reports/{r}/summarize"));
            tokio::spawn(async move { client.post(url).bearer_auth(token).json(&json!({})).send().await.map(|r| r.status().as_u16()) })
        }).collect();
        let waiting = Instant::now();
        while llm.count() < 20 * 3 {
            assert!(waiting.elapsed() < Duration::from_secs(10), "summaries did not start");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        signal(&curio.child, "-TERM");
        tokio::time::sleep(Duration::from_millis(300)).await;
        let refused = test_support::http_client::client().get(format!("http://127.0.0.1:{port}/health")).timeout(Duration::from_secs(2)).send().await;
        assert!(refused.is_err(), "new connections are refused during shutdown");
        for run in runs {
            assert_eq!(run.await.unwrap().expect("in-flight request answered"), 200);
        }
        let status = exit_within(&mut curio.child, Duration::from_secs(20), "did not exit within the grace period").await;
        assert!(status.success(), "exit status {status:?}");
        for r in reports {
            assert!(service::summaries::report_enrichments(&db.conn, r).await.unwrap().is_some(), "report {r} stored");
        }
    }
}

backend_tests! {
    async fn kill_9_during_a_bulk_import_leaves_whole_batches_and_a_rerun_is_exact(backend: Backend) {
        let db = TestDb::new(backend).await;
        let hash = service::passwords::hash(PASSWORD.into()).await.unwrap();
        repository::users::create(&db.conn, repository::users::NewUser { email: "root@x.test".into(), password_hash: hash, full_name: None, role: UserRole::PlatformAdmin, org_id: None }).await.unwrap();
        let batches: Vec<Value> = (0..10)
            .map(|b| json!({"articles": (0..5000).map(|i| json!({"title": format!("Crash {b}-{i}"), "doi": format!("10.6666/{b}.{i}"), "pmid": format!("7{b:02}{i:05}")})).collect::<Vec<_>>()}))
            .collect();
        let import = |port: u16, token: String, batches: Vec<Value>| async move {
            let client = test_support::http_client::client();
            for batch in batches {
                let r = client.post(format!("http://127.0.0.1:{port}/api/v1/articles/bulk")).bearer_auth(&token).json(&batch).send().await;
                if r.is_err() {
                    return false;
                }
            }
            true
        };
        let curio = start(&db.url, &[]).await;
        let token = login(curio.port, "root@x.test").await;
        let running = tokio::spawn(import(curio.port, token, batches.clone()));
        // Let some batches land and one be under way, then pull the plug.
        let count = || async {
            use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
            entity::article::Entity::find().filter(entity::article::Column::Doi.starts_with("10.6666/")).count(&db.conn).await.unwrap()
        };
        let waiting = Instant::now();
        while count().await < 5000 && waiting.elapsed() < Duration::from_secs(60) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
        signal(&curio.child, "-KILL");
        let finished = running.await.unwrap();
        assert!(!finished, "the import was interrupted");
        drop(curio);

        for b in 0..10 {
            use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
            let n = entity::article::Entity::find().filter(entity::article::Column::Doi.starts_with(format!("10.6666/{b}."))).count(&db.conn).await.unwrap();
            assert!(n == 0 || n == 5000, "batch {b} is partial: {n} rows");
        }
        let curio = start(&db.url, &[]).await;
        let token = login(curio.port, "root@x.test").await;
        assert!(import(curio.port, token, batches).await);
        assert_eq!(count().await, 50_000, "re-running the import gives exactly the right rows");
    }
}

#[tokio::test]
async fn passwords_and_tokens_never_reach_the_logs() {
    let db = TestDb::new(Backend::Sqlite).await;
    seed(&db, 1).await;
    let curio = start(
        &db.url,
        &[
            ("CURIO__LOG__LEVEL", "debug".into()),
            ("CURIO__DATABASE__LOG_STATEMENTS", "true".into()),
        ],
    )
    .await;
    let token = login(curio.port, "admin@org.test").await;
    let client = test_support::http_client::client();
    client
        .get(format!("http://127.0.0.1:{}/api/v1/auth/me", curio.port))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    client
        .post(format!("http://127.0.0.1:{}/api/v1/auth/login", curio.port))
        .json(&json!({"email": "admin@org.test", "password": "wrong-password-xyz"}))
        .send()
        .await
        .unwrap();
    client
        .post(format!("http://127.0.0.1:{}/api/v1/users", curio.port))
        .bearer_auth(&token)
        .json(&json!({"email": "n@org.test", "password": "new-user-password"}))
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let logs = std::fs::read_to_string(&curio.log).unwrap();
    assert!(logs.contains("request served"), "logs were captured");
    assert!(logs.contains("SELECT"), "statement logging is on");
    for secret in [
        PASSWORD,
        "wrong-password-xyz",
        "new-user-password",
        token.as_str(),
        SECRET,
        "$argon2",
    ] {
        assert!(!logs.contains(secret), "{secret} leaked into the logs");
    }
}

/// `curio` with only the given environment (no JWT secret, no port), in `dir`.
fn bare(dir: &std::path::Path, env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_curio"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .current_dir(dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

fn temp_dir(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "curio-{tag}-{}-{}",
        std::process::id(),
        free_port()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn first_error_line(output: &std::process::Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr);
    stderr
        .lines()
        .find(|l| l.starts_with("curio:"))
        .unwrap_or_else(|| panic!("no error line: {stderr}"))
        .to_owned()
}

backend_tests! {
    async fn a_server_database_without_a_configured_secret_is_refused_naming_the_key(backend: Backend) {
        let db = TestDb::new(backend).await;
        let dir = temp_dir("nosecret");
        let port = free_port().to_string();
        let repeated = "a".repeat(32);
        for secret in [None, Some("short"), Some("curio-demo-secret-change-me-0123456789abcdef"), Some(repeated.as_str())] {
            let mut env = vec![("DATABASE_URL", db.url.as_str()), ("CURIO__SERVER__PORT", port.as_str())];
            if let Some(s) = secret {
                env.push(("CURIO__AUTH__JWT_SECRET", s));
            }
            let output = bare(&dir, &env).output().unwrap();
            assert!(!output.status.success(), "{secret:?}");
            let line = first_error_line(&output);
            assert!(line.contains("auth.jwt_secret"), "{secret:?}: {line}");
        }
        std::fs::remove_dir_all(dir).ok();
    }
}

#[tokio::test]
async fn the_embedded_default_generates_a_private_secret_once_and_seeds_nothing_unless_asked() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir("embedded");
    let port = free_port();
    let spawn = |args: &[&str]| {
        bare(
            &dir,
            &[
                ("CURIO__SERVER__PORT", &port.to_string()),
                ("CURIO__LOG__LEVEL", "warn"),
            ],
        )
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
    };
    let wait_ready = || async {
        for _ in 0..150 {
            if test_support::http_client::client()
                .get(format!("http://127.0.0.1:{port}/ready"))
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("curio did not start");
    };
    let demo_login = || async {
        test_support::http_client::client()
            .post(format!("http://127.0.0.1:{port}/api/v1/auth/login"))
            .json(&json!({"email": "admin@curio.local", "password": "curio-admin-demo"}))
            .send()
            .await
            .unwrap()
    };

    let mut plain = spawn(&[]);
    wait_ready().await;
    assert_eq!(
        demo_login().await.status(),
        401,
        "no demo accounts unless asked"
    );
    plain.kill().unwrap();
    plain.wait().unwrap();
    let secret_file = dir.join("data/curio.db.jwt-secret");
    let secret = std::fs::read_to_string(&secret_file).expect("a secret beside the database");
    assert_eq!(secret.trim().len(), 64, "256 bits, hex");
    assert_eq!(
        std::fs::metadata(&secret_file)
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    // The database (password hashes) is its owner's alone, and so are the
    // write-ahead log and its index, which SQLite creates with its mode.
    for file in ["data/curio.db", "data/curio.db-wal", "data/curio.db-shm"] {
        let Ok(meta) = std::fs::metadata(dir.join(file)) else {
            assert_ne!(file, "data/curio.db", "the database exists");
            continue;
        };
        assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{file}");
    }

    let mut demo = spawn(&["--demo"]);
    wait_ready().await;
    let login = demo_login().await;
    assert_eq!(login.status(), 200, "--demo seeds the demo accounts");
    let token = login.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    // The demo stream's pool holds the bundled files' four works, screened.
    let client = test_support::http_client::client();
    let streams: Value = client
        .get(format!("http://127.0.0.1:{port}/api/v1/streams"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let watch = streams["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stream_name"] == "Immuno-oncology watch")
        .expect("the demo's organization stream")["id"]
        .clone();
    let pool: Value = client
        .get(format!(
            "http://127.0.0.1:{port}/api/v1/streams/{watch}/candidates?source=import"
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(pool["meta"]["total"], 4, "{pool}");
    // ...and the bundled feed, read from data/feeds by the retrieval the
    // demo started: two works more, a third already in the pool.
    let waiting = Instant::now();
    let run = loop {
        let runs: Value = client
            .get(format!(
                "http://127.0.0.1:{port}/api/v1/streams/{watch}/retrieval-runs"
            ))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let run = runs["data"][0].clone();
        if run["status"] == "succeeded" {
            break run;
        }
        assert!(waiting.elapsed() < Duration::from_secs(30), "{runs}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        (&run["new_candidates"], &run["duplicates"]),
        (&json!(2), &json!(1)),
        "{run}"
    );
    assert!(dir.join("data/feeds/curio-demo-preprints.atom").is_file());
    // The curators' two decisions stand; the run screened every other
    // candidate offline, excluding those under the threshold.
    let pool: Value = client
        .get(format!(
            "http://127.0.0.1:{port}/api/v1/streams/{watch}/candidates"
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let candidates = pool["data"].as_array().unwrap();
    assert_eq!(candidates.len(), 6, "{pool}");
    let decided_by_curators: Vec<&Value> = candidates
        .iter()
        .filter(|c| !c["decided_by"].is_null())
        .collect();
    assert_eq!(decided_by_curators.len(), 2, "{pool}");
    let screened: Vec<&Value> = candidates
        .iter()
        .filter(|c| c["decided_by"].is_null())
        .collect();
    assert!(
        screened
            .iter()
            .all(|c| c["screening"]["relevance"].is_number()),
        "{pool}"
    );
    let screened_out = screened
        .iter()
        .filter(|c| c["reason"] == "llm_below_threshold")
        .count();
    assert_eq!(json!(screened_out), run["screened_out"], "{pool}");
    demo.kill().unwrap();
    demo.wait().unwrap();
    assert_eq!(
        std::fs::read_to_string(&secret_file).unwrap(),
        secret,
        "reused after a restart"
    );

    let mut again = spawn(&[]);
    wait_ready().await;
    let me = test_support::http_client::client()
        .get(format!("http://127.0.0.1:{port}/api/v1/auth/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200, "tokens survive a restart");
    again.kill().unwrap();
    again.wait().unwrap();

    let output = bare(
        &dir,
        &[
            ("CURIO__SERVER__HOST", "0.0.0.0"),
            ("CURIO__SERVER__PORT", &port.to_string()),
        ],
    )
    .arg("--demo")
    .output()
    .unwrap();
    assert!(!output.status.success());
    assert!(
        first_error_line(&output).contains("app.demo"),
        "demo data refused off loopback"
    );
    std::fs::remove_dir_all(dir).ok();
}

backend_tests! {
    async fn create_admin_makes_a_platform_admin_once_and_refuses_a_taken_email(backend: Backend) {
        let db = TestDb::new(backend).await;
        let dir = temp_dir("admin");
        let create = |password: Option<&str>| {
            let mut env = vec![("DATABASE_URL", db.url.as_str())];
            if let Some(p) = password {
                env.push(("CURIO_ADMIN_PASSWORD", p));
            }
            let mut cmd = bare(&dir, &env);
            cmd.args(["create-admin", "--email", "Ops@Example.org"]);
            cmd
        };
        let output = create(Some(PASSWORD)).output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let user = repository::users::find_by_email(&db.conn, "ops@example.org").await.unwrap().expect("created");
        assert_eq!(user.role, UserRole::PlatformAdmin);
        assert!(service::passwords::verify(PASSWORD.into(), Some(user.password_hash)).await.unwrap() != service::passwords::Verified::No);

        let again = create(Some("another long password")).output().unwrap();
        assert!(!again.status.success());
        assert!(first_error_line(&again).contains("already exists"), "{}", first_error_line(&again));

        // From standard input when the variable is not set.
        use std::io::Write;
        let mut child = bare(&dir, &[("DATABASE_URL", db.url.as_str())])
            .args(["create-admin", "--email", "second@example.org"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(b"typed at the prompt\n").unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        assert!(repository::users::find_by_email(&db.conn, "second@example.org").await.unwrap().is_some());
        std::fs::remove_dir_all(dir).ok();
    }
}

/// Environment for a curio process summarizing through the mock LLM.
fn llm_env(llm: &MockLlm, extra: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    let mut env = vec![
        ("CURIO__LLM__PROVIDER", "openai".to_owned()),
        ("CURIO__LLM__BASE_URL", llm.base_url()),
        ("CURIO__LLM__API_KEY", "k".to_owned()),
    ];
    env.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
    env
}

/// Every summary run of the database.
async fn runs(db: &TestDb) -> Vec<entity::summary_run::Model> {
    use sea_orm::{EntityTrait, QueryOrder};
    entity::summary_run::Entity::find()
        .order_by_asc(entity::summary_run::Column::Id)
        .all(&db.conn)
        .await
        .unwrap()
}

/// The ledger's article-summary rows: (run, article id, succeeded).
async fn article_ledger(db: &TestDb) -> Vec<(i32, String, bool)> {
    use entity::enums::{LlmOutcome, LlmStage};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    entity::llm_usage::Entity::find()
        .filter(entity::llm_usage::Column::Stage.eq(LlmStage::ArticleSummary))
        .all(&db.conn)
        .await
        .unwrap()
        .into_iter()
        .map(|u| {
            (
                u.run_id.unwrap_or_default(),
                u.item.unwrap_or_default(),
                u.outcome == LlmOutcome::Ok,
            )
        })
        .collect()
}

/// Article titles by id, as the article prompts name them.
async fn titles(db: &TestDb) -> std::collections::HashMap<String, String> {
    use sea_orm::EntityTrait;
    entity::article::Entity::find()
        .all(&db.conn)
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.id.to_string(), a.title))
        .collect()
}

/// The mock's article-summary requests for the article titled `title`,
/// received after `since` if given.
fn article_calls(llm: &MockLlm, title: &str, since: Option<Instant>) -> usize {
    let marker = format!("Title: {title}\n");
    llm.received()
        .iter()
        .filter(|r| r.user.contains(&marker) && since.is_none_or(|t| r.at > t))
        .count()
}

async fn summarize_async(port: u16, token: &str, report: i32) -> i32 {
    let response = test_support::http_client::client()
        .post(format!(
            "http://127.0.0.1:{port}/api/v1/reports/{report}/summarize"
        ))
        .bearer_auth(token)
        .header("Prefer", "respond-async")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    response.json::<Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap() as i32
}

async fn wait_until_all_succeeded(db: &TestDb, within: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let all = runs(db).await;
        if all
            .iter()
            .all(|r| r.status == entity::enums::RunStatus::Succeeded)
        {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < within,
            "runs not done within {within:?}: {all:#?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

backend_tests! {
    async fn three_processes_serve_fifty_requests_for_ten_reports_with_exactly_ten_runs(backend: Backend) {
        let db = TestDb::new(backend).await;
        let reports = seed(&db, 10).await;
        let llm = MockLlm::start(MockConfig { latency: Duration::from_millis(300), workers: 2, ..MockConfig::default() }).await.unwrap();
        let env = llm_env(&llm, &[]);
        let processes = [start(&db.url, &env).await, start(&db.url, &env).await, start(&db.url, &env).await];
        let token = login(processes[0].port, "admin@org.test").await;
        // No run can end before the last request has queued or joined one:
        // a request that came after its report's run ended would rightly
        // start another.
        llm.hold();
        let requests = (0..50).map(|i| summarize_async(processes[i % 3].port, &token, reports[i % 10]));
        let ids: std::collections::BTreeSet<i32> = futures::future::join_all(requests).await.into_iter().collect();
        assert_eq!(ids.len(), 10, "one run per report, whichever process got the request");
        assert_eq!(runs(&db).await.len(), 10);
        llm.release();
        wait_until_all_succeeded(&db, Duration::from_secs(60)).await;
        let all = runs(&db).await;
        assert!(all.iter().all(|r| r.status == entity::enums::RunStatus::Succeeded && r.attempt == 1), "{all:#?}");
        for title in titles(&db).await.values() {
            assert_eq!(article_calls(&llm, title, None), 1, "{title} was summarized once");
        }
        // 3 articles, 1 category, 1 executive summary per report.
        assert_eq!(llm.count(), 10 * 5);
    }
}

backend_tests! {
    async fn a_killed_process_s_runs_resume_elsewhere_and_no_stored_article_is_paid_twice(backend: Backend) {
        let db = TestDb::new(backend).await;
        let reports = seed(&db, 4).await;
        let llm = MockLlm::start(MockConfig { latency: Duration::from_millis(600), workers: 2, ..MockConfig::default() }).await.unwrap();
        let lease = Duration::from_secs(3);
        let env = llm_env(&llm, &[("CURIO__JOBS__LEASE_SECS", "3"), ("CURIO__LLM__DEFAULT_MAX_CONCURRENT", "1")]);
        let mut doomed = start(&db.url, &env).await;
        let token = login(doomed.port, "admin@org.test").await;
        for r in &reports {
            summarize_async(doomed.port, &token, *r).await;
        }
        // The survivor starts once the doomed process holds every run: a
        // queued run is anyone's, and one it took first would never be
        // interrupted.
        let waiting = Instant::now();
        while !runs(&db).await.iter().all(|r| r.status == entity::enums::RunStatus::Running) {
            assert!(waiting.elapsed() < Duration::from_secs(30), "runs were not claimed");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let _survivor = start(&db.url, &env).await;
        // Let every run store an article summary, then pull the plug.
        let waiting = Instant::now();
        loop {
            let stored: std::collections::HashSet<i32> = article_ledger(&db).await.into_iter().filter(|(_, _, ok)| *ok).map(|(run, _, _)| run).collect();
            if stored.len() == reports.len() {
                break;
            }
            assert!(waiting.elapsed() < Duration::from_secs(30), "runs did not start");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        signal(&doomed.child, "-KILL");
        let killed = Instant::now();
        doomed.child.wait().unwrap();
        let stored_before = article_ledger(&db).await;
        assert!(runs(&db).await.iter().all(|r| r.status == entity::enums::RunStatus::Running), "killed mid-run");
        llm.set_latency(Duration::from_millis(20));

        let took = wait_until_all_succeeded(&db, lease + Duration::from_secs(5)).await;
        eprintln!("resumed and finished {took:?} after the kill");
        assert!(runs(&db).await.iter().all(|r| r.attempt == 2), "each run was resumed once");
        let ledger = article_ledger(&db).await;
        let titles = titles(&db).await;
        let mut stored = std::collections::HashMap::new();
        for (run, item, ok) in &ledger {
            if *ok {
                *stored.entry((run, item)).or_insert(0) += 1;
            }
        }
        assert_eq!(stored.len(), 4 * 3, "every article summarized");
        assert!(stored.values().all(|n| *n == 1), "no article summary stored twice: {stored:?}");
        for (_, item, ok) in stored_before.iter().filter(|(_, _, ok)| *ok) {
            assert!(*ok);
            assert_eq!(article_calls(&llm, &titles[item], Some(killed)), 0, "article {item} was stored before the kill and not asked for again");
        }
        // The ledger and the provider agree, except for the calls in flight
        // when the process died: sent, never answered to anyone.
        for (item, title) in &titles {
            let ledger_rows = ledger.iter().filter(|(_, i, _)| i == item).count();
            let in_flight = stored_before.iter().all(|(_, i, _)| i != item) && llm.received().iter().any(|r| r.at < killed && r.user.contains(&format!("Title: {title}\n")));
            assert_eq!(article_calls(&llm, title, None), ledger_rows + usize::from(in_flight), "article {item}");
        }
    }
}

backend_tests! {
    async fn sigterm_hands_unfinished_runs_back_and_another_process_finishes_them(backend: Backend) {
        let db = TestDb::new(backend).await;
        let reports = seed(&db, 3).await;
        let llm = MockLlm::start(MockConfig { latency: Duration::from_millis(2000), workers: 2, ..MockConfig::default() }).await.unwrap();
        let env = llm_env(&llm, &[("CURIO__SERVER__SHUTDOWN_GRACE_SECS", "1"), ("CURIO__LLM__DEFAULT_MAX_CONCURRENT", "1")]);
        let mut first = start(&db.url, &env).await;
        let token = login(first.port, "admin@org.test").await;
        for r in &reports {
            summarize_async(first.port, &token, *r).await;
        }
        let waiting = Instant::now();
        while llm.count() < reports.len() {
            assert!(waiting.elapsed() < Duration::from_secs(10), "runs did not start");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        signal(&first.child, "-TERM");
        let status = exit_within(&mut first.child, Duration::from_secs(20), "did not exit").await;
        assert!(status.success(), "exit status {status:?}");
        let handed_back = runs(&db).await;
        for run in &handed_back {
            assert_eq!(run.status, entity::enums::RunStatus::Queued, "{run:#?}");
            assert_eq!(run.lease_owner, None, "no owner left behind");
            assert_eq!(run.articles_done, 1, "the call in flight at shutdown was kept: {run:#?}\n{}", std::fs::read_to_string(&first.log).unwrap_or_default());
        }
        let calls_before = llm.count();
        llm.set_latency(Duration::from_millis(20));
        let _second = start(&db.url, &env).await;
        wait_until_all_succeeded(&db, Duration::from_secs(30)).await;
        // Each run still needed 2 articles, 1 category and 1 executive summary.
        assert_eq!(llm.count() - calls_before, reports.len() * 4);
    }
}

backend_tests! {
    async fn two_processes_racing_a_ranking_with_if_match_give_one_success_and_one_412(backend: Backend) {
        let db = TestDb::new(backend).await;
        let report = seed(&db, 1).await[0];
        let (a, b) = (start(&db.url, &[]).await, start(&db.url, &[]).await);
        let token = login(a.port, "admin@org.test").await;
        let client = test_support::http_client::client();
        let current = client.get(format!("http://127.0.0.1:{}/api/v1/reports/{report}", a.port)).bearer_auth(&token).send().await.unwrap();
        let etag = current.headers()["etag"].to_str().unwrap().to_owned();
        let body: Value = current.json().await.unwrap();
        let ids: Vec<i64> = body["articles"].as_array().unwrap().iter().map(|a| a["id"].as_i64().unwrap()).collect();
        let reversed: Vec<i64> = ids.iter().rev().copied().collect();
        let rotated: Vec<i64> = ids[1..].iter().chain(&ids[..1]).copied().collect();
        let put = |port: u16, order: Vec<i64>| {
            let (client, token, etag) = (client.clone(), token.clone(), etag.clone());
            async move {
                client.put(format!("http://127.0.0.1:{port}/api/v1/reports/{report}/ranking")).bearer_auth(token).header("If-Match", etag).json(&json!({"article_ids": order})).send().await.unwrap().status().as_u16()
            }
        };
        let (first, second) = tokio::join!(put(a.port, reversed.clone()), put(b.port, rotated.clone()));
        let mut statuses = [first, second];
        statuses.sort();
        assert_eq!(statuses, [204, 412]);
        let now: Value = client.get(format!("http://127.0.0.1:{}/api/v1/reports/{report}", b.port)).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        let stored: Vec<i64> = now["articles"].as_array().unwrap().iter().map(|a| a["id"].as_i64().unwrap()).collect();
        assert!(stored == reversed || stored == rotated, "{stored:?}");
        assert_eq!(stored == reversed, first == 204, "the stored order is the winner's");
    }
}

backend_tests! {
    async fn curio_worker_runs_the_summaries_an_api_only_process_queues(backend: Backend) {
        let db = TestDb::new(backend).await;
        let reports = seed(&db, 2).await;
        let llm = MockLlm::start(MockConfig { latency: Duration::from_millis(50), workers: 2, ..MockConfig::default() }).await.unwrap();
        let env = llm_env(&llm, &[("CURIO__JOBS__WORKERS", "0")]);
        let api = start(&db.url, &env).await;
        let token = login(api.port, "admin@org.test").await;
        summarize_async(api.port, &token, reports[0]).await;
        tokio::time::sleep(Duration::from_millis(1000)).await;
        assert_eq!(runs(&db).await[0].status, entity::enums::RunStatus::Queued, "no process works on runs yet");
        assert_eq!(llm.count(), 0);

        let log = std::env::temp_dir().join(format!("curio-worker-{}-{}.log", std::process::id(), api.port));
        let file = std::fs::File::create(&log).unwrap();
        let worker_env = llm_env(&llm, &[]);
        // A worker signs no token: it starts without a signing secret.
        let mut worker = command(&db.url, free_port(), &worker_env)
            .env_remove("CURIO__AUTH__JWT_SECRET")
            .arg("worker")
            .stdout(Stdio::from(file.try_clone().unwrap()))
            .stderr(Stdio::from(file))
            .spawn()
            .unwrap();
        let synchronous = test_support::http_client::client()
            .post(format!("http://127.0.0.1:{}/api/v1/reports/{}/summarize", api.port, reports[1]))
            .bearer_auth(&token)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(synchronous.status(), 200, "{}", std::fs::read_to_string(&log).unwrap_or_default());
        wait_until_all_succeeded(&db, Duration::from_secs(30)).await;
        assert_eq!(llm.count(), 2 * 5);
        signal(&worker, "-TERM");
        let status = exit_within(&mut worker, Duration::from_secs(10), "the worker did not stop").await;
        assert!(status.success(), "{status:?}: {}", std::fs::read_to_string(&log).unwrap_or_default());
        let _ = std::fs::remove_file(&log);
    }
}

/// `create-admin` on a terminal: run under `script`, which gives it a
/// pseudo-terminal and copies everything the terminal shows to its output.
#[test]
fn create_admin_on_a_terminal_does_not_show_the_password() {
    use std::io::{Read, Write};
    let dir = temp_dir("tty");
    let url = format!("sqlite://{}/tty.db?mode=rwc", dir.display());
    let command = format!(
        "{} create-admin --email tty@example.org",
        env!("CARGO_BIN_EXE_curio")
    );
    let mut child = Command::new("script")
        .args(["-q", "-e", "-c", &command, "/dev/null"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", &url)
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("script (util-linux) runs");
    let mut stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
    std::thread::spawn(move || {
        let mut buf = [0u8; 1024];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut shown = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !String::from_utf8_lossy(&shown).contains("not shown") {
        assert!(
            Instant::now() < deadline,
            "no prompt: {}",
            String::from_utf8_lossy(&shown)
        );
        if let Ok(bytes) = rx.recv_timeout(Duration::from_millis(100)) {
            shown.extend(bytes);
        }
    }
    // The prompt is printed just before echo goes off.
    std::thread::sleep(Duration::from_millis(500));
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"typed on a terminal 42\n").unwrap();
    let status = child.wait().unwrap();
    drop(stdin);
    while let Ok(bytes) = rx.recv_timeout(Duration::from_millis(500)) {
        shown.extend(bytes);
    }
    let shown = String::from_utf8_lossy(&shown);
    assert!(status.success(), "{shown}");
    assert!(
        shown.contains("Created platform admin tty@example.org"),
        "{shown}"
    );
    assert!(
        !shown.contains("typed on a terminal"),
        "the terminal showed the password: {shown}"
    );
    std::fs::remove_dir_all(dir).ok();
}

/// The stream's retrieval run, as stored.
async fn retrieval_run(db: &TestDb, id: i32) -> entity::retrieval_run::Model {
    use sea_orm::EntityTrait;
    entity::retrieval_run::Entity::find_by_id(id)
        .one(&db.conn)
        .await
        .unwrap()
        .unwrap()
}

backend_tests! {
    async fn a_retrieval_killed_mid_run_resumes_elsewhere_and_stores_every_candidate_once(backend: Backend) {
        use test_support::eutils::{EUtils, sample_records};
        let db = TestDb::new(backend).await;
        seed(&db, 0).await;
        // 40 records of the fixture's made-up ones, five a page: eight
        // pages at NCBI's pace of 3 requests a second.
        let eutils = EUtils::start(sample_records(42)).await.unwrap();
        let env = [
            ("CURIO__JOBS__LEASE_SECS", "3".to_owned()),
            ("CURIO__SOURCES__ALLOW_PRIVATE", "true".to_owned()),
            ("CURIO__SOURCES__PUBMED__BASE_URL", eutils.base_url()),
            ("CURIO__SOURCES__PUBMED__PAGE_SIZE", "5".to_owned()),
            ("CURIO__SOURCES__PUBMED__BACKOFF_MS", "100".to_owned()),
        ];
        let mut doomed = start(&db.url, &env).await;
        let token = login(doomed.port, "admin@org.test").await;
        let client = test_support::http_client::client();
        let stream: Value = client
            .post(format!("http://127.0.0.1:{}/api/v1/streams", doomed.port))
            .bearer_auth(&token)
            .json(&json!({"stream_name": "PubMed", "purpose": "P", "scope": "organization",
                "retrieval_config": {"sources": [{"kind": "pubmed", "query": "fixture"}]}}))
            .send().await.unwrap().json().await.unwrap();
        let run: Value = client
            .post(format!("http://127.0.0.1:{}/api/v1/streams/{}/retrievals", doomed.port, stream["id"]))
            .bearer_auth(&token)
            .send().await.unwrap().json().await.unwrap();
        let id = run["id"].as_i64().unwrap() as i32;
        // Two pages stored, then the plug is pulled.
        let waiting = Instant::now();
        while retrieval_run(&db, id).await.new_candidates < 10 {
            assert!(waiting.elapsed() < Duration::from_secs(30), "the run did not start");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        signal(&doomed.child, "-KILL");
        doomed.child.wait().unwrap();
        let at_kill = retrieval_run(&db, id).await;
        assert_eq!(at_kill.status, entity::enums::RunStatus::Running, "killed mid-run");
        assert!(at_kill.new_candidates < 40, "{at_kill:?}");
        let fetched_before = eutils.requests().len();

        let _survivor = start(&db.url, &env).await;
        let waiting = Instant::now();
        let run = loop {
            let run = retrieval_run(&db, id).await;
            if run.status.is_finished() {
                break run;
            }
            assert!(waiting.elapsed() < Duration::from_secs(60), "not resumed: {run:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(run.status, entity::enums::RunStatus::Succeeded, "{run:?}");
        assert_eq!(run.attempt, 2, "resumed once");
        assert_eq!((run.retrieved, run.duplicates, run.new_candidates), (40, 0, 40), "{run:?}");
        use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
        let stored = entity::candidate::Entity::find()
            .filter(entity::candidate::Column::RunId.eq(id))
            .count(&db.conn)
            .await
            .unwrap();
        assert_eq!(stored, 40);
        // The survivor went on from the stored place: it fetched the pages
        // after it, and at most the one in flight at the kill again.
        let resumed: Vec<String> = eutils.requests()[fetched_before..]
            .iter()
            .filter(|r| r.tool == "efetch.fcgi" && r.status == 200)
            .map(|r| r.params["retstart"].clone())
            .collect();
        let first = at_kill.next_start;
        let expected: Vec<String> = (first..40).step_by(5).map(|s| s.to_string()).collect();
        assert_eq!(resumed, expected, "from {first} on");
        eutils.stop().await;
    }
}

/// The Message-ID of a raw message, without its angle brackets.
fn message_id(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    text.lines()
        .find_map(|l| l.strip_prefix("Message-ID: "))
        .map(|v| {
            v.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_owned()
        })
        .unwrap_or_default()
}

backend_tests! {
    async fn kill_9_during_a_send_batch_leaves_every_reader_one_message_with_its_deliverys_id(backend: Backend) {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        use test_support::smtp::SmtpPeer;
        let db = TestDb::new(backend).await;
        let report = seed(&db, 1).await[0];
        // Sixty readers besides the admin, in the admin's organization.
        let org = repository::organizations::list(&db.conn, None, repository::Page::first()).await.unwrap().items[0].id;
        let hash = service::passwords::hash(PASSWORD.into()).await.unwrap();
        for n in 0..60 {
            repository::users::create(&db.conn, repository::users::NewUser {
                email: format!("reader{n:02}@org.test"),
                password_hash: hash.clone(),
                full_name: None,
                role: UserRole::Member,
                org_id: Some(org),
            })
            .await
            .unwrap();
        }
        // A relay taking 50 ms a message: four workers need ~0.8 s for all,
        // so the kill lands mid-batch.
        let smtp = SmtpPeer::start_slow(Duration::from_millis(50)).await;
        let env = [
            ("CURIO__DELIVERY__WORKERS", "4".to_owned()),
            ("CURIO__DELIVERY__SMTP_URL", smtp.url()),
            ("CURIO__DELIVERY__LEASE_SECS", "2".to_owned()),
            ("CURIO__DELIVERY__OUTBOX_DIR", db.files_dir().join("outbox").display().to_string()),
        ];
        let mut doomed = start(&db.url, &env).await;
        let token = login(doomed.port, "admin@org.test").await;
        let client = test_support::http_client::client();
        for step in ["submit", "approve"] {
            let r = client
                .post(format!("http://127.0.0.1:{}/api/v1/reports/{report}/{step}", doomed.port))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{step}");
        }
        let waiting = Instant::now();
        while smtp.received().await.len() < 10 {
            assert!(waiting.elapsed() < Duration::from_secs(30), "no mail went out");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        signal(&doomed.child, "-KILL");
        doomed.child.wait().unwrap();
        let at_kill = smtp.received().await.len();
        assert!(at_kill < 61, "killed mid-batch ({at_kill} of 61 sent)");

        let _survivor = start(&db.url, &env).await;
        let deliveries = || entity::delivery::Entity::find().filter(entity::delivery::Column::ReportId.eq(report)).all(&db.conn);
        let waiting = Instant::now();
        let all = loop {
            let all = deliveries().await.unwrap();
            if all.iter().all(|d| d.status.is_finished()) {
                break all;
            }
            assert!(waiting.elapsed() < Duration::from_secs(60), "not all sent after the kill");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(all.len(), 61);
        assert!(all.iter().all(|d| d.status == entity::enums::RunStatus::Succeeded), "{all:?}");
        let received = smtp.received().await;
        let mut repeated = 0;
        for d in &all {
            let to_them: Vec<_> = received.iter().filter(|m| m.to == d.recipient).collect();
            let ids: std::collections::BTreeSet<String> = to_them.iter().map(|m| message_id(&m.raw)).collect();
            assert_eq!(ids.into_iter().collect::<Vec<_>>(), [format!("delivery-{}@127.0.0.1", d.id)], "{}", d.recipient);
            assert!(to_them.len() <= 2, "{}: {} copies", d.recipient, to_them.len());
            if to_them.len() == 2 {
                repeated += 1;
                assert_eq!(d.attempt, 2, "a repeat is a second attempt: {d:?}");
            }
        }
        // At most the messages in flight at the kill went twice: one per worker.
        assert!(repeated <= 4, "{repeated} repeated");
        eprintln!("{at_kill} sent before the kill, {repeated} sent again after it");
    }
}
