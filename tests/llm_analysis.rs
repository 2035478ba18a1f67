//! PCA, Ridge, RidgeCV and cross-validated encoding scores against scikit-learn 1.7.2 (golden
//! vectors from tests/python/make_llm_analysis_golden.py), the labelled plots, and bad input.
#![cfg(feature = "llm")]

use brainml::llm::{cosine_by_layer, Embeddings};
use brainml::ml::{encoding_score, pca, Cv, Ridge, RidgeCv};
use ndarray::{Array1, Array2};

fn golden() -> serde_json::Value {
    serde_json::from_str(include_str!("golden/llm_analysis.json")).unwrap()
}

fn mat(v: &serde_json::Value) -> Array2<f64> {
    let rows: Vec<Vec<f64>> = serde_json::from_value(v.clone()).unwrap();
    let (n, p) = (rows.len(), rows[0].len());
    Array2::from_shape_vec((n, p), rows.into_iter().flatten().collect()).unwrap()
}

fn vec1(v: &serde_json::Value) -> Array1<f64> {
    Array1::from(serde_json::from_value::<Vec<f64>>(v.clone()).unwrap())
}

fn max_rel(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    let scale = b.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1e-300);
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max) / scale
}

#[test]
fn pca_matches_sklearn_including_signs() {
    for c in golden()["cases"].as_array().unwrap() {
        let x = mat(&c["x"]);
        let p = pca(x.view(), 3).unwrap();
        let g = &c["pca"];
        let name = c["name"].as_str().unwrap();
        let comps = mat(&g["components"]);
        assert!(
            max_rel(p.components.as_slice().unwrap(), comps.as_slice().unwrap()) < 1e-8,
            "{name}: components"
        );
        assert!(
            max_rel(
                p.explained_variance.as_slice().unwrap(),
                vec1(&g["explained_variance"]).as_slice().unwrap()
            ) < 1e-10,
            "{name}"
        );
        assert!(
            max_rel(
                p.explained_variance_ratio.as_slice().unwrap(),
                vec1(&g["explained_variance_ratio"]).as_slice().unwrap()
            ) < 1e-10,
            "{name}"
        );
        assert!(
            max_rel(p.scores.as_slice().unwrap(), mat(&g["scores"]).as_slice().unwrap()) < 1e-8,
            "{name}: scores"
        );
    }
}

#[test]
fn ridge_and_ridgecv_match_sklearn() {
    for c in golden()["cases"].as_array().unwrap() {
        let (x, y) = (mat(&c["x"]), vec1(&c["y"]));
        let name = c["name"].as_str().unwrap();
        let g = &c["ridge"];
        let f = Ridge::new(g["alpha"].as_f64().unwrap()).fit(x.view(), y.view()).unwrap();
        assert!(
            max_rel(f.coef.as_slice().unwrap(), vec1(&g["coef"]).as_slice().unwrap()) < 1e-9,
            "{name}: Ridge coef"
        );
        assert!((f.intercept - g["intercept"].as_f64().unwrap()).abs() < 1e-8, "{name}: Ridge intercept");

        let g = &c["ridgecv"];
        let alphas: Vec<f64> = serde_json::from_value(g["alphas"].clone()).unwrap();
        let f = RidgeCv::new(alphas).fit(x.view(), y.view()).unwrap();
        assert!(
            max_rel(&f.loo_mse, vec1(&g["loo_mse"]).as_slice().unwrap()) < 1e-8,
            "{name}: LOO errors {:?} vs {}",
            f.loo_mse,
            g["loo_mse"]
        );
        assert_eq!(f.alpha, g["alpha"].as_f64().unwrap(), "{name}: chosen alpha");
        assert!(
            max_rel(f.coef.as_slice().unwrap(), vec1(&g["coef"]).as_slice().unwrap()) < 1e-9,
            "{name}: RidgeCV coef"
        );
        assert!((f.intercept - g["intercept"].as_f64().unwrap()).abs() < 1e-8, "{name}: RidgeCV intercept");
    }
}

#[test]
fn encoding_score_matches_sklearn_kfold() {
    for c in golden()["cases"].as_array().unwrap() {
        let (x, y) = (mat(&c["x"]), vec1(&c["y"]));
        let name = c["name"].as_str().unwrap();
        let alphas: Vec<f64> = serde_json::from_value(c["ridgecv"]["alphas"].clone()).unwrap();
        let s = encoding_score(x.view(), y.view(), &Cv::kfold(5), &RidgeCv::new(alphas)).unwrap();
        let folds = c["encoding_kfold5"].as_array().unwrap();
        assert_eq!(s.fold_r.len(), folds.len());
        for (k, f) in folds.iter().enumerate() {
            assert!(
                (s.fold_r[k] - f["r"].as_f64().unwrap()).abs() < 1e-9,
                "{name}: fold {k} r {} vs {}",
                s.fold_r[k],
                f["r"]
            );
            assert_eq!(s.fold_alpha[k], f["alpha"].as_f64().unwrap(), "{name}: fold {k} alpha");
        }
    }
}

#[test]
fn cosine_by_layer_and_plots() {
    let l0 = Embeddings {
        data: ndarray::arr2(&[[1.0f32, 0.0], [1.0, 1.0], [0.0, 2.0]]),
        labels: vec!["a".into(), "b".into(), "c".into()],
    };
    let l1 = Embeddings {
        data: ndarray::arr2(&[[1.0f32, 0.0], [2.0, 0.0], [-1.0, 0.0]]),
        labels: l0.labels.clone(),
    };
    let c = cosine_by_layer(&[l0.clone(), l1.clone()], &[(0, 1), (0, 2)]).unwrap();
    assert!((c[(0, 0)] - 0.5f64.sqrt()).abs() < 1e-6 && (c[(0, 1)] - 1.0).abs() < 1e-6);
    assert!(c[(1, 0)].abs() < 1e-6 && (c[(1, 1)] + 1.0).abs() < 1e-6);
    assert!(cosine_by_layer(std::slice::from_ref(&l0), &[(0, 3)])
        .unwrap_err()
        .to_string()
        .contains("out of range"));
    let html = l0.plot_similarity("sim").to_html().unwrap();
    assert!(html.contains("2: c") && html.contains("base64"), "row labels in the heatmap");
    let p = l0.pca(2).unwrap().groups(vec!["x".into(), "x".into(), "y".into()]).unwrap();
    let svg = p.plot().unwrap().svg().to_string();
    assert!(svg.contains("\nb\n") && svg.contains("PC1"), "points labelled with their text");
    assert!(l0.pca(2).unwrap().groups(vec!["x".into()]).is_err());
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let mut x = Array2::<f64>::from_shape_fn((6, 4), |(i, j)| (i * 7 + j * 3) as f64 % 5.0);
    let y = Array1::<f64>::from_iter((0..6).map(|i| i as f64));
    assert!(pca(x.view(), 5).unwrap_err().to_string().contains("n_components"));
    assert!(pca(x.view(), 0).is_err());
    assert!(Ridge::new(-1.0).fit(x.view(), y.view()).is_err());
    assert!(RidgeCv::new(vec![]).fit(x.view(), y.view()).is_err());
    assert!(Ridge::new(1.0)
        .fit(x.view(), y.slice(ndarray::s![..5]))
        .unwrap_err()
        .to_string()
        .contains("one per row"));
    let fit = Ridge::new(1.0).fit(x.view(), y.view()).unwrap();
    assert!(fit.predict(x.slice(ndarray::s![.., ..3])).is_err());
    // a continuous response has no classes to stratify: an error, not folds from fake labels
    let e = encoding_score(x.view(), y.view(), &Cv::stratified(3), &RidgeCv::default()).unwrap_err();
    assert!(e.to_string().contains("needs the class labels"), "{e}");
    x[(2, 1)] = f64::NAN;
    assert!(pca(x.view(), 2).unwrap_err().to_string().contains("row 2, column 1"));
    assert!(RidgeCv::default().fit(x.view(), y.view()).unwrap_err().to_string().contains("not finite"));
    assert!(encoding_score(x.view(), y.view(), &Cv::kfold(3), &RidgeCv::default()).is_err());
}

/// The story of notebooks/03_llm.ipynb (scripts/notebooks/nb03_llm.py).
fn story() -> Vec<String> {
    [
        "The students arrived early for the first session of the workshop.",
        "Each of them wore a cap with electrodes that measured tiny voltages on the scalp.",
        "On the screen, photographs of faces alternated with scrambled pictures.",
        "About one sixth of a second after every face, the signal over the right temple dipped.",
        "This dip is called the N170, and it is larger for faces than for almost anything else.",
        "After lunch the group moved to the scanner, where a magnet measured blood oxygen.",
        "The fusiform gyrus lit up whenever a face appeared among the houses and chairs.",
        "A classifier trained on the voxel patterns told faces from houses nearly every time.",
        "In the afternoon they turned to language and asked how the brain predicts words.",
        "A small language model read each sentence one token at a time.",
        "Words the model did not expect carried more bits of surprisal.",
        "Readers spend longer on such words, and their brains produce a larger N400.",
        "The model's hidden layers were turned into features for an encoding model.",
        "Ridge regression then predicted each response from one layer at a time.",
        "Middle layers often predict brain activity better than the first or the last.",
        "By evening everyone had a notebook full of plots and a head full of questions.",
        "The teacher reminded them that a correlation across folds is not a mechanism.",
        "Still, the tools gave them a way to test ideas against real recordings.",
        "Some planned to record their own data the following week.",
        "Others simply wanted a long walk by the river before dinner.",
        "The river was quiet, and the autumn leaves floated slowly past the old bridge.",
        "A dog chased a ball across the wet grass while its owner laughed.",
        "Two friends argued about whether cats or dogs make better companions.",
        "Nobody could agree, so they bought ice cream instead.",
        "Strawberry was the most popular flavour, followed by chocolate and vanilla.",
        "As the sun set, the city lights came on one by one.",
        "The last train home was crowded with tired travellers.",
        "A child fell asleep on her father's shoulder before the second stop.",
        "Outside the window, dark fields and small villages rushed by.",
        "At midnight the station clock struck twelve and the platform emptied.",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

#[test]
fn planted_layer_is_recovered_from_minilm_word_features() {
    let emb = brainml::llm::Embedder::load(brainml::data::model_dir("all-minilm-l6-v2").unwrap()).unwrap();
    let layers = emb.word_features(&story()).unwrap();
    assert_eq!(layers.len(), 7);
    assert_eq!(layers[0].data.nrows(), 372, "one row per whitespace word");
    assert_eq!(layers[3].labels[0], "The");
    let alphas = RidgeCv::logspace(-2.0, 4.0, 13);
    for planted in [2, 6] {
        let y = brainml::llm::planted_response(&layers, planted, 0.5, 170).unwrap();
        let s = brainml::llm::encoding_by_layer("planted", &layers, &y, &Cv::kfold(5), &alphas).unwrap();
        let m = s.mean();
        assert_eq!(s.best_layer(), planted, "held-out r by layer {m:?}");
        assert!(m[planted] > 0.5, "{m:?}");
    }
    assert!(brainml::llm::planted_response(&layers, 7, 0.5, 1).is_err());
    assert!(brainml::llm::planted_response(&layers, 1, f64::NAN, 1).is_err());
}
