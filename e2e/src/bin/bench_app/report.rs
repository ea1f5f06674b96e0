//! The figures over all runs, the budgets and the reference, and
//! the table printed at the end.

use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use crate::load::{Sample, Scenario};
use crate::sizes::Shipped;

/// The reference: Instant's Next.js Clerk example (current Next.js,
/// @clerk/nextjs, @instantdb/react), JavaScript shipped before clerk-js.
const REFERENCE_JS_GZIP_BYTES: u64 = 242_000;
/// The reference calls Instant's exchange endpoint on every page load.
const REFERENCE_EXCHANGES_PER_LOAD: f64 = 1.0;

/// Budget: everything the app ships, gzip (80 KB, 1 KB = 1000 bytes).
const BUDGET_SHIPPED_GZIP_BYTES: u64 = 80_000;
/// Budget: on a reload, signed in within this long after instantiation.
const BUDGET_RELOAD_AFTER_WASM_MS: f64 = 50.0;

/// Median and 90th percentile (nearest rank), min and max.
#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct Spread {
    median: f64,
    p90: f64,
    min: f64,
    max: f64,
}

impl Spread {
    pub(crate) fn of(values: impl IntoIterator<Item = f64>) -> Option<Self> {
        let mut sorted: Vec<f64> = values.into_iter().filter(|v| v.is_finite()).collect();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let rank = |p: f64| sorted[((p * n as f64).ceil() as usize).clamp(1, n) - 1];
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
        };
        Some(Spread {
            median,
            p90: rank(0.9),
            min: sorted[0],
            max: sorted[n - 1],
        })
    }
}

/// A scenario's figures over all runs.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ScenarioReport {
    title: &'static str,
    runs: usize,
    wasm_instantiated_ms: Option<Spread>,
    after_wasm_ms: Option<Spread>,
    signed_in_ms: Option<Spread>,
    wasm_downloaded_ms: Option<Spread>,
    clerk_done_ms: Option<Spread>,
    instant_requests_per_load: Option<Spread>,
    instant_requests_before_signed_in: Option<Spread>,
    exchange_calls_per_load: Option<Spread>,
    verify_calls_per_load: Option<Spread>,
    samples: Vec<Sample>,
}

impl ScenarioReport {
    pub(crate) fn new(scenario: Scenario, samples: Vec<Sample>) -> Self {
        let spread = |f: fn(&Sample) -> f64| Spread::of(samples.iter().map(f));
        Self {
            title: scenario.title(),
            runs: samples.len(),
            wasm_instantiated_ms: spread(|s| s.wasm_instantiated_ms),
            after_wasm_ms: spread(|s| s.after_wasm_ms),
            signed_in_ms: spread(|s| s.signed_in_ms),
            wasm_downloaded_ms: Spread::of(samples.iter().filter_map(|s| s.wasm_downloaded_ms)),
            clerk_done_ms: Spread::of(samples.iter().filter_map(|s| s.clerk_done_ms)),
            instant_requests_per_load: spread(|s| s.instant_requests as f64),
            instant_requests_before_signed_in: spread(|s| {
                s.instant_requests_before_signed_in as f64
            }),
            exchange_calls_per_load: spread(|s| s.exchange_calls as f64),
            verify_calls_per_load: spread(|s| s.verify_calls as f64),
            samples,
        }
    }
}

/// One budget of the issue and whether it was met.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Budget {
    name: &'static str,
    limit: String,
    measured: String,
    met: bool,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Reference {
    description: &'static str,
    js_gzip_bytes: u64,
    exchanges_per_load: f64,
    /// Our JS + wasm gzip over the reference's JS gzip.
    code_gzip_ratio: f64,
    /// Our whole app (every file) gzip over the reference's JS gzip.
    shipped_gzip_ratio: f64,
    /// Our exchange calls per reload over the reference's.
    reload_exchange_ratio: Option<f64>,
}

impl Reference {
    /// The reference, and this app's figures over it.
    pub(crate) fn new(shipped: &Shipped, reload: &ScenarioReport) -> Self {
        Self {
            description: "Instant's Next.js Clerk example: ~242 KB JS gzip before clerk-js, \
                          an exchange call on every load",
            js_gzip_bytes: REFERENCE_JS_GZIP_BYTES,
            exchanges_per_load: REFERENCE_EXCHANGES_PER_LOAD,
            code_gzip_ratio: shipped.code.gzip as f64 / REFERENCE_JS_GZIP_BYTES as f64,
            shipped_gzip_ratio: shipped.total.gzip as f64 / REFERENCE_JS_GZIP_BYTES as f64,
            reload_exchange_ratio: reload
                .exchange_calls_per_load
                .map(|s| s.median / REFERENCE_EXCHANGES_PER_LOAD),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Report {
    pub(crate) environment: Value,
    pub(crate) shipped: Shipped,
    pub(crate) first_sign_in: ScenarioReport,
    pub(crate) reload: ScenarioReport,
    pub(crate) reference: Reference,
    pub(crate) budgets: Vec<Budget>,
}

pub(crate) fn budgets(
    shipped: &Shipped,
    first: &ScenarioReport,
    reload: &ScenarioReport,
) -> Vec<Budget> {
    let kb = |bytes: u64| format!("{:.1} KB", bytes as f64 / 1000.0);
    let reload_after = reload.after_wasm_ms;
    let before_max = reload
        .samples
        .iter()
        .map(|s| s.instant_requests_before_signed_in)
        .max()
        .unwrap_or(0);
    let exchanges: Vec<u64> = first.samples.iter().map(|s| s.exchange_calls).collect();
    vec![
        Budget {
            name: "everything the app ships, gzip",
            limit: format!("<= {}", kb(BUDGET_SHIPPED_GZIP_BYTES)),
            measured: kb(shipped.total.gzip),
            met: shipped.total.gzip <= BUDGET_SHIPPED_GZIP_BYTES,
        },
        Budget {
            name: "(b) signed in after wasm instantiated, median",
            limit: format!("<= {BUDGET_RELOAD_AFTER_WASM_MS} ms"),
            measured: reload_after.map_or("-".into(), |s| {
                format!("{:.1} ms (p90 {:.1} ms)", s.median, s.p90)
            }),
            met: reload_after.is_some_and(|s| s.median <= BUDGET_RELOAD_AFTER_WASM_MS),
        },
        Budget {
            name: "(b) Instant requests before signed in, every run",
            limit: "0".into(),
            measured: format!("max {before_max}"),
            met: before_max == 0,
        },
        Budget {
            name: "(a) exchange requests per load, every run",
            limit: "exactly 1".into(),
            measured: format!(
                "min {} max {}",
                exchanges.iter().min().unwrap_or(&0),
                exchanges.iter().max().unwrap_or(&0)
            ),
            met: !exchanges.is_empty() && exchanges.iter().all(|&n| n == 1),
        },
    ]
}

pub(crate) fn print_report(report: &Report, out: &Path) {
    let kb = |bytes: u64| format!("{:>7.1} KB", bytes as f64 / 1000.0);
    println!();
    println!("What the app ships (after wasm-opt; 1 KB = 1000 bytes)");
    println!("  {:<14} {:>10} {:>10}", "", "raw", "gzip -9");
    for (kind, size) in &report.shipped.by_kind {
        println!("  {:<14} {} {}", kind.label(), kb(size.raw), kb(size.gzip));
    }
    println!(
        "  {:<14} {} {}",
        "total",
        kb(report.shipped.total.raw),
        kb(report.shipped.total.gzip)
    );
    println!();
    let ms = |s: &Option<Spread>| {
        s.map_or_else(
            || format!("{:>17}", "-"),
            |s| format!("{:>7.1} {:>9.1}", s.median, s.p90),
        )
    };
    let count = |s: &Option<Spread>| {
        s.map_or_else(
            || format!("{:>17}", "-"),
            |s| format!("{:>7} {:>9}", s.median, s.max),
        )
    };
    for scenario in [&report.first_sign_in, &report.reload] {
        println!("{} — {} runs", scenario.title, scenario.runs);
        println!(
            "  {:<44} {:>7} {:>9}",
            "ms since navigation start", "median", "p90"
        );
        println!(
            "  {:<44} {}",
            "wasm instantiated",
            ms(&scenario.wasm_instantiated_ms)
        );
        println!(
            "  {:<44} {}",
            "signed-in text shown",
            ms(&scenario.signed_in_ms)
        );
        println!(
            "  {:<44} {}",
            "  of which after wasm instantiated",
            ms(&scenario.after_wasm_ms)
        );
        println!(
            "  {:<44} {}",
            "(wasm downloaded)",
            ms(&scenario.wasm_downloaded_ms)
        );
        println!(
            "  {:<44} {}",
            "(last Clerk request before it done)",
            ms(&scenario.clerk_done_ms)
        );
        println!("  {:<44} {:>7} {:>9}", "requests per load", "median", "max");
        println!(
            "  {:<44} {}",
            "Instant API fetches",
            count(&scenario.instant_requests_per_load)
        );
        println!(
            "  {:<44} {}",
            "  of which before the signed-in text",
            count(&scenario.instant_requests_before_signed_in)
        );
        println!(
            "  {:<44} {}",
            "exchange calls (emulator)",
            count(&scenario.exchange_calls_per_load)
        );
        println!(
            "  {:<44} {}",
            "refresh-token checks (emulator)",
            count(&scenario.verify_calls_per_load)
        );
        println!();
    }
    let reference = &report.reference;
    println!("Against the reference ({})", reference.description);
    println!(
        "  JS + wasm gzip: {:.1} KB vs {:.0} KB = {:.2}x; everything: {:.2}x",
        report.shipped.code.gzip as f64 / 1000.0,
        reference.js_gzip_bytes as f64 / 1000.0,
        reference.code_gzip_ratio,
        reference.shipped_gzip_ratio
    );
    println!(
        "  exchange calls per reload: {} vs {}",
        report
            .reload
            .exchange_calls_per_load
            .map_or("-".into(), |s| s.median.to_string()),
        reference.exchanges_per_load
    );
    println!();
    println!("Budgets");
    for budget in &report.budgets {
        println!(
            "  [{}] {:<50} {:<12} measured {}",
            if budget.met { "met" } else { "MISSED" },
            budget.name,
            budget.limit,
            budget.measured
        );
    }
    println!();
    println!("report: {}", out.display());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_takes_the_median_and_nearest_rank_p90() {
        let spread = Spread::of((1..=20).map(f64::from)).expect("values");
        assert_eq!(spread.median, 10.5);
        assert_eq!(spread.p90, 18.0);
        assert_eq!((spread.min, spread.max), (1.0, 20.0));
        let odd = Spread::of([3.0, 1.0, 2.0]).expect("values");
        assert_eq!((odd.median, odd.p90), (2.0, 3.0));
        assert!(Spread::of([]).is_none());
    }
}
