//! The sync loop: plan and apply per domain, caches, schedule, status.
