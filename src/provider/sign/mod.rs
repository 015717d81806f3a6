//! Request signature algorithms, each once, byte-identical to the official SDKs'.

pub mod aliyun;
pub mod tc3;
pub mod tsig;
