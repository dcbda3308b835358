//! The bench's outputs: a markdown table and an SVG plot of S1.

use std::fmt::Write as _;

use crate::load::LoadResult;

/// One S1 point: the load result and the ideal latency.
pub struct SweepPoint<'a> {
    pub result: &'a LoadResult,
    pub ideal_ms: f64,
}

/// An SVG line chart of S1 p50/p99 against concurrency (log2 x axis), with
/// the ideal latency as a dashed line.
// Long on purpose: the drawing in paint order (axes, grid, lines, legend).
pub fn sweep_svg(points: &[SweepPoint<'_>], title: &str) -> String {
    let (w, h, left, right, top, bottom) = (760.0, 440.0, 70.0, 20.0, 40.0, 50.0);
    let xs: Vec<f64> = points
        .iter()
        .map(|p| (p.result.concurrency as f64).log2())
        .collect();
    let (xmin, xmax) = (
        xs.iter().cloned().fold(f64::MAX, f64::min),
        xs.iter().cloned().fold(f64::MIN, f64::max).max(1.0),
    );
    let ymax = points
        .iter()
        .flat_map(|p| [p.result.p99_ms, p.ideal_ms])
        .fold(1.0, f64::max)
        * 1.1;
    let x = |v: f64| left + (v - xmin) / (xmax - xmin).max(1e-9) * (w - left - right);
    let y = |v: f64| h - bottom - v / ymax * (h - top - bottom);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="{}" y="22" text-anchor="middle" font-size="15">{title}</text>
<line x1="{left}" y1="{}" x2="{}" y2="{}" stroke="black"/>
<line x1="{left}" y1="{top}" x2="{left}" y2="{}" stroke="black"/>
<text x="{}" y="{}" text-anchor="middle">concurrent clients</text>
<text x="16" y="{}" transform="rotate(-90 16 {})" text-anchor="middle">latency (ms)</text>
"##,
        w / 2.0,
        h - bottom,
        w - right,
        h - bottom,
        h - bottom,
        w / 2.0,
        h - 12.0,
        h / 2.0,
        h / 2.0
    );
    for i in 0..=5 {
        let v = ymax / 5.0 * f64::from(i);
        let _ = writeln!(
            svg,
            r##"<line x1="{left}" y1="{0:.1}" x2="{1}" y2="{0:.1}" stroke="#ddd"/><text x="{2}" y="{3:.1}" text-anchor="end">{4:.0}</text>"##,
            y(v),
            w - right,
            left - 6.0,
            y(v) + 4.0,
            v
        );
    }
    for (p, xv) in points.iter().zip(&xs) {
        let _ = writeln!(
            svg,
            r##"<text x="{:.1}" y="{}" text-anchor="middle">{}</text>"##,
            x(*xv),
            h - bottom + 18.0,
            p.result.concurrency
        );
    }
    let line = |values: Vec<f64>, color: &str, dash: &str, label: &str, n: usize| {
        let pts: Vec<String> = values
            .iter()
            .zip(&xs)
            .map(|(v, xv)| format!("{:.1},{:.1}", x(*xv), y(*v)))
            .collect();
        format!(
            r##"<polyline points="{}" fill="none" stroke="{color}" stroke-width="2" stroke-dasharray="{dash}"/>
<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{color}" stroke-width="2" stroke-dasharray="{dash}"/><text x="{}" y="{}">{label}</text>
"##,
            pts.join(" "),
            left + 15.0,
            top + 10.0 + 18.0 * n as f64,
            left + 45.0,
            top + 10.0 + 18.0 * n as f64,
            left + 52.0,
            top + 14.0 + 18.0 * n as f64
        )
    };
    svg.push_str(&line(
        points.iter().map(|p| p.result.p50_ms).collect(),
        "#1f77b4",
        "",
        "p50",
        0,
    ));
    svg.push_str(&line(
        points.iter().map(|p| p.result.p99_ms).collect(),
        "#d62728",
        "",
        "p99",
        1,
    ));
    svg.push_str(&line(
        points.iter().map(|p| p.ideal_ms).collect(),
        "#2ca02c",
        "6 4",
        "ideal (3 LLM rounds)",
        2,
    ));
    svg.push_str("</svg>\n");
    svg
}

/// A markdown table of load points.
pub fn table(rows: &[(String, &LoadResult, String)]) -> String {
    let mut out = String::from(
        "| scenario | conc. | requests | errors | req/s | p50 ms | p95 ms | p99 ms | max ms | notes |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n",
    );
    for (name, r, notes) in rows {
        let _ = writeln!(
            out,
            "| {name} | {} | {} | {} | {:.0} | {:.1} | {:.1} | {:.1} | {:.1} | {notes} |",
            r.concurrency, r.requests, r.errors, r.rps, r.p50_ms, r.p95_ms, r.p99_ms, r.max_ms
        );
    }
    out
}
