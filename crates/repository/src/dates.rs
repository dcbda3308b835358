//! The dates every backend stores: MySQL/MariaDB's `DATE` holds years 1000
//! to 9999, and its driver cannot even encode a year outside 0..=65535.
//!
//! Why this guard sits in the data layer and not only at the API edge: an
//! unencodable value never reaches the server. SeaQuery's MySQL binder drops
//! a value whose encoding fails (`let _ = args.add(..)`), so the statement
//! goes out one parameter short; sqlx-mysql notices only after it has queued
//! the wait for a result, returns a protocol error, and the connection then
//! waits forever for that result when it is returned to the pool (its
//! release ping never completes). One such request costs one pooled
//! connection for good, so every date is checked here before any statement
//! that binds it.

use chrono::NaiveDate;

use crate::RepoError;

/// The first date every backend stores.
pub const EARLIEST: NaiveDate = NaiveDate::from_ymd_opt(1000, 1, 1).expect("a date");

/// The last date every backend stores.
pub const LATEST: NaiveDate = NaiveDate::from_ymd_opt(9999, 12, 31).expect("a date");

/// Whether every backend stores `date`.
pub fn storable(date: NaiveDate) -> bool {
    (EARLIEST..=LATEST).contains(&date)
}

/// `Unstorable` unless every backend stores `date`; `what` names the column.
pub fn check(what: &'static str, date: NaiveDate) -> Result<NaiveDate, RepoError> {
    if storable(date) {
        Ok(date)
    } else {
        Err(RepoError::Unstorable(format!(
            "{what} {date} is outside {EARLIEST}..={LATEST}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_years_1000_to_9999_are_storable() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert!(storable(d(1000, 1, 1)) && storable(d(9999, 12, 31)) && storable(d(2026, 12, 1)));
        for bad in [d(999, 12, 31), d(10000, 1, 1), d(-1, 1, 1), d(0, 1, 1)] {
            assert!(!storable(bad), "{bad}");
            assert!(matches!(
                check("report_date", bad),
                Err(RepoError::Unstorable(_))
            ));
        }
    }
}
