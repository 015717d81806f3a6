//! Log lines: ddns-go's format on stderr, plus a ring of recent lines for the web UI.
