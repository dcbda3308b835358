//! The shared bibliography: bulk import and update.

use entity::enums::CurationEventType;
use repository::articles::{self, Rewrites};
pub use repository::articles::{Article, ArticleChanges, ArticleQuery, NewArticle, Upserted};
use repository::curation_events::{self, NewEvent};
pub use repository::search::SearchTerms;
use repository::{associations, reports};
use sea_orm::{ConnectionTrait, DatabaseConnection};

use crate::access::{self, Actor};
use crate::{FieldError, ServiceError};

/// Most articles one bulk call accepts.
pub const MAX_BULK: usize = crate::limits::ARTICLES_PER_REQUEST;

fn require_writer(actor: &Actor) -> Result<(), ServiceError> {
    if access::can_write_articles(actor) {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(
            "only administrators write articles".into(),
        ))
    }
}

/// The fields of an article as one writer submits them; `None` is "not
/// given" (an update leaves it as it is).
struct Fields<'a> {
    title: Option<&'a str>,
    r#abstract: Option<&'a str>,
    authors: Option<&'a [String]>,
    journal: Option<&'a str>,
    pub_year: Option<i32>,
    doi: Option<&'a str>,
    pmid: Option<&'a str>,
    url: Option<&'a str>,
}

/// The one validation of article fields, shared by import and update, with
/// the bounds of the columns they are stored in.
fn check_fields(prefix: &str, f: Fields<'_>, errors: &mut Vec<FieldError>) {
    use crate::limits::{self, check};
    let field = |name: &str| format!("{prefix}.{name}");
    let refusals = [
        ("title", f.title.and_then(limits::ArticleTitle::refusal)),
        (
            "abstract",
            f.r#abstract.and_then(limits::ArticleAbstract::refusal),
        ),
        ("journal", f.journal.and_then(limits::Journal::refusal)),
        ("pub_year", f.pub_year.and_then(limits::PubYear::refusal)),
        ("doi", f.doi.and_then(limits::Doi::refusal)),
        ("pmid", f.pmid.and_then(limits::Pmid::refusal)),
        ("url", f.url.and_then(limits::ArticleUrl::refusal)),
        (
            "authors",
            f.authors.and_then(|a| limits::Authors::refusal(a.len())),
        ),
    ];
    for (name, refusal) in refusals {
        errors.extend(check(field(name), refusal));
    }
    for (i, author) in f.authors.unwrap_or_default().iter().enumerate() {
        errors.extend(check(
            field(&format!("authors[{i}]")),
            limits::AuthorName::refusal(author),
        ));
    }
}

/// The errors of a new article's fields, each named `{prefix}.{field}`.
pub(crate) fn new_article_errors(prefix: &str, a: &NewArticle) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let fields = Fields {
        title: Some(&a.title),
        r#abstract: a.r#abstract.as_deref(),
        authors: Some(&a.authors),
        journal: a.journal.as_deref(),
        pub_year: a.pub_year,
        doi: a.doi.as_deref(),
        pmid: a.pmid.as_deref(),
        url: a.url.as_deref(),
    };
    check_fields(prefix, fields, &mut errors);
    errors
}

/// The words of a search query `q` (see [`SearchTerms`]): a 422 on `q` when
/// it is longer than [`crate::limits::QUERY_CHARS`] or holds no word that
/// every engine indexes.
pub fn search_terms(q: &str) -> Result<SearchTerms, ServiceError> {
    if let Some(why) = crate::limits::SearchQuery::refusal(q) {
        return Err(ServiceError::invalid("q", why));
    }
    SearchTerms::parse(q).ok_or_else(|| {
        ServiceError::invalid(
            "q",
            "holds no word to search for: words of 3 or more letters or digits, other than stop words such as `the`",
        )
    })
}

/// The shared article catalogue: bulk import, bulk update and reads.
#[derive(Clone)]
pub struct ArticleService {
    db: DatabaseConnection,
}

impl ArticleService {
    /// Over a pool (cheap to clone).
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// Imports articles in one transaction, upserting on DOI or PMID; returns
    /// their ids in input order. An article that a report of another
    /// organization holds is rewritten only by a platform admin: for anyone
    /// else the stored article is kept, and the row is listed in `kept`.
    /// Every report that holds an article the import changed moves to its
    /// next version, with an `update_article` event.
    pub async fn bulk_import(
        &self,
        actor: &Actor,
        input: Vec<NewArticle>,
    ) -> Result<Upserted, ServiceError> {
        let db = &self.db;
        require_writer(actor)?;
        if input.is_empty() || input.len() > MAX_BULK {
            return Err(ServiceError::invalid(
                "articles",
                format!("must hold 1 to {MAX_BULK} articles"),
            ));
        }
        let (input, errors) = off_the_runtime(input, |input| {
            let mut errors = Vec::new();
            for (i, a) in input.iter().enumerate() {
                errors.extend(new_article_errors(&format!("articles[{i}]"), a));
                if errors.len() > 50 {
                    break;
                }
            }
            errors
        })
        .await?;
        if !errors.is_empty() {
            return Err(ServiceError::Validation(errors));
        }
        let txn = repository::database::begin_write(db).await?;
        let done = articles::import(&txn, input, rewrites(actor)).await?;
        mark_holders(&txn, actor, &done.changed).await?;
        txn.commit().await?;
        Ok(done)
    }

    /// Updates many articles by id in one transaction; unknown ids are a
    /// validation error naming them. Articles are shared: one that a report
    /// of another organization holds (or a report of a global stream)
    /// changes only by a platform admin's hand (403 otherwise, naming the
    /// articles). Every report that holds a changed article moves to its
    /// next version, with an `update_article` event. Returns how many
    /// articles changed (an update to the values they have is none).
    pub async fn bulk_update(
        &self,
        actor: &Actor,
        updates: Vec<(i32, ArticleChanges)>,
    ) -> Result<u64, ServiceError> {
        let db = &self.db;
        require_writer(actor)?;
        if updates.is_empty() || updates.len() > MAX_BULK {
            return Err(ServiceError::invalid(
                "updates",
                format!("must hold 1 to {MAX_BULK} updates"),
            ));
        }
        let (updates, mut errors) = off_the_runtime(updates, |updates| {
            let mut errors = Vec::new();
            let mut seen = std::collections::HashSet::new();
            for (i, (id, c)) in updates.iter().enumerate() {
                if !seen.insert(*id) {
                    errors.push(FieldError::new(
                        format!("updates[{i}].article_id"),
                        "appears twice",
                    ));
                }
                let fields = Fields {
                    title: c.title.as_deref(),
                    r#abstract: c.r#abstract.as_ref().and_then(Option::as_deref),
                    authors: c.authors.as_deref(),
                    journal: c.journal.as_ref().and_then(Option::as_deref),
                    pub_year: c.pub_year.flatten(),
                    doi: c.doi.as_ref().and_then(Option::as_deref),
                    pmid: c.pmid.as_ref().and_then(Option::as_deref),
                    url: c.url.as_ref().and_then(Option::as_deref),
                };
                check_fields(&format!("updates[{i}]"), fields, &mut errors);
                if errors.len() > 50 {
                    break;
                }
            }
            errors
        })
        .await?;
        let ids: Vec<i32> = updates.iter().map(|(id, _)| *id).collect();
        check_exist(db, "updates", Some("article_id"), &ids, &mut errors).await?;
        if !errors.is_empty() {
            return Err(ServiceError::Validation(errors));
        }
        let txn = repository::database::begin_write(db).await?;
        let updates = articles::effective_changes(&txn, updates).await?;
        let changed: Vec<i32> = updates.iter().map(|(id, _)| *id).collect();
        if let Rewrites::HeldWithin(org) = rewrites(actor) {
            let mut held: Vec<i32> = articles::held_outside(&txn, &changed, org)
                .await?
                .into_iter()
                .collect();
            if !held.is_empty() {
                held.sort_unstable();
                return Err(ServiceError::Forbidden(format!(
                    "articles {} are held by reports of other organizations or global streams; only a platform admin may change them",
                    held.iter()
                        .map(i32::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        }
        articles::update_many(&txn, updates).await?;
        mark_holders(&txn, actor, &changed).await?;
        txn.commit().await?;
        Ok(changed.len() as u64)
    }

    /// A page of the shared bibliography (any signed-in user): by words
    /// ([`search_terms`]), DOI or PMID, newest first.
    pub async fn search(
        &self,
        query: ArticleQuery,
        page: repository::Page,
    ) -> Result<repository::Paginated<Article>, ServiceError> {
        let mut errors = Vec::new();
        let doi = query.doi.as_deref().and_then(crate::limits::Doi::refusal);
        let pmid = query.pmid.as_deref().and_then(crate::limits::Pmid::refusal);
        errors.extend(crate::limits::check("doi", doi));
        errors.extend(crate::limits::check("pmid", pmid));
        if !errors.is_empty() {
            return Err(ServiceError::Validation(errors));
        }
        Ok(articles::search(&self.db, &query, page).await?)
    }

    /// One article (any signed-in user).
    pub async fn get(&self, id: i32) -> Result<Article, ServiceError> {
        let db = &self.db;
        articles::find(db, id)
            .await?
            .ok_or(ServiceError::NotFound("article"))
    }
}

/// What the actor's imports and updates may rewrite of the shared articles.
fn rewrites(actor: &Actor) -> Rewrites {
    if actor.is_platform_admin() {
        Rewrites::Any
    } else {
        Rewrites::HeldWithin(actor.org_id)
    }
}

/// Moves every report holding one of the changed articles to its next
/// version (its `ETag` changes, whatever its status: an approved report
/// shows the article as it is now) and records an `update_article` event
/// per report and article, in the writer's transaction.
async fn mark_holders<C: ConnectionTrait>(
    txn: &C,
    actor: &Actor,
    changed: &[i32],
) -> Result<(), ServiceError> {
    if changed.is_empty() {
        return Ok(());
    }
    let holders = associations::holders(txn, changed).await?;
    if holders.is_empty() {
        return Ok(());
    }
    let mut report_ids: Vec<i32> = holders.iter().map(|(report, _)| *report).collect();
    report_ids.dedup();
    reports::bump_versions(txn, &report_ids).await?;
    let events = holders
        .into_iter()
        .map(|(report_id, article_id)| NewEvent {
            report_id,
            article_id: Some(article_id),
            user_id: actor.id,
            event_type: CurationEventType::UpdateArticle,
            notes: None,
            details: None,
        })
        .collect();
    curation_events::append_many(txn, events).await?;
    Ok(())
}

/// Runs `check` over `input` through [`crate::cpu`] and hands both back:
/// validating 10,000 articles of up to 16 MiB takes milliseconds of CPU,
/// which must not stall the requests sharing a runtime worker.
async fn off_the_runtime<T: Send + 'static>(
    input: T,
    check: impl FnOnce(&T) -> Vec<FieldError> + Send + 'static,
) -> Result<(T, Vec<FieldError>), ServiceError> {
    crate::cpu::run(move || {
        let errors = check(&input);
        (input, errors)
    })
    .await
}

/// Adds a `no such article` error for each id of `ids` that names no
/// article (one query per chunk of ids), on `{list}[i]` or, with `member`,
/// on `{list}[i].{member}`.
pub(crate) async fn check_exist(
    db: &DatabaseConnection,
    list: &str,
    member: Option<&str>,
    ids: &[i32],
    errors: &mut Vec<FieldError>,
) -> Result<(), ServiceError> {
    let existing: std::collections::HashSet<i32> =
        articles::existing_ids(db, ids).await?.into_iter().collect();
    for (i, id) in ids.iter().enumerate() {
        if !existing.contains(id) {
            let field = match member {
                Some(member) => format!("{list}[{i}].{member}"),
                None => format!("{list}[{i}]"),
            };
            errors.push(FieldError::new(field, "no such article"));
        }
    }
    Ok(())
}
