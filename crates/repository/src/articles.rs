//! Articles: bulk upsert on the natural keys DOI and PMID, bulk update by id.

use std::collections::HashMap;

use chrono::Utc;
use entity::article;
use entity::string_list::StringList;
use sea_orm::sea_query::{CaseStatement, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QuerySelect, Set,
    Statement, Value,
};
use serde::Deserialize;

use crate::{RepoError, chunk};

pub use entity::article::Model as Article;

/// Columns written per article row (sizes the INSERT chunks).
const INSERT_COLUMNS: usize = 12;

/// An article to insert or upsert.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewArticle {
    pub title: String,
    #[serde(default)]
    pub r#abstract: Option<String>,
    #[serde(default)]
    pub authors: Vec<String>,
    #[serde(default)]
    pub journal: Option<String>,
    #[serde(default)]
    pub pub_year: Option<i32>,
    #[serde(default)]
    pub doi: Option<String>,
    #[serde(default)]
    pub pmid: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
}

/// Fields to change on one article; `None` leaves a field as it is and
/// `Some(None)` clears a nullable one.
#[derive(Debug, Clone, Default)]
pub struct ArticleChanges {
    pub title: Option<String>,
    pub r#abstract: Option<Option<String>>,
    pub authors: Option<Vec<String>>,
    pub journal: Option<Option<String>>,
    pub pub_year: Option<Option<i32>>,
    pub doi: Option<Option<String>>,
    pub pmid: Option<Option<String>>,
    pub url: Option<Option<String>>,
}

impl ArticleChanges {
    /// Whether applying these changes to `stored` alters it (DOIs and
    /// PMIDs compared as they would be stored).
    pub fn changes(&self, stored: &Article) -> bool {
        let differs = |new: &Option<Option<String>>, old: &Option<String>| {
            new.as_ref().is_some_and(|n| n != old)
        };
        self.title.as_ref().is_some_and(|t| *t != stored.title)
            || differs(&self.r#abstract, &stored.r#abstract)
            || self
                .authors
                .as_ref()
                .is_some_and(|a| *a != stored.authors.0)
            || differs(&self.journal, &stored.journal)
            || self.pub_year.is_some_and(|y| y != stored.pub_year)
            || self
                .doi
                .as_ref()
                .is_some_and(|d| normalize_doi(d.as_deref()) != stored.doi)
            || self
                .pmid
                .as_ref()
                .is_some_and(|p| normalize_pmid(p.as_deref()) != stored.pmid)
            || differs(&self.url, &stored.url)
    }
}

/// Largest values the `articles` columns hold, in characters: the
/// `varchar` sizes of the migration (MySQL/MariaDB and PostgreSQL enforce
/// them; SQLite does not, so every writer checks them first). Title and
/// abstract are `text`; their bounds keep one row and one request sane.
pub mod limits {
    pub const TITLE: usize = 2_000;
    pub const ABSTRACT: usize = 100_000;
    pub const JOURNAL: usize = 500;
    pub const DOI: usize = 255;
    pub const PMID: usize = 32;
    pub const URL: usize = 2_048;
    pub const AUTHORS: usize = 1_000;
    pub const AUTHOR: usize = 500;
}

/// DOIs are case-insensitive: stored trimmed, lowercase, without a resolver
/// prefix. Blank is absent.
pub fn normalize_doi(doi: Option<&str>) -> Option<String> {
    let doi = doi?.trim();
    let doi = [
        "https://doi.org/",
        "http://doi.org/",
        "https://dx.doi.org/",
        "doi:",
    ]
    .iter()
    .find_map(|prefix| {
        doi.get(..prefix.len())
            .filter(|p| p.eq_ignore_ascii_case(prefix))
            .map(|_| &doi[prefix.len()..])
    })
    .unwrap_or(doi)
    .trim();
    (!doi.is_empty()).then(|| doi.to_lowercase())
}

/// The authors as full-text search indexes them: joined by `; `, absent
/// when there are none.
pub fn authors_text(authors: &[String]) -> Option<String> {
    (!authors.is_empty()).then(|| authors.join("; "))
}

/// PMIDs are stored trimmed. Blank is absent.
pub fn normalize_pmid(pmid: Option<&str>) -> Option<String> {
    let pmid = pmid?.trim();
    (!pmid.is_empty()).then(|| pmid.to_owned())
}

/// The article with this id, if any.
pub async fn find<C: ConnectionTrait>(db: &C, id: i32) -> Result<Option<Article>, RepoError> {
    Ok(article::Entity::find_by_id(id).one(db).await?)
}

/// The articles with these ids (any order; missing ids are absent), in
/// `IN (…)` chunks of [`chunk::IN_LIST`].
pub async fn find_many<C: ConnectionTrait>(db: &C, ids: &[i32]) -> Result<Vec<Article>, RepoError> {
    let mut found = Vec::with_capacity(ids.len());
    for part in ids.chunks(chunk::IN_LIST) {
        found.extend(
            article::Entity::find()
                .filter(article::Column::Id.is_in(part.iter().copied()))
                .all(db)
                .await?,
        );
    }
    Ok(found)
}

/// What a search of the shared bibliography keeps; `None` keeps all.
#[derive(Debug, Clone, Default)]
pub struct ArticleQuery {
    /// Words the article holds, all of them.
    pub q: Option<crate::search::SearchTerms>,
    /// Normalized as stored ([`normalize_doi`]).
    pub doi: Option<String>,
    pub pmid: Option<String>,
}

/// A page of the articles `query` keeps, newest first: two statements.
pub async fn search<C: ConnectionTrait>(
    db: &C,
    query: &ArticleQuery,
    page: crate::Page,
) -> Result<crate::Paginated<Article>, RepoError> {
    let mut select = article::Entity::find();
    if let Some(terms) = &query.q {
        select = select.filter(terms.condition(db.get_database_backend()));
    }
    if let Some(doi) = normalize_doi(query.doi.as_deref()) {
        select = select.filter(article::Column::Doi.eq(doi));
    }
    if let Some(pmid) = normalize_pmid(query.pmid.as_deref()) {
        select = select.filter(article::Column::Pmid.eq(pmid));
    }
    let select = sea_orm::QueryOrder::order_by_desc(select, article::Column::Id);
    crate::pagination::fetch_page(db, select, page).await
}

/// Which of `ids` exist.
pub async fn existing_ids<C: ConnectionTrait>(db: &C, ids: &[i32]) -> Result<Vec<i32>, RepoError> {
    let mut found = Vec::with_capacity(ids.len());
    for part in ids.chunks(chunk::IN_LIST) {
        let rows: Vec<i32> = article::Entity::find()
            .select_only()
            .column(article::Column::Id)
            .filter(article::Column::Id.is_in(part.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        found.extend(rows);
    }
    Ok(found)
}

/// Inserts articles, upserting on DOI or PMID, and returns their ids in input
/// order. Rows of the input that share a DOI or PMID are one article (later
/// fields win) and get the same id. Work is done in multi-row chunks: about
/// four statements per thousand articles, whatever the mix of new and
/// existing rows. Articles with neither DOI nor PMID cannot be matched and
/// are inserted one by one (to learn their ids portably).
pub async fn upsert_many<C: ConnectionTrait>(
    db: &C,
    articles: Vec<NewArticle>,
) -> Result<Vec<i32>, RepoError> {
    Ok(import(db, articles, Rewrites::Any).await?.ids)
}

/// Which stored articles an import may rewrite when it matches them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rewrites {
    /// Every one (platform administrators, tools).
    Any,
    /// Only articles that no report outside this organization holds (a
    /// report of a stream of another organization, or of a stream of no
    /// organization: global streams). `None`: only articles no report holds.
    HeldWithin(Option<i32>),
    /// Only a DOI or PMID the stored article lacks: its other fields are
    /// kept as they are. File imports into a candidate pool add works to the
    /// shared bibliography and never rewrite one that someone curated, but
    /// an identifier they bring lets the next source find the work.
    IdentifiersOnly,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Upserted {
    /// The article of each input row, in input order.
    pub ids: Vec<i32>,
    /// Stored articles whose fields the import changed.
    pub changed: Vec<i32>,
    /// Input rows that matched an article the import may not rewrite: the
    /// stored article was kept as it was.
    pub kept: Vec<usize>,
}

/// [`upsert_many`], rewriting only what `rewrites` allows, and saying which
/// stored articles changed (a matched article whose fields are the same is
/// not written at all).
pub async fn import<C: ConnectionTrait>(
    db: &C,
    articles: Vec<NewArticle>,
    rewrites: Rewrites,
) -> Result<Upserted, RepoError> {
    let (groups, merged) = merge_duplicates(articles);
    let mut ids = vec![0; merged.len()];
    let mut changed = Vec::new();
    let mut kept_groups = std::collections::HashSet::new();
    let rows = chunk::insert_rows(INSERT_COLUMNS);
    let mut start = 0;
    for part in chunk::by_size(&merged, rows, chunk::statement_bytes(db), row_bytes) {
        let done = upsert_chunk(db, part, rewrites).await?;
        for (offset, id) in done.ids.into_iter().enumerate() {
            ids[start + offset] = id;
        }
        changed.extend(done.changed);
        kept_groups.extend(done.kept.into_iter().map(|i| start + i));
        start += part.len();
    }
    let kept = (0..groups.len())
        .filter(|&row| kept_groups.contains(&groups[row]))
        .collect();
    Ok(Upserted {
        ids: groups.into_iter().map(|g| ids[g]).collect(),
        changed,
        kept,
    })
}

/// Of `changes`, only the DOIs and PMIDs that the stored rows lack.
async fn missing_identifiers<C: ConnectionTrait>(
    db: &C,
    changes: Vec<(i32, ArticleChanges)>,
) -> Result<Vec<(i32, ArticleChanges)>, RepoError> {
    let ids: Vec<i32> = changes.iter().map(|(id, _)| *id).collect();
    let stored: HashMap<i32, Article> = find_many(db, &ids)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    Ok(changes
        .into_iter()
        .filter_map(|(id, c)| {
            let a = stored.get(&id)?;
            let only = ArticleChanges {
                doi: c.doi.filter(|d| d.is_some() && a.doi.is_none()),
                pmid: c.pmid.filter(|p| p.is_some() && a.pmid.is_none()),
                ..Default::default()
            };
            (only.doi.is_some() || only.pmid.is_some()).then_some((id, only))
        })
        .collect())
}

/// Of `changes`, the ones that change something, against the stored rows
/// (ids with no row are dropped).
pub async fn effective_changes<C: ConnectionTrait>(
    db: &C,
    changes: Vec<(i32, ArticleChanges)>,
) -> Result<Vec<(i32, ArticleChanges)>, RepoError> {
    let ids: Vec<i32> = changes.iter().map(|(id, _)| *id).collect();
    let mut stored = HashMap::with_capacity(ids.len());
    for part in ids.chunks(chunk::IN_LIST) {
        let rows = article::Entity::find()
            .filter(article::Column::Id.is_in(part.iter().copied()))
            .all(db)
            .await?;
        stored.extend(rows.into_iter().map(|a| (a.id, a)));
    }
    Ok(changes
        .into_iter()
        .filter(|(id, c)| stored.get(id).is_some_and(|a| c.changes(a)))
        .map(|(id, mut c)| {
            // A change of the title or the year names both, so that the
            // title key is written in the same statement.
            if let Some(a) = stored.get(&id) {
                match (&c.title, &c.pub_year) {
                    (Some(_), None) => c.pub_year = Some(a.pub_year),
                    (None, Some(_)) => c.title = Some(a.title.clone()),
                    _ => {}
                }
            }
            (id, c)
        })
        .collect())
}

/// Of `ids`, the articles a report outside `org` holds (see
/// [`Rewrites::HeldWithin`]).
pub async fn held_outside<C: ConnectionTrait>(
    db: &C,
    ids: &[i32],
    org: Option<i32>,
) -> Result<std::collections::HashSet<i32>, RepoError> {
    use entity::{report, report_article_association as assoc, research_stream as stream};
    use sea_orm::{JoinType, RelationTrait};
    let mut held = std::collections::HashSet::new();
    for part in ids.chunks(chunk::IN_LIST) {
        let mut query = assoc::Entity::find();
        if let Some(org) = org {
            query = query.filter(
                Condition::any()
                    .add(stream::Column::OrgId.is_null())
                    .add(stream::Column::OrgId.ne(org)),
            );
        }
        let rows: Vec<i32> = query
            .select_only()
            .column(assoc::Column::ArticleId)
            .distinct()
            .join(JoinType::InnerJoin, assoc::Relation::Report.def())
            .join(JoinType::InnerJoin, report::Relation::ResearchStream.def())
            .filter(assoc::Column::ArticleId.is_in(part.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        held.extend(rows);
    }
    Ok(held)
}

/// Roughly the bytes an article adds to a statement: placeholders and
/// length prefixes (about 14 bytes a column), then the values.
fn row_bytes(a: &NewArticle) -> usize {
    let opt = |s: &Option<String>| s.as_ref().map_or(0, String::len);
    14 * INSERT_COLUMNS
        + 16
        + a.title.len()
        + opt(&a.r#abstract)
        + opt(&a.journal)
        + opt(&a.doi)
        + opt(&a.pmid)
        + opt(&a.url)
        + a.authors.iter().map(|x| x.len() + 4).sum::<usize>()
}

/// Groups input rows sharing a DOI or PMID (union-find), returning for each
/// input row its group index, and each group's merged article.
fn merge_duplicates(articles: Vec<NewArticle>) -> (Vec<usize>, Vec<NewArticle>) {
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let articles: Vec<NewArticle> = articles
        .into_iter()
        .map(|mut a| {
            a.doi = normalize_doi(a.doi.as_deref());
            a.pmid = normalize_pmid(a.pmid.as_deref());
            a
        })
        .collect();
    let mut parent: Vec<usize> = (0..articles.len()).collect();
    let mut by_doi: HashMap<&str, usize> = HashMap::new();
    let mut by_pmid: HashMap<&str, usize> = HashMap::new();
    for (i, a) in articles.iter().enumerate() {
        for (key, map) in [
            (a.doi.as_deref(), &mut by_doi),
            (a.pmid.as_deref(), &mut by_pmid),
        ] {
            if let Some(key) = key {
                match map.get(key) {
                    Some(&j) => {
                        let (ri, rj) = (root(&mut parent, i), root(&mut parent, j));
                        // The earlier row stays the root, so groups keep
                        // first-appearance order.
                        let (keep, gone) = if ri < rj { (ri, rj) } else { (rj, ri) };
                        parent[gone] = keep;
                    }
                    None => {
                        map.insert(key, i);
                    }
                }
            }
        }
    }
    let mut group_of_root: HashMap<usize, usize> = HashMap::new();
    let mut groups = Vec::with_capacity(articles.len());
    let mut merged: Vec<NewArticle> = Vec::new();
    let roots: Vec<usize> = (0..articles.len()).map(|i| root(&mut parent, i)).collect();
    for (a, r) in articles.into_iter().zip(roots) {
        let group = *group_of_root.entry(r).or_insert_with(|| {
            merged.push(NewArticle::default());
            merged.len() - 1
        });
        groups.push(group);
        let target = &mut merged[group];
        let (doi, pmid) = (target.doi.take(), target.pmid.take());
        *target = NewArticle {
            doi: a.doi.clone().or(doi),
            pmid: a.pmid.clone().or(pmid),
            ..a
        };
    }
    (groups, merged)
}

async fn upsert_chunk<C: ConnectionTrait>(
    db: &C,
    part: &[NewArticle],
    rewrites: Rewrites,
) -> Result<Upserted, RepoError> {
    let now = Utc::now();
    let mut ids: Vec<Option<i32>> = vec![None; part.len()];
    let existing = ids_by_keys(db, part).await?;
    let mut to_update: Vec<(i32, ArticleChanges)> = Vec::new();
    let mut to_insert: Vec<usize> = Vec::new();
    let mut matched: Vec<usize> = Vec::new();
    for (i, a) in part.iter().enumerate() {
        let by_doi = a.doi.as_deref().and_then(|d| existing.doi.get(d).copied());
        let by_pmid = a
            .pmid
            .as_deref()
            .and_then(|p| existing.pmid.get(p).copied());
        match by_doi.or(by_pmid) {
            Some(id) => {
                ids[i] = Some(id);
                matched.push(i);
                let mut changes = ArticleChanges::from(a.clone());
                // Never move a key that another row already holds.
                if by_pmid.is_some_and(|other| other != id) {
                    changes.pmid = None;
                }
                to_update.push((id, changes));
            }
            None if a.doi.is_none() && a.pmid.is_none() => {
                let result = article::Entity::insert(active_model(a, now))
                    .exec(db)
                    .await?;
                ids[i] = Some(result.last_insert_id);
            }
            None => to_insert.push(i),
        }
    }
    if !to_insert.is_empty() {
        // DO NOTHING on conflict: a concurrent import may have inserted the
        // same key since the lookup; the second lookup below finds its id.
        article::Entity::insert_many(to_insert.iter().map(|&i| active_model(&part[i], now)))
            .on_conflict(
                OnConflict::new()
                    .do_nothing_on([article::Column::Id])
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
        let inserted: Vec<NewArticle> = to_insert.iter().map(|&i| part[i].clone()).collect();
        let found = ids_by_keys(db, &inserted).await?;
        for &i in &to_insert {
            let a = &part[i];
            ids[i] = a
                .doi
                .as_deref()
                .and_then(|d| found.doi.get(d).copied())
                .or_else(|| a.pmid.as_deref().and_then(|p| found.pmid.get(p).copied()));
        }
    }
    let mut kept = Vec::new();
    if rewrites == Rewrites::IdentifiersOnly {
        kept = matched;
        to_update = missing_identifiers(db, to_update).await?;
    }
    if !to_update.is_empty() {
        to_update = effective_changes(db, to_update).await?;
    }
    if let (Rewrites::HeldWithin(org), false) = (rewrites, to_update.is_empty()) {
        let matched: Vec<i32> = to_update.iter().map(|(id, _)| *id).collect();
        let held = held_outside(db, &matched, org).await?;
        if !held.is_empty() {
            to_update.retain(|(id, _)| !held.contains(id));
            kept = (0..part.len())
                .filter(|&i| ids[i].is_some_and(|id| held.contains(&id)))
                .collect();
        }
    }
    let changed = to_update.iter().map(|(id, _)| *id).collect();
    update_many(db, to_update).await?;
    let ids = ids
        .into_iter()
        .map(|id| id.ok_or_else(|| RepoError::Db(sea_orm::DbErr::RecordNotInserted)))
        .collect::<Result<_, _>>()?;
    Ok(Upserted { ids, changed, kept })
}

fn active_model(a: &NewArticle, now: chrono::DateTime<Utc>) -> article::ActiveModel {
    article::ActiveModel {
        title: Set(a.title.clone()),
        r#abstract: Set(a.r#abstract.clone()),
        authors: Set(a.authors.clone().into()),
        journal: Set(a.journal.clone()),
        pub_year: Set(a.pub_year),
        doi: Set(a.doi.clone()),
        pmid: Set(a.pmid.clone()),
        url: Set(a.url.clone()),
        title_key: Set(bibliography::title_key(&a.title, a.pub_year)),
        authors_text: Set(authors_text(&a.authors)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

struct KeyIds {
    doi: HashMap<String, i32>,
    pmid: HashMap<String, i32>,
}

/// One query: the ids of stored articles holding any of the DOIs or PMIDs.
// Long on purpose: the query is built per backend and per chunk in one
// place, so that the statement count stays visible.
async fn ids_by_keys<C: ConnectionTrait>(db: &C, part: &[NewArticle]) -> Result<KeyIds, RepoError> {
    let dois: Vec<&str> = part.iter().filter_map(|a| a.doi.as_deref()).collect();
    let pmids: Vec<&str> = part.iter().filter_map(|a| a.pmid.as_deref()).collect();
    let mut keys = KeyIds {
        doi: HashMap::new(),
        pmid: HashMap::new(),
    };
    if dois.is_empty() && pmids.is_empty() {
        return Ok(keys);
    }
    let rows: Vec<(i32, Option<String>, Option<String>)> = if db.get_database_backend()
        == DbBackend::Postgres
    {
        // PostgreSQL estimates an `IN (…)` list element by element, which
        // costs tens of milliseconds of planning for a thousand keys; a
        // join against a VALUES list is planned in microseconds.
        let values = |keys: &[&str], first: usize| {
            (first..first + keys.len())
                .map(|i| format!("(${i})"))
                .collect::<Vec<_>>()
                .join(",")
        };
        let mut parts = Vec::new();
        if !dois.is_empty() {
            parts.push(format!(
                "SELECT a.id, a.doi, a.pmid FROM articles a JOIN (VALUES {}) AS k(v) ON a.doi = k.v",
                values(&dois, 1)
            ));
        }
        if !pmids.is_empty() {
            parts.push(format!(
                "SELECT a.id, a.doi, a.pmid FROM articles a JOIN (VALUES {}) AS k(v) ON a.pmid = k.v",
                values(&pmids, dois.len() + 1)
            ));
        }
        let params: Vec<Value> = dois
            .iter()
            .chain(pmids.iter())
            .map(|k| Value::from(k.to_string()))
            .collect();
        let statement =
            Statement::from_sql_and_values(DbBackend::Postgres, parts.join(" UNION ALL "), params);
        db.query_all_raw(statement)
            .await?
            .iter()
            .map(|row| {
                Ok((
                    row.try_get("", "id")?,
                    row.try_get("", "doi")?,
                    row.try_get("", "pmid")?,
                ))
            })
            .collect::<Result<_, sea_orm::DbErr>>()?
    } else {
        let mut any = Condition::any();
        if !dois.is_empty() {
            any = any.add(article::Column::Doi.is_in(dois));
        }
        if !pmids.is_empty() {
            any = any.add(article::Column::Pmid.is_in(pmids));
        }
        article::Entity::find()
            .select_only()
            .columns([
                article::Column::Id,
                article::Column::Doi,
                article::Column::Pmid,
            ])
            .filter(any)
            .into_tuple()
            .all(db)
            .await?
    };
    for (id, doi, pmid) in rows {
        if let Some(doi) = doi {
            keys.doi.insert(doi, id);
        }
        if let Some(pmid) = pmid {
            keys.pmid.insert(pmid, id);
        }
    }
    Ok(keys)
}

impl From<NewArticle> for ArticleChanges {
    fn from(a: NewArticle) -> Self {
        ArticleChanges {
            title: Some(a.title),
            r#abstract: Some(a.r#abstract),
            authors: Some(a.authors),
            journal: Some(a.journal),
            pub_year: Some(a.pub_year),
            doi: a.doi.map(Some),
            pmid: a.pmid.map(Some),
            url: Some(a.url),
        }
    }
}

/// Updates many articles by id: one `UPDATE … SET col = CASE id WHEN … END
/// WHERE id IN (…)` per chunk of [`chunk::update_rows`] rows, whatever the
/// mix of changed fields. Returns the number of rows matched. DOI and PMID
/// are normalized; a key held by another article is `Duplicate`.
// Long on purpose: one CASE expression per column, built side by side so
// that every column is treated alike.
pub async fn update_many<C: ConnectionTrait>(
    db: &C,
    changes: Vec<(i32, ArticleChanges)>,
) -> Result<u64, RepoError> {
    let mut matched = 0;
    let now = Utc::now();
    let change_bytes = |(_, c): &(i32, ArticleChanges)| {
        let opt =
            |s: &Option<Option<String>>| s.as_ref().and_then(|s| s.as_ref()).map_or(0, String::len);
        // Each changed column costs a `WHEN id = $n THEN $m` pair.
        30 * 10
            + c.title.as_ref().map_or(0, String::len)
            + opt(&c.r#abstract)
            + opt(&c.journal)
            + opt(&c.doi)
            + opt(&c.pmid)
            + opt(&c.url)
            + c.authors
                .as_ref()
                .map_or(0, |a| a.iter().map(|x| x.len() + 4).sum())
    };
    for part in chunk::by_size(
        &changes,
        chunk::update_rows(10),
        chunk::statement_bytes(db),
        change_bytes,
    ) {
        let mut columns: Vec<(article::Column, Vec<(i32, Value)>)> = Vec::new();
        let mut push = |col: article::Column, id: i32, value: Value| match columns
            .iter_mut()
            .find(|(c, _)| std::mem::discriminant(c) == std::mem::discriminant(&col))
        {
            Some((_, values)) => values.push((id, value)),
            None => columns.push((col, vec![(id, value)])),
        };
        for (id, c) in part {
            let id = *id;
            if let Some(v) = &c.title {
                push(article::Column::Title, id, v.clone().into());
            }
            if let Some(v) = &c.r#abstract {
                push(article::Column::Abstract, id, v.clone().into());
            }
            if let Some(v) = &c.authors {
                push(article::Column::Authors, id, StringList(v.clone()).into());
                push(article::Column::AuthorsText, id, authors_text(v).into());
            }
            if let Some(v) = &c.journal {
                push(article::Column::Journal, id, v.clone().into());
            }
            if let Some(v) = &c.pub_year {
                push(article::Column::PubYear, id, (*v).into());
            }
            if let (Some(title), Some(year)) = (&c.title, &c.pub_year) {
                let key = bibliography::title_key(title, *year);
                push(article::Column::TitleKey, id, key.into());
            }
            if let Some(v) = &c.doi {
                push(article::Column::Doi, id, normalize_doi(v.as_deref()).into());
            }
            if let Some(v) = &c.pmid {
                push(
                    article::Column::Pmid,
                    id,
                    normalize_pmid(v.as_deref()).into(),
                );
            }
            if let Some(v) = &c.url {
                push(article::Column::Url, id, v.clone().into());
            }
        }
        let ids: Vec<i32> = part.iter().map(|(id, _)| *id).collect();
        let mut update = Query::update();
        update
            .table(article::Entity)
            .value(article::Column::UpdatedAt, now);
        for (col, values) in columns {
            let mut case = CaseStatement::new();
            for (id, value) in values {
                case = case.case(Expr::col(article::Column::Id).eq(id), Expr::val(value));
            }
            update.value(col, case.finally(Expr::col(col)));
        }
        update.and_where(Expr::col(article::Column::Id).is_in(ids));
        matched += db.execute(&update).await?.rows_affected();
    }
    // A change that names the title or the year but not both needs the
    // stored other half for its key ([`effective_changes`] names both).
    let retitled: Vec<i32> = changes
        .iter()
        .filter(|(_, c)| c.title.is_some() != c.pub_year.is_some())
        .map(|(id, _)| *id)
        .collect();
    refresh_title_keys(db, &retitled).await?;
    Ok(matched)
}

/// Recomputes the title keys of these articles from their stored title and
/// year (an update may change either without the other).
async fn refresh_title_keys<C: ConnectionTrait>(db: &C, ids: &[i32]) -> Result<(), RepoError> {
    for part in ids.chunks(chunk::update_rows(1)) {
        let rows: Vec<(i32, String, Option<i32>)> = article::Entity::find()
            .select_only()
            .columns([
                article::Column::Id,
                article::Column::Title,
                article::Column::PubYear,
            ])
            .filter(article::Column::Id.is_in(part.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        let mut case = CaseStatement::new();
        for (id, title, year) in &rows {
            let key: Value = bibliography::title_key(title, *year).into();
            case = case.case(Expr::col(article::Column::Id).eq(*id), Expr::val(key));
        }
        let update = Query::update()
            .table(article::Entity)
            .value(
                article::Column::TitleKey,
                case.finally(Expr::col(article::Column::TitleKey)),
            )
            .and_where(Expr::col(article::Column::Id).is_in(part.iter().copied()))
            .to_owned();
        db.execute(&update).await?;
    }
    Ok(())
}

/// Of these title keys, the stored articles that carry each (the lowest id
/// when several do), in `IN (…)` chunks.
pub async fn ids_by_title_keys<C: ConnectionTrait>(
    db: &C,
    keys: &[&str],
) -> Result<HashMap<String, i32>, RepoError> {
    let mut found: HashMap<String, i32> = HashMap::with_capacity(keys.len());
    for part in keys.chunks(chunk::IN_LIST) {
        let rows: Vec<(i32, Option<String>)> = article::Entity::find()
            .select_only()
            .columns([article::Column::Id, article::Column::TitleKey])
            .filter(article::Column::TitleKey.is_in(part.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        for (id, key) in rows {
            if let Some(key) = key {
                found
                    .entry(key)
                    .and_modify(|kept| *kept = Ord::min(*kept, id))
                    .or_insert(id);
            }
        }
    }
    Ok(found)
}
