//! Imports articles from a JSON Lines file into a database, the way an
//! internal job uses the repository crate: no HTTP, no service layer.
//!
//! ```text
//! cargo run -p repository --example import_jsonl -- articles.jsonl [sqlite://data/import.db]
//! ```
//! Each line is an article: `{"title": "...", "doi": "...", "pmid": "...", ...}`.
//! Re-running the import is idempotent: rows upsert on DOI or PMID.

use repository::articles::{self, NewArticle};
use repository::database::{self, DatabaseSettings};

/// Articles per transaction: a crash loses at most one uncommitted batch.
const BATCH: usize = 5_000;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or("usage: import_jsonl FILE [DATABASE_URL]")?;
    let url = args
        .next()
        .unwrap_or_else(|| "sqlite://data/import.db".into());
    let text = tokio::fs::read_to_string(&path).await?;
    let mut batch: Vec<NewArticle> = Vec::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        batch.push(serde_json::from_str(line).map_err(|e| format!("line {}: {e}", n + 1))?);
    }
    let settings = DatabaseSettings::with_url(url);
    // Migrations on a connection of their own, before the pool opens.
    let alone = database::connect_alone(&settings).await?;
    database::migrate(&alone).await?;
    alone.close().await?;
    let db = database::connect(&settings).await?;
    let mut imported = 0;
    for part in batch.chunks(BATCH) {
        use repository::sea_orm::TransactionTrait;
        let txn = db.begin().await?;
        imported += articles::upsert_many(&txn, part.to_vec()).await?.len();
        txn.commit().await?;
    }
    println!("imported {imported} articles from {path}");
    Ok(())
}
