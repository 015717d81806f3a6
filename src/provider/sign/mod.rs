//! Request signature algorithms, each once, byte-identical to the official SDKs'.
