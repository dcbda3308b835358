//! Fixtures shared by the repository tests.
#![allow(dead_code)]

use chrono::NaiveDate;
use entity::enums::{StreamScope, UserRole};
use repository::sea_orm::DatabaseConnection;
use repository::{articles, associations, organizations, reports, streams, users};

pub async fn org(db: &DatabaseConnection, name: &str) -> i32 {
    organizations::create(db, name)
        .await
        .expect("create org")
        .id
}

pub async fn user(
    db: &DatabaseConnection,
    email: &str,
    role: UserRole,
    org_id: Option<i32>,
) -> users::User {
    users::create(
        db,
        users::NewUser {
            email: email.into(),
            password_hash: "x".into(),
            full_name: None,
            role,
            org_id,
        },
    )
    .await
    .expect("create user")
}

pub async fn stream(
    db: &DatabaseConnection,
    scope: StreamScope,
    org_id: Option<i32>,
    owner: Option<i32>,
) -> streams::Stream {
    streams::create(
        db,
        streams::NewStream {
            stream_name: format!("{scope:?} stream"),
            purpose: "Track things".into(),
            scope,
            org_id,
            owner_user_id: owner,
            presentation_config: Default::default(),
            enrichment_config: Default::default(),
            llm_config: Default::default(),
            retrieval_config: Default::default(),
        },
    )
    .await
    .expect("create stream")
}

/// A report of `n` articles ranked 1..=n.
pub async fn report_with_articles(
    db: &DatabaseConnection,
    stream_id: i32,
    n: usize,
    tag: &str,
) -> i32 {
    let report = reports::create(
        db,
        reports::NewReport {
            stream_id,
            report_name: format!("report {tag}"),
            report_date: NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(),
            created_by: None,
        },
    )
    .await
    .expect("create report");
    let ids = articles::upsert_many(
        db,
        (0..n)
            .map(|i| articles::NewArticle {
                title: format!("Article {tag}-{i}"),
                doi: Some(format!("10.1000/{tag}.{i}")),
                ..Default::default()
            })
            .collect(),
    )
    .await
    .expect("insert articles");
    associations::create_many(
        db,
        report.id,
        ids.iter()
            .enumerate()
            .map(|(i, &article_id)| associations::NewAssociation {
                article_id,
                ranking: i as i32 + 1,
                relevance_score: Some(0.5),
                presentation_categories: vec![],
                curator_added: false,
            })
            .collect(),
    )
    .await
    .expect("create associations");
    report.id
}
