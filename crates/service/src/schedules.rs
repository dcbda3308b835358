//! A stream's retrieval schedule: a cron expression (croner) read in an
//! IANA time zone (chrono-tz), so that "Mondays at 06:00 in Berlin" stays
//! 06:00 across daylight-saving changes.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds};

use crate::FieldError;
use entity::stream_config::Schedule;

/// A schedule, parsed.
pub struct Parsed {
    cron: Cron,
    zone: Tz,
}

impl Parsed {
    /// The schedule's cron and time zone, or the errors naming the field
    /// (under `at`) that is wrong.
    pub fn of(schedule: &Schedule, at: &str) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        // Five fields, or six with seconds first.
        let cron = CronParser::builder()
            .seconds(Seconds::Optional)
            .build()
            .parse(&schedule.cron)
            .map_err(|e| {
                errors.push(FieldError::new(
                    format!("{at}.cron"),
                    format!("is not a cron expression: {e}"),
                ))
            })
            .ok();
        let zone = schedule
            .time_zone
            .parse::<Tz>()
            .map_err(|_| {
                errors.push(FieldError::new(
                    format!("{at}.time_zone"),
                    "is not an IANA time zone (such as `UTC` or `Europe/Berlin`)",
                ))
            })
            .ok();
        match (cron, zone) {
            (Some(cron), Some(zone)) => Ok(Self { cron, zone }),
            _ => Err(errors),
        }
    }

    /// The first time the schedule is due strictly after `after`; none when
    /// it never is again.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local = after.with_timezone(&self.zone);
        self.cron
            .find_next_occurrence(&local, false)
            .ok()
            .map(|at| at.with_timezone(&Utc))
    }

    /// The shortest time between the next few due times from `now`.
    fn shortest_gap(&self, now: DateTime<Utc>) -> Option<chrono::Duration> {
        let mut at = self.next_after(now)?;
        let mut shortest: Option<chrono::Duration> = None;
        for _ in 0..8 {
            let Some(next) = self.next_after(at) else {
                break;
            };
            let gap = next - at;
            shortest = Some(shortest.map_or(gap, |s| s.min(gap)));
            at = next;
        }
        shortest
    }
}

/// The schedule's errors: a cron that parses, a known time zone, due again
/// at all, and never more often than every `min_interval_secs`.
pub fn check(schedule: &Schedule, at: &str, min_interval_secs: u64, errors: &mut Vec<FieldError>) {
    let parsed = match Parsed::of(schedule, at) {
        Ok(parsed) => parsed,
        Err(e) => {
            errors.extend(e);
            return;
        }
    };
    let now = Utc::now();
    if parsed.next_after(now).is_none() {
        errors.push(FieldError::new(format!("{at}.cron"), "is never due again"));
    } else if let Some(gap) = parsed.shortest_gap(now)
        && gap.num_seconds() < i64::try_from(min_interval_secs).unwrap_or(i64::MAX)
    {
        errors.push(FieldError::new(
            format!("{at}.cron"),
            format!("is due more often than every {min_interval_secs} seconds (sources.min_schedule_interval_secs)"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(cron: &str, zone: &str) -> Schedule {
        Schedule {
            cron: cron.into(),
            time_zone: zone.into(),
        }
    }

    #[test]
    fn a_local_time_stays_local_across_daylight_saving() {
        let weekly = Parsed::of(&schedule("0 6 * * 1", "Europe/Berlin"), "s")
            .ok()
            .unwrap();
        let winter = "2026-12-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(
            weekly.next_after(winter).unwrap().to_rfc3339(),
            "2026-12-07T05:00:00+00:00"
        );
        let summer = "2026-07-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(
            weekly.next_after(summer).unwrap().to_rfc3339(),
            "2026-07-06T04:00:00+00:00"
        );
    }

    #[test]
    fn a_bad_schedule_names_its_field() {
        let mut errors = Vec::new();
        check(
            &schedule("61 * * * *", "Mars/Olympus"),
            "retrieval_config.schedule",
            60,
            &mut errors,
        );
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "retrieval_config.schedule.cron",
                "retrieval_config.schedule.time_zone"
            ]
        );
        let mut errors = Vec::new();
        check(&schedule("*/10 * * * * *", "UTC"), "s", 60, &mut errors);
        assert_eq!(
            errors.len(),
            1,
            "every ten seconds is too often: {errors:?}"
        );
        let mut errors = Vec::new();
        check(&schedule("0 6 * * 1", "UTC"), "s", 60, &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
    }
}

/// The first time strictly after `after` that is `send_at`'s time of day in
/// its zone; a time that a daylight-saving change skips that day is the
/// first instant after the gap. Errors name the field (under `at`).
pub fn next_send_time(
    send_at: &entity::stream_config::SendTime,
    at: &str,
    after: DateTime<Utc>,
) -> Result<DateTime<Utc>, Vec<FieldError>> {
    use chrono::TimeZone;
    let mut errors = Vec::new();
    let time = chrono::NaiveTime::parse_from_str(&send_at.time, "%H:%M")
        .ok()
        .filter(|_| send_at.time.len() == 5);
    if time.is_none() {
        errors.push(FieldError::new(
            format!("{at}.time"),
            "is not a time `HH:MM` (24-hour)",
        ));
    }
    let zone = send_at.time_zone.parse::<Tz>().ok();
    if zone.is_none() {
        errors.push(FieldError::new(
            format!("{at}.time_zone"),
            "is not an IANA time zone (such as `UTC` or `Europe/Berlin`)",
        ));
    }
    let (Some(time), Some(zone)) = (time, zone) else {
        return Err(errors);
    };
    let today = after.with_timezone(&zone).date_naive();
    for day in 0..3 {
        let date = today + chrono::Duration::days(day);
        let local = date.and_time(time);
        let instant = match zone.from_local_datetime(&local) {
            chrono::LocalResult::Single(t) => t,
            chrono::LocalResult::Ambiguous(first, _) => first,
            // Skipped by a change to summer time: the hour after it.
            chrono::LocalResult::None => {
                match zone.from_local_datetime(&(local + chrono::Duration::hours(1))) {
                    chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => t,
                    chrono::LocalResult::None => continue,
                }
            }
        };
        let instant = instant.with_timezone(&Utc);
        if instant > after {
            return Ok(instant);
        }
    }
    Ok(after)
}

#[cfg(test)]
mod send_time_tests {
    use super::*;
    use chrono::TimeZone;
    use entity::stream_config::SendTime;

    fn at(time: &str, zone: &str) -> SendTime {
        SendTime {
            time: time.into(),
            time_zone: zone.into(),
        }
    }

    #[test]
    fn the_next_send_time_is_today_or_tomorrow_in_the_streams_zone() {
        let now = Utc.with_ymd_and_hms(2026, 3, 2, 6, 0, 0).unwrap();
        // 07:30 in Berlin is 06:30 UTC in winter.
        assert_eq!(
            next_send_time(&at("07:30", "Europe/Berlin"), "s", now).unwrap(),
            Utc.with_ymd_and_hms(2026, 3, 2, 6, 30, 0).unwrap()
        );
        assert_eq!(
            next_send_time(&at("06:00", "UTC"), "s", now).unwrap(),
            Utc.with_ymd_and_hms(2026, 3, 3, 6, 0, 0).unwrap(),
            "strictly after"
        );
        // 02:30 does not exist in Berlin on 29 March 2026: 03:30 local.
        let spring = Utc.with_ymd_and_hms(2026, 3, 29, 0, 0, 0).unwrap();
        assert_eq!(
            next_send_time(&at("02:30", "Europe/Berlin"), "s", spring).unwrap(),
            Utc.with_ymd_and_hms(2026, 3, 29, 1, 30, 0).unwrap()
        );
    }

    #[test]
    fn a_bad_time_or_zone_names_its_field() {
        let now = Utc::now();
        let errors = next_send_time(
            &at("7:30", "Mars/Olympus"),
            "presentation_config.send_at",
            now,
        )
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "presentation_config.send_at.time",
                "presentation_config.send_at.time_zone"
            ]
        );
        assert!(next_send_time(&at("24:00", "UTC"), "s", now).is_err());
    }
}
