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
