//! Projection of `/v1/models` bodies (criterion): parsing the body and projecting every row into
//! catalog entries, for 130 models (today's router) and 5,000 (a catalog 40 times larger).
//! Baseline in the same run: `serde_json::from_slice::<Value>` of the same body — what a
//! straightforward parser pays before projecting anything.
//!
//! `cargo bench -p openclaw-e2e-tests --bench projection`

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use openclaw_e2e::models_body;
use openclaw_huggingface::catalog::{projection::project, wire::parse_model_list};

fn projection(c: &mut Criterion) {
    let mut group = c.benchmark_group("models");
    for count in [130usize, 5000] {
        let body = models_body(count);
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_with_input(
            BenchmarkId::new("parse+project", count),
            &body,
            |b, body| {
                b.iter(|| {
                    let rows = parse_model_list(body).expect("valid body");
                    project(&rows)
                })
            },
        );
        group.bench_with_input(BenchmarkId::new("project only", count), &body, |b, body| {
            let rows = parse_model_list(body).expect("valid body");
            b.iter(|| project(&rows))
        });
        group.bench_with_input(
            BenchmarkId::new("baseline: serde_json::Value", count),
            &body,
            |b, body| b.iter(|| serde_json::from_slice::<serde_json::Value>(body).expect("json")),
        );
    }
    group.finish();
}

criterion_group!(benches, projection);
criterion_main!(benches);
