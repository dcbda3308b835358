//! Sign-in throttling: a growing delay per account and a far higher limit
//! per client address, counted in the database so that every process sees
//! the same failures.

use std::net::IpAddr;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use repository::login_throttles;
use sea_orm::DatabaseConnection;

use crate::{AuthSettings, ServiceError};

/// How failures turn into waiting.
#[derive(Debug, Clone)]
pub struct ThrottlePolicy {
    /// Failures of one account before each further one adds a delay.
    pub free_failures_per_account: u32,
    /// The delay after the last free failure doubles per failure up to this.
    pub max_account_delay: Duration,
    /// Failures from one address before it waits out the window.
    pub failures_per_address: u32,
    /// How long failures are remembered after the last one.
    pub window: Duration,
}

impl From<&AuthSettings> for ThrottlePolicy {
    fn from(s: &AuthSettings) -> Self {
        Self {
            free_failures_per_account: s.max_failed_logins.max(1),
            max_account_delay: Duration::from_secs(s.max_login_delay_secs.max(1)),
            failures_per_address: s.max_failed_logins_per_address.max(1),
            window: Duration::from_secs(s.failed_login_window_secs.max(1)),
        }
    }
}

impl ThrottlePolicy {
    /// How long an account with `failures` recent failures waits: the first
    /// failure past the free ones 1 s, each further one twice as long, up to
    /// the maximum.
    fn account_delay(&self, failures: i32) -> Option<Duration> {
        let past_free = i64::from(failures) - i64::from(self.free_failures_per_account);
        (past_free >= 0)
            .then(|| Duration::from_secs(1u64 << past_free.min(30)).min(self.max_account_delay))
    }

    /// When an address with `failures` recent failures may try again.
    fn address_block(&self, failures: i32, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        (i64::from(failures) >= i64::from(self.failures_per_address)).then(|| now + self.window())
    }

    /// [`Self::window`] as a span of calendar time.
    fn window(&self) -> TimeDelta {
        TimeDelta::from_std(self.window).unwrap_or(TimeDelta::MAX)
    }
}

/// Where a sign-in attempt comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub Option<IpAddr>);

impl ClientAddress {
    /// The throttle key: the address itself for IPv4, its /64 prefix for
    /// IPv6 (one subscriber holds a whole /64).
    fn key(&self) -> String {
        match self.0.map(|ip| ip.to_canonical()) {
            Some(IpAddr::V4(v4)) => format!("address:{v4}"),
            Some(IpAddr::V6(v6)) => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                format!("address:{}/64", std::net::Ipv6Addr::from(prefix))
            }
            None => "address:unknown".into(),
        }
    }
}

/// Counts failed sign-ins per account and per client address.
#[derive(Clone)]
pub struct LoginThrottle {
    db: DatabaseConnection,
    policy: ThrottlePolicy,
}

/// An attempt that was let through; settle it with
/// [`LoginThrottle::succeeded`] when the password was right.
#[derive(Debug)]
pub struct Attempt {
    account: String,
    address: String,
    /// The account's wait should this attempt fail.
    delay_on_failure: Option<Duration>,
}

fn later(now: DateTime<Utc>, delay: Duration) -> DateTime<Utc> {
    now + TimeDelta::from_std(delay).unwrap_or(TimeDelta::MAX)
}

impl LoginThrottle {
    pub fn new(db: DatabaseConnection, policy: ThrottlePolicy) -> Self {
        Self { db, policy }
    }

    /// Lets an attempt on `email` from `client` through, counted as a failure
    /// until it succeeds (so concurrent guesses cannot all slip past the
    /// limit), or answers how long to wait when the account or the address
    /// is blocked. Nothing is counted for a refused attempt.
    pub async fn begin(
        &self,
        email: &str,
        client: ClientAddress,
    ) -> Result<Result<Attempt, Duration>, ServiceError> {
        let now = Utc::now();
        let mut attempt = Attempt {
            account: format!("account:{email}"),
            address: client.key(),
            delay_on_failure: None,
        };
        let txn = repository::database::begin_write(&self.db).await?;
        // Always account, then address: one lock order for every caller.
        let mut account = login_throttles::lock(&txn, &attempt.account, now).await?;
        let mut address = login_throttles::lock(&txn, &attempt.address, now).await?;
        // An address block stops guessing across accounts; it does not stop
        // an account that has failed nothing in the window (its owner
        // behind a shared address whose other users, or an attacker, used
        // the address's failures up). Its attempt counts as a failure until
        // it succeeds, so a guesser gets one try per account per window.
        let window = self.policy.window();
        let account_fresh = account.failures == 0 || now - account.last_failure_at > window;
        let account_block = account.blocked_until.filter(|until| *until > now);
        let address_block = address
            .blocked_until
            .filter(|until| *until > now && !account_fresh);
        let wait = account_block.max(address_block);
        if let Some(until) = wait {
            txn.rollback().await?;
            let wait = (until - now).to_std().unwrap_or_default();
            // Retry-After is whole seconds: never tell a client to retry too early.
            return Ok(Err(Duration::from_secs(wait.as_secs_f64().ceil() as u64)));
        }
        for counter in [&mut account, &mut address] {
            if now - counter.last_failure_at > window {
                counter.failures = 0;
            }
            counter.failures = counter.failures.saturating_add(1);
            counter.last_failure_at = now;
        }
        attempt.delay_on_failure = self.policy.account_delay(account.failures);
        account.blocked_until = attempt.delay_on_failure.map(|delay| later(now, delay));
        address.blocked_until = self.policy.address_block(address.failures, now);
        login_throttles::save(&txn, account).await?;
        login_throttles::save(&txn, address).await?;
        txn.commit().await?;
        Ok(Ok(attempt))
    }

    /// The attempt was right: the account's failures are forgotten and the
    /// address's counter takes this attempt back.
    pub async fn succeeded(&self, attempt: Attempt) -> Result<(), ServiceError> {
        login_throttles::forget(&self.db, &attempt.account).await?;
        login_throttles::take_back_one(&self.db, &attempt.address).await?;
        Ok(())
    }

    /// The attempt was wrong: a blocked account's wait starts again from now,
    /// so that the time the password check took (longer on a loaded
    /// machine) does not use the wait up.
    pub async fn failed(&self, attempt: Attempt) -> Result<(), ServiceError> {
        if let Some(delay) = attempt.delay_on_failure {
            login_throttles::block_until_at_least(
                &self.db,
                &attempt.account,
                later(Utc::now(), delay),
            )
            .await?;
        }
        Ok(())
    }

    /// Deletes counters that neither count nor block any more; returns how
    /// many. Run periodically, it keeps the table as small as the failures
    /// of one window.
    pub async fn prune(&self) -> Result<u64, ServiceError> {
        let now = Utc::now();
        Ok(login_throttles::prune(&self.db, now - self.policy.window(), now).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> ThrottlePolicy {
        ThrottlePolicy {
            free_failures_per_account: 5,
            max_account_delay: Duration::from_secs(300),
            failures_per_address: 100,
            window: Duration::from_secs(900),
        }
    }

    #[test]
    fn account_delay_starts_at_one_second_after_the_free_failures_and_doubles_to_the_cap() {
        let delay = |failures| policy().account_delay(failures).map(|d| d.as_secs());
        assert_eq!(delay(4), None);
        assert_eq!(delay(5), Some(1));
        assert_eq!(delay(6), Some(2));
        assert_eq!(delay(9), Some(16));
        assert_eq!(delay(20), Some(300));
        assert_eq!(delay(i32::MAX), Some(300));
    }

    #[test]
    fn address_blocks_for_the_window_only_at_its_far_higher_limit() {
        let now = Utc::now();
        assert_eq!(policy().address_block(99, now), None);
        assert_eq!(
            policy()
                .address_block(100, now)
                .map(|until| (until - now).num_seconds()),
            Some(900)
        );
    }

    #[test]
    fn ipv6_clients_are_counted_per_64_prefix_and_mapped_ipv4_as_ipv4() {
        let key = |s: &str| ClientAddress(Some(s.parse().unwrap())).key();
        assert_eq!(key("2001:db8:1:2:aaaa::1"), key("2001:db8:1:2:bbbb::9"));
        assert_eq!(key("2001:db8:1:2::1"), "address:2001:db8:1:2::/64");
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("::ffff:203.0.113.7"), "address:203.0.113.7");
        assert_eq!(ClientAddress(None).key(), "address:unknown");
    }
}
