//! The numbers a bench run produces: samples reduced to median, min and max, the rows of the
//! report, and its JSON form.

use serde::Serialize;

/// One row: a workload with a parameter, on one system, one metric.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct Row {
    pub(crate) workload: String,
    pub(crate) param: String,
    /// `foundation`, `ractor`, `kameo`, `actix`, `tokio`, or `spec` for the spec's claims.
    pub(crate) system: String,
    pub(crate) metric: String,
    pub(crate) unit: String,
    pub(crate) median: f64,
    pub(crate) min: f64,
    pub(crate) max: f64,
}

/// What `--json` writes.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Report {
    pub(crate) machine: Machine,
    pub(crate) rows: Vec<Row>,
}

/// Where the run happened.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Machine {
    pub(crate) cpus: usize,
    pub(crate) os: String,
    pub(crate) arch: String,
    pub(crate) date: String,
    pub(crate) command: String,
    pub(crate) quick: bool,
    pub(crate) repetitions: usize,
}

/// Median, min and max of some samples; `None` for none. The median of an even count is the
/// mean of the middle two.
pub(crate) fn summarize(samples: &[f64]) -> Option<(f64, f64, f64)> {
    let mut sorted: Vec<f64> = samples.iter().copied().filter(|s| s.is_finite()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let median = if n % 2 == 1 { sorted[n / 2] } else { (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0 };
    Some((median, sorted[0], sorted[n - 1]))
}

/// The `q`-quantile (0 to 1) of some samples, nearest rank.
pub(crate) fn quantile(samples: &[f64], q: f64) -> Option<f64> {
    let mut sorted: Vec<f64> = samples.iter().copied().filter(|s| s.is_finite()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let rank = (q.clamp(0.0, 1.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// How many times Foundation's figure is the other's, oriented so that above 1 means
/// Foundation is better: for rates, ours over theirs; for times and sizes, theirs over ours.
pub(crate) fn advantage(unit: &str, foundation: f64, other: f64) -> Option<f64> {
    if foundation <= 0.0 || other <= 0.0 {
        return None;
    }
    Some(if higher_is_better(unit) { foundation / other } else { other / foundation })
}

/// Rates are better high; times and bytes are better low.
pub(crate) fn higher_is_better(unit: &str) -> bool {
    unit.ends_with("/s")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_min_max_of_odd_and_even_counts() {
        assert_eq!(summarize(&[3.0, 1.0, 2.0]), Some((2.0, 1.0, 3.0)));
        assert_eq!(summarize(&[4.0, 1.0, 3.0, 2.0]), Some((2.5, 1.0, 4.0)));
        assert_eq!(summarize(&[]), None);
        assert_eq!(summarize(&[f64::NAN, 5.0]), Some((5.0, 5.0, 5.0)));
    }

    #[test]
    fn quantiles_are_nearest_rank() {
        let samples: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile(&samples, 0.5), Some(50.0));
        assert_eq!(quantile(&samples, 0.99), Some(99.0));
        assert_eq!(quantile(&samples, 1.0), Some(100.0));
        assert_eq!(quantile(&samples, 0.0), Some(1.0));
        assert_eq!(quantile(&[], 0.5), None);
    }

    #[test]
    fn advantage_is_above_one_when_foundation_is_better() {
        assert_eq!(advantage("msgs/s", 10.0, 5.0), Some(2.0));
        assert_eq!(advantage("ns", 5.0, 10.0), Some(2.0));
        assert_eq!(advantage("bytes", 10.0, 5.0), Some(0.5));
        assert_eq!(advantage("ms", 0.0, 5.0), None);
    }

    #[test]
    fn json_rows_have_the_documented_shape() {
        let report = Report {
            machine: Machine {
                cpus: 2,
                os: "linux".into(),
                arch: "x86_64".into(),
                date: "2026-11-25".into(),
                command: "foundation bench --quick".into(),
                quick: true,
                repetitions: 3,
            },
            rows: vec![Row {
                workload: "call".into(),
                param: "10000 calls".into(),
                system: "foundation".into(),
                metric: "p50".into(),
                unit: "ns".into(),
                median: 700.0,
                min: 650.0,
                max: 800.0,
            }],
        };
        let json = serde_json::to_value(&report).unwrap();
        assert!(json["machine"].is_object());
        let row = &json["rows"][0];
        for field in ["workload", "param", "system", "metric", "unit"] {
            assert!(row[field].is_string(), "{field}");
        }
        for field in ["median", "min", "max"] {
            assert!(row[field].is_number(), "{field}");
        }
    }
}
