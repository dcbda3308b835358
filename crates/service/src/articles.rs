//! The shared bibliography: bulk import and update.

use repository::articles::{self, Article, ArticleChanges, NewArticle};
use sea_orm::DatabaseConnection;

use crate::access::{self, Actor};
use crate::{FieldError, ServiceError};

/// Most articles one bulk call accepts.
pub const MAX_BULK: usize = 10_000;

fn require_writer(actor: &Actor) -> Result<(), ServiceError> {
    if access::can_write_articles(actor) {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(
            "only administrators write articles".into(),
        ))
    }
}

fn check_title(field: String, title: &str, errors: &mut Vec<FieldError>) {
    if title.trim().is_empty() || title.chars().count() > 2_000 {
        errors.push(FieldError::new(field, "must be 1 to 2000 characters"));
    }
}

fn check_year(field: String, year: Option<i32>, errors: &mut Vec<FieldError>) {
    if year.is_some_and(|y| !(1500..=2200).contains(&y)) {
        errors.push(FieldError::new(field, "must be between 1500 and 2200"));
    }
}

fn check_len(field: String, value: Option<&str>, max: usize, errors: &mut Vec<FieldError>) {
    if value.is_some_and(|v| v.chars().count() > max) {
        errors.push(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
}

/// Imports articles in one transaction, upserting on DOI or PMID; returns
/// their ids in input order.
pub async fn bulk_import(
    db: &DatabaseConnection,
    actor: &Actor,
    input: Vec<NewArticle>,
) -> Result<Vec<i32>, ServiceError> {
    require_writer(actor)?;
    if input.is_empty() || input.len() > MAX_BULK {
        return Err(ServiceError::invalid(
            "articles",
            format!("must hold 1 to {MAX_BULK} articles"),
        ));
    }
    let mut errors = Vec::new();
    for (i, a) in input.iter().enumerate() {
        check_title(format!("articles[{i}].title"), &a.title, &mut errors);
        check_year(format!("articles[{i}].pub_year"), a.pub_year, &mut errors);
        check_len(
            format!("articles[{i}].doi"),
            a.doi.as_deref(),
            255,
            &mut errors,
        );
        check_len(
            format!("articles[{i}].pmid"),
            a.pmid.as_deref(),
            32,
            &mut errors,
        );
        check_len(
            format!("articles[{i}].journal"),
            a.journal.as_deref(),
            500,
            &mut errors,
        );
        check_len(
            format!("articles[{i}].url"),
            a.url.as_deref(),
            2048,
            &mut errors,
        );
        check_len(
            format!("articles[{i}].abstract"),
            a.r#abstract.as_deref(),
            100_000,
            &mut errors,
        );
        if errors.len() > 50 {
            break;
        }
    }
    if !errors.is_empty() {
        return Err(ServiceError::Validation(errors));
    }
    let txn = repository::database::begin_write(db).await?;
    let ids = articles::upsert_many(&txn, input).await?;
    txn.commit().await?;
    Ok(ids)
}

/// Updates many articles by id in one transaction; unknown ids are a
/// validation error naming them.
pub async fn bulk_update(
    db: &DatabaseConnection,
    actor: &Actor,
    updates: Vec<(i32, ArticleChanges)>,
) -> Result<u64, ServiceError> {
    require_writer(actor)?;
    if updates.is_empty() || updates.len() > MAX_BULK {
        return Err(ServiceError::invalid(
            "updates",
            format!("must hold 1 to {MAX_BULK} updates"),
        ));
    }
    let mut errors = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, (id, c)) in updates.iter().enumerate() {
        if !seen.insert(*id) {
            errors.push(FieldError::new(
                format!("updates[{i}].article_id"),
                "appears twice",
            ));
        }
        if let Some(t) = &c.title {
            check_title(format!("updates[{i}].title"), t, &mut errors);
        }
        if let Some(y) = c.pub_year {
            check_year(format!("updates[{i}].pub_year"), y, &mut errors);
        }
        if let Some(d) = &c.doi {
            check_len(format!("updates[{i}].doi"), d.as_deref(), 255, &mut errors);
        }
        if let Some(p) = &c.pmid {
            check_len(format!("updates[{i}].pmid"), p.as_deref(), 32, &mut errors);
        }
    }
    let ids: Vec<i32> = updates.iter().map(|(id, _)| *id).collect();
    check_exist(db, "updates", &ids, &mut errors).await?;
    if !errors.is_empty() {
        return Err(ServiceError::Validation(errors));
    }
    let txn = repository::database::begin_write(db).await?;
    let n = articles::update_many(&txn, updates).await?;
    txn.commit().await?;
    Ok(n)
}

/// Adds a `{list}[i].article_id: no such article` error for each id of
/// `ids` that names no article (one query per chunk of ids).
pub async fn check_exist(
    db: &DatabaseConnection,
    list: &str,
    ids: &[i32],
    errors: &mut Vec<FieldError>,
) -> Result<(), ServiceError> {
    let existing: std::collections::HashSet<i32> =
        articles::existing_ids(db, ids).await?.into_iter().collect();
    for (i, id) in ids.iter().enumerate() {
        if !existing.contains(id) {
            errors.push(FieldError::new(
                format!("{list}[{i}].article_id"),
                "no such article",
            ));
        }
    }
    Ok(())
}

/// One article (any signed-in user).
pub async fn get(db: &DatabaseConnection, id: i32) -> Result<Article, ServiceError> {
    articles::find(db, id)
        .await?
        .ok_or(ServiceError::NotFound("article"))
}
