//! Test-only fault injection (`--inject-faults`): answers a fraction of requests with 429, 500 or
//! 503, or delays them. Half of the 5xx faults happen after the call ran, as when a response is
//! lost: that is what makes a client's retry of a create dangerous.

use std::time::Duration;

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use rand::Rng;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faults {
    pub rate_limited: f64,
    pub internal_error: f64,
    pub unavailable: f64,
    /// Fraction of requests delayed by `delay`.
    pub delayed: f64,
    pub delay: Duration,
}

impl std::str::FromStr for Faults {
    type Err = String;

    /// `429=0.15,503=0.15,500=0.05,delay-ms=200,delay=0.1` (every part optional).
    fn from_str(text: &str) -> Result<Faults, String> {
        let mut faults = Faults::default();
        for part in text.split(',').filter(|part| !part.is_empty()) {
            let (name, value) = part
                .split_once('=')
                .ok_or_else(|| format!("{part:?} is not NAME=VALUE"))?;
            let fraction = || -> Result<f64, String> {
                value
                    .parse::<f64>()
                    .ok()
                    .filter(|f| (0.0..=1.0).contains(f))
                    .ok_or_else(|| format!("{name}={value}: give a fraction from 0 to 1"))
            };
            match name {
                "429" => faults.rate_limited = fraction()?,
                "500" => faults.internal_error = fraction()?,
                "503" => faults.unavailable = fraction()?,
                "delay" => faults.delayed = fraction()?,
                "delay-ms" => {
                    let ms = value
                        .parse()
                        .map_err(|_| format!("delay-ms={value}: give milliseconds"))?;
                    faults.delay = Duration::from_millis(ms);
                    if faults.delayed == 0.0 {
                        faults.delayed = 1.0;
                    }
                }
                _ => {
                    return Err(format!(
                        "unknown fault {name:?}; use 429, 500, 503, delay, delay-ms"
                    ))
                }
            }
        }
        Ok(faults)
    }
}

impl Faults {
    pub async fn run(&self, request: Request, next: Next) -> Response {
        let (roll, delay_roll, after): (f64, f64, bool) = {
            let mut rng = rand::thread_rng();
            (rng.gen(), rng.gen(), rng.gen())
        };
        if delay_roll < self.delayed {
            tokio::time::sleep(self.delay).await;
        }
        let status = if roll < self.rate_limited {
            return super::rate_limited(Duration::from_secs(1));
        } else if roll < self.rate_limited + self.internal_error {
            StatusCode::INTERNAL_SERVER_ERROR
        } else if roll < self.rate_limited + self.internal_error + self.unavailable {
            StatusCode::SERVICE_UNAVAILABLE
        } else {
            return next.run(request).await;
        };
        if after {
            let _ = next.run(request).await;
        }
        super::unavailable(status)
    }
}
