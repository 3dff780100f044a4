//! Per-address token buckets for what anyone may try without a device key:
//! enrolment attempts and requests of unknown devices. Memory is bounded:
//! the table forgets idle addresses and never holds more than `MAX_ADDRS`.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

const MAX_ADDRS: usize = 10_000;

pub struct RateLimiter {
    per_minute: f64,
    burst: f64,
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

impl RateLimiter {
    pub fn new(per_minute: u32, burst: u32) -> RateLimiter {
        RateLimiter {
            per_minute: f64::from(per_minute.max(1)),
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `ip`'s bucket is empty now (nothing taken).
    pub fn exhausted(&self, ip: IpAddr, now: Instant) -> bool {
        let Ok(b) = self.buckets.lock() else {
            return false;
        };
        b.get(&ip).is_some_and(|(tokens, last)| {
            tokens + now.duration_since(*last).as_secs_f64() * self.per_minute / 60.0 < 1.0
        })
    }

    /// Takes one token for `ip`; `false` when its bucket is empty.
    pub fn allow(&self, ip: IpAddr, now: Instant) -> bool {
        let Ok(mut b) = self.buckets.lock() else {
            return true;
        };
        if b.len() >= MAX_ADDRS {
            // Forget buckets that have refilled (idle addresses).
            let full_after = self.burst / self.per_minute * 60.0;
            b.retain(|_, (_, last)| now.duration_since(*last).as_secs_f64() < full_after);
            if b.len() >= MAX_ADDRS {
                return false;
            }
        }
        let (tokens, last) = b.entry(ip).or_insert((self.burst, now));
        let refill = now.duration_since(*last).as_secs_f64() * self.per_minute / 60.0;
        *tokens = (*tokens + refill).min(self.burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_burst_then_the_rate() {
        let l = RateLimiter::new(60, 3);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let t = Instant::now();
        assert!((0..3).all(|_| l.allow(ip, t)));
        assert!(!l.allow(ip, t));
        // One a second comes back.
        assert!(l.allow(ip, t + Duration::from_millis(1100)));
        assert!(!l.allow(ip, t + Duration::from_millis(1200)));
        assert!(l.exhausted(ip, t + Duration::from_millis(1200)));
        // Another address has its own bucket.
        assert!(l.allow("192.0.2.2".parse().unwrap(), t));
    }
}
