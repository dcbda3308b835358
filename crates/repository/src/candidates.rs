//! A stream's candidate pool: articles retrieved or imported for it, each
//! with the curator's decision.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::enums::{CandidateSource, CandidateStatus};
use entity::{article, candidate, report, report_article_association as assoc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, JoinType, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, RelationTrait, Set,
};

use crate::articles::{self, Article};
use crate::{Page, Paginated, RepoError, chunk};

pub use entity::candidate::Model as Candidate;

/// Columns written per candidate row (sizes the INSERT chunks).
const INSERT_COLUMNS: usize = 7;

/// Of `article_ids`, those the stream already knows: a candidate of its
/// pool, or an article of one of its reports. Finding one again is a
/// duplicate.
pub async fn known_articles<C: ConnectionTrait>(
    db: &C,
    stream_id: i32,
    article_ids: &[i32],
) -> Result<HashSet<i32>, RepoError> {
    let mut known = HashSet::new();
    for part in article_ids.chunks(chunk::IN_LIST) {
        let pooled: Vec<i32> = candidate::Entity::find()
            .select_only()
            .column(candidate::Column::ArticleId)
            .filter(candidate::Column::StreamId.eq(stream_id))
            .filter(candidate::Column::ArticleId.is_in(part.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        known.extend(pooled);
        let reported: Vec<i32> = assoc::Entity::find()
            .select_only()
            .column(assoc::Column::ArticleId)
            .distinct()
            .join(JoinType::InnerJoin, assoc::Relation::Report.def())
            .filter(report::Column::StreamId.eq(stream_id))
            .filter(assoc::Column::ArticleId.is_in(part.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        known.extend(reported);
    }
    Ok(known)
}

/// Adds these articles to the stream's pool as `new` candidates, in
/// multi-row chunks. An article the pool holds already (a concurrent
/// import got there first) is left as it is: the unique index decides.
pub async fn insert_new<C: ConnectionTrait>(
    db: &C,
    stream_id: i32,
    source: CandidateSource,
    run_id: Option<i32>,
    article_ids: &[i32],
    retrieved_at: DateTime<Utc>,
) -> Result<(), RepoError> {
    for part in article_ids.chunks(chunk::insert_rows(INSERT_COLUMNS)) {
        let rows = part.iter().map(|&article_id| candidate::ActiveModel {
            stream_id: Set(stream_id),
            article_id: Set(article_id),
            source: Set(source),
            status: Set(CandidateStatus::New),
            version: Set(1),
            retrieved_at: Set(retrieved_at),
            run_id: Set(run_id),
            ..Default::default()
        });
        candidate::Entity::insert_many(rows)
            // MySQL has no `DO NOTHING`: the named column is set to itself.
            .on_conflict(
                OnConflict::new()
                    .do_nothing_on([candidate::Column::Id])
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// What a listing of the pool keeps; `None` keeps all.
#[derive(Debug, Clone, Default)]
pub struct CandidateFilter {
    pub status: Option<CandidateStatus>,
    pub source: Option<CandidateSource>,
    pub reason: Option<String>,
    /// Found by this retrieval run.
    pub run_id: Option<i32>,
    /// Retrieved at or after.
    pub from: Option<DateTime<Utc>>,
    /// Retrieved before.
    pub to: Option<DateTime<Utc>>,
    /// Words the candidate's article holds, all of them.
    pub q: Option<crate::search::SearchTerms>,
}

/// A candidate with its article.
#[derive(Debug, Clone, PartialEq)]
pub struct PooledCandidate {
    pub candidate: Candidate,
    pub article: Article,
}

/// A page of the stream's candidates, newest first, with their articles:
/// three statements (count, page, articles), whatever the page size.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    stream_id: i32,
    filter: &CandidateFilter,
    page: Page,
) -> Result<Paginated<PooledCandidate>, RepoError> {
    let mut query = candidate::Entity::find().filter(candidate::Column::StreamId.eq(stream_id));
    if let Some(status) = filter.status {
        query = query.filter(candidate::Column::Status.eq(status));
    }
    if let Some(source) = filter.source {
        query = query.filter(candidate::Column::Source.eq(source));
    }
    if let Some(reason) = &filter.reason {
        query = query.filter(candidate::Column::Reason.eq(reason.as_str()));
    }
    if let Some(from) = filter.from {
        query = query.filter(candidate::Column::RetrievedAt.gte(from));
    }
    if let Some(run_id) = filter.run_id {
        query = query.filter(candidate::Column::RunId.eq(run_id));
    }
    if let Some(to) = filter.to {
        query = query.filter(candidate::Column::RetrievedAt.lt(to));
    }
    if let Some(terms) = &filter.q {
        let matching = Query::select()
            .column(article::Column::Id)
            .from(article::Entity)
            .and_where(terms.condition(db.get_database_backend()))
            .to_owned();
        query = query.filter(candidate::Column::ArticleId.in_subquery(matching));
    }
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_desc(candidate::Column::Id)
        .offset(page.offset())
        .limit(page.limit())
        .all(db)
        .await?;
    let ids: Vec<i32> = rows.iter().map(|c| c.article_id).collect();
    let mut by_id: HashMap<i32, Article> = articles::find_many(db, &ids)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    let items = rows
        .into_iter()
        .filter_map(|candidate| {
            // The foreign key keeps every candidate's article; a row
            // without one would be a candidate deleted in between.
            let article = by_id.remove(&candidate.article_id)?;
            Some(PooledCandidate { candidate, article })
        })
        .collect();
    Ok(Paginated { items, total, page })
}

/// The stream's candidates with these ids, locked for the caller's
/// transaction where the engine has row locks (SQLite's write transaction
/// holds the whole database).
pub async fn lock_many<C: ConnectionTrait>(
    db: &C,
    stream_id: i32,
    ids: &[i32],
) -> Result<Vec<Candidate>, RepoError> {
    let mut found = Vec::with_capacity(ids.len());
    for part in ids.chunks(chunk::IN_LIST) {
        found.extend(
            candidate::Entity::find()
                .filter(candidate::Column::StreamId.eq(stream_id))
                .filter(candidate::Column::Id.is_in(part.iter().copied()))
                .lock_exclusive()
                .all(db)
                .await?,
        );
    }
    Ok(found)
}

/// A decision on candidates.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Decision {
    pub status: CandidateStatus,
    pub reason: Option<String>,
    pub notes: Option<String>,
}

/// Records `decision` on the candidates `ids` in one statement, each one's
/// version moving on by one. The caller holds their rows
/// ([`lock_many`]).
pub async fn decide<C: ConnectionTrait>(
    db: &C,
    ids: &[i32],
    decision: &Decision,
    decided_by: i32,
    decided_at: DateTime<Utc>,
) -> Result<(), RepoError> {
    for part in ids.chunks(chunk::IN_LIST) {
        candidate::Entity::update_many()
            .col_expr(candidate::Column::Status, Expr::val(decision.status))
            .col_expr(
                candidate::Column::Reason,
                Expr::val(decision.reason.clone()),
            )
            .col_expr(candidate::Column::Notes, Expr::val(decision.notes.clone()))
            .col_expr(candidate::Column::DecidedBy, Expr::val(decided_by))
            .col_expr(candidate::Column::DecidedAt, Expr::val(decided_at))
            .col_expr(
                candidate::Column::Version,
                Expr::col(candidate::Column::Version).add(1),
            )
            .filter(candidate::Column::Id.is_in(part.iter().copied()))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// The stream's candidates whose articles have one of these title keys:
/// (candidate id, article id, DOI, title key).
pub async fn by_title_keys<C: ConnectionTrait>(
    db: &C,
    stream_id: i32,
    keys: &[String],
) -> Result<Vec<(i32, i32, Option<String>, String)>, RepoError> {
    let mut found = Vec::new();
    for part in keys.chunks(chunk::IN_LIST) {
        let rows: Vec<(i32, i32, Option<String>, Option<String>)> = candidate::Entity::find()
            .select_only()
            .column(candidate::Column::Id)
            .column(candidate::Column::ArticleId)
            .column(article::Column::Doi)
            .column(article::Column::TitleKey)
            .join(JoinType::InnerJoin, candidate::Relation::Article.def())
            .filter(candidate::Column::StreamId.eq(stream_id))
            .filter(article::Column::TitleKey.is_in(part.iter().cloned()))
            .into_tuple()
            .all(db)
            .await?;
        found.extend(
            rows.into_iter()
                .filter_map(|(id, article, doi, key)| Some((id, article, doi, key?))),
        );
    }
    Ok(found)
}

/// Notes that the stream's candidate of `article_id` is another version of
/// candidate `other`.
pub async fn link_version<C: ConnectionTrait>(
    db: &C,
    stream_id: i32,
    article_id: i32,
    other: i32,
) -> Result<(), RepoError> {
    candidate::Entity::update_many()
        .col_expr(candidate::Column::VersionOf, Expr::val(other))
        .filter(candidate::Column::StreamId.eq(stream_id))
        .filter(candidate::Column::ArticleId.eq(article_id))
        .filter(candidate::Column::Id.ne(other))
        .exec(db)
        .await?;
    Ok(())
}

/// Up to `limit` of the stream's candidates still to be screened by the
/// LLM (undecided, never screened), oldest first, with their articles.
pub async fn unscreened<C: ConnectionTrait>(
    db: &C,
    stream_id: i32,
    limit: u64,
) -> Result<Vec<(i32, Article)>, RepoError> {
    let rows: Vec<(i32, i32)> = candidate::Entity::find()
        .select_only()
        .column(candidate::Column::Id)
        .column(candidate::Column::ArticleId)
        .filter(candidate::Column::StreamId.eq(stream_id))
        .filter(candidate::Column::Status.eq(CandidateStatus::New))
        .filter(candidate::Column::ScreenedAt.is_null())
        .order_by_asc(candidate::Column::Id)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    let ids: Vec<i32> = rows.iter().map(|&(_, article)| article).collect();
    let mut articles: HashMap<i32, Article> = articles::find_many(db, &ids)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    Ok(rows
        .into_iter()
        .filter_map(|(id, article)| Some((id, articles.remove(&article)?)))
        .collect())
}

/// The LLM's screening of one candidate.
#[derive(Debug, Clone, PartialEq)]
pub struct Screened {
    pub id: i32,
    /// 0 to 1; none when the answer carried no score.
    pub relevance: Option<f64>,
    pub rationale: String,
    /// Under the stream's threshold: excluded with `reason`, unless a
    /// curator decided it meanwhile.
    pub screened_out: bool,
}

/// Records each screening; excludes the screened-out candidates that are
/// still undecided, with `reason` and no curator. The number excluded.
pub async fn record_screening<C: ConnectionTrait>(
    db: &C,
    screened: &[Screened],
    reason: &str,
    at: DateTime<Utc>,
) -> Result<u64, RepoError> {
    let mut excluded = 0;
    for s in screened {
        candidate::Entity::update_many()
            .col_expr(candidate::Column::Relevance, Expr::val(s.relevance))
            .col_expr(candidate::Column::Rationale, Expr::val(s.rationale.clone()))
            .col_expr(candidate::Column::ScreenedAt, Expr::val(at))
            .filter(candidate::Column::Id.eq(s.id))
            .exec(db)
            .await?;
    }
    let out: Vec<i32> = screened
        .iter()
        .filter(|s| s.screened_out)
        .map(|s| s.id)
        .collect();
    for part in out.chunks(chunk::IN_LIST) {
        excluded += candidate::Entity::update_many()
            .col_expr(
                candidate::Column::Status,
                Expr::val(CandidateStatus::Excluded),
            )
            .col_expr(candidate::Column::Reason, Expr::val(reason))
            .col_expr(candidate::Column::DecidedAt, Expr::val(at))
            .col_expr(
                candidate::Column::Version,
                Expr::col(candidate::Column::Version).add(1),
            )
            .filter(candidate::Column::Id.is_in(part.iter().copied()))
            .filter(candidate::Column::Status.eq(CandidateStatus::New))
            .exec(db)
            .await?
            .rows_affected;
    }
    Ok(excluded)
}

/// The article ids of the stream's included candidates, in the order they
/// entered the pool.
pub async fn included_article_ids<C: ConnectionTrait>(
    db: &C,
    stream_id: i32,
) -> Result<Vec<i32>, RepoError> {
    Ok(candidate::Entity::find()
        .select_only()
        .column(candidate::Column::ArticleId)
        .filter(candidate::Column::StreamId.eq(stream_id))
        .filter(candidate::Column::Status.eq(CandidateStatus::Included))
        .order_by_asc(candidate::Column::Id)
        .into_tuple()
        .all(db)
        .await?)
}

/// The stream's candidates with these ids (any order; others are absent).
pub async fn find_many<C: ConnectionTrait>(
    db: &C,
    stream_id: i32,
    ids: &[i32],
) -> Result<Vec<Candidate>, RepoError> {
    let mut found = Vec::with_capacity(ids.len());
    for part in ids.chunks(chunk::IN_LIST) {
        found.extend(
            candidate::Entity::find()
                .filter(candidate::Column::StreamId.eq(stream_id))
                .filter(candidate::Column::Id.is_in(part.iter().copied()))
                .all(db)
                .await?,
        );
    }
    Ok(found)
}

/// The stream's candidates for these articles (any order; articles that
/// are not candidates of the stream are absent).
pub async fn of_articles<C: ConnectionTrait>(
    db: &C,
    stream_id: i32,
    article_ids: &[i32],
) -> Result<Vec<Candidate>, RepoError> {
    let mut found = Vec::with_capacity(article_ids.len());
    for part in article_ids.chunks(chunk::IN_LIST) {
        found.extend(
            candidate::Entity::find()
                .filter(candidate::Column::StreamId.eq(stream_id))
                .filter(candidate::Column::ArticleId.is_in(part.iter().copied()))
                .all(db)
                .await?,
        );
    }
    Ok(found)
}
