//! Prometheus metrics of a validator, served at `/metrics` in the text
//! exposition format. Counters are plain atomics; nothing here touches
//! what the validator computes.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::transport::{Reply, Status};

/// The validator's counters and gauges.
#[derive(Debug, Default)]
pub struct Metrics {
    steps: AtomicU64,
    failed_steps: AtomicU64,
    submitted: AtomicU64,
    failed_submissions: AtomicU64,
    chain_unreachable: AtomicU64,
    last_step_host_ms: AtomicU64,
    step_host_micros: AtomicU64,
    replies: [AtomicU64; 7],
}

const STATUSES: [(Status, &str); 7] = [
    (Status::Ok, "ok"),
    (Status::Timeout, "timeout"),
    (Status::Unreachable, "unreachable"),
    (Status::Refused, "refused"),
    (Status::Oversized, "oversized"),
    (Status::Malformed, "malformed"),
    (Status::BadSignature, "bad_signature"),
];

impl Metrics {
    /// Records a step.
    pub fn step(&self, ok: bool, host_time: Duration, replies: &[Reply]) {
        self.steps.fetch_add(1, Ordering::Relaxed);
        if !ok {
            self.failed_steps.fetch_add(1, Ordering::Relaxed);
        }
        self.last_step_host_ms
            .store(host_time.as_millis() as u64, Ordering::Relaxed);
        self.step_host_micros
            .fetch_add(host_time.as_micros() as u64, Ordering::Relaxed);
        for reply in replies {
            if let Some(i) = STATUSES.iter().position(|(s, _)| *s == reply.status) {
                self.replies[i].fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// The host's own time in all steps so far: the mechanism's calls,
    /// the transcript and the store, but not the wait for miners.
    pub fn step_host_time(&self) -> Duration {
        Duration::from_micros(self.step_host_micros.load(Ordering::Relaxed))
    }

    /// Steps run so far.
    pub fn steps(&self) -> u32 {
        u32::try_from(self.steps.load(Ordering::Relaxed)).unwrap_or(u32::MAX)
    }

    /// Records a completed submission.
    pub fn submitted(&self) {
        self.submitted.fetch_add(1, Ordering::Relaxed);
    }

    /// Records a submission the chain refused for good.
    pub fn submission_failed(&self) {
        self.failed_submissions.fetch_add(1, Ordering::Relaxed);
    }

    /// Records a failed attempt to reach the chain.
    pub fn chain_unreachable(&self) {
        self.chain_unreachable.fetch_add(1, Ordering::Relaxed);
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, value: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        };
        metric(
            "arbiter_steps_total",
            "counter",
            "Steps run.",
            get(&self.steps),
        );
        metric(
            "arbiter_failed_steps_total",
            "counter",
            "Steps whose challenge or score failed.",
            get(&self.failed_steps),
        );
        metric(
            "arbiter_epochs_submitted_total",
            "counter",
            "Epochs whose weights were submitted.",
            get(&self.submitted),
        );
        metric(
            "arbiter_submissions_refused_total",
            "counter",
            "Epochs the chain refused.",
            get(&self.failed_submissions),
        );
        metric(
            "arbiter_chain_unreachable_total",
            "counter",
            "Times the chain could not be reached (each retried after a pause).",
            get(&self.chain_unreachable),
        );
        metric(
            "arbiter_last_step_host_milliseconds",
            "gauge",
            "Host time of the last step, excluding waiting for miners.",
            get(&self.last_step_host_ms),
        );
        metric(
            "arbiter_step_host_microseconds_total",
            "counter",
            "Host time of all steps, excluding waiting for miners.",
            get(&self.step_host_micros),
        );
        let _ = writeln!(
            out,
            "# HELP arbiter_replies_total Miner replies by status.\n# TYPE arbiter_replies_total counter"
        );
        for ((_, label), count) in STATUSES.iter().zip(&self.replies) {
            let _ = writeln!(
                out,
                "arbiter_replies_total{{status=\"{label}\"}} {}",
                get(count)
            );
        }
        out
    }
}

/// Serves `metrics` at `http://<listen>/metrics` until the task is dropped.
pub async fn serve(
    metrics: Arc<Metrics>,
    listen: SocketAddr,
) -> std::io::Result<tokio::task::JoinHandle<()>> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let metrics = Arc::clone(&metrics);
            async move { metrics.render() }
        }),
    );
    Ok(tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app).await {
            tracing::error!(%error, "metrics server stopped");
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_by_status() {
        let metrics = Metrics::default();
        let replies = [
            Reply::empty(1, Status::Timeout, 5),
            Reply::empty(2, Status::Ok, 1),
        ];
        metrics.step(true, Duration::from_millis(3), &replies);
        let text = metrics.render();
        assert!(text.contains("arbiter_steps_total 1"));
        assert!(text.contains("arbiter_replies_total{status=\"timeout\"} 1"));
        assert!(text.contains("arbiter_last_step_host_milliseconds 3"));
    }
}
