//! Column types that must differ per backend to mean the same thing.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

/// A UTC timestamp. PostgreSQL gets `timestamptz`; MySQL/MariaDB get
/// `datetime(6)` holding UTC, because their `timestamp` ends in 2038; SQLite
/// stores RFC 3339 text.
pub fn utc(manager: &SchemaManager, col: impl IntoIden) -> ColumnDef {
    let mut def = ColumnDef::new(col);
    match manager.get_database_backend() {
        DbBackend::MySql => def.custom(Alias::new("datetime(6)")),
        _ => def.timestamp_with_time_zone(),
    };
    def.not_null();
    def
}

/// A nullable UTC timestamp (see [`utc`]).
pub fn utc_null(manager: &SchemaManager, col: impl IntoIden) -> ColumnDef {
    let mut def = utc(manager, col);
    def.null();
    def
}

/// A short string-backed enum value.
pub fn enum_string(col: impl IntoIden) -> ColumnDef {
    let mut def = ColumnDef::new(col);
    def.string_len(32).not_null();
    def
}
