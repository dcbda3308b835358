//! Chunk sizes that keep every statement below the backends' bind-parameter
//! limits: 32,766 on SQLite, 65,535 on MySQL/MariaDB and PostgreSQL.

/// The smallest bind limit of the supported backends (SQLite's).
pub const MAX_BINDS: usize = 32_766;

/// Ids per `IN (…)` list. Far below [`MAX_BINDS`] so a query can carry other
/// binds too, and large enough that a 1,000-article report is one query.
pub const IN_LIST: usize = 5_000;

/// Rows per multi-row INSERT for a table of `columns` columns: as many as fit
/// in half the bind limit (headroom for the ON CONFLICT clause), at most 1,000
/// so a single statement stays a few hundred kilobytes.
pub const fn insert_rows(columns: usize) -> usize {
    let rows = MAX_BINDS / 2 / columns;
    if rows > 1_000 { 1_000 } else { rows }
}

/// Rows per `UPDATE … SET col = CASE id WHEN … END` statement: each row costs
/// two binds per updated column plus one in the `WHERE id IN (…)`.
pub const fn update_rows(columns: usize) -> usize {
    let rows = MAX_BINDS / 2 / (2 * columns + 1);
    if rows > 500 { 500 } else { rows }
}

/// Estimated bytes of one statement (SQL text and bind values) on
/// PostgreSQL. sqlx 0.9 leaves Nagle's algorithm on (no `TCP_NODELAY`), and
/// a statement message above about 20 KiB waits ~40 ms for the server's
/// delayed ACK; measured on loopback, 150 article rows (20 KiB) took 3 ms and
/// 160 rows 45 ms. Statements are kept below that.
pub const POSTGRES_STATEMENT_BYTES: usize = 16 * 1024;

/// The byte budget of one statement on this backend (see
/// [`POSTGRES_STATEMENT_BYTES`]).
pub(crate) fn statement_bytes<C: sea_orm::ConnectionTrait>(db: &C) -> Option<usize> {
    (db.get_database_backend() == sea_orm::DbBackend::Postgres).then_some(POSTGRES_STATEMENT_BYTES)
}

/// Splits `items` into consecutive chunks of at most `max_rows` rows and,
/// when `max_bytes` is set, at most that many estimated bytes (a chunk always
/// holds at least one row).
pub fn by_size<T>(
    items: &[T],
    max_rows: usize,
    max_bytes: Option<usize>,
    size: impl Fn(&T) -> usize,
) -> Vec<&[T]> {
    let mut chunks = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, item) in items.iter().enumerate() {
        let n = size(item);
        let rows = i - start;
        if rows > 0 && (rows >= max_rows || max_bytes.is_some_and(|max| bytes + n > max)) {
            chunks.push(&items[start..i]);
            start = i;
            bytes = 0;
        }
        bytes += n;
    }
    if start < items.len() {
        chunks.push(&items[start..]);
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_respect_rows_and_bytes_and_keep_every_item_in_order() {
        let items: Vec<usize> = (0..100).map(|i| i % 7 + 1).collect();
        for (rows, bytes) in [(10, None), (1000, Some(20)), (3, Some(5)), (1, None)] {
            let chunks = by_size(&items, rows, bytes, |n| *n);
            assert_eq!(chunks.concat(), items);
            for c in &chunks {
                assert!(c.len() <= rows && !c.is_empty());
                if let Some(max) = bytes {
                    assert!(c.len() == 1 || c.iter().sum::<usize>() <= max);
                }
            }
        }
    }
}
