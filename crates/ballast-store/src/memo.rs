//! Values computed from the store, kept until the next committed write.
//!
//! Some reads run far more often than anything they read changes: a
//! deployment script polls DescribeTargetHealth many times a second, and
//! each answer reads the group, its listeners and rules, its registrations
//! and the state of each instance, and decodes their records. A [`Memo`]
//! keeps what such a read computed and hands it out again until a write
//! commits, since only a write can change it.
//!
//! The store counts committed writes ([`Store::generation`]). A value is
//! tagged with the count read *before* its read transaction began, and is
//! served only while the count is unchanged. A write bumps the count after
//! its commit and before it is acknowledged, so a value is never served
//! once a write it does not contain has been acknowledged. A value may be
//! computed over a newer snapshot than its tag says; it is then merely
//! dropped sooner than needed.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::{Store, StoreError, Tx};

/// How many values one memo holds; past this it starts afresh, so a caller
/// asking for many different keys cannot make it grow without bound.
const CAPACITY: usize = 1024;

/// Values of type `V` by key, each valid for one store generation.
#[derive(Debug)]
pub struct Memo<K, V> {
    entries: Mutex<HashMap<K, Entry<V>>>,
}

#[derive(Debug)]
struct Entry<V> {
    generation: u64,
    value: Arc<V>,
}

impl<K, V> Default for Memo<K, V> {
    fn default() -> Self {
        Memo {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash + Clone, V> Memo<K, V> {
    /// The value for `key`: the one computed since the last committed
    /// write, or else `load`'s, run in a read transaction and kept. An
    /// error is returned and not kept.
    pub fn get<E>(
        &self,
        store: &Store,
        key: &K,
        load: impl FnOnce(&Tx<'_>) -> Result<V, E>,
    ) -> Result<Arc<V>, E>
    where
        E: From<StoreError>,
    {
        self.get_kept_if(store, key, load, |_| true)
    }

    /// [`Memo::get`], keeping a newly loaded value only if `keep` says so
    /// (a large value is cheaper to read again than to hold).
    pub fn get_kept_if<E>(
        &self,
        store: &Store,
        key: &K,
        load: impl FnOnce(&Tx<'_>) -> Result<V, E>,
        keep: impl FnOnce(&V) -> bool,
    ) -> Result<Arc<V>, E>
    where
        E: From<StoreError>,
    {
        let generation = store.generation();
        if let Some(entry) = self.lock().get(key)
            && entry.generation == generation
        {
            return Ok(Arc::clone(&entry.value));
        }
        let value = Arc::new(store.read(load)?);
        if !keep(&value) {
            return Ok(value);
        }
        let mut entries = self.lock();
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(
            key.clone(),
            Entry {
                generation,
                value: Arc::clone(&value),
            },
        );
        Ok(value)
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<K, Entry<V>>> {
        // The map holds no invariant a panicking holder could break.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn tags(tx: &Tx<'_>) -> Result<Vec<(String, String)>, StoreError> {
        tx.tags("r1")
    }

    #[test]
    fn a_value_is_kept_until_a_write_commits() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let memo: Memo<&str, Vec<(String, String)>> = Memo::default();
        let loads = std::cell::Cell::new(0);
        let load = |tx: &Tx<'_>| {
            loads.set(loads.get() + 1);
            tags(tx)
        };
        assert!(memo.get(&store, &"r1", load).unwrap().is_empty());
        assert!(memo.get(&store, &"r1", load).unwrap().is_empty());
        assert_eq!(loads.get(), 1, "the second read is served from the memo");

        store
            .write(|tx| tx.put_tags("r1", &[("k".into(), "v".into())]))
            .unwrap();
        let after = memo.get(&store, &"r1", load).unwrap();
        assert_eq!(*after, [("k".to_owned(), "v".to_owned())]);
        assert_eq!(loads.get(), 2, "a committed write makes it read again");
    }

    #[test]
    fn a_failed_load_is_not_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let memo: Memo<u8, u8> = Memo::default();
        let failed: Result<_, StoreError> =
            memo.get(&store, &1, |_| Err(StoreError::WriteNotAllowedHere));
        assert!(failed.is_err());
        assert_eq!(*memo.get::<StoreError>(&store, &1, |_| Ok(7)).unwrap(), 7);
    }

    #[test]
    fn a_value_keep_refuses_is_loaded_each_time() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let memo: Memo<u8, u8> = Memo::default();
        let loads = std::cell::Cell::new(0);
        for _ in 0..2 {
            let value = memo.get_kept_if::<StoreError>(
                &store,
                &1,
                |_| {
                    loads.set(loads.get() + 1);
                    Ok(200)
                },
                |v| *v < 100,
            );
            assert_eq!(*value.unwrap(), 200);
        }
        assert_eq!(loads.get(), 2);
    }

    #[test]
    fn it_holds_at_most_its_capacity() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let memo: Memo<usize, usize> = Memo::default();
        for key in 0..CAPACITY * 2 + 3 {
            memo.get::<StoreError>(&store, &key, |_| Ok(key)).unwrap();
        }
        assert!(memo.lock().len() <= CAPACITY);
    }
}
