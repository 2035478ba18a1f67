//! brainml's logistic regression drives linfa-logistic 0.8.1's optimiser with its own loss
//! evaluation (src/ml/classify.rs); it must give linfa-logistic's answer.
#![cfg(feature = "ml")]

use brainml::ml::Classifier;
use linfa::prelude::*;
use ndarray::{Array1, Array2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn data(n: usize, p: usize, seed: u64) -> (Array2<f64>, Vec<bool>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let w: Vec<f64> = (0..p).map(|_| rng.gen_range(-1.0..1.0)).collect();
    let x = Array2::from_shape_fn((n, p), |_| rng.gen_range(-2.0..2.0));
    let y = (0..n)
        .map(|i| (0..p).map(|j| x[[i, j]] * w[j]).sum::<f64>() + rng.gen_range(-1.5..1.5) > 0.3)
        .collect();
    (x, y)
}

fn linfa_fit(x: &Array2<f64>, y: &[bool], c: f64, max_iter: u64) -> (Array1<f64>, f64) {
    let ds = Dataset::new(x.clone(), Array1::from(y.to_vec()));
    let m = linfa_logistic::LogisticRegression::default()
        .alpha(1.0 / c)
        .max_iterations(max_iter)
        .fit(&ds)
        .unwrap();
    let sign = if m.labels().pos.class { 1.0 } else { -1.0 };
    (m.params().mapv(|v| sign * v), sign * m.intercept())
}

#[test]
fn same_weights_as_linfa_logistic() {
    // converged (few features) and stopped at the iteration limit (more features than samples)
    for &(n, p, c, max_iter) in
        &[(200usize, 5usize, 1.0, 100u64), (120, 300, 1.0, 100), (300, 40, 0.01, 100), (150, 60, 10.0, 15)]
    {
        let (x, y) = data(n, p, n as u64 + p as u64);
        let (w_ref, b_ref) = linfa_fit(&x, &y, c, max_iter);
        let f = Classifier::logistic().c(c).max_iter(max_iter).standardize(false).fit(x.view(), &y).unwrap();
        let scale = w_ref.iter().fold(b_ref.abs(), |m, v| m.max(v.abs()));
        let dw = f
            .coef()
            .iter()
            .zip(&w_ref)
            .map(|(a, b)| (a - b).abs())
            .fold((f.intercept() - b_ref).abs(), f64::max);
        assert!(dw <= 1e-6 * scale.max(1.0), "n={n} p={p} C={c}: max |Δ| {dw:e} (largest weight {scale})");
    }
}

#[test]
fn logistic_rejects_bad_input() {
    let (x, y) = data(50, 4, 1);
    assert!(Classifier::logistic().fit(x.view(), &y[..40]).is_err());
    let mut xn = x.clone();
    xn[[3, 2]] = f64::NAN;
    assert!(Classifier::logistic().fit(xn.view(), &y).unwrap_err().to_string().contains("NaN"));
    assert!(Classifier::logistic().fit(x.view(), &[true; 50]).unwrap_err().to_string().contains("one class"));
}
