//! Health and readiness bodies.

use super::*;

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthOut {
    pub status: String,
}
