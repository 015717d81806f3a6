//! Notifications after a run: the webhook (spec §7.1) and its templates.
