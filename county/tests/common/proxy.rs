//! Fault-injecting TCP proxy: reset mid-request, cut the response after N
//! bytes (a lost ack), delay, blackhole. Faults are chosen per connection
//! from a seeded RNG (or a scripted queue), so a seed replays the same plan.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    None,
    /// Forward `after` bytes of the request, then reset both sides.
    ResetMidRequest {
        after: usize,
    },
    /// Forward the whole request, then only `after` bytes of the response.
    CutResponse {
        after: usize,
    },
    /// Hold the connection this long before forwarding.
    Delay(Duration),
    /// Accept and read, never answer, until the client gives up.
    Blackhole,
}

#[derive(Default)]
struct Plan {
    scripted: VecDeque<Fault>,
    rng: u64,
    per_mille: u64,
    budget: u64,
}

impl Plan {
    fn next_random(&mut self) -> u64 {
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11
    }

    fn choose(&mut self) -> Fault {
        if let Some(f) = self.scripted.pop_front() {
            return f;
        }
        if self.budget == 0 || self.next_random() % 1000 >= self.per_mille {
            return Fault::None;
        }
        self.budget -= 1;
        let r = self.next_random();
        match r % 100 {
            0..30 => Fault::ResetMidRequest {
                after: (r / 100 % 400) as usize,
            },
            30..65 => Fault::CutResponse {
                after: (r / 100 % 120) as usize,
            },
            65..85 => Fault::Delay(Duration::from_millis(50 + r / 100 % 450)),
            _ => Fault::Blackhole,
        }
    }
}

#[derive(Default, Debug)]
pub struct Stats {
    pub connections: AtomicU64,
    pub resets: AtomicU64,
    pub cuts: AtomicU64,
    pub delays: AtomicU64,
    pub blackholes: AtomicU64,
    pub upstream_down: AtomicU64,
}

impl Stats {
    pub fn faults(&self) -> u64 {
        self.resets.load(Ordering::Relaxed)
            + self.cuts.load(Ordering::Relaxed)
            + self.delays.load(Ordering::Relaxed)
            + self.blackholes.load(Ordering::Relaxed)
    }

    pub fn summary(&self) -> String {
        format!(
            "connections={} faults={} (reset {}, cut response {}, delay {}, blackhole {}), upstream down {}",
            self.connections.load(Ordering::Relaxed),
            self.faults(),
            self.resets.load(Ordering::Relaxed),
            self.cuts.load(Ordering::Relaxed),
            self.delays.load(Ordering::Relaxed),
            self.blackholes.load(Ordering::Relaxed),
            self.upstream_down.load(Ordering::Relaxed),
        )
    }
}

pub struct Proxy {
    pub addr: SocketAddr,
    /// Connections go to these in turn (round robin).
    target: Arc<Mutex<Vec<SocketAddr>>>,
    plan: Arc<Mutex<Plan>>,
    pub stats: Arc<Stats>,
    _rt: tokio::runtime::Runtime,
}

impl Proxy {
    pub fn start(target: SocketAddr, seed: u64) -> Proxy {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("proxy runtime");
        let listener = rt
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("proxy bind");
        let addr = listener.local_addr().expect("proxy addr");
        let target = Arc::new(Mutex::new(vec![target]));
        let plan = Arc::new(Mutex::new(Plan {
            rng: seed | 1,
            ..Plan::default()
        }));
        let stats = Arc::new(Stats::default());
        let (t, p, s) = (target.clone(), plan.clone(), stats.clone());
        rt.spawn(async move {
            let mut turn = 0usize;
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    continue;
                };
                s.connections.fetch_add(1, Ordering::Relaxed);
                let fault = p.lock().expect("plan").choose();
                let upstream = {
                    let targets = t.lock().expect("target");
                    turn = turn.wrapping_add(1);
                    targets[turn % targets.len()]
                };
                tokio::spawn(handle(client, upstream, fault, s.clone()));
            }
        });
        Proxy {
            addr,
            target,
            plan,
            stats,
            _rt: rt,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The next connection gets `f` (before any random fault).
    pub fn push_fault(&self, f: Fault) {
        self.plan.lock().expect("plan").scripted.push_back(f);
    }

    /// Inject a random fault into `per_mille`/1000 connections, `budget` in all.
    /// Drops scripted faults no connection has taken yet.
    pub fn clear_scripted(&self) {
        self.plan.lock().expect("plan").scripted.clear();
    }

    pub fn set_random(&self, per_mille: u64, budget: u64) {
        let mut p = self.plan.lock().expect("plan");
        p.per_mille = per_mille;
        p.budget = budget;
    }

    pub fn remaining_budget(&self) -> u64 {
        self.plan.lock().expect("plan").budget
    }

    pub fn set_target(&self, addr: SocketAddr) {
        *self.target.lock().expect("target") = vec![addr];
    }

    /// Round robin over several servers (a province's county servers on
    /// one PostgreSQL behind a load balancer).
    pub fn set_targets(&self, addrs: Vec<SocketAddr>) {
        assert!(!addrs.is_empty(), "at least one target");
        *self.target.lock().expect("target") = addrs;
    }
}

fn reset(s: TcpStream) {
    // SO_LINGER 0 makes close send RST instead of FIN.
    let _ = s.set_zero_linger();
    drop(s);
}

async fn handle(mut client: TcpStream, upstream: SocketAddr, fault: Fault, stats: Arc<Stats>) {
    match fault {
        Fault::Blackhole => {
            stats.blackholes.fetch_add(1, Ordering::Relaxed);
            let mut buf = [0u8; 8192];
            let _ = tokio::time::timeout(Duration::from_secs(60), async {
                while let Ok(n) = client.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                }
            })
            .await;
            return;
        }
        Fault::Delay(d) => {
            stats.delays.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(d).await;
        }
        Fault::ResetMidRequest { .. } => {
            stats.resets.fetch_add(1, Ordering::Relaxed);
        }
        Fault::CutResponse { .. } => {
            stats.cuts.fetch_add(1, Ordering::Relaxed);
        }
        Fault::None => {}
    }
    let Ok(mut server) = TcpStream::connect(upstream).await else {
        stats.upstream_down.fetch_add(1, Ordering::Relaxed);
        reset(client);
        return;
    };
    match fault {
        Fault::ResetMidRequest { after } => {
            let mut left = after;
            let mut buf = [0u8; 8192];
            while left > 0 {
                match client.read(&mut buf[..left.min(8192)]).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if server.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                        left -= n;
                    }
                }
            }
            reset(client);
            reset(server);
        }
        Fault::CutResponse { after } => {
            let (mut cr, mut cw) = client.into_split();
            let (mut sr, mut sw) = server.into_split();
            let up = tokio::spawn(async move {
                let _ = tokio::io::copy(&mut cr, &mut sw).await;
                cr
            });
            // Wait for the answer (the server has committed by then), pass on
            // only `after` bytes of it, then drop the connection.
            let mut buf = vec![0u8; after.max(1)];
            let mut sent = 0;
            loop {
                match sr.read(&mut buf[..(after - sent).max(1)]).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        let n = n.min(after - sent);
                        if n > 0 && cw.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                        sent += n;
                        if sent >= after {
                            break;
                        }
                    }
                }
            }
            up.abort();
            drop(cw);
        }
        _ => {
            let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
        }
    }
}
