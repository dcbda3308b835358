//! A process's LLM concurrency (`llm.global_concurrency`), shared fairly
//! between organizations.
//!
//! A first-come, first-served semaphore lets one organization's large run
//! queue so many calls that another organization's three-article summary
//! waits behind all of them. Here every organization with work in progress
//! (an *active* tenant: a run working, or a preview) has an equal share of
//! the permits. Within its share a tenant takes a free permit at once; past
//! it, it may borrow free permits only while one stays free for each other
//! active tenant under its share — so a tenant that is between two calls
//! finds its permit when it asks again. Waiting calls are served round
//! robin across tenants, first come first served within one.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

/// Whose work a call is: an organization, or none (a personal stream of a
/// user outside any organization, a global stream's owner).
pub(crate) type Tenant = Option<i32>;

pub(crate) struct FairShare {
    capacity: usize,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    in_use: usize,
    /// Permits held, per tenant that holds any.
    held: HashMap<Tenant, usize>,
    /// Work in progress per tenant (runs, previews): who shares.
    active: HashMap<Tenant, usize>,
    /// Waiting calls per tenant, oldest first.
    waiting: HashMap<Tenant, VecDeque<oneshot::Sender<Permit>>>,
    /// Tenants with waiting calls, in the order they are served.
    turn: VecDeque<Tenant>,
}

/// One LLM call's permit; dropping it frees it for the next waiter.
pub(crate) struct Permit {
    share: Arc<FairShare>,
    tenant: Tenant,
}

/// A tenant's work in progress, counted while held.
pub(crate) struct Active {
    share: Arc<FairShare>,
    tenant: Tenant,
}

impl State {
    fn held(&self, tenant: &Tenant) -> usize {
        self.held.get(tenant).copied().unwrap_or(0)
    }

    /// Whether `tenant` may take a permit now (see the module's rules).
    fn may_take(&self, capacity: usize, tenant: &Tenant) -> bool {
        if self.in_use >= capacity {
            return false;
        }
        let sharing = self.active.len().max(1);
        let share = (capacity / sharing).max(1);
        if self.held(tenant) < share {
            return true;
        }
        let reserved = self
            .active
            .keys()
            .filter(|other| *other != tenant && self.held(other) < share)
            .count();
        capacity - self.in_use > reserved
    }

    fn take(&mut self, tenant: Tenant) {
        self.in_use += 1;
        *self.held.entry(tenant).or_default() += 1;
    }

    fn give_back(&mut self, tenant: &Tenant) {
        self.in_use -= 1;
        if let Some(n) = self.held.get_mut(tenant) {
            *n -= 1;
            if *n == 0 {
                self.held.remove(tenant);
            }
        }
    }
}

impl FairShare {
    pub(crate) fn new(capacity: usize) -> Arc<Self> {
        Arc::new(Self {
            capacity: capacity.max(1),
            state: Mutex::default(),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts `tenant`'s work as in progress while the guard is held.
    pub(crate) fn enter(self: &Arc<Self>, tenant: Tenant) -> Active {
        *self.lock().active.entry(tenant).or_default() += 1;
        Active {
            share: self.clone(),
            tenant,
        }
    }

    /// How much work of `tenant` is in progress here.
    pub(crate) fn active_of(&self, tenant: Tenant) -> usize {
        self.lock().active.get(&tenant).copied().unwrap_or(0)
    }

    /// A permit for one call of `tenant`, at once if its share allows,
    /// otherwise in its turn.
    pub(crate) async fn acquire(self: &Arc<Self>, tenant: Tenant) -> Permit {
        loop {
            let receiver = {
                let mut state = self.lock();
                let nobody_waits = !state.waiting.contains_key(&tenant);
                if nobody_waits && state.may_take(self.capacity, &tenant) {
                    state.take(tenant);
                    return Permit {
                        share: self.clone(),
                        tenant,
                    };
                }
                let (sender, receiver) = oneshot::channel();
                let queue = state.waiting.entry(tenant).or_default();
                queue.push_back(sender);
                if queue.len() == 1 {
                    state.turn.push_back(tenant);
                }
                receiver
            };
            // A sender is dropped unsent only with the whole share, which
            // `self` keeps alive; should one be, ask again.
            if let Ok(permit) = receiver.await {
                return permit;
            }
        }
    }

    /// Hands free permits to waiting calls, tenant by tenant in turn.
    fn serve(self: &Arc<Self>) {
        // Permits whose waiter went away are dropped after the lock is
        // released: dropping one serves again.
        let mut unclaimed = Vec::new();
        {
            let mut state = self.lock();
            let mut passes = state.turn.len();
            while passes > 0 {
                let Some(tenant) = state.turn.pop_front() else {
                    break;
                };
                if !state.may_take(self.capacity, &tenant) {
                    state.turn.push_back(tenant);
                    passes -= 1;
                    continue;
                }
                let sender = state.waiting.get_mut(&tenant).and_then(VecDeque::pop_front);
                let more = state.waiting.get(&tenant).is_some_and(|q| !q.is_empty());
                if more {
                    state.turn.push_back(tenant);
                } else {
                    state.waiting.remove(&tenant);
                }
                passes = state.turn.len();
                let Some(sender) = sender else { continue };
                state.take(tenant);
                let permit = Permit {
                    share: self.clone(),
                    tenant,
                };
                if let Err(permit) = sender.send(permit) {
                    unclaimed.push(permit);
                }
            }
        }
        drop(unclaimed);
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.share.lock().give_back(&self.tenant);
        self.share.serve();
    }
}

impl Drop for Active {
    fn drop(&mut self) {
        {
            let mut state = self.share.lock();
            if let Some(n) = state.active.get_mut(&self.tenant) {
                *n -= 1;
                if *n == 0 {
                    state.active.remove(&self.tenant);
                }
            }
        }
        // Fewer tenants share: the others' shares grew.
        self.share.serve();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_second_tenant_gets_a_permit_while_the_first_has_many_waiting() {
        let share = FairShare::new(4);
        let (_a, _b) = (share.enter(Some(1)), share.enter(Some(2)));
        // Tenant 1 takes what it may: its share and all but one permit
        // kept for tenant 2, which holds none.
        let mut held = Vec::new();
        for _ in 0..3 {
            held.push(share.acquire(Some(1)).await);
        }
        let waiting = tokio::spawn({
            let share = share.clone();
            async move { share.acquire(Some(1)).await }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "tenant 1 is past its share");
        let b = tokio::time::timeout(std::time::Duration::from_secs(1), share.acquire(Some(2)))
            .await
            .expect("tenant 2 finds its permit free");
        // Tenant 2 between calls: its permit is kept for it.
        drop(b);
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "the permit stays kept for tenant 2");
        let again = share.acquire(Some(2)).await;
        // A permit of tenant 1's frees while tenant 2 is under its share:
        // it stays kept for tenant 2; once tenant 2 is done, tenant 1's
        // waiter gets it.
        drop(held.pop());
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "tenant 2 may still use its share");
        drop(again);
        let got = tokio::time::timeout(std::time::Duration::from_secs(1), waiting)
            .await
            .expect("served in turn")
            .unwrap();
        drop((got, held));
        assert_eq!(share.lock().in_use, 0);
    }

    #[tokio::test]
    async fn one_tenant_alone_uses_every_permit() {
        let share = FairShare::new(3);
        let _a = share.enter(Some(1));
        let mut held = Vec::new();
        for _ in 0..3 {
            held.push(share.acquire(Some(1)).await);
        }
        assert_eq!(share.lock().in_use, 3);
    }

    #[tokio::test]
    async fn a_waiter_that_goes_away_gives_its_permit_to_the_next() {
        let share = FairShare::new(1);
        let first = share.acquire(Some(1)).await;
        let gone = tokio::spawn({
            let share = share.clone();
            async move { share.acquire(Some(1)).await }
        });
        let next = tokio::spawn({
            let share = share.clone();
            async move { share.acquire(Some(2)).await }
        });
        tokio::task::yield_now().await;
        gone.abort();
        let _ = gone.await;
        drop(first);
        let permit = tokio::time::timeout(std::time::Duration::from_secs(1), next)
            .await
            .expect("the next waiter is served")
            .unwrap();
        assert_eq!(permit.tenant, Some(2));
    }
}
