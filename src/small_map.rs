//! An ordered map for per-host state (detectors' per-camera maps, the
//! inventory's peers), which is small for almost every host and large for
//! a few.
//!
//! Detectors keep several maps per camera (hosts contacted, ports per host,
//! accounts, destinations). A `BTreeMap` allocates a node of eleven slots
//! on its first insert, so a camera that made one contact paid for eleven
//! in each map: about 13 KB per camera in all, which under a flood inside a
//! broad camera group (16,384 camera places taken by one-flow hosts) was
//! most of the detection's memory and, through the allocator growing the
//! heap, most of its time. This map is a sorted `Vec` grown one slot at a
//! time while small ([`SPILL`] entries), a `BTreeMap` beyond, and back to
//! an empty `Vec` (no allocation) when emptied. Iteration is in key order
//! either way, so nothing that depends on order changes. The inventory
//! keeps each host's peers in one too (most hosts talk to a few).

use std::collections::BTreeMap;

/// Entries kept in the sorted vector; one more moves them to a tree.
pub const SPILL: usize = 16;

#[derive(Debug, Clone)]
pub enum SmallMap<K, V> {
    Few(Vec<(K, V)>),
    Many(BTreeMap<K, V>),
}

impl<K, V> Default for SmallMap<K, V> {
    fn default() -> Self {
        SmallMap::Few(Vec::new())
    }
}

impl<K: Ord + Copy, V> SmallMap<K, V> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn len(&self) -> usize {
        match self {
            SmallMap::Few(v) => v.len(),
            SmallMap::Many(m) => m.len(),
        }
    }

    pub fn get(&self, key: &K) -> Option<&V> {
        match self {
            SmallMap::Few(v) => v
                .binary_search_by(|(k, _)| k.cmp(key))
                .ok()
                .map(|i| &v[i].1),
            SmallMap::Many(m) => m.get(key),
        }
    }

    pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        match self {
            SmallMap::Few(v) => match v.binary_search_by(|(k, _)| k.cmp(key)) {
                Ok(i) => Some(&mut v[i].1),
                Err(_) => None,
            },
            SmallMap::Many(m) => m.get_mut(key),
        }
    }

    pub fn contains_key(&self, key: &K) -> bool {
        self.get(key).is_some()
    }

    /// The value of `key`, inserted from `make` when missing.
    pub fn get_or_insert_with(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
        if let SmallMap::Few(v) = self
            && v.len() >= SPILL
            && v.binary_search_by(|(k, _)| k.cmp(&key)).is_err()
        {
            let tree: BTreeMap<K, V> = std::mem::take(v).into_iter().collect();
            *self = SmallMap::Many(tree);
        }
        match self {
            SmallMap::Few(v) => {
                let i = match v.binary_search_by(|(k, _)| k.cmp(&key)) {
                    Ok(i) => i,
                    Err(i) => {
                        if v.len() == v.capacity() {
                            // 1, 2, 4, 8, 16: a one-entry map holds one.
                            v.reserve_exact(v.len().max(1));
                        }
                        v.insert(i, (key, make()));
                        i
                    }
                };
                &mut v[i].1
            }
            SmallMap::Many(m) => m.entry(key).or_insert_with(make),
        }
    }

    /// Inserts or replaces; returns the previous value.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        let mut value = Some(value);
        let slot = self.get_or_insert_with(key, || value.take().expect("taken once"));
        value.map(|v| std::mem::replace(slot, v))
    }

    pub fn remove(&mut self, key: &K) -> Option<V> {
        let removed = match self {
            SmallMap::Few(v) => match v.binary_search_by(|(k, _)| k.cmp(key)) {
                Ok(i) => Some(v.remove(i).1),
                Err(_) => None,
            },
            SmallMap::Many(m) => m.remove(key),
        };
        self.release_if_empty();
        removed
    }

    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        match self {
            SmallMap::Few(v) => v.retain_mut(|(k, value)| keep(k, value)),
            SmallMap::Many(m) => m.retain(|k, value| keep(k, value)),
        }
        self.release_if_empty();
    }

    /// An emptied map holds no memory (a window that drained, a camera
    /// whose hosts all expired).
    fn release_if_empty(&mut self) {
        let drop_it = match self {
            SmallMap::Few(v) => v.is_empty() && v.capacity() > 0,
            SmallMap::Many(m) => m.is_empty(),
        };
        if drop_it {
            *self = SmallMap::Few(Vec::new());
        }
    }

    /// Entries in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> + '_ {
        let (few, many) = match self {
            SmallMap::Few(v) => (Some(v.iter().map(|(k, v)| (k, v))), None),
            SmallMap::Many(m) => (None, Some(m.iter())),
        };
        few.into_iter().flatten().chain(many.into_iter().flatten())
    }

    /// Entries in key order, values mutable.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&K, &mut V)> + '_ {
        let (few, many) = match self {
            SmallMap::Few(v) => (Some(v.iter_mut().map(|(k, v)| (&*k, v))), None),
            SmallMap::Many(m) => (None, Some(m.iter_mut())),
        };
        few.into_iter().flatten().chain(many.into_iter().flatten())
    }

    pub fn keys(&self) -> impl Iterator<Item = &K> + '_ {
        self.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl Iterator<Item = &V> + '_ {
        self.iter().map(|(_, v)| v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against a `BTreeMap`, through the spill and back.
    #[test]
    fn behaves_as_an_ordered_map() {
        let mut small: SmallMap<u32, u64> = SmallMap::new();
        let mut tree: BTreeMap<u32, u64> = BTreeMap::new();
        let mut x: u32 = 7;
        for step in 0..2000u64 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345) % 40;
            match step % 5 {
                0 | 1 => assert_eq!(small.insert(x, step), tree.insert(x, step)),
                2 => assert_eq!(small.remove(&x), tree.remove(&x)),
                3 => *small.get_or_insert_with(x, || 1) += 1,
                _ => small.retain(|k, _| k % 7 != step as u32 % 7),
            }
            match step % 5 {
                3 => *tree.entry(x).or_insert(1) += 1,
                4 => tree.retain(|k, _| k % 7 != step as u32 % 7),
                _ => {}
            }
            assert_eq!(small.len(), tree.len());
            assert_eq!(small.get(&x), tree.get(&x));
            assert!(small.iter().eq(tree.iter()), "order at step {step}");
        }
        assert!(small.len() > SPILL || matches!(small, SmallMap::Few(_)));
    }

    #[test]
    fn small_maps_hold_what_they_need() {
        let mut one: SmallMap<u32, [u8; 100]> = SmallMap::new();
        one.insert(1, [0; 100]);
        let SmallMap::Few(v) = &one else {
            panic!("one entry is few")
        };
        assert_eq!(v.capacity(), 1);
        one.remove(&1);
        let SmallMap::Few(v) = &one else {
            panic!("emptied")
        };
        assert_eq!(v.capacity(), 0);
        let mut many: SmallMap<u32, ()> = SmallMap::new();
        for k in 0..=SPILL as u32 {
            many.insert(k, ());
        }
        assert!(matches!(many, SmallMap::Many(_)));
        many.retain(|_, _| false);
        assert!(matches!(many, SmallMap::Few(ref v) if v.capacity() == 0));
    }
}
