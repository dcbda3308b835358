//! A small world for service tests: two organizations, users of every
//! role, streams of every scope, and a report with articles.
#![allow(dead_code)]

use chrono::NaiveDate;
use entity::enums::{StreamScope, UserRole};
use repository::articles::NewArticle;
use sea_orm::DatabaseConnection;

use service::reports::{CreateReport, ReportArticleInput};
use service::settings::ProviderKind;
use service::streams::CreateStream;
use service::{Actor, AuthSettings, LlmSettings, ServiceError, Services};

pub const PASSWORD: &str = "correct horse battery";

pub struct World {
    pub services: Services,
    pub platform: Actor,
    pub admin_a: Actor,
    pub member_a: Actor,
    pub admin_b: Actor,
    pub member_b: Actor,
    pub org_a: i32,
    pub org_b: i32,
    pub personal: i32,
    pub org_stream: i32,
    pub global: i32,
    pub report: i32,
    pub article_ids: Vec<i32>,
}

pub fn offline() -> LlmSettings {
    LlmSettings {
        provider: ProviderKind::Offline,
        ..LlmSettings::default()
    }
}

/// LLM settings pointing at a mock server, with fast retries.
pub fn mock_llm(base_url: &str) -> LlmSettings {
    LlmSettings {
        provider: ProviderKind::Openai,
        base_url: base_url.to_owned(),
        api_key: Some("test-key".to_owned().into()),
        model: "mock-model".into(),
        request_timeout_secs: 5.0,
        connect_timeout_secs: 1.0,
        max_attempts: 2,
        retry_base_ms: 10,
        retry_max_ms: 50,
        ..LlmSettings::default()
    }
}

pub async fn user(db: &DatabaseConnection, email: &str, role: UserRole, org: Option<i32>) -> Actor {
    let hash = service::passwords::hash(PASSWORD.into()).await.unwrap();
    let u = repository::users::create(
        db,
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
    Actor::from(&u)
}

/// The JWT secret of the service tests.
pub const SECRET: &str = "service-test-secret-0123456789abcdef";

/// Default auth settings with the tests' secret.
/// A client address for sign-in attempts.
pub fn at(ip: &str) -> service::login_throttle::ClientAddress {
    service::login_throttle::ClientAddress(Some(ip.parse().unwrap()))
}

pub fn auth_settings() -> AuthSettings {
    AuthSettings {
        jwt_secret: Some(SECRET.to_owned().into()),
        ..AuthSettings::default()
    }
}

pub async fn world(db: &DatabaseConnection, llm: LlmSettings, articles: usize) -> World {
    let services = Services::new(db.clone(), auth_settings(), llm).unwrap();
    let org_a = repository::organizations::create(db, "Org A")
        .await
        .unwrap()
        .id;
    let org_b = repository::organizations::create(db, "Org B")
        .await
        .unwrap()
        .id;
    let platform = user(db, "root@curio.test", UserRole::PlatformAdmin, None).await;
    let admin_a = user(db, "admin@a.test", UserRole::OrgAdmin, Some(org_a)).await;
    let member_a = user(db, "member@a.test", UserRole::Member, Some(org_a)).await;
    let admin_b = user(db, "admin@b.test", UserRole::OrgAdmin, Some(org_b)).await;
    let member_b = user(db, "member@b.test", UserRole::Member, Some(org_b)).await;
    let categories: service::streams::PresentationConfig =
        serde_json::from_value(serde_json::json!({"categories": [
            {"id": "immuno", "name": "Immunology", "topics": ["T cells"]},
            {"id": "genomics", "name": "Genomics", "topics": ["CRISPR"]}
        ]}))
        .unwrap();
    let stream = |scope, name: &str| CreateStream {
        stream_name: name.into(),
        purpose: "Follow translational oncology.".into(),
        scope,
        org_id: None,
        presentation_config: Some(categories.clone()),
        enrichment_config: None,
        llm_config: None,
        retrieval_config: None,
    };
    let personal = services
        .streams
        .create(&member_a, stream(StreamScope::Personal, "Mine"))
        .await
        .unwrap()
        .id;
    let org_stream = services
        .streams
        .create(&admin_a, stream(StreamScope::Organization, "Org A stream"))
        .await
        .unwrap()
        .id;
    let global = services
        .streams
        .create(&platform, stream(StreamScope::Global, "Global"))
        .await
        .unwrap()
        .id;
    services
        .organizations
        .set_subscription(&admin_b, org_b, global, true)
        .await
        .unwrap();
    let article_ids = import(&services, &platform, articles, "w").await;
    let report = services
        .reports
        .create(&admin_a, org_stream, report_input(&article_ids))
        .await
        .unwrap()
        .id;
    World {
        services,
        platform,
        admin_a,
        member_a,
        admin_b,
        member_b,
        org_a,
        org_b,
        personal,
        org_stream,
        global,
        report,
        article_ids,
    }
}

pub async fn import(services: &Services, actor: &Actor, n: usize, tag: &str) -> Vec<i32> {
    services.articles.bulk_import(actor,
        (0..n)
            .map(|i| NewArticle {
                title: format!("Article {tag}{i} on T cell exhaustion"),
                r#abstract: Some(format!("Abstract {tag}{i}. Exhausted T cells were profiled in tumours. Blockade restored their function in mice. The effect depended on dose.")),
                journal: Some("Journal of Tests".into()),
                pub_year: Some(2026),
                doi: Some(format!("10.5555/{tag}.{i}")),
                ..Default::default()
            })
            .collect(),
    )
    .await
    .unwrap()
    .ids
}

pub fn report_input(article_ids: &[i32]) -> CreateReport {
    CreateReport {
        report_name: "Week 1".into(),
        report_date: NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(),
        articles: article_ids
            .iter()
            .enumerate()
            .map(|(i, &article_id)| ReportArticleInput {
                article_id,
                ranking: None,
                relevance_score: Some(0.9),
                presentation_categories: Some(vec![
                    if i % 2 == 0 { "immuno" } else { "genomics" }.into(),
                ]),
            })
            .collect(),
        from_candidates: None,
    }
}

/// What an action returned, reduced to the status class the API maps it to.
pub fn outcome<T>(r: Result<T, ServiceError>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(ServiceError::NotFound(_)) => "404",
        Err(ServiceError::Forbidden(_)) => "403",
        Err(ServiceError::Conflict { .. }) => "409",
        Err(ServiceError::Validation(_)) => "422",
        Err(e) => panic!("unexpected {e:?}"),
    }
}
