use sea_orm::entity::prelude::*;

/// A scheduled stream's next due time: written when its schedule is set,
/// moved on by whichever process queues the run for it. A stream without
/// a schedule has no row.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "retrieval_schedules")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub stream_id: i32,
    pub next_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
