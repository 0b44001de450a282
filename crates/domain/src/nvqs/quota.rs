//! Splitting a province's call-up quota among its communes.
//!
//! The proposal is proportional to each commune's eligible pool, rounded by the largest-remainder
//! (Hamilton) method, so the parts always add up to the quota exactly. The user may then override
//! any commune's figure; [`Evenness`] shows how even the result is, as each commune's quota as a
//! share of its pool (the seeds complain of uneven communes).
//!
//! Nothing here is law: the Military Service Law leaves the split to the provincial and commune
//! People's Committees. The proportional split is a proposal, not a rule.

use std::cmp::Ordering;

/// The largest quota a call-up cycle (a province's year) may carry, and the largest a commune may
/// be given. Not law (the Military Service Law sets no figure; the quota comes from the Prime
/// Minister's and the Ministry's yearly decisions): bounds far above any province's or commune's
/// yearly call-up, there to refuse a typing error (an extra digit or two) with a clear message and
/// to keep every figure inside the 32-bit arithmetic of the split, checked before any conversion.
pub const MAX_CYCLE_QUOTA: u32 = 1_000_000;
/// See [`MAX_CYCLE_QUOTA`].
pub const MAX_COMMUNE_QUOTA: u32 = 10_000;

/// A cycle's quota as typed, checked against [`MAX_CYCLE_QUOTA`] before any conversion.
pub fn cycle_quota(quota: i64) -> Result<u32, String> {
    if quota < 0 {
        return Err("Chỉ tiêu không được âm.".into());
    }
    u32::try_from(quota)
        .ok()
        .filter(|q| *q <= MAX_CYCLE_QUOTA)
        .ok_or_else(|| {
            format!(
                "Chỉ tiêu {} vượt quá giới hạn {} của một đợt tuyển quân: hãy kiểm tra lại số đã nhập.",
                crate::dates::vi_int(quota),
                crate::dates::vi_int(i64::from(MAX_CYCLE_QUOTA))
            )
        })
}

/// A commune's quota as typed, checked against [`MAX_COMMUNE_QUOTA`] before any conversion;
/// `name` is the commune's, for the message.
pub fn commune_quota(name: &str, quota: i64) -> Result<u32, String> {
    if quota < 0 {
        return Err(format!("Chỉ tiêu của {name} không được âm."));
    }
    u32::try_from(quota)
        .ok()
        .filter(|q| *q <= MAX_COMMUNE_QUOTA)
        .ok_or_else(|| {
            format!(
                "Chỉ tiêu của {name} ({}) vượt quá giới hạn {} cho một xã: hãy kiểm tra lại số đã nhập.",
                crate::dates::vi_int(quota),
                crate::dates::vi_int(i64::from(MAX_COMMUNE_QUOTA))
            )
        })
}

/// One commune's figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommunePool {
    /// The caller's key (commune code or unit id).
    pub key: String,
    /// Eligible citizens in the pool.
    pub pool: u32,
}

/// Why a split cannot be proposed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuotaError {
    #[error("Chỉ tiêu {quota} lớn hơn tổng nguồn sẵn sàng nhập ngũ ({pool} công dân) của các xã.")]
    QuotaExceedsPool { quota: u32, pool: u64 },
    #[error("Chưa có xã nào có nguồn sẵn sàng nhập ngũ để phân chỉ tiêu.")]
    EmptyPool,
    #[error("Chỉ tiêu của {key} ({quota}) lớn hơn nguồn của xã ({pool}).")]
    OverPool { key: String, quota: u32, pool: u32 },
    #[error("Tổng chỉ tiêu các xã ({sum}) khác chỉ tiêu của tỉnh ({quota}).")]
    SumMismatch { sum: u64, quota: u32 },
}

/// Proposes `quota` split over `communes` in proportion to their pools (largest remainder; ties
/// go to the larger pool, then to the key in order, so the result is deterministic). A commune
/// never receives more than its pool.
pub fn propose_split(quota: u32, communes: &[CommunePool]) -> Result<Vec<u32>, QuotaError> {
    let total: u64 = communes.iter().map(|c| c.pool as u64).sum();
    if total == 0 {
        return if quota == 0 {
            Ok(vec![0; communes.len()])
        } else {
            Err(QuotaError::EmptyPool)
        };
    }
    if quota as u64 > total {
        return Err(QuotaError::QuotaExceedsPool { quota, pool: total });
    }
    // Exact arithmetic: share_i = quota * pool_i / total, as integer part and remainder.
    let mut parts: Vec<u32> = Vec::with_capacity(communes.len());
    let mut remainders: Vec<(u64, usize)> = Vec::with_capacity(communes.len());
    for (i, c) in communes.iter().enumerate() {
        let num = quota as u64 * c.pool as u64;
        parts.push((num / total) as u32);
        remainders.push((num % total, i));
    }
    let assigned: u64 = parts.iter().map(|&p| p as u64).sum();
    let mut left = quota as u64 - assigned;
    remainders.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then_with(|| communes[b.1].pool.cmp(&communes[a.1].pool))
            .then_with(|| communes[a.1].key.cmp(&communes[b.1].key))
    });
    for &(_, i) in &remainders {
        if left == 0 {
            break;
        }
        if parts[i] < communes[i].pool {
            parts[i] += 1;
            left -= 1;
        }
    }
    debug_assert_eq!(left, 0, "largest remainder always places every unit when quota <= pool");
    Ok(parts)
}

/// Checks a split (proposed or overridden) against the quota and the pools.
pub fn check_split(quota: u32, communes: &[CommunePool], split: &[u32]) -> Result<(), QuotaError> {
    for (c, &q) in communes.iter().zip(split) {
        if q > c.pool {
            return Err(QuotaError::OverPool {
                key: c.key.clone(),
                quota: q,
                pool: c.pool,
            });
        }
    }
    let sum: u64 = split.iter().map(|&q| q as u64).sum();
    if sum != quota as u64 {
        return Err(QuotaError::SumMismatch { sum, quota });
    }
    Ok(())
}

/// How even a split is: each commune's quota as a share of its pool.
#[derive(Debug, Clone, PartialEq)]
pub struct Evenness {
    /// quota / pool per commune (None for an empty pool).
    pub rates: Vec<Option<f64>>,
    pub min: f64,
    pub max: f64,
    /// max − min, in percentage points ×0.01 (0.05 = five points).
    pub spread: f64,
    /// The province's overall rate: quota / total pool.
    pub overall: f64,
}

pub fn evenness(communes: &[CommunePool], split: &[u32]) -> Evenness {
    let rates: Vec<Option<f64>> = communes
        .iter()
        .zip(split)
        .map(|(c, &q)| (c.pool > 0).then(|| q as f64 / c.pool as f64))
        .collect();
    let present: Vec<f64> = rates.iter().flatten().copied().collect();
    let min = present
        .iter()
        .copied()
        .min_by(|a, b| a.partial_cmp(b).unwrap_or(Ordering::Equal))
        .unwrap_or(0.0);
    let max = present
        .iter()
        .copied()
        .max_by(|a, b| a.partial_cmp(b).unwrap_or(Ordering::Equal))
        .unwrap_or(0.0);
    let total: u64 = communes.iter().map(|c| c.pool as u64).sum();
    let quota: u64 = split.iter().map(|&q| q as u64).sum();
    Evenness {
        rates,
        min,
        max,
        spread: max - min,
        overall: if total == 0 { 0.0 } else { quota as f64 / total as f64 },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pools(v: &[u32]) -> Vec<CommunePool> {
        v.iter()
            .enumerate()
            .map(|(i, &p)| CommunePool {
                key: format!("x{i:02}"),
                pool: p,
            })
            .collect()
    }

    #[test]
    fn proportional_with_largest_remainder() {
        // 10 over pools 50/30/20: exact 5/3/2.
        assert_eq!(propose_split(10, &pools(&[50, 30, 20])).unwrap(), vec![5, 3, 2]);
        // 7 over 3 equal pools: 7/3 = 2.33 each; one extra seat to the first key (tie on pool).
        assert_eq!(propose_split(7, &pools(&[10, 10, 10])).unwrap(), vec![3, 2, 2]);
        // Hamilton: 100 seats, pools 4 : 3 : 2 : 1 (×1000) → exact 40/30/20/10.
        assert_eq!(
            propose_split(100, &pools(&[4000, 3000, 2000, 1000])).unwrap(),
            vec![40, 30, 20, 10]
        );
        // Remainders decide: 5 over 6/3/1 → 3, 1.5, 0.5 → 3 + 1 + 0 and the larger remainder (tie .5/.5)
        // goes to the larger pool.
        assert_eq!(propose_split(5, &pools(&[6, 3, 1])).unwrap(), vec![3, 2, 0]);
    }

    #[test]
    fn quotas_are_bounded_before_any_cast() {
        assert_eq!(cycle_quota(0), Ok(0));
        assert_eq!(cycle_quota(1_000_000), Ok(1_000_000));
        // 2^32 + 5 would be 5 once cast to 32 bits.
        assert!(cycle_quota(4_294_967_301)
            .unwrap_err()
            .contains("vượt quá giới hạn 1.000.000"));
        assert!(cycle_quota(1_000_001).is_err());
        assert!(cycle_quota(-1).unwrap_err().contains("không được âm"));
        assert!(cycle_quota(i64::MAX).is_err());
        assert_eq!(commune_quota("Xã A", 10_000), Ok(10_000));
        let e = commune_quota("Xã A", 4_294_967_301).unwrap_err();
        assert!(e.contains("Xã A") && e.contains("10.000"), "{e}");
        assert!(commune_quota("Xã A", i64::MIN).unwrap_err().contains("không được âm"));
    }

    #[test]
    fn errors_in_vietnamese() {
        let e = propose_split(100, &pools(&[10, 20])).unwrap_err();
        assert!(e.to_string().contains("lớn hơn tổng nguồn"));
        assert_eq!(propose_split(3, &pools(&[0, 0])).unwrap_err(), QuotaError::EmptyPool);
        assert_eq!(propose_split(0, &pools(&[0, 0])).unwrap(), vec![0, 0]);
        let c = pools(&[5, 5]);
        assert!(matches!(check_split(6, &c, &[6, 0]), Err(QuotaError::OverPool { .. })));
        assert!(matches!(
            check_split(6, &c, &[3, 2]),
            Err(QuotaError::SumMismatch { .. })
        ));
        assert!(check_split(6, &c, &[3, 3]).is_ok());
    }

    #[test]
    fn evenness_of_a_split() {
        let c = pools(&[100, 50, 0]);
        let e = evenness(&c, &[10, 10, 0]);
        assert_eq!(e.rates, vec![Some(0.1), Some(0.2), None]);
        assert!((e.spread - 0.1).abs() < 1e-12);
        assert!((e.overall - 20.0 / 150.0).abs() < 1e-12);
    }

    proptest! {
        #[test]
        fn split_sums_to_quota_never_exceeds_pools_and_is_within_one_of_exact(
            pools_v in proptest::collection::vec(0u32..5000, 1..40),
            frac in 0.0f64..1.0,
        ) {
            let c = pools(&pools_v);
            let total: u64 = pools_v.iter().map(|&p| p as u64).sum();
            let quota = (total as f64 * frac) as u32;
            if total == 0 {
                return Ok(());
            }
            let split = propose_split(quota, &c).unwrap();
            prop_assert!(check_split(quota, &c, &split).is_ok());
            for (p, &q) in pools_v.iter().zip(&split) {
                let exact = quota as f64 * *p as f64 / total as f64;
                prop_assert!((q as f64 - exact).abs() < 1.0 + 1e-9, "q={} exact={}", q, exact);
            }
        }
    }
}
