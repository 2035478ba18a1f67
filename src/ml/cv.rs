//! Cross-validation splits, as scikit-learn's `model_selection` makes them (MNE and nilearn
//! both hand their `cv=` argument to scikit-learn, so these are the splits their users get).
//!
//! Shuffled folds are scikit-learn's for the same `random_state`: scikit-learn draws them from
//! numpy's legacy `RandomState(seed)`, which is MT19937 seeded with `init_genrand(seed)`
//! (the `rand_mt` crate), shuffled with numpy's Fisher–Yates (`_shuffle_raw`: for i = n−1 … 1,
//! swap i with `random_interval(i)`, a masked rejection draw on 32-bit outputs; numpy
//! `random/mtrand.pyx` and `random/src/distributions/distributions.c`). These few lines are
//! ported by hand because no crate reproduces numpy's shuffle.

use rayon::prelude::*;

use crate::error::{Error, Result};

/// One train/test split: indices into the samples.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Split {
    pub train: Vec<usize>,
    pub test: Vec<usize>,
}

/// How to split samples into folds.
#[derive(Clone, Debug)]
pub enum Cv {
    /// scikit-learn `StratifiedKFold(n_splits, shuffle=False)`: each fold keeps the class
    /// proportions; samples of a class go to folds in their order (the same allocation
    /// scikit-learn computes, so the same folds). What `cross_val_score(clf, X, y, cv=5)`
    /// and MNE's `cross_val_multiscore(..., cv=5)` use for a classifier.
    /// With `shuffle: Some(seed)` it is `StratifiedKFold(n_splits, shuffle=True,
    /// random_state=seed)`: the same folds scikit-learn makes (checked against scikit-learn
    /// for several seeds, sizes and class balances).
    StratifiedKFold { n_splits: usize, shuffle: Option<u32> },
    /// scikit-learn `KFold(n_splits, shuffle=False)`: contiguous folds, the first
    /// `n % n_splits` one sample larger; `shuffle: Some(seed)` is `KFold(n_splits,
    /// shuffle=True, random_state=seed)` (the sample order is shuffled first).
    KFold { n_splits: usize, shuffle: Option<u32> },
    /// scikit-learn `LeaveOneGroupOut`: one fold per group (an fMRI run, a session), test on
    /// that group, train on the rest — nilearn's advice for fMRI decoding. Groups are taken in
    /// sorted order.
    LeaveOneGroupOut { groups: Vec<i64> },
}

impl Cv {
    /// `StratifiedKFold(n_splits)` (scikit-learn's default: `shuffle=False`).
    pub fn stratified(n_splits: usize) -> Cv {
        Cv::StratifiedKFold { n_splits, shuffle: None }
    }
    /// `KFold(n_splits)` (scikit-learn's default: `shuffle=False`).
    pub fn kfold(n_splits: usize) -> Cv {
        Cv::KFold { n_splits, shuffle: None }
    }
    /// The same splitter with `shuffle=True, random_state=seed`:
    /// `Cv::stratified(5).shuffle(42)` is scikit-learn's `StratifiedKFold(5, shuffle=True,
    /// random_state=42)`, fold for fold. `LeaveOneGroupOut` has nothing to shuffle and is
    /// returned unchanged (scikit-learn's has no `shuffle` either).
    pub fn shuffle(self, seed: u32) -> Cv {
        match self {
            Cv::StratifiedKFold { n_splits, .. } => Cv::StratifiedKFold { n_splits, shuffle: Some(seed) },
            Cv::KFold { n_splits, .. } => Cv::KFold { n_splits, shuffle: Some(seed) },
            other => other,
        }
    }
    /// `LeaveOneGroupOut()` with these groups (one per sample).
    pub fn leave_one_group_out(groups: impl IntoIterator<Item = i64>) -> Cv {
        Cv::LeaveOneGroupOut { groups: groups.into_iter().collect() }
    }

    /// The splits of `n` samples (scikit-learn `cv.split(X, y, groups)`). `y`, the class
    /// labels, is needed only by the stratified kind (an error without them: there is nothing
    /// to stratify); when given, its length must be `n`. `LeaveOneGroupOut` checks its groups
    /// against `n`. Folds come in scikit-learn's order; empty test folds are dropped.
    pub fn split(&self, n: usize, y: Option<&[bool]>) -> Result<Vec<Split>> {
        if let Some(y) = y {
            if y.len() != n {
                return Err(Error::shape(
                    "cross-validation labels",
                    format!("{n} (one per sample)"),
                    y.len(),
                ));
            }
        }
        let folds: Vec<usize> = match self {
            Cv::StratifiedKFold { n_splits, shuffle } => {
                let y = y.ok_or_else(|| {
                    Error::data(
                        "StratifiedKFold needs the class labels (y) to keep their proportions in every \
                         fold; for a continuous target use Cv::kfold",
                    )
                })?;
                stratified_folds(*n_splits, *shuffle, y)?
            }
            Cv::KFold { n_splits, shuffle } => kfold_folds(*n_splits, *shuffle, n)?,
            Cv::LeaveOneGroupOut { groups } => group_folds(groups, n)?,
        };
        let k = folds.iter().copied().max().map_or(0, |m| m + 1);
        Ok((0..k)
            .map(|i| Split {
                train: (0..n).filter(|&j| folds[j] != i).collect(),
                test: (0..n).filter(|&j| folds[j] == i).collect(),
            })
            .filter(|s| !s.test.is_empty())
            .collect())
    }
}

/// The one cross-validation engine: the splits of `cv` for `n` samples (labels `y` when the
/// splitter needs them, see [`Cv::split`]), then `fold` run on each split — scikit-learn's
/// `cross_validate(estimator, X, y, cv=cv)` with the fit-and-score step as a closure. Folds
/// run in parallel (rayon); the results come back in split order, so the numbers do not
/// depend on the number of threads. Every train/test loop of the crate (decoding, sliding and
/// generalising estimators, permutation tests, encoding models, the searchlight's generic
/// estimator) goes through here or through [`cross_validate_splits`].
pub fn cross_validate<T: Send>(
    cv: &Cv,
    n: usize,
    y: Option<&[bool]>,
    fold: impl Fn(&Split) -> Result<T> + Sync,
) -> Result<Vec<T>> {
    cross_validate_splits(&cv.split(n, y)?, fold)
}

/// [`cross_validate`] on splits made once beforehand (e.g. a searchlight, which runs the same
/// folds in every sphere): `fold` on each split in parallel, results in split order.
pub fn cross_validate_splits<T: Send>(
    splits: &[Split],
    fold: impl Fn(&Split) -> Result<T> + Sync,
) -> Result<Vec<T>> {
    let fold = &fold;
    splits.par_iter().map(fold).collect()
}

/// `StratifiedKFold`'s test fold of every sample (scikit-learn `_make_test_folds`).
fn stratified_folds(n_splits: usize, shuffle: Option<u32>, y: &[bool]) -> Result<Vec<usize>> {
    let n = y.len();
    let mut rng = shuffle.map(NumpyRandomState::new);
    let k = check_k(n_splits, n)?;
    // classes numbered by first appearance, as scikit-learn encodes them
    let first_true = y.iter().position(|&v| v);
    let first_false = y.iter().position(|&v| !v);
    let (c0, c1) = match (first_true, first_false) {
        (Some(t), Some(f)) => {
            if f < t {
                (false, true)
            } else {
                (true, false)
            }
        }
        _ => return Err(Error::data("StratifiedKFold: y holds only one class; decoding needs two")),
    };
    let counts = [y.iter().filter(|&&v| v == c0).count(), y.iter().filter(|&&v| v == c1).count()];
    if counts.iter().all(|&c| c < k) {
        return Err(Error::data(format!(
            "StratifiedKFold: n_splits={k} is larger than the number of samples in each class ({} and {})",
            counts[0], counts[1]
        )));
    }
    // allocation[i][c] = how many of class c fold i gets: bincount(y_order[i::k])
    let y_order: Vec<usize> =
        std::iter::repeat_n(0, counts[0]).chain(std::iter::repeat_n(1, counts[1])).collect();
    let mut alloc = vec![[0usize; 2]; k];
    for (j, &c) in y_order.iter().enumerate() {
        alloc[j % k][c] += 1;
    }
    let mut test_fold = vec![0usize; n];
    for (c, class) in [c0, c1].into_iter().enumerate() {
        let mut folds_for_class: Vec<usize> =
            (0..k).flat_map(|i| std::iter::repeat_n(i, alloc[i][c])).collect();
        if let Some(rng) = rng.as_mut() {
            rng.shuffle(&mut folds_for_class);
        }
        for (slot, idx) in (0..n).filter(|&i| y[i] == class).enumerate() {
            test_fold[idx] = folds_for_class[slot];
        }
    }
    Ok(test_fold)
}

/// `KFold`'s test fold of every sample: contiguous blocks of the (shuffled) order.
fn kfold_folds(n_splits: usize, shuffle: Option<u32>, n: usize) -> Result<Vec<usize>> {
    let k = check_k(n_splits, n)?;
    let mut order: Vec<usize> = (0..n).collect();
    if let Some(seed) = shuffle {
        NumpyRandomState::new(seed).shuffle(&mut order);
    }
    // fold i tests order[start..start + size]
    let mut f = vec![0usize; n];
    let mut start = 0;
    for i in 0..k {
        let size = n / k + usize::from(i < n % k);
        for &j in &order[start..start + size] {
            f[j] = i;
        }
        start += size;
    }
    Ok(f)
}

/// `LeaveOneGroupOut`'s test fold of every sample: the rank of its group.
fn group_folds(groups: &[i64], n: usize) -> Result<Vec<usize>> {
    if groups.len() != n {
        return Err(Error::shape("LeaveOneGroupOut groups", format!("{n} (one per sample)"), groups.len()));
    }
    let mut uniq = groups.to_vec();
    uniq.sort_unstable();
    uniq.dedup();
    if uniq.len() < 2 {
        return Err(Error::data("LeaveOneGroupOut: needs at least two groups (runs)"));
    }
    Ok(groups.iter().map(|g| uniq.binary_search(g).unwrap_or(0)).collect())
}

/// numpy's legacy `RandomState(seed)` as far as scikit-learn's splitters use it: MT19937
/// seeded with `init_genrand`, and `shuffle` of a 1-d array.
struct NumpyRandomState(rand_mt::Mt);

impl NumpyRandomState {
    fn new(seed: u32) -> Self {
        NumpyRandomState(rand_mt::Mt::new(seed))
    }
    /// numpy `random_interval(max)`: the smallest all-ones mask ≥ max, 32-bit draws masked
    /// until one is ≤ max (only max < 2³² occurs here).
    fn interval(&mut self, max: u64) -> u64 {
        if max == 0 {
            return 0;
        }
        let mut mask = max;
        for s in [1, 2, 4, 8, 16, 32] {
            mask |= mask >> s;
        }
        loop {
            let v = (self.0.next_u32() as u64) & mask;
            if v <= max {
                return v;
            }
        }
    }
    /// numpy `RandomState.shuffle(x)` for a 1-d array (`_shuffle_raw`).
    fn shuffle<T>(&mut self, x: &mut [T]) {
        for i in (1..x.len()).rev() {
            let j = self.interval(i as u64) as usize;
            x.swap(i, j);
        }
    }
}

fn check_k(k: usize, n: usize) -> Result<usize> {
    if k < 2 {
        return Err(Error::data(format!("cross-validation needs n_splits ≥ 2, got {k}")));
    }
    if k > n {
        return Err(Error::data(format!(
            "cross-validation: n_splits={k} is larger than the number of samples ({n})"
        )));
    }
    Ok(k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stratified_matches_scikit_learn() {
        // scikit-learn's allocation rule worked by hand for y = [1,1,0,0,1,0,1,1,0,1]:
        // class order by first appearance: 1 (6 samples) then 0 (4 samples);
        // y_order = [0]*6 + [1]*4 → fold i takes y_order[i::3]: fold0 = idx 0,3,6,9 → 2+2,
        // fold1 = 1,4,7 → 2+1, fold2 = 2,5,8 → 2+1.
        let y = [true, true, false, false, true, false, true, true, false, true];
        let s = Cv::stratified(3).split(10, Some(&y)).unwrap();
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].test, vec![0, 1, 2, 3]);
        assert_eq!(s[1].test, vec![4, 5, 6]);
        assert_eq!(s[2].test, vec![7, 8, 9]);
        for sp in &s {
            let mut all: Vec<usize> = sp.train.iter().chain(&sp.test).copied().collect();
            all.sort_unstable();
            assert_eq!(all, (0..10).collect::<Vec<_>>());
        }
    }

    #[test]
    fn kfold_and_groups() {
        let y = vec![true; 7];
        let s = Cv::kfold(3).split(7, None).unwrap();
        assert_eq!(s.iter().map(|s| s.test.len()).collect::<Vec<_>>(), vec![3, 2, 2]);
        assert_eq!(Cv::kfold(3).split(7, Some(&y)).unwrap(), s, "labels do not change KFold");
        let s = Cv::leave_one_group_out([3, 1, 1, 3, 2, 2, 1]).split(7, None).unwrap();
        assert_eq!(s[0].test, vec![1, 2, 6]);
        assert_eq!(s[2].test, vec![0, 3]);
        assert!(Cv::leave_one_group_out([1, 1]).split(2, Some(&[true, false])).is_err());
        assert!(Cv::leave_one_group_out([1, 2]).split(1, None).is_err());
        assert!(Cv::stratified(5).split(10, Some(&[true; 10])).is_err());
        assert!(Cv::kfold(1).split(7, None).is_err());
        assert!(Cv::kfold(3).split(7, Some(&y[..6])).is_err(), "labels of another length");
        let e = Cv::stratified(2).split(4, None).unwrap_err().to_string();
        assert!(e.contains("needs the class labels"), "{e}");
    }

    #[test]
    fn the_engine_runs_every_fold_in_split_order() {
        let y = [true, false, true, false, true, false];
        let cv = Cv::stratified(3);
        let tests = cross_validate(&cv, 6, Some(&y), |s| Ok(s.test.clone())).unwrap();
        let want: Vec<Vec<usize>> = cv.split(6, Some(&y)).unwrap().into_iter().map(|s| s.test).collect();
        assert_eq!(tests, want);
        let failing = cross_validate(&Cv::kfold(2), 6, None, |s| {
            if s.test.contains(&5) {
                Err(Error::data("fold failed"))
            } else {
                Ok(())
            }
        });
        assert!(failing.is_err());
    }
}
