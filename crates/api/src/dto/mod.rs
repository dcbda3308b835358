//! Request and response bodies of the HTTP API (documented in OpenAPI).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use service::{Paginated, limits};
use utoipa::ToSchema;

/// `null`-aware optional field: absent → `None`, `null` → `Some(None)`.
pub fn double_option<'de, T, D>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    Deserialize::deserialize(de).map(Some)
}

/// `i32` fields that also accept a whole number written with a zero
/// fraction (`250.0`): JSON Schema's `integer` includes such numbers, and
/// some JSON encoders write them.
pub mod whole {
    use serde::de::{self, Deserialize, Deserializer, Visitor};

    struct Whole(i32);

    impl<'de> Deserialize<'de> for Whole {
        fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
            struct V;
            impl Visitor<'_> for V {
                type Value = Whole;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("a 32-bit integer")
                }
                fn visit_i64<E: de::Error>(self, v: i64) -> Result<Whole, E> {
                    i32::try_from(v)
                        .map(Whole)
                        .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
                }
                fn visit_u64<E: de::Error>(self, v: u64) -> Result<Whole, E> {
                    i32::try_from(v)
                        .map(Whole)
                        .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
                }
                fn visit_f64<E: de::Error>(self, v: f64) -> Result<Whole, E> {
                    let whole =
                        v.fract() == 0.0 && v >= f64::from(i32::MIN) && v <= f64::from(i32::MAX);
                    whole
                        .then_some(Whole(v as i32))
                        .ok_or_else(|| E::invalid_value(de::Unexpected::Float(v), &self))
                }
            }
            de.deserialize_any(V)
        }
    }

    pub fn one<'de, D: Deserializer<'de>>(de: D) -> Result<i32, D::Error> {
        Whole::deserialize(de).map(|w| w.0)
    }

    /// A place in a list: a whole number from 0 (`3.0` included, as JSON
    /// Schema's `integer` is).
    pub fn place<'de, D: Deserializer<'de>>(de: D) -> Result<u32, D::Error> {
        let w = Whole::deserialize(de)?.0;
        u32::try_from(w).map_err(|_| {
            de::Error::invalid_value(de::Unexpected::Signed(w.into()), &"a place from 0")
        })
    }

    pub fn optional<'de, D: Deserializer<'de>>(de: D) -> Result<Option<i32>, D::Error> {
        Ok(Option::<Whole>::deserialize(de)?.map(|w| w.0))
    }

    /// Absent → `None`, `null` → `Some(None)` (with `#[serde(default)]`).
    pub fn nullable<'de, D: Deserializer<'de>>(de: D) -> Result<Option<Option<i32>>, D::Error> {
        Ok(Some(Option::<Whole>::deserialize(de)?.map(|w| w.0)))
    }

    pub fn many<'de, D: Deserializer<'de>>(de: D) -> Result<Vec<i32>, D::Error> {
        Ok(Vec::<Whole>::deserialize(de)?
            .into_iter()
            .map(|w| w.0)
            .collect())
    }
}

/// A page of items.
#[derive(Debug, Serialize, ToSchema)]
pub struct List<T: ToSchema> {
    pub data: Vec<T>,
    pub meta: PageMeta,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PageMeta {
    pub offset: u64,
    pub limit: u64,
    pub total: u64,
}

impl<T: ToSchema> List<T> {
    pub fn from_page<U>(page: Paginated<U>, f: impl FnMut(U) -> T) -> Self {
        let meta = PageMeta {
            offset: page.page.offset(),
            limit: page.page.limit(),
            total: page.total,
        };
        List {
            data: page.items.into_iter().map(f).collect(),
            meta,
        }
    }
}

// The API's enums are the entity's (one spelling, serde's snake_case,
// stored, sent and documented alike); the schema keeps the API's names.
pub use service::enums::{ApprovalStatus, StreamScope as Scope, UserRole as Role};

/// The strings of a JSON array (others, and non-arrays, dropped).
mod articles;
mod auth;
mod candidates;
mod deliveries;
mod feeds;
mod operations;
mod organizations;
mod reports;
mod retrievals;
mod streams;
mod summaries;
mod users;
mod webhooks;

pub use articles::*;
pub use auth::*;
pub use candidates::*;
pub use deliveries::*;
pub use feeds::*;
pub use operations::*;
pub use organizations::*;
pub use reports::*;
pub use retrievals::*;
pub use streams::*;
pub use summaries::*;
pub use users::*;
pub use webhooks::*;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_fields_take_whole_numbers_written_with_a_zero_fraction_and_nothing_else() {
        let r: RankingRequest =
            serde_json::from_str(r#"{"article_ids": [3, 250.0, -1.0]}"#).unwrap();
        assert_eq!(r.article_ids, vec![3, 250, -1]);
        for bad in [
            r#"{"article_ids": [2.5]}"#,
            r#"{"article_ids": [2147483648]}"#,
            r#"{"article_ids": [1e300]}"#,
            r#"{"article_ids": ["1"]}"#,
        ] {
            assert!(
                serde_json::from_str::<RankingRequest>(bad).is_err(),
                "{bad}"
            );
        }
        let u: ArticleUpdateIn =
            serde_json::from_str(r#"{"article_id": 7.0, "pub_year": null}"#).unwrap();
        assert_eq!((u.article_id, u.pub_year), (7, Some(None)));
        let u: ArticleUpdateIn = serde_json::from_str(r#"{"article_id": 7}"#).unwrap();
        assert_eq!(u.pub_year, None, "absent is not null");
        let e: EditArticleRequest = serde_json::from_str(r#"{"ranking": 2.0}"#).unwrap();
        assert_eq!(e.ranking, Some(2));
    }
}
