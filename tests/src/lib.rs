//! `spawn_app`: curio on a port of its own, over a database of its own, with
//! an HTTP client and helpers to sign in.

use std::net::TcpListener;

use api::config::Settings;
use api::startup::Application;
use entity::enums::UserRole;
use reqwest::{Client, Method, Response};
use serde_json::{Value, json};
use service::settings::ProviderKind;
use test_support::{Backend, TestDb};

pub const PASSWORD: &str = "correct horse battery";
pub const SECRET: &str = "integration-test-secret-0123456789abcdef";

/// A running application and what the test needs to talk to it.
pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub db: TestDb,
    pub client: Client,
    pub handle: actix_web::dev::ServerHandle,
}

/// Settings for a test app on `db`: port 0, no demo data, offline LLM.
pub fn settings_for(db: &TestDb) -> Settings {
    let mut settings = Settings::load_from(&[]).expect("default settings");
    settings.database = TestDb::settings_for(&db.url);
    settings.server.port = 0;
    settings.server.shutdown_grace_secs = 5;
    settings.auth.jwt_secret = Some(SECRET.to_owned().into());
    settings.app.demo = false;
    settings.llm.provider = ProviderKind::Offline;
    // No test reaches NCBI: a loopback address the outbound client refuses
    // unless a test allows private targets (for its fixture).
    settings.sources.pubmed.base_url = "http://127.0.0.1:9/entrez/eutils/".into();
    // Mail stays in the test's own folder unless a test names a relay.
    settings.delivery.outbox_dir = db.files_dir().join("outbox").display().to_string();
    settings
}

/// Points the app's summaries at an OpenAI-compatible server (the mock).
pub fn use_llm_at(settings: &mut Settings, base_url: String) {
    settings.llm.provider = ProviderKind::Openai;
    settings.llm.base_url = base_url;
    settings.llm.api_key = Some("k".to_owned().into());
}

/// Starts curio on a fresh database of `backend`.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// Starts curio with adjusted settings.
pub async fn spawn_app_with(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_on(TestDb::new(backend).await, adjust).await
}

/// Starts curio over an existing test database.
pub async fn spawn_app_on(db: TestDb, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let mut settings = settings_for(&db);
    adjust(&mut settings);
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let app = Application::build_with_listener(settings, listener)
        .await
        .expect("build app");
    let port = app.port();
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        db,
        client: test_support::http_client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        handle,
    }
}

impl TestApp {
    /// Sends a request with an optional bearer token and JSON body.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        let mut req = self
            .client
            .request(method, format!("{}{}", self.address, path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.expect("request sent")
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.request(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Response {
        self.request(Method::POST, path, Some(token), Some(body))
            .await
    }

    /// `POST /streams/{stream}/imports?format=…` with the file as the raw
    /// body, as a curator's client sends it.
    pub async fn import(&self, token: &str, stream: i32, format: &str, file: &str) -> Response {
        self.client
            .post(format!(
                "{}/api/v1/streams/{stream}/imports?format={format}",
                self.address
            ))
            .bearer_auth(token)
            .body(file.to_owned())
            .send()
            .await
            .unwrap()
    }

    /// Creates a user directly in the database and signs in.
    pub async fn user(&self, email: &str, role: UserRole, org: Option<i32>) -> (i32, String) {
        let hash = service::passwords::hash(PASSWORD.into()).await.unwrap();
        let user = repository::users::create(
            &self.db.conn,
            repository::users::NewUser {
                email: email.into(),
                password_hash: hash,
                full_name: None,
                role,
                org_id: org,
            },
        )
        .await
        .unwrap();
        (user.id, self.login(email).await)
    }

    /// Signs in and returns the access token.
    pub async fn login(&self, email: &str) -> String {
        let response = self
            .request(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"email": email, "password": PASSWORD})),
            )
            .await;
        assert_eq!(response.status(), 200, "login of {email}");
        response.json::<Value>().await.unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// An organization stream of the caller's organization with the
    /// world's one category (`immuno`); its id.
    pub async fn org_stream(&self, token: &str, purpose: &str) -> i32 {
        let body = json!({"stream_name": "Stream", "purpose": purpose, "scope": "organization", "presentation_config": {"categories": [{"id": "immuno", "name": "Immunology", "topics": ["T cells"]}]}});
        let r = self.post("/api/v1/streams", token, body).await;
        assert_eq!(r.status(), 201, "stream of {purpose}");
        r.json::<Value>().await.unwrap()["id"].as_i64().unwrap() as i32
    }

    /// A draft report of `articles` (all in `immuno`) in `stream`; its id.
    pub async fn report_of(&self, stream: i32, token: &str, articles: &[i32]) -> i64 {
        let body = json!({"report_name": "Week", "report_date": "2026-03-02", "articles": articles.iter().map(|a| json!({"article_id": a, "presentation_categories": ["immuno"]})).collect::<Vec<_>>()});
        let r = self
            .post(&format!("/api/v1/streams/{stream}/reports"), token, body)
            .await;
        assert_eq!(r.status(), 201, "report in stream {stream}");
        r.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
    }

    /// `POST /reports/{report}/summarize` with `Prefer: respond-async`.
    pub async fn summarize_async(&self, report: i64, token: &str, body: Value) -> Response {
        self.client
            .post(format!(
                "{}/api/v1/reports/{report}/summarize",
                self.address
            ))
            .bearer_auth(token)
            .header("Prefer", "respond-async")
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    pub async fn org(&self, name: &str) -> i32 {
        repository::organizations::create(&self.db.conn, name)
            .await
            .unwrap()
            .id
    }

    /// Stops the server gracefully.
    pub async fn stop(&self) {
        self.handle.stop(true).await;
    }
}

/// A world over HTTP: two organizations, users of every role, streams of
/// every scope, articles and a report.
pub struct World {
    pub org_a: i32,
    pub org_b: i32,
    pub platform: (i32, String),
    pub admin_a: (i32, String),
    pub member_a: (i32, String),
    pub admin_b: (i32, String),
    pub member_b: (i32, String),
    pub personal: i32,
    pub org_stream: i32,
    pub global: i32,
    pub articles: Vec<i32>,
    pub report: i32,
}

pub async fn world(app: &TestApp) -> World {
    let org_a = app.org("Org A").await;
    let org_b = app.org("Org B").await;
    let platform = app
        .user("root@curio.test", UserRole::PlatformAdmin, None)
        .await;
    let admin_a = app
        .user("admin@a.test", UserRole::OrgAdmin, Some(org_a))
        .await;
    let member_a = app
        .user("member@a.test", UserRole::Member, Some(org_a))
        .await;
    let admin_b = app
        .user("admin@b.test", UserRole::OrgAdmin, Some(org_b))
        .await;
    let member_b = app
        .user("member@b.test", UserRole::Member, Some(org_b))
        .await;
    let config =
        json!({"categories": [{"id": "immuno", "name": "Immunology", "topics": ["T cells"]}]});
    let stream = |token: &str, scope: &str| {
        let body = json!({"stream_name": format!("{scope} stream"), "purpose": "Track T cell therapy.", "scope": scope, "presentation_config": config});
        let token = token.to_owned();
        async move {
            let r = app.post("/api/v1/streams", &token, body).await;
            assert_eq!(r.status(), 201);
            r.json::<Value>().await.unwrap()["id"].as_i64().unwrap() as i32
        }
    };
    let personal = stream(&member_a.1, "personal").await;
    let org_stream = stream(&admin_a.1, "organization").await;
    let global = stream(&platform.1, "global").await;
    let r = app
        .request(
            Method::PUT,
            &format!("/api/v1/organizations/{org_b}/subscriptions/{global}"),
            Some(&admin_b.1),
            None,
        )
        .await;
    assert_eq!(r.status(), 204);
    let r = app
        .post(
            "/api/v1/articles/bulk",
            &platform.1,
            json!({"articles": [
                {"title": "Exhausted T cells in tumours", "abstract": "T cells become exhausted. Blockade restores them. The effect is dose dependent.", "doi": "10.1/a", "journal": "J Imm", "pub_year": 2026},
                {"title": "CAR T persistence", "abstract": "CAR T cells persisted longer. Knockout of RASA2 helped. Mice lived longer.", "pmid": "123"},
                {"title": "Organoid co-culture", "abstract": "Organoids predicted response. Accuracy was high.", "doi": "10.1/c"}
            ]}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let articles: Vec<i32> = r.json::<Value>().await.unwrap()["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap() as i32)
        .collect();
    let r = app
        .post(
            &format!("/api/v1/streams/{org_stream}/reports"),
            &admin_a.1,
            json!({"report_name": "Week 1", "report_date": "2026-01-05", "articles": articles.iter().map(|a| json!({"article_id": a, "presentation_categories": ["immuno"]})).collect::<Vec<_>>()}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let report = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap() as i32;
    World {
        org_a,
        org_b,
        platform,
        admin_a,
        member_a,
        admin_b,
        member_b,
        personal,
        org_stream,
        global,
        articles,
        report,
    }
}

/// A fingerprint of the database's state: row counts and latest change per
/// table. Equal before and after a rejected request means nothing changed.
pub async fn fingerprint(db: &sea_orm::DatabaseConnection) -> Vec<String> {
    use sea_orm::{ConnectionTrait, Statement};
    let mut out = Vec::new();
    for (table, changed) in [
        ("organizations", "updated_at"),
        ("users", "updated_at"),
        ("research_streams", "updated_at"),
        ("org_stream_subscriptions", "created_at"),
        ("articles", "updated_at"),
        ("reports", "updated_at"),
        ("report_article_associations", "curated_at"),
        ("curation_events", "created_at"),
        ("llm_usage", "created_at"),
        ("candidates", "decided_at"),
        ("retrieval_runs", "updated_at"),
    ] {
        let sql = format!(
            "SELECT CAST(COUNT(*) AS CHAR(20)) AS n, CAST(MAX({changed}) AS CHAR(40)) AS m FROM {table}"
        );
        let sql = if db.get_database_backend() == sea_orm::DbBackend::MySql {
            sql
        } else {
            sql.replace("CHAR(20)", "TEXT").replace("CHAR(40)", "TEXT")
        };
        let row = db
            .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
            .await
            .unwrap()
            .unwrap();
        let n: String = row.try_get("", "n").unwrap_or_default();
        let m: Option<String> = row.try_get("", "m").unwrap_or_default();
        out.push(format!("{table}:{n}:{}", m.unwrap_or_default()));
    }
    out
}
