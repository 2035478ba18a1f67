//! Electrode positions of the 10-10 system on a spherical head.
//!
//! Mirrors `mne.channels.make_standard_montage("biosemi64")` in names and layout. The
//! positions are computed, not copied from a digitised template: the 10-20 construction on a
//! sphere (Nz–Cz–Iz in 10 %/20 % steps; the outer ring at 10 % above the nasion–inion line;
//! each row's electrodes at equal arc steps from its midline electrode to the ring), so they
//! are the *idealised* positions. MNE's templates are fitted to an average head and differ by
//! a few millimetres, which does not matter for topomaps or for the simulated forward model.
//!
//! Coordinates are MNE's head frame: x to the right ear, y to the nose, z up; metres.

use crate::error::{Error, Result};

/// Head radius used for positions and the simulated forward model (MNE's default sphere).
pub const HEAD_RADIUS: f64 = 0.095;

/// The 64 channels of a BioSemi 64 cap, in BioSemi's order (as MNE's `biosemi64`).
pub const BIOSEMI64: [&str; 64] = [
    "Fp1", "AF7", "AF3", "F1", "F3", "F5", "F7", "FT7", "FC5", "FC3", "FC1", "C1", "C3", "C5", "T7", "TP7",
    "CP5", "CP3", "CP1", "P1", "P3", "P5", "P7", "P9", "PO7", "PO3", "O1", "Iz", "Oz", "POz", "Pz", "CPz",
    "Fpz", "Fp2", "AF8", "AF4", "AFz", "Fz", "F2", "F4", "F6", "F8", "FT8", "FC6", "FC4", "FC2", "FCz", "Cz",
    "C2", "C4", "C6", "T8", "TP8", "CP6", "CP4", "CP2", "P2", "P4", "P6", "P8", "P10", "PO8", "PO4", "O2",
];

/// Electrode names with 3-D positions (MNE's `DigMontage`), one position per name.
#[derive(Clone, Debug, PartialEq)]
pub struct Montage {
    ch_names: Vec<String>,
    /// positions in metres, head frame
    pos: Vec<[f64; 3]>,
}

fn unit(theta_deg: f64, phi_deg: f64) -> [f64; 3] {
    // theta: angle from the vertex (Cz); phi: azimuth from the nose (y) towards the right ear (x)
    let (t, p) = (theta_deg.to_radians(), phi_deg.to_radians());
    [t.sin() * p.sin(), t.sin() * p.cos(), t.cos()]
}

fn slerp(a: [f64; 3], b: [f64; 3], f: f64) -> [f64; 3] {
    let dot = (a[0] * b[0] + a[1] * b[1] + a[2] * b[2]).clamp(-1.0, 1.0);
    let w = dot.acos();
    if w < 1e-9 {
        return a;
    }
    let (sa, sb) = (((1.0 - f) * w).sin() / w.sin(), (f * w).sin() / w.sin());
    [sa * a[0] + sb * b[0], sa * a[1] + sb * b[1], sa * a[2] + sb * b[2]]
}

/// Unit-sphere position of a 10-10 electrode name, if it is one we know.
fn position_1010(name: &str) -> Option<[f64; 3]> {
    // midline (theta from vertex; front positive phi 0, back phi 180) and ring azimuth per row
    let rows: [(&str, f64, f64); 9] = [
        ("Fp", 72.0, 18.0),
        ("AF", 54.0, 36.0),
        ("F", 36.0, 54.0),
        ("FC", 18.0, 72.0),
        ("C", 0.0, 90.0),
        ("CP", -18.0, 108.0),
        ("P", -36.0, 126.0),
        ("PO", -54.0, 144.0),
        ("O", -72.0, 162.0),
    ];
    let special = |n: &str| -> Option<[f64; 3]> {
        Some(match n {
            "Nz" => unit(90.0, 0.0),
            "Iz" => unit(90.0, 180.0),
            "T7" => unit(72.0, -90.0),
            "T8" => unit(72.0, 90.0),
            "FT7" => unit(72.0, -72.0),
            "FT8" => unit(72.0, 72.0),
            "TP7" => unit(72.0, -108.0),
            "TP8" => unit(72.0, 108.0),
            "P9" => unit(90.0, -126.0),
            "P10" => unit(90.0, 126.0),
            _ => return None,
        })
    };
    if let Some(p) = special(name) {
        return Some(p);
    }
    // split "PO7" into row "PO" and suffix "7"
    let split = name.find(|c: char| c.is_ascii_digit() || c == 'z')?;
    let (row, suffix) = name.split_at(split);
    let &(_, mid_theta, ring_phi) = rows.iter().find(|r| r.0 == row)?;
    let mid = if mid_theta >= 0.0 { unit(mid_theta, 0.0) } else { unit(-mid_theta, 180.0) };
    if suffix == "z" {
        return Some(mid);
    }
    let k: u32 = suffix.parse().ok()?;
    if k == 0 || k > 8 {
        return None;
    }
    let right = k % 2 == 0;
    let step = if right { k / 2 } else { k.div_ceil(2) }; // 1,2 → 1; 3,4 → 2; 5,6 → 3; 7,8 → 4
    let ring = unit(72.0, if right { ring_phi } else { -ring_phi });
    Some(slerp(mid, ring, step as f64 / 4.0))
}

impl Montage {
    /// A montage from names and positions in metres, head frame (MNE
    /// `mne.channels.make_dig_montage(ch_pos=dict(zip(names, positions)))`): one finite
    /// position per name, names unique.
    pub fn new(ch_names: Vec<String>, positions: Vec<[f64; 3]>) -> Result<Montage> {
        if ch_names.len() != positions.len() {
            return Err(Error::shape("montage positions", ch_names.len(), positions.len()));
        }
        for (i, n) in ch_names.iter().enumerate() {
            if ch_names[..i].contains(n) {
                return Err(Error::data(format!("montage: channel name {n:?} appears twice")));
            }
            if positions[i].iter().any(|v| !v.is_finite()) {
                return Err(Error::data(format!("montage: position of {n:?} is not finite")));
            }
        }
        Ok(Montage { ch_names, pos: positions })
    }

    /// The channel names, in order.
    pub fn ch_names(&self) -> &[String] {
        &self.ch_names
    }

    /// The positions (metres, head frame), one per name.
    pub fn positions(&self) -> &[[f64; 3]] {
        &self.pos
    }

    /// A standard montage by MNE's name: `biosemi64` or `standard_1020` (the 64 names of
    /// `biosemi64`, which are all 10-10 names).
    pub fn standard(kind: &str) -> Result<Montage> {
        match kind {
            "biosemi64" | "standard_1020" | "standard_1005" => Montage::from_names(&BIOSEMI64),
            other => Err(Error::data(format!("unknown montage {other:?}; known: biosemi64, standard_1020"))),
        }
    }

    /// Positions of the given 10-10 names (e.g. `["TP9", "AF7", "AF8", "TP10"]` for Muse).
    pub fn from_names(names: &[&str]) -> Result<Montage> {
        let mut pos = Vec::with_capacity(names.len());
        for n in names {
            let p = position_1010(n)
                .or_else(|| muse_extra(n))
                .ok_or_else(|| Error::data(format!("no 10-10 position for channel {n:?}")))?;
            pos.push([p[0] * HEAD_RADIUS, p[1] * HEAD_RADIUS, p[2] * HEAD_RADIUS]);
        }
        Ok(Montage { ch_names: names.iter().map(|s| s.to_string()).collect(), pos })
    }

    /// Position of one channel.
    pub fn get(&self, name: &str) -> Option<[f64; 3]> {
        self.ch_names.iter().position(|n| n == name).map(|i| self.pos[i])
    }
}

/// TP9/TP10 (Muse) sit 10 % below TP7/TP8.
fn muse_extra(name: &str) -> Option<[f64; 3]> {
    match name {
        "TP9" => Some(unit(90.0, -108.0)),
        "TP10" => Some(unit(90.0, 108.0)),
        "FT9" => Some(unit(90.0, -72.0)),
        "FT10" => Some(unit(90.0, 72.0)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: [f64; 3], b: [f64; 3]) -> bool {
        (0..3).all(|i| (a[i] - b[i]).abs() < 1e-9)
    }

    #[test]
    fn landmarks_and_symmetry() {
        let m = Montage::standard("biosemi64").unwrap();
        assert_eq!(m.ch_names().len(), 64);
        let r = HEAD_RADIUS;
        assert!(close(m.get("Cz").unwrap(), [0.0, 0.0, r]));
        // all on the sphere
        for p in m.positions() {
            assert!(((p[0] * p[0] + p[1] * p[1] + p[2] * p[2]).sqrt() - r).abs() < 1e-9);
        }
        // left/right mirror pairs
        for (l, rr) in [("P7", "P8"), ("C3", "C4"), ("PO7", "PO8"), ("Fp1", "Fp2"), ("F5", "F6")] {
            let (a, b) = (m.get(l).unwrap(), m.get(rr).unwrap());
            assert!(close([-a[0], a[1], a[2]], b), "{l}/{rr}");
        }
        // P8 is right, posterior, a little above the ear line
        let p8 = m.get("P8").unwrap();
        assert!(p8[0] > 0.0 && p8[1] < 0.0 && p8[2] > 0.0);
        // C3 halfway between Cz and T7 (the 10-20 rule)
        let c3 = m.get("C3").unwrap();
        assert!((c3[2] / r - 36f64.to_radians().cos()).abs() < 1e-9);
        assert!(Montage::from_names(&["Xyz"]).is_err());
        assert!(Montage::from_names(&["TP9", "AF7", "AF8", "TP10"]).is_ok());
        assert!(Montage::new(vec!["Cz".into()], vec![]).is_err());
        assert!(Montage::new(vec!["Cz".into()], vec![[f64::NAN, 0.0, 0.0]]).is_err());
        assert_eq!(Montage::new(m.ch_names().to_vec(), m.positions().to_vec()).unwrap(), m);
    }
}
