//! Batch rules: checks that need the whole batch (duplicate keys, dangling references,
//! impossible totals).
