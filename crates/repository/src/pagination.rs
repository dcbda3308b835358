//! Offset/limit pagination with bounded limits.

use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait, QuerySelect, Select};
use serde::Serialize;

use crate::RepoError;

/// The largest page a caller may ask for.
pub const MAX_LIMIT: u64 = 200;
/// The largest offset: databases take a signed 64-bit `OFFSET`.
pub const MAX_OFFSET: u64 = i64::MAX as u64;
/// The page size when none is given.
pub const DEFAULT_LIMIT: u64 = 50;

/// A validated page request: `limit` is always within `1..=MAX_LIMIT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    offset: u64,
    limit: u64,
}

impl Page {
    /// A page, or `None` when `limit` is outside `1..=MAX_LIMIT` or `offset`
    /// beyond [`MAX_OFFSET`].
    pub fn new(offset: u64, limit: u64) -> Option<Self> {
        ((1..=MAX_LIMIT).contains(&limit) && offset <= MAX_OFFSET).then_some(Self { offset, limit })
    }

    /// A page larger than a listing's, for a caller that streams or
    /// exports rows (`limit` within `1..=max`).
    pub fn up_to(offset: u64, limit: u64, max: u64) -> Option<Self> {
        ((1..=max).contains(&limit) && offset <= MAX_OFFSET).then_some(Self { offset, limit })
    }

    /// The first page of the default size.
    pub fn first() -> Self {
        Self {
            offset: 0,
            limit: DEFAULT_LIMIT,
        }
    }

    /// Rows to skip.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Rows to return.
    pub fn limit(&self) -> u64 {
        self.limit
    }
}

impl Default for Page {
    fn default() -> Self {
        Self::first()
    }
}

/// One page of rows and the total number of rows matching the query.
#[derive(Debug, Clone, Serialize)]
pub struct Paginated<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: Page,
}

impl Serialize for Page {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("Page", 2)?;
        s.serialize_field("offset", &self.offset)?;
        s.serialize_field("limit", &self.limit)?;
        s.end()
    }
}

impl<T> Paginated<T> {
    /// Converts the rows, keeping the page and total.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Paginated<U> {
        Paginated {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            page: self.page,
        }
    }
}

/// One page of an ordered `query` and the number of rows it matches: two
/// statements, whatever the page size.
pub(crate) async fn fetch_page<E, C>(
    db: &C,
    query: Select<E>,
    page: Page,
) -> Result<Paginated<E::Model>, RepoError>
where
    E: EntityTrait,
    C: ConnectionTrait,
    E::Model: Sync,
{
    let total = query.clone().count(db).await?;
    let items = query
        .offset(page.offset())
        .limit(page.limit())
        .all(db)
        .await?;
    Ok(Paginated { items, total, page })
}
