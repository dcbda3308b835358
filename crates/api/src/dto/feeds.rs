//! Feed tokens.

use serde::Serialize;
use service::chrono::{DateTime, Utc};
use service::feeds::{FeedToken, IssuedFeedToken};
use utoipa::ToSchema;

/// A feed token, without its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedTokenOut {
    pub id: i32,
    pub stream_id: i32,
    pub created_at: DateTime<Utc>,
}

impl From<FeedToken> for FeedTokenOut {
    fn from(t: FeedToken) -> Self {
        Self {
            id: t.id,
            stream_id: t.stream_id,
            created_at: t.created_at,
        }
    }
}

/// A new feed token: `token` is shown this once, and the feed URLs carry it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedFeedTokenOut {
    pub id: i32,
    pub stream_id: i32,
    pub created_at: DateTime<Utc>,
    /// The secret (64 hex digits); only its hash is kept.
    pub token: String,
    /// The Atom feed's URL with the token.
    pub atom_url: String,
    /// The JSON Feed's URL with the token.
    pub json_url: String,
}

impl CreatedFeedTokenOut {
    pub fn new(issued: IssuedFeedToken, base: &str) -> Self {
        let t = issued.token;
        let feed = format!("{base}/api/v1/streams/{}/feed", t.stream_id);
        Self {
            id: t.id,
            stream_id: t.stream_id,
            created_at: t.created_at,
            atom_url: format!("{feed}.atom?token={}", issued.secret),
            json_url: format!("{feed}.json?token={}", issued.secret),
            token: issued.secret,
        }
    }
}

/// The caller's feed tokens of a stream.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedTokensOut {
    pub data: Vec<FeedTokenOut>,
}
