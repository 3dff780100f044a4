//! When to sync: pure logic over caller-supplied instants, so it is tested
//! without clocks or network. The desktop's background thread asks
//! [`Scheduler::time_until_due`], sleeps (or waits on its channel) that long,
//! runs [`crate::Client::sync_once`] and reports the result back.

use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct BackoffPolicy {
    /// First retry delay after a failure; doubles per consecutive failure.
    pub initial: Duration,
    /// Cap of the retry delay.
    pub max: Duration,
    /// Sync this often even with no writes (pulls releases, shows liveness).
    pub periodic: Duration,
    /// Sync this long after a local write (writes come in bursts).
    pub after_write: Duration,
    /// Seed of the jitter; give each station a different one.
    pub seed: u64,
}

impl Default for BackoffPolicy {
    fn default() -> Self {
        BackoffPolicy {
            initial: Duration::from_secs(2),
            max: Duration::from_secs(300),
            periodic: Duration::from_secs(60),
            after_write: Duration::from_secs(2),
            seed: 0x9e37_79b9_7f4a_7c15,
        }
    }
}

/// Why the next sync is scheduled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Startup,
    NetworkUp,
    Write,
    Periodic,
    Retry,
    /// The previous run stopped with events still queued (e.g. a batch limit).
    MorePending,
    /// Somebody asked for it (the clerk's 立即同步 button).
    Manual,
}

#[derive(Debug, Clone)]
pub struct Scheduler {
    policy: BackoffPolicy,
    next_due: Instant,
    reason: Trigger,
    failures: u32,
    /// No write-triggered sync before this (we are backing off a failure).
    backoff_until: Option<Instant>,
    rng: u64,
}

impl Scheduler {
    /// Due at once: start-up is a trigger.
    pub fn new(policy: BackoffPolicy, now: Instant) -> Scheduler {
        let rng = policy.seed | 1;
        Scheduler {
            policy,
            next_due: now,
            reason: Trigger::Startup,
            failures: 0,
            backoff_until: None,
            rng,
        }
    }

    pub fn next_due(&self) -> Instant {
        self.next_due
    }

    /// `Some(reason)` if a sync should run now.
    pub fn due(&self, now: Instant) -> Option<Trigger> {
        (now >= self.next_due).then_some(self.reason)
    }

    pub fn time_until_due(&self, now: Instant) -> Duration {
        self.next_due.saturating_duration_since(now)
    }

    pub fn consecutive_failures(&self) -> u32 {
        self.failures
    }

    fn schedule(&mut self, at: Instant, reason: Trigger) {
        if at < self.next_due {
            self.next_due = at;
            self.reason = reason;
        }
    }

    /// A local write happened: sync shortly, unless a backoff says the
    /// county is down (then the retry already scheduled will carry it).
    pub fn notify_write(&mut self, now: Instant) {
        let mut at = now + self.policy.after_write;
        if let Some(until) = self.backoff_until {
            at = at.max(until);
        }
        self.schedule(at, Trigger::Write);
    }

    /// The network came back: try at once and forget the backoff.
    pub fn notify_network_up(&mut self, now: Instant) {
        self.failures = 0;
        self.backoff_until = None;
        self.next_due = now;
        self.reason = Trigger::NetworkUp;
    }

    /// A person asked to sync now: run at once, even inside a backoff (they
    /// can see whether the network is back; the backoff only spares the county
    /// from machines retrying on their own).
    pub fn notify_manual(&mut self, now: Instant) {
        self.next_due = now;
        self.reason = Trigger::Manual;
    }

    /// A sync succeeded. With events still queued, run again at once;
    /// otherwise wait for a write or the periodic tick.
    pub fn on_success(&mut self, now: Instant, more_pending: bool) {
        self.failures = 0;
        self.backoff_until = None;
        if more_pending {
            self.next_due = now;
            self.reason = Trigger::MorePending;
        } else {
            self.next_due = now + self.policy.periodic;
            self.reason = Trigger::Periodic;
        }
    }

    /// A sync failed: retry after an exponentially growing, jittered delay
    /// (full delay in [d/2, d]) so many stations do not retry in lockstep.
    /// Returns the delay chosen.
    pub fn on_failure(&mut self, now: Instant) -> Duration {
        self.failures = self.failures.saturating_add(1);
        let exp = self.failures.saturating_sub(1).min(30);
        let base = self
            .policy
            .initial
            .saturating_mul(1u32 << exp.min(31))
            .min(self.policy.max);
        let half = base / 2;
        let jitter_ns = if half.is_zero() {
            0
        } else {
            self.next_random() % (half.as_nanos() as u64 + 1)
        };
        let delay = half + Duration::from_nanos(jitter_ns);
        self.next_due = now + delay;
        self.reason = Trigger::Retry;
        self.backoff_until = Some(self.next_due);
        delay
    }

    fn next_random(&mut self) -> u64 {
        // xorshift64*: deterministic per seed, good enough for jitter.
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> BackoffPolicy {
        BackoffPolicy {
            initial: Duration::from_secs(2),
            max: Duration::from_secs(60),
            periodic: Duration::from_secs(30),
            after_write: Duration::from_secs(1),
            seed: 42,
        }
    }

    #[test]
    fn due_at_startup() {
        let t0 = Instant::now();
        let s = Scheduler::new(policy(), t0);
        assert_eq!(s.due(t0), Some(Trigger::Startup));
    }

    #[test]
    fn write_schedules_soon_and_periodic_runs_without_writes() {
        let t0 = Instant::now();
        let mut s = Scheduler::new(policy(), t0);
        s.on_success(t0, false);
        assert_eq!(s.due(t0), None);
        // No write at all: still due after the periodic interval.
        assert_eq!(s.due(t0 + Duration::from_secs(30)), Some(Trigger::Periodic));
        s.notify_write(t0 + Duration::from_secs(5));
        assert_eq!(s.next_due(), t0 + Duration::from_secs(6));
        assert_eq!(s.due(t0 + Duration::from_secs(6)), Some(Trigger::Write));
    }

    #[test]
    fn more_pending_runs_again_at_once() {
        let t0 = Instant::now();
        let mut s = Scheduler::new(policy(), t0);
        s.on_success(t0, true);
        assert_eq!(s.due(t0), Some(Trigger::MorePending));
    }

    #[test]
    fn backoff_grows_with_jitter_and_is_capped() {
        let t0 = Instant::now();
        let mut s = Scheduler::new(policy(), t0);
        let mut prev_max = Duration::ZERO;
        for n in 1..=10u32 {
            let d = s.on_failure(t0);
            let full = (Duration::from_secs(2) * 2u32.pow(n - 1)).min(Duration::from_secs(60));
            assert!(
                d >= full / 2 && d <= full,
                "failure {n}: {d:?} not in [{:?}, {full:?}]",
                full / 2
            );
            assert_eq!(s.due(t0 + d), Some(Trigger::Retry));
            prev_max = prev_max.max(d);
        }
        assert!(prev_max <= Duration::from_secs(60));
        assert_eq!(s.consecutive_failures(), 10);
    }

    #[test]
    fn jitter_is_deterministic_per_seed_and_differs_across_seeds() {
        let t0 = Instant::now();
        let run = |seed| {
            let mut s = Scheduler::new(BackoffPolicy { seed, ..policy() }, t0);
            (0..6).map(|_| s.on_failure(t0)).collect::<Vec<_>>()
        };
        assert_eq!(run(1), run(1));
        assert_ne!(run(1), run(2));
    }

    #[test]
    fn manual_runs_at_once_even_in_backoff_and_a_failure_keeps_backing_off() {
        let t0 = Instant::now();
        let mut s = Scheduler::new(policy(), t0);
        s.on_failure(t0);
        s.on_failure(t0);
        assert_eq!(s.due(t0), None);
        s.notify_manual(t0);
        assert_eq!(s.due(t0), Some(Trigger::Manual));
        // The manual run failed too: the backoff continues from where it was.
        let d = s.on_failure(t0);
        assert_eq!(s.consecutive_failures(), 3);
        assert!(d >= Duration::from_secs(4), "{d:?}");
    }

    #[test]
    fn write_during_backoff_waits_for_retry_but_network_up_does_not() {
        let t0 = Instant::now();
        let mut s = Scheduler::new(policy(), t0);
        for _ in 0..4 {
            s.on_failure(t0);
        }
        let retry = s.next_due();
        s.notify_write(t0);
        assert_eq!(
            s.next_due(),
            retry,
            "a write must not hammer a county that is down"
        );
        s.notify_network_up(t0 + Duration::from_secs(1));
        assert_eq!(s.due(t0 + Duration::from_secs(1)), Some(Trigger::NetworkUp));
        assert_eq!(s.consecutive_failures(), 0);
        // After success the backoff is gone and writes trigger quickly again.
        s.on_success(t0 + Duration::from_secs(1), false);
        s.notify_write(t0 + Duration::from_secs(2));
        assert_eq!(s.next_due(), t0 + Duration::from_secs(3));
    }
}
